"""The pgqueuer side: handlers and the worker process
(`python -m bench.postgres_side_by_side.pgqueuer_side DSN SCHEMA BATCH`), on asyncpg, pgqueuer's primary driver
(its psycopg driver shares one connection between LISTEN and queries, which costs it up to a
second of pickup latency).

It is also the matrix's PostgreSQL adapter for pgqueuer (the protocol of
`bench.redis_side_by_side.driver`): entrypoint `ledger` with the body the matrix asks for; the
database comes from `BENCH_PG_DSN`."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from importlib.metadata import version as _version
from typing import Any

import asyncpg
from pgqueuer import AsyncpgDriver, Job, PgQueuer, Queries

from bench.matrix import bodies
from bench.postgres_side_by_side.common import record_latency, touch
from bench.redis_side_by_side.ledger import Ledger

NAME = "pgqueuer"
KINDS = ("async",)
SCHEMA = "bench_pgqueuer"
LEDGER = Ledger()


async def connect(dsn: str, schema: str) -> asyncpg.Connection:
    """A connection with `schema` on the search path (pgqueuer's tables live there)."""
    return await asyncpg.connect(dsn, server_settings={"search_path": schema})


async def run_worker(dsn: str, schema: str, batch: int) -> None:
    """One PgQueuer worker with the benchmark entrypoints."""
    conn = await connect(dsn, schema)
    pgq = PgQueuer(AsyncpgDriver(conn))

    @pgq.entrypoint("noop")
    async def noop(job: Job) -> None:
        return None

    @pgq.entrypoint("marker")
    async def marker(job: Job) -> None:
        touch((job.payload or b"").decode())

    @pgq.entrypoint("latency")
    async def latency(job: Job) -> None:
        data = json.loads(job.payload or b"{}")
        record_latency(data["file"], data["t"])

    @pgq.entrypoint("ledger")
    async def ledger(job: Job) -> None:
        data = json.loads(job.payload or b"{}")
        LEDGER.record(data["i"], data["t"])
        await bodies.run_async()

    await pgq.run(batch_size=batch)


def version() -> str:
    """Package version (asyncpg's too)."""
    return f"pgqueuer {_version('pgqueuer')} (asyncpg {_version('asyncpg')})"


def worker_command(python: str) -> list[str]:
    """One worker process, batch size = the matrix's concurrency (default 50)."""
    return [python, "-m", "bench.postgres_side_by_side.pgqueuer_side", os.environ["BENCH_PG_DSN"], SCHEMA,
            str(bodies.concurrency(50))]


def _payload(i: int, t: float, pad: str) -> bytes:
    return json.dumps({"i": i, "t": t, "p": pad}).encode()


class Producer:
    """Adds `ledger` jobs with `Queries.enqueue` (one, or lists for bulk); installs the schema on
    first use."""

    is_async = True
    has_bulk = True

    def __init__(self) -> None:
        self.conn: Any = None
        self.queries: Any = None

    async def _ready(self) -> Any:
        if self.queries is None:
            self.conn = await connect(os.environ["BENCH_PG_DSN"], SCHEMA)
            self.queries = Queries(AsyncpgDriver(self.conn))
            exists = await self.conn.fetchval("SELECT to_regclass('pgqueuer') IS NOT NULL")
            if not exists:
                await self.queries.install()
        return self.queries

    async def add(self, i: int, t: float, pad: str) -> Any:
        return await (await self._ready()).enqueue("ledger", _payload(i, t, pad), 5)

    async def add_bulk(self, items: list[tuple[int, float, str]]) -> Any:
        queries = await self._ready()
        return await queries.enqueue(["ledger"] * len(items), [_payload(*item) for item in items], [5] * len(items))

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


if __name__ == "__main__":
    asyncio.run(run_worker(sys.argv[1], sys.argv[2], int(sys.argv[3])))
