"""Enqueue inside the caller's own SQLite transaction (sqlite3 and SQLAlchemy)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hubjobs import App


def _app(tmp_path: Path) -> App:
    app = App(f"sqlite:///{tmp_path / 'tx.db'}")
    app.queue("email")
    app.sync_backend()  # create the schema
    return app


def test_sqlite3_rollback_adds_nothing_and_commit_adds_the_job(tmp_path: Path) -> None:
    app = _app(tmp_path)
    try:
        conn = sqlite3.connect(tmp_path / "tx.db", isolation_level=None)
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
        conn.execute("BEGIN")
        conn.execute("INSERT INTO orders (id) VALUES (1)")
        app.queue("email").add("send-email", {"order": 1}, job_id="order-1", connection=conn)
        conn.execute("ROLLBACK")
        assert app.queue("email").get("order-1") is None
        conn.execute("BEGIN")
        conn.execute("INSERT INTO orders (id) VALUES (2)")
        app.queue("email").add("send-email", {"order": 2}, job_id="order-2", connection=conn)
        conn.execute("COMMIT")
        assert app.queue("email").get("order-2") is not None
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 1
        conn.close()
    finally:
        app.close()


def test_sqlalchemy_session(tmp_path: Path) -> None:
    app = _app(tmp_path)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tx.db'}")
    try:
        with Session(engine) as session:
            session.execute(sa.text("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY)"))
            session.commit()
            session.execute(sa.text("INSERT INTO orders (id) VALUES (7)"))
            app.queue("email").add("send-email", {"order": 7}, job_id="order-7", connection=session)
            session.rollback()
        assert app.queue("email").get("order-7") is None
        with Session(engine) as session:
            session.execute(sa.text("INSERT INTO orders (id) VALUES (8)"))
            app.queue("email").add("send-email", {"order": 8}, job_id="order-8", connection=session)
            session.commit()
        assert app.queue("email").get("order-8") is not None
    finally:
        engine.dispose()
        app.close()
