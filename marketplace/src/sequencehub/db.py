"""The marketplace database: an engine and sessions from a URL, and schema upgrades via Alembic.

The URL scheme matches the job engine's: ``sqlite:///path.db`` (the default,
``sqlite:///./sequencehub.db``) or ``postgresql://...`` (driven by psycopg 3; Prisma's
``?schema=NAME`` parameter selects the PostgreSQL schema, as in the app's ``DATABASE_URL``). SQLite
files are opened in WAL mode with foreign keys on and a busy timeout, so several worker threads and
processes can share one file.

Who owns the tables: a database without the marketplace tables is created by the bundled Alembic
migrations; a database whose tables were made by the app (``prisma migrate``, no
``alembic_version`` table) is left alone. Either way :func:`check_schema` then makes sure every
table and column the jobs use is there, and names the first one missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from .config import DEFAULT_DATABASE_URL
from .models import Base

SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseURLError(ValueError):
    """The marketplace database URL cannot be used."""


class SchemaMismatchError(RuntimeError):
    """The marketplace database lacks a table or column the jobs read or write."""


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL for a marketplace URL: ``postgresql://`` selects the psycopg 3 driver."""
    if not isinstance(url, str) or not url.strip():
        raise DatabaseURLError(f"database URL must be a non-empty string, got {url!r}")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return _schema_to_search_path("postgresql+psycopg://" + url[len(prefix) :])
    if url.startswith("postgresql+psycopg://"):
        return _schema_to_search_path(url)
    return url


def prisma_schema_of(url: str) -> str | None:
    """The ``?schema=NAME`` of a PostgreSQL URL (checked as in :func:`normalise_url`), else None."""
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return None
    values = [value for key, value in parse_qsl(urlsplit(url).query) if key == "schema"]
    if values:
        normalise_url(url)  # raises for a bad name
    return values[-1] if values else None


def _schema_to_search_path(url: str) -> str:
    """Prisma's ``?schema=NAME`` as libpq's ``options=-csearch_path=NAME``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = [value for key, value in query if key == "schema"]
    if not schema:
        return url
    if not schema[-1] or not all(c.isalnum() or c in "_-" for c in schema[-1]):
        raise DatabaseURLError(f"schema={schema[-1]!r} in the database URL is not a plain schema name")
    rest = [(key, value) for key, value in query if key != "schema"]
    rest.append(("options", f"-csearch_path={schema[-1]}"))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), parts.fragment))


def make_engine(url: str = DEFAULT_DATABASE_URL, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine for `url`, with SQLite tuned for concurrent workers."""
    full = normalise_url(url)
    try:
        parsed = make_url(full)
    except ArgumentError:
        raise DatabaseURLError(
            f"not a database URL: {url!r} (use sqlite:///path.db or postgresql://...)"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseURLError(
            f"unsupported database {backend!r} in {url!r}: use sqlite:/// or postgresql://"
        )
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(full, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class Database:
    """An engine plus a session factory. ``with db.session() as s:`` commits on success."""

    def __init__(self, url: str = DEFAULT_DATABASE_URL, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine if engine is not None else make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Database({self.url!r})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision` with the bundled Alembic migrations."""
        upgrade_schema(self.engine, revision)

    def check(self) -> None:
        """Raise :class:`SchemaMismatchError` naming the first missing table or column."""
        check_schema(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def alembic_config(url: str | None = None) -> Any:
    """An Alembic Config pointing at the bundled migrations (for the ``alembic`` API)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("sequencehub") / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to `revision` on `engine`."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def managed_by_app(engine: Engine) -> bool:
    """True when the marketplace tables exist without Alembic's bookkeeping: the app (Prisma)
    created them, so the jobs must not migrate them."""
    names = set(inspect(engine).get_table_names())
    return "alembic_version" not in names and bool(names & set(Base.metadata.tables))


def check_schema(engine: Engine) -> None:
    """Make sure every table and column of the jobs' models exists; the error names the first
    that does not (e.g. ``table "ProductFile" has no column "processingStatus"``)."""
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in tables:
            raise SchemaMismatchError(
                f'the marketplace database has no table "{table.name}" (the jobs need it; '
                "see schema.prisma for the layout they expect)"
            )
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                raise SchemaMismatchError(
                    f'table "{table.name}" has no column "{column.name}" (the jobs need it; '
                    "see schema.prisma for the layout they expect)"
                )


def open_database(url: str = DEFAULT_DATABASE_URL, *, upgrade: bool = True) -> Database:
    """A Database for `url`: its schema brought up to date with the bundled migrations (unless
    `upgrade` is False or the app's Prisma migrations own the tables), then checked."""
    db = Database(url)
    try:
        schema = prisma_schema_of(url)
        if upgrade and schema is not None:  # as prisma migrate does: the schema is made when missing
            with db.engine.begin() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        if upgrade and not managed_by_app(db.engine):
            db.upgrade()
        db.check()
    except BaseException:
        db.dispose()
        raise
    return db
