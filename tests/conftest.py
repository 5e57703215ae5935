"""Shared fixtures. `backend_url` is parametrized over every backend: the contract suite runs
unchanged against each. A backend whose server is unreachable fails its tests, never skips."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubjobs import App

BACKENDS = ["sqlite", "redis", "postgres", "memory"]
"""Each name is a module tests/backends/<name>.py with `make_url(tmp_path, test_id) -> str`
and optionally `cleanup(url)`. Every test using `backend_url` runs on all of them; a backend whose
server is unreachable fails, never skips."""


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An isolated URL on one backend (a new file, key prefix or schema per test)."""
    module = importlib.import_module(f"tests.backends.{request.param}")
    url = module.make_url(tmp_path, uuid.uuid4().hex[:12])
    yield url
    cleanup = getattr(module, "cleanup", None)
    if cleanup is not None:
        cleanup(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new SQLite database file."""
    return f"sqlite:///{tmp_path / 'jobs.db'}"


@pytest.fixture
def app(backend_url: str) -> Iterator[App]:
    """An App on the parametrized backend, closed after the test."""
    a = App(backend_url)
    yield a
    a.close()
