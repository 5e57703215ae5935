"""RQ: a SimpleWorker (no fork per job) in one process; bulk adds with `enqueue_many`. The matrix's
`process` kind uses RQ's default Worker (a fork per job). An RQ worker runs one job at a time."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

from redis import Redis
from rq import Queue

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger

NAME = "rq"
KINDS = ("sync", "process")
MAX_CONCURRENCY = 1
LEDGER = Ledger()
URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def noop(i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)
    bodies.run_sync()


def version() -> str:
    return f"rq {_version('rq')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    worker = "rq.worker.Worker" if bodies.kind("sync") == "process" else "rq.worker.SimpleWorker"
    return [python, "-m", "rq.cli", "worker", "bench", "--url", URL, "--worker-class", worker, "--quiet"]


class Producer:
    is_async = False
    has_bulk = True

    def __init__(self) -> None:
        self.queue = Queue("bench", connection=Redis.from_url(URL))

    def add(self, i: int, t: float, pad: str) -> Any:
        return self.queue.enqueue(noop, i, t, pad)

    def add_bulk(self, items: list[tuple[int, float, str]]) -> Any:
        return self.queue.enqueue_many([Queue.prepare_data(noop, (i, t, p)) for i, t, p in items])

    def close(self) -> None:
        pass
