"""Fault-test fixtures: the test App on the backend under test, a ledger file outside that
backend, and worker processes that are always cleaned up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hubjobs import App
from tests.apps import build_app
from tests.faults.support import WorkerProcesses


@pytest.fixture
async def fapp(shared_backend_url: str) -> AsyncIterator[App]:
    """The test App (tests/apps.py) on the backend under test, as the test's producer/observer."""
    app = build_app(shared_backend_url)
    yield app
    await app.aclose()
    app.close()


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    """Path of the execution ledger: a SQLite file separate from the job store."""
    return str(tmp_path / "ledger.db")


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """A file whose creation lets `record_wait` jobs finish."""
    return tmp_path / "release"


@pytest.fixture
def workers(shared_backend_url: str, tmp_path: Path) -> Iterator[WorkerProcesses]:
    """Starts named worker processes on the backend under test; kills the survivors at the end."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    wp = WorkerProcesses(shared_backend_url, log_dir)
    yield wp
    wp.kill_all()
