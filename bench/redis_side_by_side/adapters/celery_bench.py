"""Celery with the Redis broker, results ignored, one worker process (`-P solo`)."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

from celery import Celery

from bench.redis_side_by_side.ledger import Ledger

NAME = "celery"
LEDGER = Ledger()
app = Celery("bench", broker=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.task_ignore_result = True
app.conf.worker_hijack_root_logger = False


@app.task(ignore_result=True)
def noop(i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)


def version() -> str:
    return f"celery {_version('celery')}, kombu {_version('kombu')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    return [python, "-m", "celery", "-A", "bench.redis_side_by_side.adapters.celery_bench", "worker", "-P", "solo",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]


class Producer:
    is_async = False
    has_bulk = False

    def add(self, i: int, t: float, pad: str) -> Any:
        return noop.delay(i, t, pad)

    def close(self) -> None:
        pass
