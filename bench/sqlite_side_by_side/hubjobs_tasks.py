"""The hubjobs side of the SQLite benchmark: a no-op handler and marker handlers.

It is also the matrix's SQLite adapter (the protocol of `bench.redis_side_by_side.driver`):
task `ledger` of the kind and body the matrix asks for (`bench.matrix.bodies`); the file comes
from `BENCH_URL`."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from pathlib import Path
from typing import Any

from bench.matrix import bodies
from bench.redis_side_by_side.adapters.hubjobs_bench import register
from hubjobs import App
from hubjobs.job import Job

NAME = "hubjobs"
KINDS = ("async", "sync", "process")
MULTI_PROCESS = True


def build_app() -> App:
    """App on BENCH_URL with the benchmark handlers."""
    app = App(os.environ["BENCH_URL"])
    app.queue("bench", remove_on_complete=True)

    @app.job("bench", "noop")
    async def noop(job: Job) -> None:
        return None

    @app.job("bench", "marker")
    async def marker(job: Job) -> None:
        Path(job.data["path"]).write_text("x")

    register(app, "bench", bodies.kind("async"), name="ledger")
    return app


def run_worker() -> None:
    """Entry point of the worker process."""
    app = build_app()
    app.worker("bench", concurrency=int(os.environ.get("BENCH_CONCURRENCY", "50"))).run()


def version() -> str:
    """Package version and the SQLite library's."""
    import sqlite3

    return f"{_version('hubjobs')} (SQLite {sqlite3.sqlite_version})"


def worker_command(python: str) -> list[str]:
    """One worker process (concurrency from BENCH_CONCURRENCY, default 50), or `hubjobs worker
    --processes N`."""
    if bodies.processes() > 1:
        return bodies.cli_worker(python, "bench.sqlite_side_by_side.hubjobs_tasks:app", "bench", 50)
    return [python, "-m", "bench.sqlite_side_by_side.hubjobs_tasks"]


def __getattr__(name: str) -> Any:
    """`app`, built on first use (for `hubjobs --app module:app`)."""
    if name == "app":
        return build_app()
    raise AttributeError(name)


class Producer:
    """Adds `ledger` jobs with `Queue.aadd` / `Queue.aadd_bulk`, or `Queue.add` from a plain thread."""

    is_async = True
    has_bulk = True

    def __init__(self) -> None:
        self.app = build_app()
        self.queue = self.app.queue("bench")

    async def add(self, i: int, t: float, pad: str) -> Any:
        return await self.queue.aadd("ledger", {"i": i, "t": t, "p": pad})

    def add_sync(self, i: int, t: float, pad: str) -> Any:
        return self.queue.add("ledger", {"i": i, "t": t, "p": pad})

    async def add_bulk(self, items: list[tuple[int, float, str]]) -> Any:
        return await self.queue.aadd_bulk([{"name": "ledger", "data": {"i": i, "t": t, "p": p}} for i, t, p in items])

    async def close(self) -> None:
        await self.app.aclose()
        self.app.close()


if __name__ == "__main__":
    run_worker()
