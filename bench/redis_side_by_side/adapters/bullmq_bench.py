"""bullmq (the Python port of BullMQ): a Worker with its default concurrency (1) in one process (the matrix
sets it). Node's BullMQ is `bench/bullmq_node`."""

from __future__ import annotations

import asyncio
import os
import signal
from importlib.metadata import version as _version
from typing import Any

from bullmq import Queue, Worker

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger

NAME = "bullmq"
KINDS = ("async",)
LEDGER = Ledger()
URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


async def process(job: Any, token: str) -> None:
    LEDGER.record(job.data["i"], job.data["t"])
    await bodies.run_async()


def version() -> str:
    return f"bullmq {_version('bullmq')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    return [python, "-m", "bench.redis_side_by_side.adapters.bullmq_bench"]


class Producer:
    is_async = True
    has_bulk = True

    def __init__(self) -> None:
        self.queue = Queue("bench", {"connection": URL})

    async def add(self, i: int, t: float, pad: str) -> Any:
        return await self.queue.add("noop", {"i": i, "t": t, "p": pad})

    async def add_bulk(self, items: list[tuple[int, float, str]]) -> Any:
        return await self.queue.addBulk([{"name": "noop", "data": {"i": i, "t": t, "p": p}} for i, t, p in items])

    async def close(self) -> None:
        await self.queue.close()


async def _work() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker("bench", process, {"connection": URL, "concurrency": bodies.concurrency(1)})
    await stop.wait()
    await worker.close()


if __name__ == "__main__":
    asyncio.run(_work())
