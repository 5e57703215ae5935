"""Fixtures of the PostgreSQL-only tests: a schema per test on the machine's server, the test App,
a ledger, worker processes, and a cluster of the test's own for crash/restart tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hubjobs import App
from tests.apps import build_app
from tests.backends import postgres as pg
from tests.faults.support import WorkerProcesses
from tests.postgres.cluster import Cluster, create_cluster, destroy_cluster


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A backend URL on the test server with a schema of this test's own (dropped afterwards)."""
    url = pg.make_url(tmp_path, uuid.uuid4().hex[:12])
    yield url
    pg.cleanup(url)


@pytest.fixture
async def pg_app(pg_url: str) -> AsyncIterator[App]:
    """The test App (tests/apps.py) on `pg_url`."""
    app = build_app(pg_url)
    yield app
    await app.aclose()
    app.close()


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    """Path of the execution ledger: a SQLite file, a store separate from PostgreSQL."""
    return str(tmp_path / "ledger.db")


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """A file whose creation lets `record_wait` jobs finish."""
    return tmp_path / "release"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A running PostgreSQL cluster of this test's own, on a free port."""
    c = create_cluster()
    yield c
    destroy_cluster(c)


@pytest.fixture
def pg_workers(tmp_path: Path) -> Iterator[WorkerProcesses]:
    """Worker processes (`tests/worker_main.py`); set `.url` before starting one. Survivors are
    killed at the end."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    wp = WorkerProcesses("", log_dir)
    yield wp
    wp.kill_all()
