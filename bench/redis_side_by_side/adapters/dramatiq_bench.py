"""Dramatiq's RedisBroker, one worker process with its default 8 threads (the matrix sets the number)."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger

NAME = "dramatiq"
KINDS = ("sync",)
LEDGER = Ledger()
broker = RedisBroker(url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
dramatiq.set_broker(broker)


@dramatiq.actor(max_retries=0)
def noop(i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)
    bodies.run_sync()


def version() -> str:
    return f"dramatiq {_version('dramatiq')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    return [python, "-m", "dramatiq", "bench.redis_side_by_side.adapters.dramatiq_bench", "--processes", "1", "--threads",
            str(bodies.concurrency(8))]


class Producer:
    is_async = False
    has_bulk = False

    def add(self, i: int, t: float, pad: str) -> Any:
        return noop.send(i, t, pad)

    def close(self) -> None:
        broker.close()
