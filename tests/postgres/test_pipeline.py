"""Statements sent together (finish + retention + claim) run in one round trip and one
transaction: if any fails, none of them took effect, also once psycopg prepares them."""

from __future__ import annotations

import psycopg
import pytest

from hubjobs.backends.postgres.backend import _pipeline
from hubjobs.backends.postgres.connection import connect
from hubjobs.backends.postgres.settings import parse_url
from tests.backends.postgres import libpq_url, schema_of


async def test_a_failing_statement_rolls_back_the_whole_pipeline(pg_url: str) -> None:
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema_of(pg_url)}"')
        admin.execute(f'CREATE TABLE "{schema_of(pg_url)}".t (x int)')
    conn = await connect(parse_url(pg_url), "test")
    try:
        for i in range(8):  # psycopg prepares a statement from its 5th execution on
            await _pipeline(conn, [("INSERT INTO t VALUES (%(x)s)", {"x": i})])
            with pytest.raises(psycopg.errors.DivisionByZero):
                await _pipeline(conn, [("INSERT INTO t VALUES (%(x)s)", {"x": 100 + i}),
                                       ("SELECT 1 / %(zero)s AS boom", {"zero": 0})])
        cur = await conn.execute("SELECT array_agg(x ORDER BY x) AS xs FROM t")
        row = await cur.fetchone()
    finally:
        await conn.close()
    assert row is not None and row["xs"] == list(range(8))
