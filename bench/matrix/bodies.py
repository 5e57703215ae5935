"""The handler bodies every library's benchmark task runs, chosen by environment variables the
matrix sets for the worker process (so one adapter module serves every cell):

- `BENCH_BODY`: `noop` (nothing), `roundtrip` (one round trip to the backend's server: Redis
  `ECHO`, PostgreSQL `SELECT 1`, SQLite `SELECT 1 FROM sqlite_master LIMIT 1` on a connection of
  its own), `sleep` (1 ms of I/O wait), `payload` (nothing; the producer adds 2 KB of data);
- `BENCH_ROUNDTRIP_URL`: the server of the round trip (`redis://…`, `postgresql://…`, or a SQLite
  file path);
- `BENCH_KIND` (`async`, `sync`, `process`), `BENCH_CONCURRENCY` and `BENCH_PROCESSES` (hubjobs only:
  `hubjobs worker --processes N`) are read by the adapters.

Only the standard library is imported at module level: the peers' interpreters import this file
too, and each imports the client it needs (redis-py or psycopg) on first use."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from typing import Any

BODY = os.environ.get("BENCH_BODY", "noop")
KIND = os.environ.get("BENCH_KIND", "")
"""Empty: the adapter's own default kind (the old side-by-side benchmarks)."""
TARGET = os.environ.get("BENCH_ROUNDTRIP_URL", "")
PAYLOAD_BYTES = 2048
BODIES = ("noop", "roundtrip", "sleep", "payload")


def concurrency(default: int) -> int:
    """The worker concurrency the matrix asked for, else the library's default."""
    return int(os.environ.get("BENCH_CONCURRENCY") or default)


def processes() -> int:
    """Worker processes the matrix asked for (`BENCH_PROCESSES`, default 1)."""
    return int(os.environ.get("BENCH_PROCESSES") or 1)


def cli_worker(python: str, app: str, queue: str, default_concurrency: int | None) -> list[str]:
    """hubjobs' own `worker --processes N` command for an App given as module:attribute."""
    command = [python, "-m", "hubjobs.cli", "--app", app, "worker", "-q", queue, "-p", str(processes())]
    level = os.environ.get("BENCH_CONCURRENCY") or (str(default_concurrency) if default_concurrency else "")
    return command + (["-c", level] if level else [])


def kind(default: str) -> str:
    """The handler kind the matrix asked for, else the adapter's default."""
    return KIND or default


_local = threading.local()
_sync_lock = threading.Lock()
_sync_redis: Any = None


def _sync_roundtrip() -> None:
    global _sync_redis
    if TARGET.startswith("redis"):
        if _sync_redis is None:
            import redis

            with _sync_lock:
                if _sync_redis is None:
                    _sync_redis = redis.Redis.from_url(TARGET)
        _sync_redis.echo("x")
    elif TARGET.startswith("postgres"):
        conn = getattr(_local, "pg", None)
        if conn is None:
            import psycopg

            conn = _local.pg = psycopg.connect(TARGET, autocommit=True)
        conn.execute("SELECT 1").fetchone()
    else:
        conn = getattr(_local, "sqlite", None)
        if conn is None:
            conn = _local.sqlite = sqlite3.connect(TARGET, check_same_thread=False)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()


def run_sync() -> None:
    """The body, for a synchronous handler (threads or child processes)."""
    if BODY == "roundtrip":
        _sync_roundtrip()
    elif BODY == "sleep":
        time.sleep(0.001)


class _AsyncClients:
    """One event loop's clients: a redis-py asyncio client (it pools connections itself), or idle
    psycopg async connections handed to one handler at a time."""

    def __init__(self) -> None:
        self.redis: Any = None
        self.idle: list[Any] = []


_by_loop: dict[int, _AsyncClients] = {}


async def _async_roundtrip() -> None:
    clients = _by_loop.setdefault(id(asyncio.get_running_loop()), _AsyncClients())
    if TARGET.startswith("redis"):
        if clients.redis is None:
            import redis.asyncio

            clients.redis = redis.asyncio.Redis.from_url(TARGET)
        await clients.redis.echo("x")
    elif TARGET.startswith("postgres"):
        import psycopg

        conn = clients.idle.pop() if clients.idle else await psycopg.AsyncConnection.connect(TARGET, autocommit=True)
        try:
            await (await conn.execute("SELECT 1")).fetchone()
        finally:
            clients.idle.append(conn)
    else:
        _sync_roundtrip()  # SQLite has no server: the statement runs in this thread


async def run_async() -> None:
    """The body, for an `async def` handler."""
    if BODY == "roundtrip":
        await _async_roundtrip()
    elif BODY == "sleep":
        await asyncio.sleep(0.001)
