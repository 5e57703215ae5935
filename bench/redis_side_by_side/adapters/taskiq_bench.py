"""taskiq with taskiq-redis's ListQueueBroker (LPUSH/BRPOP), one worker process (`--workers 1`),
default max async tasks."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

from taskiq_redis import ListQueueBroker

from bench.redis_side_by_side.ledger import Ledger

NAME = "taskiq"
LEDGER = Ledger()
broker = ListQueueBroker(url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))


@broker.task
async def noop(i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)


def version() -> str:
    return f"taskiq {_version('taskiq')}, taskiq-redis {_version('taskiq-redis')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    return [python, "-m", "taskiq", "worker", "bench.redis_side_by_side.adapters.taskiq_bench:broker", "--workers", "1",
            "--log-level", "WARNING"]


class Producer:
    is_async = True
    has_bulk = False

    def __init__(self) -> None:
        self.started = False

    async def add(self, i: int, t: float, pad: str) -> Any:
        if not self.started:
            await broker.startup()
            self.started = True
        return await noop.kiq(i, t, pad)

    async def close(self) -> None:
        if self.started:
            await broker.shutdown()
