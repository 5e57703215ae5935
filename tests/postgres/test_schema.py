"""Versioned migrations: the migrated schema is exactly what the migration files declare,
concurrent start-ups migrate once, and the URL's schema and errors are handled clearly."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import psycopg
import pytest

from hubjobs import BackendUnavailable, ConfigurationError
from hubjobs.backends.base import AddJobs, AppendLog, JobIds, NewJob
from hubjobs.backends.postgres import PostgresBackend, migrate
from hubjobs.backends.postgres.migrations import latest_version, migration_files
from hubjobs.job import JobOptions
from tests.backends.postgres import libpq_url, schema_of

TYPE_NAMES = {"bigint": "bigint", "integer": "integer", "text": "text", "json": "json", "jsonb": "jsonb",
              "double precision": "double precision", "boolean": "boolean", "timestamptz":
              "timestamp with time zone"}


@dataclass(frozen=True)
class Declared:
    """Tables (column -> (type, nullable)) and indexes (name -> (table, definition)) of the files."""

    tables: dict[str, dict[str, tuple[str, bool]]]
    indexes: dict[str, tuple[str, str]]


def _declared() -> Declared:
    tables: dict[str, dict[str, tuple[str, bool]]] = {}
    indexes: dict[str, tuple[str, str]] = {}
    text = "\n".join(m.sql + ";" for m in migration_files())  # the loader drops the last ";"
    for name, body in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+) \((.*?)\n\);", text, re.DOTALL):
        columns: dict[str, tuple[str, bool]] = {}
        primary: set[str] = set()
        for line in body.strip().splitlines():
            line = line.strip().rstrip(",")
            pk = re.match(r"PRIMARY KEY \((.*)\)", line)
            if pk:
                primary |= {c.strip() for c in pk.group(1).split(",")}
                continue
            if not line or line.startswith(("CONSTRAINT", "UNIQUE", "CHECK")):
                continue
            col = re.match(r"(\w+)\s+(double precision|\w+)(.*)", line)
            assert col, f"cannot read column line {line!r} of table {name}"
            rest = col.group(3)
            not_null = "NOT NULL" in rest or "PRIMARY KEY" in rest
            columns[col.group(1)] = (TYPE_NAMES[col.group(2)], not not_null)
        for c in primary:
            columns[c] = (columns[c][0], False)
        tables[name] = columns
    for table, column, kind, rest in re.findall(
            r"ALTER TABLE (\w+) ADD COLUMN (?:IF NOT EXISTS )?(\w+) (double precision|\w+)([^;]*);", text):
        tables[table][column] = (TYPE_NAMES[kind], "NOT NULL" not in rest)
    for name, table, rest in re.findall(r"CREATE INDEX (?:IF NOT EXISTS )?(\w+) ON (\w+) (\(.*?\)(?: WHERE [^;]*)?);", text):
        indexes[name] = (table, rest)
    return Declared(tables, indexes)


def _columns(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> dict[str, dict[str, tuple[str, bool]]]:
    out: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, data_type, nullable in conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = %s", [schema]):
        out.setdefault(str(table), {})[str(column)] = (str(data_type), nullable == "YES")
    return out


async def test_the_migrated_schema_matches_the_migration_files(pg_url: str) -> None:
    backend = PostgresBackend(pg_url)
    await backend.open()
    await backend.close()
    schema = schema_of(pg_url)
    declared = _declared()
    assert "jobs" in declared.tables and "ix_jobs_waiting" in declared.indexes  # the files were read
    with psycopg.connect(libpq_url(pg_url)) as conn:
        actual = _columns(conn, schema)
        assert actual.pop("schema_migrations")  # the runner's own bookkeeping table
        assert actual == declared.tables
        rows = conn.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s",
                            [schema]).fetchall()
        found = {str(name): (str(table), str(definition)) for table, name, definition in rows}
        for name, (table, shape) in declared.indexes.items():
            assert name in found, f"index {name} declared but missing"
            assert found[name][0] == table
            columns = shape.split(")")[0].lstrip("(")
            assert f"({columns})" in found[name][1], f"{name}: {found[name][1]} does not index ({columns})"
            if "WHERE" in shape:
                assert "WHERE" in found[name][1]
        extra = {n for n in found if n not in declared.indexes and not n.endswith(("_pkey", "_key"))}
        assert not extra, f"indexes not declared by any migration: {extra}"
        versions = [r[0] for r in conn.execute(
            f'SELECT version FROM "{schema}".schema_migrations ORDER BY version')]
        assert versions == [m.version for m in migration_files()]


async def test_concurrent_start_ups_migrate_once(pg_url: str) -> None:
    backends = [PostgresBackend(pg_url) for _ in range(5)]
    await asyncio.gather(*(b.open() for b in backends))
    await asyncio.gather(*(b.close() for b in backends))
    assert await asyncio.to_thread(migrate, pg_url) == latest_version()  # nothing left to do
    with psycopg.connect(libpq_url(pg_url)) as conn:
        rows = conn.execute(f'SELECT version, count(*) FROM "{schema_of(pg_url)}".schema_migrations '
                            "GROUP BY version ORDER BY version").fetchall()
    assert rows == [(m.version, 1) for m in migration_files()]


def test_migrate_function_creates_the_schema(pg_url: str) -> None:
    assert migrate(pg_url) == latest_version()
    assert migrate(pg_url) == latest_version()


async def test_an_unreachable_server_is_reported_as_unavailable() -> None:
    backend = PostgresBackend("postgresql://postgres@127.0.0.1:1/test?schema=hj_nowhere")
    with pytest.raises(BackendUnavailable, match=r"127\.0\.0\.1:1/test"):
        await backend.open()


@pytest.mark.parametrize("url, message", [
    ("postgresql://postgres@127.0.0.1/test?schema=bad-name", "schema"),
    ("postgresql://postgres@127.0.0.1/test?schema=1abc", "schema"),
    ("postgresql://postgres@127.0.0.1/test?pool_size=0", "pool_size"),
    ("mysql://x/y", "postgresql://"),
])
def test_bad_urls_are_refused_with_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        PostgresBackend(url)


async def test_removing_jobs_removes_their_log_lines_and_ids_compare_bytewise(pg_url: str) -> None:
    backend = PostgresBackend(pg_url)
    await backend.open()
    try:
        await backend.add_jobs(AddJobs("q", [NewJob(i, "n", "{}", JobOptions()) for i in ("a", "b", "B")]))
        for job_id in ("a", "a", "b"):
            await backend.append_log(AppendLog("q", job_id, f"line of {job_id}", 10))
        assert await backend.remove_jobs(JobIds("q", ["a"])) == ["a"]
    finally:
        await backend.close()
    schema = schema_of(pg_url)
    with psycopg.connect(libpq_url(pg_url)) as conn:
        lines = conn.execute(f'SELECT l.line FROM "{schema}".job_logs l').fetchall()
        assert lines == [("line of b",)]
        foreign_keys = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND "
                                    "connamespace = %s::regnamespace", [schema]).fetchone()
        assert foreign_keys == (0,)  # the statement-level trigger replaces the per-row cascade
        ids = conn.execute(f'SELECT id FROM "{schema}".jobs ORDER BY id').fetchall()
        assert ids == [("B",), ("b",)]  # COLLATE "C": bytewise, upper case first
