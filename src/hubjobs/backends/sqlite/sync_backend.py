"""SQLiteSyncBackend: the producer and admin operations from the calling thread.

The operations are those of the async backend (`operations.py`); only the connection differs:
each call takes an idle connection from a free list (opening one when none is idle) and puts it
back when done, so any number of threads call at once, each on a connection of its own, and
threads that come and go leave no connection behind them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from ...job import Job
from ..base import (
    AddedJob,
    AddJobs,
    Capabilities,
    CleanJobs,
    DrainQueue,
    JobIds,
    JobRef,
    ListJobs,
    LogLine,
    QueueSettings,
    RetryFailed,
    SearchJobs,
    SetPaused,
    SyncBackend,
)
from .connection import connect, path_from_url, write_transaction
from .migrations import migrate
from .operations import SQLiteOperations

T = TypeVar("T")

MAX_IDLE_CONNECTIONS = 16
"""Idle connections kept for reuse; more threads at once open more, closed when put back."""


class SQLiteSyncBackend(SyncBackend):
    """The sync twin of `SQLiteBackend` (same URL, same file)."""

    def __init__(self, url: str) -> None:
        from .backend import SQLiteBackend

        self.url = url
        self.capabilities: Capabilities = SQLiteBackend.capabilities
        self.path = path_from_url(url)
        self._ops = SQLiteOperations()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False

    def open(self) -> None:
        """Create the file if needed and apply migrations (as the async backend does)."""
        self._closed = False
        self._call(migrate)

    def close(self) -> None:
        """Close the idle connections (connections in use close when put back)."""
        self._closed = True
        while self._idle:
            self._idle.pop().close()

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            conn = self._idle.pop()  # list.pop/append are atomic: a thread-safe free list
        except IndexError:
            conn = connect(self.path)
        try:
            result = fn(conn)
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            conn.close()  # do not reuse a connection an error left in doubt
            raise
        if self._closed or len(self._idle) >= MAX_IDLE_CONNECTIONS:
            conn.close()
        else:
            self._idle.append(conn)
        return result

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return self._call(lambda c: write_transaction(c, fn))

    # ------------------------------------------------------------ producing

    def add_jobs(self, req: AddJobs) -> list[AddedJob]:
        """Insert jobs in one transaction, or inside the caller's (`req.connection`)."""
        if req.connection is not None:
            return self._ops.add_jobs_in(req.connection, req)
        return self._write(lambda c: self._ops.add_jobs(c, req))

    # ------------------------------------------------------------ reading

    def get_job(self, req: JobRef) -> Job | None:
        """One job by id."""
        return self._call(lambda c: self._ops.get_job(c, req))

    def get_logs(self, req: JobRef) -> list[LogLine]:
        """A job's log lines."""
        return self._call(lambda c: self._ops.get_logs(c, req))

    def list_jobs(self, req: ListJobs) -> list[Job]:
        """Jobs in a state, paginated."""
        return self._call(lambda c: self._ops.list_jobs(c, req))

    def search_jobs(self, req: SearchJobs) -> list[Job]:
        """Substring search over id, name, data and failure reason."""
        return self._call(lambda c: self._ops.search_jobs(c, req))

    def count_jobs(self, queue: str) -> dict[str, int]:
        """Counts for every state."""
        return self._call(lambda c: self._ops.count_jobs(c, queue))

    def get_queue_settings(self, queue: str) -> QueueSettings:
        """Paused flag, rate limit and concurrency."""
        return self._call(lambda c: self._ops.get_queue_settings(c, queue))

    # ------------------------------------------------------------ admin

    def retry_failed(self, req: RetryFailed) -> list[str]:
        """Failed -> waiting with attempts reset."""
        return self._write(lambda c: self._ops.retry_failed(c, req))

    def remove_jobs(self, req: JobIds) -> list[str]:
        """Delete jobs that are not active."""
        return self._write(lambda c: self._ops.remove_jobs(c, req))

    def promote_jobs(self, req: JobIds) -> list[str]:
        """Delayed -> waiting now."""
        return self._write(lambda c: self._ops.promote_jobs(c, req))

    def cancel_jobs(self, req: JobIds) -> list[str]:
        """Flag active jobs for cancellation."""
        return self._write(lambda c: self._ops.cancel_jobs(c, req))

    def clean_jobs(self, req: CleanJobs) -> int:
        """Delete old jobs of one state."""
        return self._write(lambda c: self._ops.clean_jobs(c, req))

    def drain_queue(self, req: DrainQueue) -> int:
        """Delete waiting (and delayed) jobs."""
        return self._write(lambda c: self._ops.drain_queue(c, req))

    def set_paused(self, req: SetPaused) -> None:
        """Store the paused flag."""
        self._write(lambda c: self._ops.set_paused(c, req))


