"""PostgreSQL: the machine's server (or `HUBJOBS_TEST_POSTGRES_URL`), one schema per test.

An unreachable server makes the tests fail, never skip."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def server_url() -> str:
    """The server the tests use, without a schema."""
    return os.environ.get("HUBJOBS_TEST_POSTGRES_URL", DEFAULT_URL)


def with_schema(url: str, schema: str) -> str:
    """`url` with `?schema=<schema>` set."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "schema"] + [("schema", schema)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def schema_of(url: str) -> str:
    """The schema named in a test URL."""
    return dict(parse_qsl(urlsplit(url).query))["schema"]


def libpq_url(url: str) -> str:
    """`url` without this package's own parameters, for psycopg."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("schema", "pool_size")]
    return urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), parts.fragment))


def make_url(tmp_path: Path, test_id: str) -> str:
    """A URL to the test server with a schema of the test's own."""
    return with_schema(server_url(), f"hj_{test_id}")


def cleanup(url: str) -> None:
    """Drop the test's schema (and end connections a failed test left behind)."""
    schema = schema_of(url)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = current_database() "
            "AND query ILIKE %s AND state = 'idle in transaction'", [f"%{schema}%"])
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
