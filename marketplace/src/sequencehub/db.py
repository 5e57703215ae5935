"""The marketplace database: an engine and sessions from a URL, and schema upgrades via Alembic.

The URL scheme matches the job engine's: ``sqlite:///path.db`` (the default,
``sqlite:///./sequencehub.db``) or ``postgresql://...`` (driven by psycopg 3). SQLite files are
opened in WAL mode with foreign keys on and a busy timeout, so several worker threads and
processes can share one file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from .config import DEFAULT_DATABASE_URL

SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseURLError(ValueError):
    """The marketplace database URL cannot be used."""


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL for a marketplace URL: ``postgresql://`` selects the psycopg 3 driver."""
    if not isinstance(url, str) or not url.strip():
        raise DatabaseURLError(f"database URL must be a non-empty string, got {url!r}")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


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


def open_database(url: str = DEFAULT_DATABASE_URL, *, upgrade: bool = True) -> Database:
    """A Database for `url`, with its schema brought up to date unless `upgrade` is False."""
    db = Database(url)
    if upgrade:
        db.upgrade()
    return db
