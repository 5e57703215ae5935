"""memory://: the SQLite backend on an in-memory database of the test process, one per test."""

from __future__ import annotations

from pathlib import Path

from hubjobs.backends.sqlite.memory import forget

MULTI_PROCESS = False
"""It lives in the test's process: process-killing fault tests use the shared backends."""


def make_url(tmp_path: Path, test_id: str) -> str:
    """A URL to a new in-memory database."""
    return f"memory://t-{test_id}"


def cleanup(url: str) -> None:
    """Free the test's database."""
    forget(url)
