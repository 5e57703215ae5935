"""The hubjobs side: handlers and the worker process (`python -m bench.postgres_side_by_side.hubjobs_side URL N`).

It is also the matrix's PostgreSQL adapter (the protocol of `bench.redis_side_by_side.driver`):
task `ledger` of the kind and body the matrix asks for (`bench.matrix.bodies`), `Producer`,
`version` and `worker_command`; the database comes from `BENCH_PG_DSN`."""

from __future__ import annotations

import os
import sys
from importlib.metadata import version as _version
from typing import Any

from bench.matrix import bodies
from bench.postgres_side_by_side.common import record_latency, touch
from bench.redis_side_by_side.adapters.hubjobs_bench import register
from hubjobs import App
from hubjobs.job import Job

NAME = "hubjobs"
KINDS = ("async", "sync", "process")
MULTI_PROCESS = True
SCHEMA = "bench_hubjobs"


def build_app(url: str) -> App:
    """An App with the benchmark handlers on queue `bench` (default retention: the newest 1,000
    completed jobs are kept, older ones removed in the finishing transactions)."""
    app = App(url)
    app.queue("bench")

    @app.job("bench", "noop")
    async def noop(job: Job) -> None:
        return None

    @app.job("bench", "marker")
    async def marker(job: Job) -> None:
        touch(job.data["path"])

    @app.job("bench", "latency")
    async def latency(job: Job) -> None:
        record_latency(job.data["file"], job.data["t"])

    register(app, "bench", bodies.kind("async"), name="ledger")
    return app


def matrix_url() -> str:
    """The matrix's database, this side's schema."""
    return f"{os.environ['BENCH_PG_DSN']}?schema={SCHEMA}"


def version() -> str:
    """Package version (psycopg's too)."""
    return f"{_version('hubjobs')} (psycopg {_version('psycopg')})"


def worker_command(python: str) -> list[str]:
    """One worker process at the matrix's concurrency (default 50, the PostgreSQL bench's), or
    `hubjobs worker --processes N`."""
    if bodies.processes() > 1:
        return bodies.cli_worker(python, "bench.postgres_side_by_side.hubjobs_side:app", "bench", 50)
    return [python, "-m", "bench.postgres_side_by_side.hubjobs_side", matrix_url(), str(bodies.concurrency(50))]


class Producer:
    """Adds `ledger` jobs with `Queue.aadd` / `Queue.aadd_bulk`, or `Queue.add` from a plain thread."""

    is_async = True
    has_bulk = True

    def __init__(self) -> None:
        self.app = build_app(matrix_url())
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


def __getattr__(name: str) -> Any:
    """`app` on the matrix's database, built on first use (for `hubjobs --app module:app`)."""
    if name == "app":
        return build_app(matrix_url())
    raise AttributeError(name)


def main() -> None:
    """Run one worker process with concurrency N."""
    url, concurrency = sys.argv[1], int(sys.argv[2])
    build_app(url).worker("bench", concurrency=concurrency).run()


if __name__ == "__main__":
    main()
