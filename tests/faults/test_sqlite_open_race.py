"""Two processes opening the same new SQLite file at once (a worker and a web process starting
together): switching to WAL needs the file to itself, and while another connection is writing
SQLite refuses at once ("database is locked", without waiting in its busy handler). Opening
retries until the writer is done instead of failing."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from hubjobs.backends.sqlite import connection
from hubjobs.backends.sqlite.connection import connect


def test_opening_waits_while_another_connection_writes_the_new_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "jobs.db"
    writer = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")  # still in rollback-journal mode, writing (as a migration does)
    writer.execute("INSERT INTO t VALUES (1)")
    refused = threading.Event()
    real_sleep = time.sleep

    def backoff(seconds: float) -> None:
        refused.set()  # the switch to WAL was refused and is being retried
        real_sleep(seconds)

    monkeypatch.setattr(connection.time, "sleep", backoff)
    outcome: list[object] = []

    def open_it() -> None:
        try:
            conn = connect(path)
            outcome.append(conn.execute("PRAGMA journal_mode").fetchone()[0])
            conn.close()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome.append(exc)

    opener = threading.Thread(target=open_it)
    opener.start()
    while opener.is_alive() and not refused.wait(0.01):  # until it was refused (or gave up)
        pass
    writer.execute("COMMIT")
    opener.join(30)
    writer.close()
    assert outcome == ["wal"]
