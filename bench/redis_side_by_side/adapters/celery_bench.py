"""Celery with the Redis broker, results ignored, one worker process (`-P solo`); the matrix asks for
`-P threads -c N` (sync, N > 1) or `-P prefork -c N` (process)."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

from celery import Celery

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger

NAME = "celery"
KINDS = ("sync", "process")
LEDGER = Ledger()
app = Celery("bench", broker=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.task_ignore_result = True
app.conf.worker_hijack_root_logger = False


@app.task(ignore_result=True)
def noop(i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)
    bodies.run_sync()


def version() -> str:
    return f"celery {_version('celery')}, kombu {_version('kombu')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    n = bodies.concurrency(1)
    if bodies.kind("sync") == "process":
        pool = ["-P", "prefork", "-c", str(n)]
    else:
        pool = ["-P", "solo"] if n == 1 else ["-P", "threads", "-c", str(n)]
    return [python, "-m", "celery", "-A", "bench.redis_side_by_side.adapters.celery_bench", "worker", *pool,
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]


class Producer:
    is_async = False
    has_bulk = False

    def add(self, i: int, t: float, pad: str) -> Any:
        return noop.delay(i, t, pad)

    def close(self) -> None:
        pass
