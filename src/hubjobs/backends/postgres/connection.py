"""Connections of one backend instance: a small pool for operations, error translation, and
single connections for migrations and LISTEN.

Every connection runs in autocommit mode with `search_path` set to the backend's schema and
rows as dicts; an operation that needs several statements opens its own transaction. Losing
the server (stopped, restarted, `pg_terminate_backend`) surfaces as `BackendUnavailable`, and the
next operation gets a fresh connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import ConnStatus
from psycopg.rows import DictRow, dict_row
from psycopg.types.string import TextLoader
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from ...errors import BackendUnavailable
from .settings import PostgresSettings

T = TypeVar("T")

log = logging.getLogger("hubjobs.postgres")

CONNECT_TIMEOUT_SECONDS = 5
POOL_WAIT_SECONDS = 5.0
ROLLBACK_RETRIES = 3
"""Deadlocks and serialization failures roll the whole operation back; it is run again."""

AsyncConn = psycopg.AsyncConnection[DictRow]
ROLLED_BACK: tuple[type[BaseException], ...] = (psycopg.errors.TransactionRollback, psycopg.errors.DeadlockDetected,
                                               psycopg.errors.SerializationFailure)
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (psycopg.OperationalError, psycopg.InterfaceError,
                                                     PoolTimeout, OSError)


def connect_kwargs(settings: PostgresSettings) -> dict[str, Any]:
    """Keyword arguments of every connection this backend opens."""
    given = conninfo_to_dict(settings.conninfo)
    options = f"{given.get('options', '')} -c search_path={settings.schema}".strip()
    kwargs: dict[str, Any] = {
        "autocommit": True,
        "row_factory": dict_row,
        "options": options,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
    }
    if "connect_timeout" not in given:
        kwargs["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    if "application_name" not in given:
        kwargs["application_name"] = "hubjobs"
    return kwargs


def describe(settings: PostgresSettings) -> str:
    """host:port/dbname of the server, without credentials, for error messages."""
    info = conninfo_to_dict(settings.conninfo)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def unavailable(settings: PostgresSettings, what: str, exc: BaseException) -> BackendUnavailable:
    """The error a caller sees when the server cannot be reached or the connection broke."""
    detail = str(exc).strip() or type(exc).__name__
    return BackendUnavailable(f"PostgreSQL at {describe(settings)} is unavailable ({what}): {detail}")


async def connect(settings: PostgresSettings, what: str) -> AsyncConn:
    """One new connection outside the pool (migrations, LISTEN)."""
    try:
        return await psycopg.AsyncConnection.connect(settings.conninfo, **connect_kwargs(settings))
    except CONNECTION_ERRORS as exc:
        raise unavailable(settings, what, exc) from exc


async def check_alive(conn: AsyncConn) -> None:
    """Pool check on checkout, without a round trip: read what the server sent while the
    connection sat idle. A connection ended by a restart or `pg_terminate_backend` fails here
    (the server's goodbye, then end of stream), so the pool replaces it before it is used."""
    pgconn = conn.pgconn
    for _ in range(2):
        pgconn.consume_input()
    if pgconn.status != ConnStatus.OK:
        raise psycopg.OperationalError("the connection was closed by the server while idle")


async def configure_connection(conn: AsyncConn) -> None:
    """Per pooled connection: `json` and `jsonb` values arrive as text, decoded only where needed
    (see rows.RowDecoder)."""
    conn.adapters.register_loader("json", TextLoader)
    conn.adapters.register_loader("jsonb", TextLoader)


class Database:
    """The pool of one backend instance and the way every operation uses it."""

    def __init__(self, settings: PostgresSettings) -> None:
        self.settings = settings
        self._pool: AsyncConnectionPool[AsyncConn] | None = None
        self._checks: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        """Create the pool (its first connection is made in the background)."""
        pool: AsyncConnectionPool[AsyncConn] = AsyncConnectionPool(
            self.settings.conninfo, kwargs=connect_kwargs(self.settings), min_size=1,
            max_size=self.settings.pool_size, open=False, timeout=POOL_WAIT_SECONDS,
            name=f"hubjobs-{self.settings.schema}", num_workers=1,
            check=check_alive, configure=configure_connection)
        await pool.open(wait=False)
        self._pool = pool

    async def close(self) -> None:
        """Close every pooled connection."""
        for task in list(self._checks):
            task.cancel()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close(timeout=2)

    async def run(self, what: str, fn: Callable[[AsyncConn], Awaitable[T]]) -> T:
        """Run `fn` on a pooled connection; translate connection loss into BackendUnavailable
        and run `fn` again after a deadlock or serialization failure (it was rolled back)."""
        if self._pool is None:
            raise BackendUnavailable(f"the PostgreSQL backend is not open ({what})")
        attempt = 0
        while True:
            try:
                async with self._pool.connection() as conn:
                    return await fn(conn)
            except ROLLED_BACK as exc:
                attempt += 1
                if attempt > ROLLBACK_RETRIES:
                    raise unavailable(self.settings, what, exc) from exc
                await asyncio.sleep(0.005 * attempt)
            except CONNECTION_ERRORS as exc:
                self._check_soon()
                raise unavailable(self.settings, what, exc) from exc

    def _check_soon(self) -> None:
        """Test idle pooled connections in the background so that, after a server restart,
        dead ones are replaced at once rather than failing one operation each."""
        pool = self._pool
        if pool is None or self._checks:
            return

        async def check() -> None:
            try:
                await pool.check()
            except Exception:  # pragma: no cover - the pool logs its own failures
                log.debug("pool check failed", exc_info=True)

        task = asyncio.get_running_loop().create_task(check())
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)
