"""The pgqueuer side: handlers and the worker process
(`python -m bench.postgres_side_by_side.pgqueuer_side DSN SCHEMA BATCH`), on asyncpg, pgqueuer's primary driver
(its psycopg driver shares one connection between LISTEN and queries, which costs it up to a
second of pickup latency)."""

from __future__ import annotations

import asyncio
import json
import sys

import asyncpg
from pgqueuer import AsyncpgDriver, Job, PgQueuer

from bench.postgres_side_by_side.common import record_latency, touch


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

    await pgq.run(batch_size=batch)


if __name__ == "__main__":
    asyncio.run(run_worker(sys.argv[1], sys.argv[2], int(sys.argv[3])))
