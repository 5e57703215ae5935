"""hubjobs (this project) on Redis: default worker concurrency (10), default retention."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from typing import Any

from bench.redis_side_by_side.ledger import Ledger
from hubjobs import App
from hubjobs.job import Job

NAME = "hubjobs"
LEDGER = Ledger()
QUEUE = "bench"


def _url() -> str:
    return os.environ["BENCH_REDIS_URL"] + "?prefix=bench"


def build_app() -> App:
    """The App with the no-op job."""
    app = App(_url())

    @app.job(QUEUE, "noop")
    async def noop(job: Job) -> None:
        LEDGER.record(job.data["i"], job.data["t"])

    return app


def version() -> str:
    """Package version (redis-py and hiredis pinned by the project)."""
    return f"{_version('sequencehub-jobs')} (redis-py {_version('redis')}, hiredis {_version('hiredis')})"


def worker_command(python: str) -> list[str]:
    """One worker process, default concurrency."""
    return [python, "-m", "bench.redis_side_by_side.adapters.hubjobs_bench"]


class Producer:
    """Adds jobs with `Queue.aadd` / `Queue.aadd_bulk`."""

    is_async = True
    has_bulk = True

    def __init__(self) -> None:
        self.app = build_app()
        self.queue = self.app.queue(QUEUE)

    async def add(self, i: int, t: float, pad: str) -> Any:
        return await self.queue.aadd("noop", {"i": i, "t": t, "p": pad})

    async def add_bulk(self, items: list[tuple[int, float, str]]) -> Any:
        return await self.queue.aadd_bulk([{"name": "noop", "data": {"i": i, "t": t, "p": p}} for i, t, p in items])

    async def close(self) -> None:
        await self.app.aclose()


class SyncProducer:
    """Adds jobs with the sync `Queue.add` from the calling thread (no event loop)."""

    is_async = False
    has_bulk = True

    def __init__(self) -> None:
        self.app = build_app()
        self.queue = self.app.queue(QUEUE)

    def add(self, i: int, t: float, pad: str) -> Any:
        return self.queue.add("noop", {"i": i, "t": t, "p": pad})

    def close(self) -> None:
        self.app.close()


if __name__ == "__main__":
    build_app().worker(QUEUE).run()
