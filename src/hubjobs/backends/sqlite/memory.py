"""`memory://name`: the SQLite backend on an in-memory database shared by this process's
connections (SQLite's memdb VFS), for tests: no file, every operation the SQLite backend's own.

A memory database lives until `forget(url)` (or the process ends): a keeper connection holds it
while the App's backends open and close their connections around it."""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ...errors import ConfigurationError

PREFIX = "memory://"
_KEEPERS: dict[str, tuple[int, sqlite3.Connection]] = {}
"""name -> (the process it lives in, the connection holding it)."""
_LOCK = threading.Lock()


@dataclass(frozen=True)
class MemoryDatabase:
    """Where a `memory://name` database lives: a memdb VFS name shared within the process."""

    name: str

    def __str__(self) -> str:
        return f"{PREFIX}{self.name}"

    @property
    def uri(self) -> str:
        """The SQLite URI every connection to it opens (a leading '/' shares it process-wide)."""
        return f"file:/hubjobs-memory-{quote(self.name, safe='')}?vfs=memdb"

    def keep(self) -> None:
        """Hold the database open until `forget` (idempotent, thread-safe). A forked process is
        refused: it would write to a copy the parent never sees."""
        with _LOCK:
            kept = _KEEPERS.get(self.name)
            if kept is None:
                _KEEPERS[self.name] = (os.getpid(), sqlite3.connect(self.uri, uri=True, check_same_thread=False))
            elif kept[0] != os.getpid():
                raise ConfigurationError(
                    f"{self} lives in process {kept[0]}; another process cannot reach it (writes here "
                    f"would be lost): use sqlite:///path.db, Redis or PostgreSQL for several processes")


def memory_database(url: str) -> MemoryDatabase:
    """`memory://name` -> its MemoryDatabase; a URL without a name is refused (an App given plain
    `memory://` names its own database)."""
    name = unquote(url[len(PREFIX):].split("?", 1)[0]).strip("/")
    if not name:
        raise ConfigurationError("memory:// needs a name here, e.g. memory://tests (App('memory://') "
                                 "gives each App a database of its own)")
    return MemoryDatabase(name)


def forget(url: str) -> bool:
    """Free the memory database of `url` once its other connections close; True if it was kept."""
    with _LOCK:
        kept = _KEEPERS.pop(memory_database(url).name, None)
    if kept is None:
        return False
    kept[1].close()
    return True
