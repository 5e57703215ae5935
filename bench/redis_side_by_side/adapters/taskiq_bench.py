"""taskiq with taskiq-redis's ListQueueBroker (LPUSH/BRPOP), one worker process (`--workers 1`),
default max async tasks; the matrix sets `--max-async-tasks` (async task) or
`--max-threadpool-threads` (sync task)."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

from taskiq_redis import ListQueueBroker

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger

NAME = "taskiq"
KINDS = ("async", "sync")
LEDGER = Ledger()
broker = ListQueueBroker(url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))


async def _noop_async(i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)
    await bodies.run_async()


def _noop_sync(i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)
    bodies.run_sync()


noop = broker.task(task_name="noop")(_noop_sync if bodies.kind("async") == "sync" else _noop_async)


def version() -> str:
    return f"taskiq {_version('taskiq')}, taskiq-redis {_version('taskiq-redis')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    command = [python, "-m", "taskiq", "worker", "bench.redis_side_by_side.adapters.taskiq_bench:broker", "--workers",
               "1", "--log-level", "WARNING"]
    if os.environ.get("BENCH_CONCURRENCY"):
        flag = "--max-threadpool-threads" if bodies.kind("async") == "sync" else "--max-async-tasks"
        command += [flag, str(bodies.concurrency(1))]
    return command


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
