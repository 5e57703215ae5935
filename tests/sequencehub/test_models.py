"""The marketplace schema: Alembic migrations give exactly the models' tables; types behave."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from psycopg import sql
from sqlalchemy import inspect, select
from sqlalchemy.exc import StatementError

from sequencehub.config import Settings, SettingsError
from sequencehub.db import Database, DatabaseURLError, alembic_config, make_engine, open_database
from sequencehub.models import Base, ProcessingStatus, ProductFile
from sequencehub.sample_data import add_creator, add_product, add_product_file
from tests.backends.postgres import server_url


def _postgres_database() -> Iterator[str]:
    name = f"shub_{uuid.uuid4().hex[:12]}"
    admin = server_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(admin)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty marketplace database on SQLite (a file) or PostgreSQL (a new database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'market.db'}"
    else:
        yield from _postgres_database()


def test_upgrade_head_gives_exactly_the_models_schema(database_url: str) -> None:
    db = open_database(database_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, Base.metadata) == []
            tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set(Base.metadata.tables)
        assert {
            "User", "Creator", "Product", "ProductFile", "Order", "OrderItem", "Download",
            "UploadSession", "WebhookEndpoint", "WebhookLog", "StripeEvent", "EmailLog", "AuditLog",
            "DeadLetterJob", "AlertBatch", "Payout", "DailySales", "UserEngagement", "CreatorRevenue",
            "ProductPopularity",
        } == tables
    finally:
        db.dispose()


def test_alembic_command_line_upgrade_head(tmp_path: Path) -> None:
    from importlib import resources

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    ini = resources.files("sequencehub") / "migrations" / "alembic.ini"
    env = {**os.environ, "SEQUENCEHUB_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "head"],
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_migrations_run_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'market.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    command.upgrade(config, "head")
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set(Base.metadata.tables)
    engine.dispose()


def test_timestamps_are_aware_utc_and_naive_ones_refused(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'market.db'}")
    plus_two = timezone(timedelta(hours=2))
    with db.session() as s:
        creator = add_creator(
            s, "C", "c@example.com", created_at=datetime(2025, 6, 1, 14, 0, tzinfo=plus_two)
        )
        creator_id = creator.id
    with db.session() as s:
        loaded = s.get(type(creator), creator_id)
        assert loaded is not None and loaded.created_at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
        assert loaded.created_at.tzinfo is UTC
    with pytest.raises(StatementError, match="timezone-aware"), db.session() as s:
        add_creator(s, "D", "d@example.com", created_at=datetime(2025, 6, 1, 12, 0))
    db.dispose()


def test_product_file_processing_status_is_checked(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'market.db'}")
    assert [s.value for s in ProcessingStatus] == [
        "PENDING",
        "PROCESSING",
        "COMPLETED",
        "FAILED",
        "QUARANTINED",
    ]
    with db.session() as s:
        product = add_product(s, add_creator(s, "C", "c@example.com"), "P", 100)
        file = add_product_file(s, product, "show.fseq")
        file.processing_status = ProcessingStatus.QUARANTINED
        file.file_metadata = {"format": "fseq", "channels": 512}
        file.scan_result, file.scan_signature = "INFECTED", "Test.EICAR"
    with db.session() as s:
        row = s.scalar(select(ProductFile))
        assert row is not None
        assert (row.processing_status, row.file_metadata, row.scan_signature) == (
            "QUARANTINED",
            {"format": "fseq", "channels": 512},
            "Test.EICAR",
        )
    with pytest.raises(StatementError, match="DONE"), db.session() as s:
        row = s.scalar(select(ProductFile))
        assert row is not None
        row.processing_status = "DONE"
    db.dispose()


def test_database_urls(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b" / "market.db"
    db = Database(f"sqlite:///{nested}")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert nested.parent.is_dir()
    db.dispose()
    for bad, message in [
        ("mysql://x/y", "unsupported database 'mysql'"),
        ("nonsense", "not a database URL"),
        ("", "non-empty"),
    ]:
        with pytest.raises(DatabaseURLError, match=message):
            make_engine(bad)


def test_settings_from_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "SEQUENCEHUB_DATABASE_URL": "sqlite:///x.db",
            "SEQUENCEHUB_EMAIL_RATE_LIMIT": "14/1",
            "SEQUENCEHUB_OUTBOUND_ALLOW": "127.0.0.1, 10.0.0.0/8,hooks.internal",
            "SEQUENCEHUB_ADMIN_ALERT_EMAILS": "a@x.io,b@x.io",
            "SEQUENCEHUB_SMTP_STARTTLS": "yes",
            "SEQUENCEHUB_SMTP_PORT": "587",
            "SEQUENCEHUB_WEBHOOK_SECRET": "s",
            "SEQUENCEHUB_OUTBOX_DIR": str(tmp_path),
            "SEQUENCEHUB_TYPO": "1",
            "OTHER": "ignored",
        }
    )
    assert settings.database_url == "sqlite:///x.db" and settings.email_rate_limit == (14, 1.0)
    assert settings.outbound_allow == ("127.0.0.1", "10.0.0.0/8", "hooks.internal")
    assert settings.admin_alert_emails == ("a@x.io", "b@x.io")
    assert settings.smtp_starttls is True and settings.smtp_port == 587 and settings.outbox_dir == tmp_path
    assert dict(settings.extra) == {"SEQUENCEHUB_TYPO": "1"}
    assert Settings.from_env({}) == Settings()
    for env, message in [
        ({"SEQUENCEHUB_SMTP_PORT": "x"}, "SEQUENCEHUB_SMTP_PORT must be an integer"),
        ({"SEQUENCEHUB_EMAIL_RATE_LIMIT": "10"}, "N/SECONDS"),
        ({"SEQUENCEHUB_EMAIL_TRANSPORT": "pigeon"}, "SEQUENCEHUB_EMAIL_TRANSPORT must be one of"),
        ({"SEQUENCEHUB_EMAIL_TRANSPORT": "http"}, "SEQUENCEHUB_EMAIL_API_URL is required"),
        ({"SEQUENCEHUB_OUTBOUND_ALLOW": "10.0.0.0/99"}, "not a valid network"),
        ({"SEQUENCEHUB_SMTP_SSL": "maybe"}, "true or false"),
        ({"SEQUENCEHUB_TIMEZONE": "Mars/Olympus"}, "SEQUENCEHUB_TIMEZONE"),
    ]:
        with pytest.raises(SettingsError, match=message):
            Settings.from_env(env)
