"""hubjobs (this project) on Redis: default worker concurrency (10), default retention.

The matrix (bench/matrix) picks the handler kind (`async`, `sync`, `process`), the concurrency
and the handler body through environment variables (see `bench.matrix.bodies`)."""

from __future__ import annotations

import importlib
import os
from importlib.metadata import version as _version
from typing import Any

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger
from hubjobs import App
from hubjobs.job import Job

NAME = "hubjobs"
LEDGER = Ledger()
QUEUE = "bench"
KINDS = ("async", "sync", "process")
MULTI_PROCESS = True
"""`BENCH_PROCESSES` > 1 runs `hubjobs worker --processes N` on this module's `app`."""


def _url() -> str:
    return os.environ["BENCH_REDIS_URL"] + "?prefix=bench"


def process_noop(job: Any) -> None:
    """The task as a process-isolated handler (module level, so the child can import it)."""
    LEDGER.record(job.data["i"], job.data["t"])
    bodies.run_sync()


def register(app: App, queue: str, kind: str, name: str = "noop") -> None:
    """Register the benchmark task `name` on `queue` as an `async def`, a `def` or a
    `process=True` handler (every backend's hubjobs adapter uses it)."""
    if kind == "async":
        @app.job(queue, name)
        async def noop(job: Job) -> None:
            LEDGER.record(job.data["i"], job.data["t"])
            await bodies.run_async()
    elif kind == "sync":
        @app.job(queue, name)
        def noop_sync(job: Job) -> None:
            LEDGER.record(job.data["i"], job.data["t"])
            bodies.run_sync()
    else:
        # by its importable name: run as `python -m`, this file is `__main__`, which a child cannot import
        module = importlib.import_module("bench.redis_side_by_side.adapters.hubjobs_bench")
        app.job(queue, name, process=True)(module.process_noop)


def build_app() -> App:
    """The App with the benchmark task of the kind the matrix asked for (default `async`)."""
    app = App(_url())
    register(app, QUEUE, bodies.kind("async"))
    return app


def version() -> str:
    """Package version (redis-py and hiredis pinned by the project)."""
    return f"{_version('hubjobs')} (redis-py {_version('redis')}, hiredis {_version('hiredis')})"


def worker_command(python: str) -> list[str]:
    """One worker process (concurrency from the matrix, else the default), or `hubjobs worker
    --processes N`."""
    if bodies.processes() > 1:
        return bodies.cli_worker(python, "bench.redis_side_by_side.adapters.hubjobs_bench:app", QUEUE, None)
    return [python, "-m", "bench.redis_side_by_side.adapters.hubjobs_bench"]


def __getattr__(name: str) -> Any:
    """`app`, built on first use (for `hubjobs --app module:app`)."""
    if name == "app":
        return build_app()
    raise AttributeError(name)


class Producer:
    """Adds jobs with `Queue.aadd` / `Queue.aadd_bulk`, or `Queue.add` from a plain thread."""

    is_async = True
    has_bulk = True

    def __init__(self) -> None:
        self.app = build_app()
        self.queue = self.app.queue(QUEUE)

    async def add(self, i: int, t: float, pad: str) -> Any:
        return await self.queue.aadd("noop", {"i": i, "t": t, "p": pad})

    def add_sync(self, i: int, t: float, pad: str) -> Any:
        return self.queue.add("noop", {"i": i, "t": t, "p": pad})

    async def add_bulk(self, items: list[tuple[int, float, str]]) -> Any:
        return await self.queue.aadd_bulk([{"name": "noop", "data": {"i": i, "t": t, "p": p}} for i, t, p in items])

    async def close(self) -> None:
        await self.app.aclose()
        self.app.close()  # the sync twin's loop, if `add_sync` started it


def main() -> None:
    """Run one worker process."""
    concurrency = os.environ.get("BENCH_CONCURRENCY")
    build_app().worker(QUEUE, concurrency=int(concurrency) if concurrency else None).run()


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
    main()
