"""Versioned schema migrations (files `sql/migrations/NNNN_name.sql`).

Pending migrations are applied in one transaction that holds an advisory lock keyed by the
schema, so processes starting together never race: the first applies them, the others wait,
then find nothing left to do. Each applied version is recorded in `schema_migrations`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from importlib import resources

from psycopg import sql

from ..sql_files import parse_sql
from .connection import CONNECTION_ERRORS, AsyncConn, connect, unavailable
from .settings import PostgresSettings, parse_url

MIGRATIONS_PACKAGE = "hubjobs.backends.postgres.sql.migrations"
LOCK_NAMESPACE = "hubjobs.migrate"


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str


def migration_files() -> list[Migration]:
    """Every migration, in version order."""
    out: list[Migration] = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        if entry.name.endswith(".sql") and entry.name[:4].isdigit():
            parsed = parse_sql(entry.name[:-4], entry.read_text(encoding="utf-8"))
            out.append(Migration(int(entry.name[:4]), entry.name, parsed["apply"]))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two PostgreSQL migrations share a version number: {versions}")
    return out


def latest_version() -> int:
    """The version the schema has once every migration is applied."""
    files = migration_files()
    return files[-1].version if files else 0


async def current_version(conn: AsyncConn, schema: str) -> int:
    """The schema's recorded version (0 when the schema or its version table is missing)."""
    cur = await conn.execute("SELECT to_regclass(%s) IS NOT NULL AS present",
                             [f"{sql.Identifier(schema).as_string(conn)}.schema_migrations"])
    row = await cur.fetchone()
    if row is None or not row["present"]:
        return 0
    cur = await conn.execute(sql.SQL("SELECT coalesce(max(version), 0) AS v FROM {}.schema_migrations")
                             .format(sql.Identifier(schema)))
    row = await cur.fetchone()
    return int(row["v"]) if row else 0


async def apply_migrations(conn: AsyncConn, schema: str) -> int:
    """Bring `schema` to the latest version; returns that version."""
    latest = latest_version()
    if await current_version(conn, schema) >= latest:
        return latest
    ident = sql.Identifier(schema)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))", [LOCK_NAMESPACE, schema])
        await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
        await conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(ident))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY,"
            " name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())")
        version = await current_version(conn, schema)
        for migration in migration_files():
            if migration.version <= version:
                continue
            await conn.execute(migration.sql)
            await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                               [migration.version, migration.name])
            version = migration.version
    return version


async def amigrate(settings: PostgresSettings) -> int:
    """Connect and migrate the settings' schema; returns the schema version."""
    conn = await connect(settings, "connecting to migrate the schema")
    try:
        return await apply_migrations(conn, settings.schema)
    except CONNECTION_ERRORS as exc:
        raise unavailable(settings, "migrating the schema", exc) from exc
    finally:
        await conn.close()


def migrate(url: str) -> int:
    """Apply pending migrations to the schema named by a `postgresql://` URL (for `hubjobs
    migrate`); returns the schema version."""
    return asyncio.run(amigrate(parse_url(url)))
