"""The procrastinate side: tasks and the worker process
(`python -m bench.postgres_side_by_side.procrastinate_side DSN SCHEMA CONCURRENCY`).

It is also the matrix's PostgreSQL adapter for procrastinate (the protocol of
`bench.redis_side_by_side.driver`): task `ledger` with the body the matrix asks for; the
database comes from `BENCH_PG_DSN`."""

from __future__ import annotations

import asyncio
import os
import sys
from importlib.metadata import version as _version
from typing import Any

import procrastinate

from bench.matrix import bodies
from bench.postgres_side_by_side.common import record_latency, touch
from bench.redis_side_by_side.ledger import Ledger

NAME = "procrastinate"
KINDS = ("async",)
SCHEMA = "bench_procrastinate"
LEDGER = Ledger()


def build_app(dsn: str, schema: str) -> procrastinate.App:
    """A procrastinate App whose tables live in `schema`."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=dsn, kwargs={"options": f"-c search_path={schema}"}))

    @app.task(name="noop", queue="bench")
    async def noop() -> None:
        return None

    @app.task(name="marker", queue="bench")
    async def marker(path: str) -> None:
        touch(path)

    @app.task(name="latency", queue="bench")
    async def latency(file: str, t: float) -> None:
        record_latency(file, t)

    @app.task(name="ledger", queue="bench")
    async def ledger(i: int, t: float, p: str) -> None:
        LEDGER.record(i, t)
        await bodies.run_async()

    return app


async def run_worker(dsn: str, schema: str, concurrency: int) -> None:
    """One procrastinate worker (LISTEN/NOTIFY on, its default) on queue `bench`."""
    app = build_app(dsn, schema)
    async with app.open_async():
        await app.run_worker_async(queues=["bench"], concurrency=concurrency, install_signal_handlers=True)


def version() -> str:
    """Package version (psycopg's too)."""
    return f"procrastinate {_version('procrastinate')} (psycopg {_version('psycopg')})"


def worker_command(python: str) -> list[str]:
    """One worker process at the matrix's concurrency (default 50)."""
    return [python, "-m", "bench.postgres_side_by_side.procrastinate_side", os.environ["BENCH_PG_DSN"], SCHEMA,
            str(bodies.concurrency(50))]


class Producer:
    """Defers `ledger` jobs (`defer_async`, `batch_defer_async`); applies the schema on first use."""

    is_async = True
    has_bulk = True

    def __init__(self) -> None:
        self.app = build_app(os.environ["BENCH_PG_DSN"], SCHEMA)
        self.opened = False

    async def _ready(self) -> procrastinate.App:
        if not self.opened:
            await self.app.open_async()
            self.opened = True
            exists = await self.app.connector.execute_query_one_async(
                "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present")
            if not exists["present"]:
                await self.app.schema_manager.apply_schema_async()
        return self.app

    async def add(self, i: int, t: float, pad: str) -> Any:
        return await (await self._ready()).tasks["ledger"].defer_async(i=i, t=t, p=pad)

    async def add_bulk(self, items: list[tuple[int, float, str]]) -> Any:
        app = await self._ready()
        return await app.tasks["ledger"].batch_defer_async(*({"i": i, "t": t, "p": p} for i, t, p in items))

    async def close(self) -> None:
        if self.opened:
            await self.app.close_async()


if __name__ == "__main__":
    asyncio.run(run_worker(sys.argv[1], sys.argv[2], int(sys.argv[3])))
