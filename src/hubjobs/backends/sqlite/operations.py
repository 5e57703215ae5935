"""The producer and admin operations of the SQLite backend as plain functions of a connection,
shared by the async backend (which runs them on its connection thread) and the sync twin (which
runs them on a connection of the calling thread): the twins differ only in how they get a
connection."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ... import clock
from ...job import Job, JobState
from ..base import (
    AddedJob,
    AddJobs,
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
)
from ..job_rows import CorruptJobRow
from ..sql_files import SqlFile, load_sql_dir
from .rows import corrupt_placeholder, row_to_job

FINISHED_STATES = (JobState.COMPLETED, JobState.FAILED)


class SQLiteOperations:
    """Producer and admin operations: each takes a connection (already inside the transaction
    the caller chose: a write transaction for changes) and one parameter object."""

    def __init__(self) -> None:
        self.sql: dict[str, SqlFile] = load_sql_dir("hubjobs.backends.sqlite.sql")

    def q(self, op: str, name: str) -> str:
        """The statement `name` of the SQL file `op`."""
        return self.sql[op][name]

    # ------------------------------------------------------------ producing (write)

    def add_jobs(self, c: sqlite3.Connection, req: AddJobs) -> list[AddedJob]:
        """Insert jobs; an existing id is reported with its state."""
        now = clock.now()
        insert = self.q("add_jobs", "insert")
        existing = self.q("add_jobs", "existing_state")
        out: list[AddedJob] = []
        for job in req.jobs:
            run_at = job.run_at if job.run_at is not None else (now + job.delay if job.delay > 0 else None)
            delayed = run_at is not None and run_at > now
            state = JobState.DELAYED if delayed else JobState.WAITING
            cur = c.execute(insert, {
                "queue": req.queue, "id": job.id, "name": job.name, "data": job.data_json,
                "state": state.value, "priority": job.options.priority,
                "enqueued_at": run_at if delayed else now, "run_at": run_at if delayed else None,
                "created_at": now, "max_attempts": job.options.attempts,
                "max_stalled": job.options.max_stalled, "options": json.dumps(job.options.to_dict()),
            })
            if cur.rowcount == 1:
                out.append(AddedJob(job.id, True, state, now))
            else:
                row = c.execute(existing, {"queue": req.queue, "id": job.id}).fetchone()
                out.append(AddedJob(job.id, False, JobState(row[0]) if row else state))
        return out

    def add_jobs_in(self, connection: Any, req: AddJobs) -> list[AddedJob]:
        """Insert jobs through a caller's sqlite3 connection or SQLAlchemy connection/session,
        inside whatever transaction it has open; the caller commits or rolls back."""
        raw = raw_sqlite_connection(connection)
        old_factory = raw.row_factory
        raw.row_factory = sqlite3.Row
        try:
            return self.add_jobs(raw, req)
        finally:
            raw.row_factory = old_factory

    # ------------------------------------------------------------ reading

    @staticmethod
    def jobs_from_rows(rows: list[sqlite3.Row]) -> list[Job]:
        """Jobs of rows; a corrupt row reads as a placeholder naming the problem."""
        out: list[Job] = []
        for r in rows:
            try:
                out.append(row_to_job(r))
            except CorruptJobRow as exc:
                out.append(corrupt_placeholder(r, exc))
        return out

    def get_job(self, c: sqlite3.Connection, req: JobRef) -> Job | None:
        """One job by id; a corrupt row reads as a placeholder naming the problem."""
        row = c.execute(self.q("read_jobs", "get"), {"queue": req.queue, "id": req.job_id}).fetchone()
        if row is None:
            return None
        try:
            return row_to_job(row)
        except CorruptJobRow as exc:
            return corrupt_placeholder(row, exc)

    def get_logs(self, c: sqlite3.Connection, req: JobRef) -> list[LogLine]:
        """A job's log lines."""
        return [LogLine(r[0], r[1]) for r in c.execute(self.q("read_jobs", "logs"),
                                                       {"queue": req.queue, "id": req.job_id})]

    def list_jobs(self, c: sqlite3.Connection, req: ListJobs) -> list[Job]:
        """Jobs in a state, paginated."""
        if req.state in FINISHED_STATES:
            name = "list_finished_desc"
        elif req.state == JobState.DELAYED:
            name = "list_delayed"
        elif req.state == JobState.ACTIVE:
            name = "list_active"
        else:
            name = "list_run_order"
        params = {"queue": req.queue, "state": req.state.value, "offset": req.offset, "limit": req.limit}
        return self.jobs_from_rows(c.execute(self.q("read_jobs", name), params).fetchall())

    def search_jobs(self, c: sqlite3.Connection, req: SearchJobs) -> list[Job]:
        """Substring search over id, name, data and failure reason."""
        escaped = req.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params = {"queue": req.queue, "state": None if req.state is None else req.state.value,
                  "pattern": f"%{escaped}%", "limit": req.limit}
        return self.jobs_from_rows(c.execute(self.q("read_jobs", "search"), params).fetchall())

    def count_jobs(self, c: sqlite3.Connection, queue: str) -> dict[str, int]:
        """Counts for every state (zeros included)."""
        counts = {s.value: 0 for s in JobState}
        for state, n in c.execute(self.q("read_jobs", "counts"), {"queue": queue}):
            counts[state] = n
        return counts

    def get_queue_settings(self, c: sqlite3.Connection, queue: str) -> QueueSettings:
        """Paused flag, rate limit and concurrency of a queue."""
        row = c.execute(self.q("queue_settings", "get"), {"queue": queue}).fetchone()
        if row is None:
            return QueueSettings(queue)
        return QueueSettings(queue, bool(row[0]), row[1], row[2], row[3])

    # ------------------------------------------------------------ admin (write)

    def retry_failed(self, c: sqlite3.Connection, req: RetryFailed) -> list[str]:
        """Failed -> waiting with attempts reset."""
        now = clock.now()
        if req.job_ids is None:
            return [r[0] for r in c.execute(self.q("admin_jobs", "retry_all"),
                                            {"queue": req.queue, "now": now, "limit": req.limit})]
        out: list[str] = []
        for job_id in req.job_ids:
            out += [r[0] for r in c.execute(self.q("admin_jobs", "retry_one"),
                                            {"queue": req.queue, "id": job_id, "now": now})]
        return out

    def _per_id(self, c: sqlite3.Connection, req: JobIds, stmt: str) -> list[str]:
        now = clock.now()
        out: list[str] = []
        for job_id in req.job_ids:
            out += [r[0] for r in c.execute(self.q("admin_jobs", stmt),
                                            {"queue": req.queue, "id": job_id, "now": now})]
        return out

    def remove_jobs(self, c: sqlite3.Connection, req: JobIds) -> list[str]:
        """Delete jobs that are not active."""
        return self._per_id(c, req, "remove_one")

    def promote_jobs(self, c: sqlite3.Connection, req: JobIds) -> list[str]:
        """Delayed -> waiting now."""
        return self._per_id(c, req, "promote_one")

    def cancel_jobs(self, c: sqlite3.Connection, req: JobIds) -> list[str]:
        """Flag active jobs for cancellation."""
        return self._per_id(c, req, "cancel_one")

    def clean_jobs(self, c: sqlite3.Connection, req: CleanJobs) -> int:
        """Delete old jobs of one state."""
        name = "clean_finished" if req.state in FINISHED_STATES else "clean_unfinished"
        cur = c.execute(self.q("admin_jobs", name), {
            "queue": req.queue, "state": req.state.value, "before": clock.now() - req.older_than,
            "limit": req.limit})
        return cur.rowcount

    def drain_queue(self, c: sqlite3.Connection, req: DrainQueue) -> int:
        """Delete waiting (and delayed) jobs."""
        n = c.execute(self.q("admin_jobs", "drain_waiting"), {"queue": req.queue}).rowcount
        if req.include_delayed:
            n += c.execute(self.q("admin_jobs", "drain_delayed"), {"queue": req.queue}).rowcount
        return n

    def set_paused(self, c: sqlite3.Connection, req: SetPaused) -> None:
        """Store the paused flag."""
        c.execute(self.q("queue_settings", "set_paused"), {"queue": req.queue, "paused": int(req.paused)})


WRITES = frozenset({"add_jobs", "retry_failed", "remove_jobs", "promote_jobs", "cancel_jobs", "clean_jobs",
                    "drain_queue", "set_paused"})
"""The operations that change the store (run inside BEGIN IMMEDIATE ... COMMIT)."""


def raw_sqlite_connection(connection: Any) -> sqlite3.Connection:
    """The sqlite3 connection behind a sqlite3 / SQLAlchemy Connection / Session."""
    if isinstance(connection, sqlite3.Connection):
        return connection
    target = connection
    if hasattr(target, "connection") and callable(target.connection):  # Session
        target = target.connection()
    dbapi = getattr(getattr(target, "connection", None), "driver_connection", None)
    if isinstance(dbapi, sqlite3.Connection):
        return dbapi
    raise TypeError(f"cannot enqueue on SQLite inside {type(connection).__name__}: "
                    "pass a sqlite3.Connection or a SQLAlchemy Connection/Session on SQLite")
