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


SHARED_BACKENDS = [name for name in BACKENDS
                   if getattr(importlib.import_module(f"tests.backends.{name}"), "MULTI_PROCESS", True)]
"""The backends several processes share (a module says `MULTI_PROCESS = False` otherwise): tests
that kill, freeze or start real processes run on these; a one-process backend (memory://) shows
in the contract suite that another process is refused rather than silently given a copy."""


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An isolated URL on one backend (a new file, key prefix or schema per test)."""
    yield from _isolated_url(request.param, tmp_path)


@pytest.fixture(params=SHARED_BACKENDS)
def shared_backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An isolated URL on one backend that several processes can share."""
    yield from _isolated_url(request.param, tmp_path)


def _isolated_url(name: str, tmp_path: Path) -> Iterator[str]:
    module = importlib.import_module(f"tests.backends.{name}")
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
