"""Opening SQLite connections and running write transactions safely across processes."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote

from ...errors import BackendUnavailable, ConfigurationError
from .memory import PREFIX as MEMORY_PREFIX
from .memory import MemoryDatabase, memory_database

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
LOCKED_RETRIES = 20


Location = Path | MemoryDatabase
"""Where a SQLite backend's database is: a file, or an in-memory database of this process."""


def path_from_url(url: str) -> Location:
    """`sqlite:///relative.db` or `sqlite:////absolute.db` -> a filesystem path; `memory://name` ->
    the in-memory database `name`."""
    if url.startswith(MEMORY_PREFIX):
        return memory_database(url)
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ConfigurationError(f"SQLite URL must look like sqlite:///path/to/file.db, got {url!r}")
    raw = unquote(url[len(prefix):].split("?", 1)[0])
    if not raw or raw == ":memory:":
        raise ConfigurationError(
            "SQLite needs a file path (several connections share it), e.g. sqlite:///./hubjobs.db")
    return Path(raw)


def file_from_url(url: str) -> Path:
    """The database file of a `sqlite:///` URL."""
    location = path_from_url(url)
    if not isinstance(location, Path):
        raise ConfigurationError(f"{url!r} is an in-memory database, not a file")
    return location


class UndecodableText(str):
    """The text of a column that is not valid UTF-8 (written by something other than the engine),
    decoded with U+FFFD replacement characters so that reading its row does not fail; the row
    decoder reports such a row as corrupt."""


def decode_text(raw: bytes) -> str:
    """Text factory: UTF-8, or an `UndecodableText` when the stored bytes are not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return UndecodableText(raw.decode("utf-8", "replace"))


def connect(path: Location) -> sqlite3.Connection:
    """A connection in autocommit mode with WAL, a busy timeout and rows by column name."""
    if isinstance(path, MemoryDatabase):
        return _connect_memory(path)
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
    except (sqlite3.Error, OSError) as exc:
        raise BackendUnavailable(f"cannot open SQLite database {str(path)!r}: {exc}") from None
    conn.row_factory = sqlite3.Row
    conn.text_factory = decode_text
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = _switch_to_wal(conn, path)
    if mode.lower() != "wal":
        raise BackendUnavailable(f"SQLite database {str(path)!r} could not switch to WAL mode (got {mode})")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _connect_memory(db: MemoryDatabase) -> sqlite3.Connection:
    """A connection to an in-memory database: the same settings but WAL (memdb journals in memory;
    writers still lock each other out and wait through the busy timeout)."""
    db.keep()
    conn = sqlite3.connect(db.uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.text_factory = decode_text
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _switch_to_wal(conn: sqlite3.Connection, path: Path) -> str:
    """Set WAL mode. Leaving rollback mode needs the database to itself, and SQLite may refuse
    at once ("database is locked", without its busy handler) while another process opening the
    same new file holds a lock: retry with backoff within the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc) or time.monotonic() > deadline:
                conn.close()
                raise BackendUnavailable(
                    f"SQLite database {str(path)!r} could not switch to WAL mode: {exc}") from None
            time.sleep(delay)
            delay = min(0.25, delay * 2)


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def write_transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run `fn` inside BEGIN IMMEDIATE ... COMMIT, retrying when another process holds the lock
    past the busy timeout, so "database is locked" never reaches a caller."""
    delay = 0.005
    for attempt in range(LOCKED_RETRIES + 1):
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_locked(exc) and attempt < LOCKED_RETRIES:
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            raise BackendUnavailable(f"SQLite is locked by another process for too long: {exc}") from None
        try:
            result = fn(conn)
            conn.execute("COMMIT")
            return result
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    raise BackendUnavailable("SQLite stayed locked")  # pragma: no cover - loop always returns or raises


def read(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run read-only `fn` in one snapshot (a deferred transaction)."""
    conn.execute("BEGIN")
    try:
        return fn(conn)
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
