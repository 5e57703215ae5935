"""Alembic environment: runs migrations on the connection handed in by ``sequencehub.db``, or on
``sqlalchemy.url`` when run from the ``alembic`` command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from sequencehub.config import Settings
from sequencehub.db import make_engine, normalise_url
from sequencehub.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    """``-x url=...``, else ``sqlalchemy.url``, else SEQUENCEHUB_DATABASE_URL (or its default)."""
    given = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    return normalise_url(given or Settings.from_env().database_url)


def run_migrations_offline() -> None:
    """Emit SQL for ``alembic upgrade --sql``."""
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, dialect_opts={"paramstyle": "named"}
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over a live connection."""
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
