"""SAQ on Redis, one worker process with its default concurrency (10; the matrix sets it)."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

from saq import Queue

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger

NAME = "saq"
KINDS = ("async",)
LEDGER = Ledger()
queue = Queue.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))


async def noop(ctx: Any, *, i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)
    await bodies.run_async()


settings = {"queue": queue, "functions": [noop], "concurrency": bodies.concurrency(10)}


def version() -> str:
    return f"saq {_version('saq')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    return [python, "-m", "saq", "bench.redis_side_by_side.adapters.saq_bench.settings", "--quiet"]


class Producer:
    is_async = True
    has_bulk = False

    def __init__(self) -> None:
        self.connected = False

    async def add(self, i: int, t: float, pad: str) -> Any:
        if not self.connected:
            await queue.connect()
            self.connected = True
        return await queue.enqueue("noop", i=i, t=t, pad=pad)

    async def close(self) -> None:
        await queue.disconnect()
