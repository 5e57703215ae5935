"""Huey's RedisHuey, consumer with its default one worker thread (`-w 1 -k thread`); the matrix sets
the number of workers and the kind (`sync`: threads, `process`: `-k process`)."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

from huey import RedisHuey

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger

NAME = "huey"
KINDS = ("sync", "process")
LEDGER = Ledger()
huey = RedisHuey("bench", url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))


@huey.task()
def noop(i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)
    bodies.run_sync()


def version() -> str:
    return f"huey {_version('huey')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    workers = "process" if bodies.kind("sync") == "process" else "thread"
    return [python, "-m", "huey.bin.huey_consumer", "bench.redis_side_by_side.adapters.huey_bench.huey", "-w",
            str(bodies.concurrency(1)), "-k", workers, "-q"]


class Producer:
    is_async = False
    has_bulk = False

    def add(self, i: int, t: float, pad: str) -> Any:
        return noop(i, t, pad)

    def close(self) -> None:
        pass
