"""Fixtures of the Redis-only tests: private servers (never the shared one) and worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.support import WorkerProcesses
from tests.redis.servers import RedisCluster, RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server with AOF `always` and DEBUG enabled, stopped after the test."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def redis_cluster(tmp_path: Path) -> Iterator[RedisCluster]:
    """A private 3-master Redis Cluster on loopback."""
    cluster = RedisCluster(tmp_path / "cluster")
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    """The execution ledger: a SQLite file outside Redis."""
    return str(tmp_path / "ledger.db")


def start_workers(url: str, tmp_path: Path) -> WorkerProcesses:
    """Worker processes (tests/worker_main.py) on `url`, logging under tmp_path/logs."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir(exist_ok=True)
    return WorkerProcesses(url, log_dir)
