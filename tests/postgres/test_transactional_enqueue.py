"""Enqueue inside the caller's own transaction: rolled back -> no job; committed -> the job is
visible and runs (workers wake on commit, NOTIFY being transactional). With psycopg (sync and
async) and SQLAlchemy (Connection, Session, AsyncSession)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session

from hubjobs import App, JobState
from tests.backends.postgres import libpq_url, schema_of
from tests.helpers import running_worker, state_is, wait_until


def _sa_url(pg_url: str) -> str:
    return libpq_url(pg_url).replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def orders(pg_app: App, pg_url: str) -> Iterator[str]:
    """The caller's own table `<schema>.orders` (the marketplace's order rows, say)."""
    pg_app.queue("q").counts()  # opens the backend: migrations create the schema
    table = f'"{schema_of(pg_url)}".orders'
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, email text)")
    yield table


def _order_ids(pg_url: str, table: str) -> list[int]:
    with psycopg.connect(libpq_url(pg_url)) as conn:
        return [int(r[0]) for r in conn.execute(f"SELECT id FROM {table} ORDER BY id")]


async def test_psycopg_rollback_leaves_no_job_and_commit_runs_it(pg_app: App, pg_url: str, orders: str) -> None:
    q = pg_app.queue("q")
    async with running_worker(pg_app, "q"):
        with psycopg.connect(libpq_url(pg_url)) as conn:
            conn.execute(f"INSERT INTO {orders} VALUES (1, 'a@example.com')")
            q.add("noop", {"order": 1}, job_id="email-1", connection=conn)
            conn.rollback()
            assert await q.aget("email-1") is None

            conn.execute(f"INSERT INTO {orders} VALUES (2, 'b@example.com')")
            path_before = conn.execute("SHOW search_path").fetchone()
            job = q.add("noop", {"order": 2}, job_id="email-2", connection=conn)
            assert job.state == JobState.WAITING
            assert conn.execute("SHOW search_path").fetchone() == path_before  # caller's session untouched
            assert await q.aget("email-2") is None  # not visible before the commit
            conn.commit()
        await wait_until(state_is(pg_app, "q", "email-2", "completed"), what="committed job ran")
    assert _order_ids(pg_url, orders) == [2]
    assert (await q.aget("email-2")).result == {"order": 2}  # type: ignore[union-attr]
    assert await q.aget("email-1") is None


async def test_autocommit_psycopg_connection_commits_at_once(pg_app: App, pg_url: str) -> None:
    q = pg_app.queue("q")
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        q.add("noop", {"x": 1}, job_id="auto", connection=conn)
    assert (await q.aget("auto")) is not None


async def test_async_psycopg_connection(pg_app: App, pg_url: str, orders: str) -> None:
    q = pg_app.queue("q")
    async with running_worker(pg_app, "q"):
        async with await psycopg.AsyncConnection.connect(libpq_url(pg_url)) as conn:
            await conn.execute(f"INSERT INTO {orders} VALUES (3, 'c@example.com')")
            await q.aadd("noop", {"order": 3}, job_id="email-3", connection=conn)
            await conn.rollback()
            await conn.execute(f"INSERT INTO {orders} VALUES (4, 'd@example.com')")
            await q.aadd("noop", {"order": 4}, job_id="email-4", connection=conn)
            assert await q.aget("email-4") is None
            await conn.commit()
        await wait_until(state_is(pg_app, "q", "email-4", "completed"), what="committed job ran")
    assert await q.aget("email-3") is None
    assert _order_ids(pg_url, orders) == [4]


async def test_sqlalchemy_session_and_connection(pg_app: App, pg_url: str, orders: str) -> None:
    q = pg_app.queue("q")
    engine = sa.create_engine(_sa_url(pg_url))
    try:
        async with running_worker(pg_app, "q"):
            with Session(engine) as session:
                session.execute(sa.text(f"INSERT INTO {orders} VALUES (5, 'e@example.com')"))
                q.add("noop", {"order": 5}, job_id="email-5", connection=session)
                session.rollback()
                session.execute(sa.text(f"INSERT INTO {orders} VALUES (6, 'f@example.com')"))
                q.add("noop", {"order": 6}, job_id="email-6", connection=session)
                assert await q.aget("email-6") is None
                session.commit()
            with engine.begin() as connection:  # committed at the end of the block
                connection.execute(sa.text(f"INSERT INTO {orders} VALUES (7, 'g@example.com')"))
                q.add("noop", {"order": 7}, job_id="email-7", connection=connection)
            for job_id in ("email-6", "email-7"):
                await wait_until(state_is(pg_app, "q", job_id, "completed"), what=f"{job_id} ran")
    finally:
        engine.dispose()
    assert await q.aget("email-5") is None
    assert _order_ids(pg_url, orders) == [6, 7]


async def test_sqlalchemy_async_session(pg_app: App, pg_url: str, orders: str) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    q = pg_app.queue("q")
    engine = create_async_engine(_sa_url(pg_url))
    try:
        async with AsyncSession(engine) as session:
            await session.execute(sa.text(f"INSERT INTO {orders} VALUES (8, 'h@example.com')"))
            await q.aadd("noop", {"order": 8}, job_id="email-8", connection=session)
            await session.rollback()
            await session.execute(sa.text(f"INSERT INTO {orders} VALUES (9, 'i@example.com')"))
            await q.aadd("noop", {"order": 9}, job_id="email-9", connection=session)
            await session.commit()
    finally:
        await engine.dispose()
    assert await q.aget("email-8") is None
    assert (await q.aget("email-9")) is not None
    assert _order_ids(pg_url, orders) == [9]


async def test_an_unsupported_connection_is_refused_clearly(pg_app: App) -> None:
    with pytest.raises(TypeError, match="psycopg"):
        pg_app.queue("q").add("noop", {}, connection=object())
