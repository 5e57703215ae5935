"""The Huey side of the SQLite benchmark (Huey's own SqliteHuey storage).

It is also the matrix's SQLite adapter for Huey (the protocol of
`bench.redis_side_by_side.driver`): task `ledger` with the body the matrix asks for, run by
worker threads (`sync`) or processes (`process`)."""

from __future__ import annotations

import os
from importlib.metadata import version as _version
from pathlib import Path
from typing import Any

from huey import SqliteHuey

from bench.matrix import bodies
from bench.redis_side_by_side.ledger import Ledger

NAME = "huey"
KINDS = ("sync", "process")
LEDGER = Ledger()
huey = SqliteHuey(filename=os.environ.get("BENCH_HUEY_DB", "/tmp/huey-bench.db"), results=False)


@huey.task()
def noop() -> None:
    """Do nothing."""


@huey.task()
def marker(path: str) -> None:
    """Touch a file so the driver knows this point was reached."""
    Path(path).write_text("x")


@huey.task()
def ledger(i: int, t: float, pad: str) -> None:
    """The matrix's task: record the start, run the body."""
    LEDGER.record(i, t)
    bodies.run_sync()


def version() -> str:
    """Package version."""
    return f"huey {_version('huey')} (SqliteHuey)"


def worker_command(python: str) -> list[str]:
    """Huey's consumer, `-w N` threads or processes."""
    workers = "process" if bodies.kind("sync") == "process" else "thread"
    return [python, "-m", "huey.bin.huey_consumer", "bench.sqlite_side_by_side.huey_tasks.huey", "-w",
            str(bodies.concurrency(1)), "-k", workers, "-q"]


class Producer:
    """Enqueues `ledger` calls (Huey's producer is synchronous)."""

    is_async = False
    has_bulk = False

    def add(self, i: int, t: float, pad: str) -> Any:
        return ledger(i, t, pad)

    def close(self) -> None:
        pass
