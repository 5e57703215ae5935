"""SQLite: a fresh database file per test."""

from __future__ import annotations

from pathlib import Path


def make_url(tmp_path: Path, test_id: str) -> str:
    """A URL to a new database file in the test's temp dir."""
    return f"sqlite:///{tmp_path / 'jobs.db'}"
