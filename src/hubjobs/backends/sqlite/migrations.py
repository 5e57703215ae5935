"""Versioned schema migrations for the SQLite backend (files in sql/migrations/)."""

from __future__ import annotations

import sqlite3
from importlib import resources

from ..sql_files import parse_sql
from .connection import write_transaction

MIGRATIONS_PACKAGE = "hubjobs.backends.sqlite.sql.migrations"


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, statements) of every migration, in order."""
    out: list[tuple[int, str, str]] = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        if entry.name.endswith(".sql") and entry.name[:4].isdigit():
            sql = parse_sql(entry.name[:-4], entry.read_text(encoding="utf-8"))
            out.append((int(entry.name[:4]), entry.name, sql["apply"]))
    return sorted(out)


def current_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database (0 for a new file)."""
    conn.execute("CREATE TABLE IF NOT EXISTS hubjobs_schema (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM hubjobs_schema").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply pending migrations in one write transaction each; returns the final version."""
    version = current_version(conn)
    for number, _name, statements in migration_files():
        if number <= version:
            continue

        def apply(c: sqlite3.Connection, number: int = number, statements: str = statements) -> None:
            if current_version(c) >= number:  # another process migrated meanwhile
                return
            for statement in _split(statements):
                c.execute(statement)
            c.execute("INSERT INTO hubjobs_schema (version) VALUES (?)", (number,))

        write_transaction(conn, apply)
        version = number
    return version


def _split(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buf: list[str] = []
    for line in script.splitlines():
        buf.append(line)
        candidate = "\n".join(buf).strip()
        if candidate.endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        statements.append(rest)
    return statements
