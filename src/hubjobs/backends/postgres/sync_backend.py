"""PostgresSyncBackend: the producer and admin operations from the calling thread, on psycopg's
blocking connections (the plans of `operations.py`: the same statements and row decoding as the
async backend).

Each call takes an idle connection from a free list (opening one when none is idle) and puts it
back when done, so any number of threads call at once, each on a connection of its own, with
no lock on the way. A connection the server closed while it sat idle is noticed without a round
trip when it is taken and replaced."""

from __future__ import annotations

import asyncio
import select
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.pq import ConnStatus
from psycopg.rows import DictRow
from psycopg.types.string import TextLoader

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
from .connection import CONNECTION_ERRORS, ROLLBACK_RETRIES, ROLLED_BACK, connect_kwargs, unavailable
from .migrations import amigrate
from .operations import Plan, PostgresOperations, RowCount, Rows
from .settings import parse_url
from .transactional import run_sync, sync_driver_connection

T = TypeVar("T")
SyncConn = psycopg.Connection[DictRow]

MAX_IDLE_CONNECTIONS = 8
"""Idle connections kept for reuse; more threads at once open more, closed when put back."""


def _alive(conn: SyncConn) -> bool:
    """False for a connection the server spoke on while it sat idle (its goodbye after a restart
    or `pg_terminate_backend`, before or after the end of stream): checked without a round trip
    (a zero-timeout poll of the socket). Such a connection is replaced, never used."""
    if conn.closed or conn.pgconn.status != ConnStatus.OK:
        return False
    try:
        readable, _w, _x = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


class PostgresSyncBackend(SyncBackend):
    """The sync twin of `PostgresBackend` (same URL, same schema)."""

    def __init__(self, url: str) -> None:
        from .backend import PostgresBackend

        self.url = url
        self.capabilities: Capabilities = PostgresBackend.capabilities
        self.settings = parse_url(url)
        self._ops = PostgresOperations(self.settings)
        self._kwargs = connect_kwargs(self.settings)
        self._idle: list[SyncConn] = []
        self._closed = True

    # ------------------------------------------------------------ lifecycle

    def open(self) -> None:
        """Apply pending migrations (as the async backend does: once, on a short-lived thread
        of its own, whatever loop the caller's thread runs) and check that the server answers."""
        if not self._closed:
            return
        failure: list[BaseException] = []

        def migrate() -> None:
            try:
                asyncio.run(amigrate(self.settings))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                failure.append(exc)

        thread = threading.Thread(target=migrate, name="hubjobs-migrate")
        thread.start()
        thread.join()
        if failure:
            raise failure[0]
        self._closed = False
        self._call("connecting", lambda conn: conn.execute("SELECT 1"))

    def close(self) -> None:
        """Close the idle connections (connections in use close when put back)."""
        self._closed = True
        while self._idle:
            self._idle.pop().close()

    def _connect(self, what: str) -> SyncConn:
        try:
            conn: SyncConn = psycopg.Connection.connect(self.settings.conninfo, **self._kwargs)
        except CONNECTION_ERRORS as exc:
            raise unavailable(self.settings, what, exc) from exc
        conn.adapters.register_loader("json", TextLoader)
        conn.adapters.register_loader("jsonb", TextLoader)
        return conn

    def _take(self, what: str) -> SyncConn:
        while True:
            try:
                conn = self._idle.pop()  # list.pop/append are atomic: a lock-free free list
            except IndexError:
                return self._connect(what)
            if _alive(conn):
                return conn
            conn.close()

    def _call(self, what: str, fn: Callable[[SyncConn], T]) -> T:
        """Run `fn` on a connection of this thread; translate connection loss into
        BackendUnavailable and run `fn` again after a deadlock or serialization failure."""
        attempt = 0
        while True:
            conn = self._take(what)
            try:
                result = fn(conn)
            except ROLLED_BACK as exc:
                self._put_back(conn)
                attempt += 1
                if attempt > ROLLBACK_RETRIES:
                    raise unavailable(self.settings, what, exc) from exc
                time.sleep(0.005 * attempt)
                continue
            except CONNECTION_ERRORS as exc:
                conn.close()
                raise unavailable(self.settings, what, exc) from exc
            except psycopg.Error:
                self._put_back(conn)  # autocommit: a failed statement leaves the connection usable
                raise
            except BaseException:
                conn.close()  # interrupted mid-statement: never reuse it
                raise
            self._put_back(conn)
            return result

    def _put_back(self, conn: SyncConn) -> None:
        if self._closed or len(self._idle) >= MAX_IDLE_CONNECTIONS or conn.closed:
            conn.close()
        else:
            self._idle.append(conn)

    def _drive(self, plan: Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                step = plan.send(self._step(step))
        except StopIteration as done:
            result: T = done.value
            return result

    def _step(self, step: Rows | RowCount) -> Any:
        query, params = step.query, step.params
        if isinstance(step, Rows):
            def rows(conn: SyncConn) -> list[DictRow]:
                cur = conn.execute(query, params)
                return cur.fetchall() if cur.description is not None else []

            return self._call(step.what, rows)
        return self._call(step.what, lambda conn: max(0, conn.execute(query, params).rowcount))

    # ------------------------------------------------------------ producing

    def add_jobs(self, req: AddJobs) -> list[AddedJob]:
        """Insert jobs in one statement, or inside the caller's transaction (`req.connection`:
        a psycopg Connection or a SQLAlchemy Connection/Session on psycopg)."""
        if req.connection is not None:
            if not req.jobs:
                return []
            query, params = self._ops.add_statement(req)
            conn = sync_driver_connection(req.connection)
            return self._ops.added(req, run_sync(conn, self.settings.schema, query, params))
        return self._drive(self._ops.add_jobs(req))

    # ------------------------------------------------------------ reading

    def get_job(self, req: JobRef) -> Job | None:
        """One job by id."""
        return self._drive(self._ops.get_job(req))

    def get_logs(self, req: JobRef) -> list[LogLine]:
        """A job's log lines, oldest first."""
        return self._drive(self._ops.get_logs(req))

    def list_jobs(self, req: ListJobs) -> list[Job]:
        """Jobs in one state, paginated."""
        return self._drive(self._ops.list_jobs(req))

    def search_jobs(self, req: SearchJobs) -> list[Job]:
        """Substring search over id, name, data and failure reason."""
        return self._drive(self._ops.search_jobs(req))

    def count_jobs(self, queue: str) -> dict[str, int]:
        """Counts for every state."""
        return self._drive(self._ops.count_jobs(queue))

    def get_queue_settings(self, queue: str) -> QueueSettings:
        """Paused flag, rate limit and concurrency."""
        return self._drive(self._ops.get_queue_settings(queue))

    # ------------------------------------------------------------ admin

    def retry_failed(self, req: RetryFailed) -> list[str]:
        """Failed -> waiting with attempts reset."""
        return self._drive(self._ops.retry_failed(req))

    def remove_jobs(self, req: JobIds) -> list[str]:
        """Delete jobs that are not active."""
        return self._drive(self._ops.per_ids("removing jobs", "remove", req))

    def promote_jobs(self, req: JobIds) -> list[str]:
        """Delayed -> waiting now."""
        return self._drive(self._ops.per_ids("promoting jobs", "promote", req))

    def cancel_jobs(self, req: JobIds) -> list[str]:
        """Flag active jobs for cancellation."""
        return self._drive(self._ops.per_ids("cancelling jobs", "cancel", req))

    def clean_jobs(self, req: CleanJobs) -> int:
        """Delete old jobs of one state."""
        return self._drive(self._ops.clean_jobs(req))

    def drain_queue(self, req: DrainQueue) -> int:
        """Delete waiting (and delayed) jobs."""
        return self._drive(self._ops.drain_queue(req))

    def set_paused(self, req: SetPaused) -> None:
        """Store the paused flag."""
        self._drive(self._ops.set_paused(req))
