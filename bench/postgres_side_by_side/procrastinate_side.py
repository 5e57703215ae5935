"""The procrastinate side: tasks and the worker process
(`python -m bench.postgres_side_by_side.procrastinate_side DSN SCHEMA CONCURRENCY`)."""

from __future__ import annotations

import asyncio
import sys

import procrastinate

from bench.postgres_side_by_side.common import record_latency, touch


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

    return app


async def run_worker(dsn: str, schema: str, concurrency: int) -> None:
    """One procrastinate worker (LISTEN/NOTIFY on, its default) on queue `bench`."""
    app = build_app(dsn, schema)
    async with app.open_async():
        await app.run_worker_async(queues=["bench"], concurrency=concurrency, install_signal_handlers=True)


if __name__ == "__main__":
    asyncio.run(run_worker(sys.argv[1], sys.argv[2], int(sys.argv[3])))
