"""The Huey side of the SQLite benchmark (Huey's own SqliteHuey storage)."""

from __future__ import annotations

import os
from pathlib import Path

from huey import SqliteHuey

huey = SqliteHuey(filename=os.environ.get("BENCH_HUEY_DB", "/tmp/huey-bench.db"), results=False)


@huey.task()
def noop() -> None:
    """Do nothing."""
    return None


@huey.task()
def marker(path: str) -> None:
    """Touch a file so the driver knows this point was reached."""
    Path(path).write_text("x")
