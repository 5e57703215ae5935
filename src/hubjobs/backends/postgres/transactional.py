"""Enqueue inside a caller's own open transaction (the order row and its email job commit together).

Accepted connections: a psycopg `Connection` or `AsyncConnection`, or a SQLAlchemy `Connection`,
`Session`, `AsyncConnection` or `AsyncSession` on the psycopg driver. The insert (and its NOTIFY,
which PostgreSQL delivers on commit) runs in the caller's transaction: the caller commits or rolls
back. A connection in autocommit mode gets a transaction of its own around the insert.

The caller's `search_path` is switched to the backend's schema for the insert with a transaction-
local `set_config` and put back right after, so the caller's session is left as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import TupleRow, tuple_row

SET_PATH = ("SELECT p.previous, set_config('search_path', %s, true) "
            "FROM (SELECT current_setting('search_path') AS previous OFFSET 0) p")
RESTORE_PATH = "SELECT set_config('search_path', %s, true)"

Rows = list[TupleRow]


def _not_supported(connection: Any) -> TypeError:
    return TypeError(
        f"cannot enqueue on PostgreSQL inside {type(connection).__module__}.{type(connection).__name__}: "
        "pass a psycopg Connection/AsyncConnection or a SQLAlchemy Connection/Session "
        "(sync or async) using the psycopg driver (postgresql+psycopg://)")


def sync_driver_connection(connection: Any) -> psycopg.Connection[Any]:
    """The psycopg connection behind a psycopg / SQLAlchemy Connection or Session."""
    if isinstance(connection, psycopg.Connection):
        return connection
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    if isinstance(connection, Session):
        connection = connection.connection()
    if isinstance(connection, Connection):
        dbapi = connection.connection.driver_connection
        if isinstance(dbapi, psycopg.Connection):
            return dbapi
    raise _not_supported(connection)


async def async_driver_connection(connection: Any) -> psycopg.AsyncConnection[Any] | psycopg.Connection[Any]:
    """The psycopg connection behind an async psycopg / SQLAlchemy connection or session (or a
    sync one used from async code)."""
    if isinstance(connection, (psycopg.AsyncConnection, psycopg.Connection)):
        return connection
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

    if isinstance(connection, AsyncSession):
        connection = await connection.connection()
    if isinstance(connection, AsyncConnection):
        raw = await connection.get_raw_connection()
        dbapi = raw.driver_connection
        if isinstance(dbapi, psycopg.AsyncConnection):
            return dbapi
        raise _not_supported(dbapi)
    return sync_driver_connection(connection)


def _check_usable(status: TransactionStatus, connection: Any) -> None:
    if status == TransactionStatus.INERROR:
        raise psycopg.errors.InFailedSqlTransaction(
            "the caller's transaction has failed; roll it back before enqueueing")
    if status == TransactionStatus.ACTIVE:
        raise psycopg.ProgrammingError(f"{type(connection).__name__} is busy running another query")


def run_sync(conn: psycopg.Connection[Any], schema: str, query: str, params: Mapping[str, Any]) -> Rows:
    """Run one statement in the caller's transaction with the backend's schema on the path."""
    _check_usable(conn.info.transaction_status, conn)
    outer = conn.transaction() if conn.autocommit else contextlib.nullcontext()
    with outer, conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(SET_PATH, [schema])
        previous = cur.fetchone()
        cur.execute(query, params)
        rows = cur.fetchall()
        if previous is not None:
            cur.execute(RESTORE_PATH, [previous[0]])
        return rows


async def run_async(conn: psycopg.AsyncConnection[Any], schema: str, query: str,
                    params: Mapping[str, Any]) -> Rows:
    """Async twin of `run_sync`."""
    _check_usable(conn.info.transaction_status, conn)
    outer = conn.transaction() if conn.autocommit else contextlib.nullcontext()
    async with outer, conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SET_PATH, [schema])
        previous = await cur.fetchone()
        await cur.execute(query, params)
        rows = await cur.fetchall()
        if previous is not None:
            await cur.execute(RESTORE_PATH, [previous[0]])
        return rows
