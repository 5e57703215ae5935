"""The three backends as the matrix sees them: how to empty one between cells, the environment a
library's producer and worker get, and the server-side work counter.

- Redis: a private redis-server (`bench.redis_side_by_side.run.Server`); the counter is INFO
  commandstats (commands inside Lua scripts included), less the harness's own commands and the
  handlers' `ECHO` (the round-trip body), so it counts the library's commands only.
- PostgreSQL: a database of its own (`hubjobs_matrix`) on the running server, a schema per
  library; pg_stat_statements is not loaded on this server (it needs `shared_preload_libraries`),
  so the counter is pg_stat_database's transactions (xact_commit + xact_rollback) of that
  database, read once every session has ended (a session reports its statistics when it ends at
  the latest).
- SQLite: a fresh directory per cell; no server, no counter."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench.redis_side_by_side.run import Server

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "hubjobs_matrix"
SCHEMAS = {"hubjobs": "bench_hubjobs", "pgqueuer": "bench_pgqueuer", "procrastinate": "bench_procrastinate"}
_HARNESS = ("cmdstat_info", "cmdstat_config", "cmdstat_flushall", "cmdstat_ping", "cmdstat_echo")


class Backend(Protocol):
    """What the matrix needs of a backend."""

    name: str
    counter_unit: str
    """What `counter()` counts (`—` when nothing)."""

    def reset(self, library: str) -> None:
        """Empty the library's storage before a cell."""

    def env(self, library: str) -> dict[str, str]:
        """Environment of the library's producer and worker processes."""

    def counter(self) -> float | None:
        """Server-side work so far (None: not measurable)."""

    def settle(self) -> None:
        """Wait until the counter includes everything done so far."""

    def close(self) -> None:
        """Release what the backend holds."""


class RedisBackend:
    """One private redis-server for the whole run."""

    name = "redis"
    counter_unit = "Redis commands"

    def __init__(self, work: Path) -> None:
        self.server = Server(work)
        self.version = str(self.server.client.info("server")["redis_version"])

    def reset(self, library: str) -> None:
        self.server.reset()

    def env(self, library: str) -> dict[str, str]:
        return {"BENCH_REDIS_URL": self.server.url, "BENCH_ROUNDTRIP_URL": self.server.url}

    def counter(self) -> float | None:
        return float(sum(self.detail().values()))

    def detail(self) -> dict[str, int]:
        """Calls per command so far (the library's commands only)."""
        stats = self.server.client.info("commandstats")
        return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items() if not k.startswith(_HARNESS)}

    def settle(self) -> None:
        return None

    def close(self) -> None:
        self.server.stop()


class PostgresBackend:
    """A database of the matrix's own on the running PostgreSQL server."""

    name = "postgres"
    counter_unit = "PostgreSQL transactions"

    def __init__(self, admin_dsn: str) -> None:
        self.conn = psycopg.connect(admin_dsn, autocommit=True)
        """The harness's own connection, to another database: its queries stay out of the counter."""
        exists = self.conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone()
        if not exists:
            self.conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DATABASE)))
        self.version = str(self.conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        self.dsn = urlunsplit(urlsplit(admin_dsn)._replace(path="/" + PG_DATABASE, query=""))

    def reset(self, library: str) -> None:
        schema = sql.Identifier(SCHEMAS[library])
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
        self.settle()

    def env(self, library: str) -> dict[str, str]:
        return {"BENCH_PG_DSN": self.dsn, "BENCH_ROUNDTRIP_URL": self.dsn}

    def settle(self) -> None:
        """Wait (up to 10 s) until no other session is connected to the database."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            row = self.conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                    (PG_DATABASE,)).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.05)

    def counter(self) -> float | None:
        detail = self.detail()
        return float(detail["xact_commit"] + detail["xact_rollback"]) if detail else None

    def detail(self) -> dict[str, int]:
        """pg_stat_database's transaction and row counters of the database so far."""
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        names = ("xact_commit", "xact_rollback", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated",
                 "tup_deleted")
        row = self.conn.execute(sql.SQL("SELECT {} FROM pg_stat_database WHERE datname = %s").format(
            sql.SQL(", ").join(map(sql.Identifier, names))), (PG_DATABASE,)).fetchone()
        return {} if row is None else {name: int(value) for name, value in zip(names, row, strict=True)}

    def close(self) -> None:
        self.conn.close()


class SqliteBackend:
    """A directory for the SQLite files; emptied before each cell."""

    name = "sqlite"
    counter_unit = "—"

    def __init__(self, work: Path) -> None:
        import sqlite3

        self.dir = work / "sqlite"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.version = sqlite3.sqlite_version

    def reset(self, library: str) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)

    def env(self, library: str) -> dict[str, str]:
        hubjobs_db, huey_db = self.dir / "hubjobs.db", self.dir / "huey.db"
        own = str(hubjobs_db if library == "hubjobs" else huey_db)
        return {"BENCH_URL": f"sqlite:///{hubjobs_db}", "BENCH_HUEY_DB": str(huey_db), "BENCH_ROUNDTRIP_URL": own}

    def counter(self) -> float | None:
        return None

    def settle(self) -> None:
        return None

    def close(self) -> None:
        return None


def admin_dsn() -> str:
    """The PostgreSQL server to use, as a URL (HUBJOBS_BENCH_POSTGRES_URL, else the local default)."""
    return os.environ.get("HUBJOBS_BENCH_POSTGRES_URL") or DEFAULT_PG
