"""arq: one worker process with its defaults (max_jobs 10, poll delay 0.5 s; the matrix sets max_jobs)."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any, ClassVar

from arq import create_pool
from arq.connections import RedisSettings

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger

NAME = "arq"
KINDS = ("async",)
LEDGER = Ledger()
SETTINGS = RedisSettings.from_dsn(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))


async def noop(ctx: Any, i: int, t: float, pad: str) -> None:
    LEDGER.record(i, t)
    await bodies.run_async()


class WorkerSettings:
    """arq's worker settings (its defaults otherwise)."""

    functions: ClassVar[list[Any]] = [noop]
    redis_settings = SETTINGS
    max_jobs = bodies.concurrency(10)


def version() -> str:
    return f"arq {_version('arq')} (redis-py {_version('redis')})"


def worker_command(python: str) -> list[str]:
    return [python, "-m", "arq", "bench.redis_side_by_side.adapters.arq_bench.WorkerSettings"]


class Producer:
    is_async = True
    has_bulk = False

    def __init__(self) -> None:
        self.pool: Any = None

    async def add(self, i: int, t: float, pad: str) -> Any:
        if self.pool is None:
            self.pool = await create_pool(SETTINGS)
        return await self.pool.enqueue_job("noop", i, t, pad)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()
