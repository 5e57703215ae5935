"""RQ: a SimpleWorker (no fork per job) in one process; bulk adds with `enqueue_many`."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

from redis import Redis
from rq import Queue

from bench.redis_side_by_side.ledger import Ledger

NAME = "rq"
LEDGER = Ledger()
URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def noop(i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)


def version() -> str:
    return f"rq {_version('rq')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    return [python, "-m", "rq.cli", "worker", "bench", "--url", URL, "--worker-class", "rq.worker.SimpleWorker",
            "--quiet"]


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
