"""SQLiteBackend: the storage contract on one SQLite file shared by any number of processes.

Every operation runs on one dedicated thread that owns the connection; writes use
`BEGIN IMMEDIATE`. Waiting for work polls `PRAGMA data_version` on a second connection, which
changes whenever another connection commits, so an idle worker wakes within milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from ...job import Job, JobState
from ..base import (
    AddedJob,
    AddJobs,
    AppendLog,
    Backend,
    Capabilities,
    ClaimedJob,
    ClaimJobs,
    CleanJobs,
    ConfigureQueue,
    DrainQueue,
    ExtendLeases,
    FinishJobs,
    FinishResult,
    History,
    Heartbeat,
    JobIds,
    JobOutcome,
    JobRef,
    LeaseStatus,
    ListJobs,
    LogLine,
    PublishEvents,
    QueueEvent,
    QueueSettings,
    ReadEvents,
    ReadHistory,
    RecordHistory,
    RecordScheduleRun,
    RecoveredJobs,
    RecoverStalled,
    RetryFailed,
    ScheduleRef,
    SearchJobs,
    SetPaused,
    StoredSchedule,
    UpdateProgress,
    UpsertSchedule,
    WaitForJobs,
    WorkerInfo,
)
from ..history_rows import check_read, history_from_rows, read_params, record_rows
from ..sql_files import SqlFile, load_sql_dir
from .connection import connect, path_from_url, read, write_transaction
from .migrations import migrate
from ..job_rows import CorruptJobRow
from .rows import corrupt_placeholder, row_to_job

T = TypeVar("T")

WAIT_POLL_SECONDS = 0.002
FINISHED_STATES = (JobState.COMPLETED, JobState.FAILED)


class SQLiteBackend(Backend):
    """The embedded default backend: `sqlite:///path.db`."""

    capabilities = Capabilities(
        server_clock=False,
        blocking_wait=False,
        transactional_enqueue=True,
        cross_process_events=True,
        multi_process=True,
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.path: Path = path_from_url(url)
        self._sql: dict[str, SqlFile] = load_sql_dir("hubjobs.backends.sqlite.sql")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubjobs-sqlite")
        self._waiter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubjobs-sqlite-wait")
        self._conn: sqlite3.Connection | None = None
        self._wait_conn: sqlite3.Connection | None = None

    # ------------------------------------------------------------ plumbing

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            self._conn = connect(self.path)
        return fn(self._conn)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._run(lambda c: write_transaction(c, fn))

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._run(lambda c: read(c, fn))

    def _q(self, op: str, name: str) -> str:
        return self._sql[op][name]

    async def open(self) -> None:
        """Create the file if needed and apply migrations."""
        await self._run(migrate)

    async def close(self) -> None:
        """Close connections and stop the threads."""
        def shut(c: sqlite3.Connection) -> None:
            c.close()
            self._conn = None

        if self._conn is not None:
            await self._run(shut)
        if self._wait_conn is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._waiter, self._close_wait_conn)
        self._executor.shutdown(wait=False)
        self._waiter.shutdown(wait=False)

    def _close_wait_conn(self) -> None:
        if self._wait_conn is not None:
            self._wait_conn.close()
            self._wait_conn = None

    async def now(self) -> float:
        """This process's clock (SQLite has no server)."""
        return time.time()

    def connection_for_sync_use(self) -> sqlite3.Connection:
        """Open a new connection for transactional enqueue by a caller (see `add_jobs_in`)."""
        return connect(self.path)

    # ------------------------------------------------------------ producing

    def _insert_jobs(self, c: sqlite3.Connection, req: AddJobs) -> list[AddedJob]:
        now = time.time()
        insert = self._q("add_jobs", "insert")
        existing = self._q("add_jobs", "existing_state")
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

    async def add_jobs(self, req: AddJobs) -> list[AddedJob]:
        """Insert jobs in one transaction, or inside the caller's (`req.connection`)."""
        if req.connection is not None:
            return self.add_jobs_in(req.connection, req)
        return await self._write(lambda c: self._insert_jobs(c, req))

    def add_jobs_in(self, connection: Any, req: AddJobs) -> list[AddedJob]:
        """Insert jobs through a caller's sqlite3 connection or SQLAlchemy connection/session,
        inside whatever transaction it has open; the caller commits or rolls back."""
        raw = _raw_sqlite_connection(connection)
        old_factory = raw.row_factory
        raw.row_factory = sqlite3.Row
        try:
            return self._insert_jobs(raw, req)
        finally:
            raw.row_factory = old_factory

    # ------------------------------------------------------------ claiming

    def _claim(self, c: sqlite3.Connection, req: ClaimJobs, now: float) -> list[ClaimedJob]:
        q = "claim_jobs"
        c.execute(self._q(q, "promote_due"), {"queue": req.queue, "now": now})
        limit = req.limit
        row = c.execute(self._q(q, "settings"), {"queue": req.queue}).fetchone()
        if row is not None:
            paused, rate_max, rate_period, concurrency = row
            if paused:
                return []
            if concurrency is not None:
                active = c.execute(self._q(q, "active_count"), {"queue": req.queue}).fetchone()[0]
                limit = min(limit, concurrency - active)
            if rate_max is not None and rate_period:
                window_start = now - rate_period
                c.execute(self._q(q, "prune_rate"), {"queue": req.queue, "window_start": window_start})
                used = c.execute(self._q(q, "rate_count"),
                                 {"queue": req.queue, "window_start": window_start}).fetchone()[0]
                limit = min(limit, rate_max - used)
        else:
            rate_max = None
        if limit <= 0:
            return []
        token = secrets.token_hex(8)
        expires = now + req.lease_seconds
        rows = c.execute(self._q(q, "claim"), {
            "queue": req.queue, "now": now, "limit": limit, "token": token,
            "lease_expires": expires, "worker_id": req.worker_id,
        }).fetchall()
        claimed: list[ClaimedJob] = []
        for r in rows:
            try:
                job = row_to_job(r)
            except CorruptJobRow as exc:
                c.execute(self._q(q, "fail_corrupt"), {
                    "rid": r["rid"], "now": now, "reason": f"corrupt job row in storage: {exc}"})
                continue
            claimed.append(ClaimedJob(job, token, expires))
        if rate_max is not None and claimed:
            c.executemany(self._q(q, "record_start"), [{"queue": req.queue, "now": now}] * len(claimed))
        # keep rows in claim order (priority, FIFO): RETURNING order is not guaranteed
        order = {r["id"]: (r["priority"], r["enqueued_at"], r["rid"]) for r in rows}
        claimed.sort(key=lambda cj: order[cj.job.id])
        return claimed

    async def claim_jobs(self, req: ClaimJobs) -> list[ClaimedJob]:
        """Promote due delayed jobs and claim runnable ones in one write transaction."""
        if req.limit <= 0:
            return []
        return await self._write(lambda c: self._claim(c, req, time.time()))

    # ------------------------------------------------------------ finishing

    def _apply_outcome(self, c: sqlite3.Connection, queue: str, o: JobOutcome, now: float) -> bool:
        q = "finish_jobs"
        params: dict[str, Any] = {"queue": queue, "id": o.job_id, "token": o.token, "now": now}
        if o.kind == "completed":
            params["result"] = o.result_json
            cur = c.execute(self._q(q, "complete"), params)
        elif o.kind in ("failed", "retry"):
            attempt_row = c.execute("SELECT attempts_made FROM jobs WHERE queue = ? AND id = ?",
                                    (queue, o.job_id)).fetchone()
            attempt = (attempt_row[0] if attempt_row else 0) + 1
            params["reason"] = o.error
            params["error"] = json.dumps({"attempt": attempt, "message": o.error or "",
                                          "stacktrace": o.stacktrace or "", "at": now})
            if o.kind == "retry":
                params["delay"] = max(0.0, o.retry_delay)
                cur = c.execute(self._q(q, "retry"), params)
            else:
                cur = c.execute(self._q(q, "fail"), params)
        else:
            cur = c.execute(self._q(q, "release"), params)
        if cur.rowcount != 1:
            return False
        if o.kind in ("completed", "failed") and o.keep.keeps_none:
            c.execute(self._q(q, "delete_job"), params)
        return True

    def _apply_retention(self, c: sqlite3.Connection, queue: str, outcomes: list[JobOutcome],
                         now: float) -> None:
        seen: set[tuple[str, int | None, float | None]] = set()
        for o in outcomes:
            if o.kind not in ("completed", "failed") or o.keep.keeps_all or o.keep.keeps_none:
                continue
            key = (o.kind, o.keep.count, o.keep.age)
            if key in seen:
                continue
            seen.add(key)
            if o.keep.age is not None:
                c.execute(self._q("apply_retention", "trim_age"),
                          {"queue": queue, "state": o.kind, "before": now - o.keep.age})
            if o.keep.count is not None:
                c.execute(self._q("apply_retention", "trim_count"),
                          {"queue": queue, "state": o.kind, "keep": o.keep.count})

    def _finish(self, c: sqlite3.Connection, req: FinishJobs) -> FinishResult:
        now = time.time()
        applied: list[str] = []
        refused: list[str] = []
        done: list[JobOutcome] = []
        for o in req.outcomes:
            if self._apply_outcome(c, req.queue, o, now):
                applied.append(o.job_id)
                done.append(o)
            else:
                refused.append(o.job_id)
        self._apply_retention(c, req.queue, done, now)
        claimed = self._claim(c, req.then_claim, now) if req.then_claim and req.then_claim.limit > 0 else []
        return FinishResult(applied, refused, claimed)

    async def finish_jobs(self, req: FinishJobs) -> FinishResult:
        """Apply outcomes, retention and an optional claim in one write transaction."""
        return await self._write(lambda c: self._finish(c, req))

    async def extend_leases(self, req: ExtendLeases) -> LeaseStatus:
        """Renew leases whose token still holds."""
        def run(c: sqlite3.Connection) -> LeaseStatus:
            expires = time.time() + req.lease_seconds
            lost: list[str] = []
            cancel: list[str] = []
            for lease in req.leases:
                row = c.execute(self._q("extend_leases", "extend"), {
                    "queue": req.queue, "id": lease.job_id, "token": lease.token, "lease_expires": expires,
                }).fetchone()
                if row is None:
                    lost.append(lease.job_id)
                elif row[0]:
                    cancel.append(lease.job_id)
            return LeaseStatus(lost, cancel)

        if not req.leases:
            return LeaseStatus([], [])
        return await self._write(run)

    async def recover_stalled(self, req: RecoverStalled) -> RecoveredJobs:
        """Requeue or fail active jobs whose lease has expired."""
        def run(c: sqlite3.Connection) -> RecoveredJobs:
            params = {"queue": req.queue, "now": time.time(), "limit": req.limit}
            failed = [r[0] for r in c.execute(self._q("recover_stalled", "fail_over_limit"), params)]
            requeued = [r[0] for r in c.execute(self._q("recover_stalled", "requeue"), params)]
            return RecoveredJobs(requeued, failed)

        return await self._write(run)

    async def update_progress(self, req: UpdateProgress) -> bool:
        """Store progress under the lease token."""
        def run(c: sqlite3.Connection) -> bool:
            cur = c.execute(self._q("update_progress", "update"), {
                "queue": req.queue, "id": req.job_id, "token": req.token, "progress": req.progress_json})
            return cur.rowcount == 1

        return await self._write(run)

    async def append_log(self, req: AppendLog) -> None:
        """Append a log line and trim old ones."""
        def run(c: sqlite3.Connection) -> None:
            params = {"queue": req.queue, "id": req.job_id, "at": time.time(), "line": req.line,
                      "max_lines": req.max_lines}
            c.execute(self._q("append_log", "insert"), params)
            c.execute(self._q("append_log", "trim"), params)

        await self._write(run)

    async def wait_for_jobs(self, req: WaitForJobs) -> None:
        """Poll `PRAGMA data_version` until another connection commits or the timeout passes."""
        if req.timeout <= 0:
            return
        abort = threading.Event()
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self._waiter, self._blocking_wait, req.timeout, abort)
        try:
            await asyncio.shield(fut)
        except asyncio.CancelledError:
            abort.set()
            raise

    def _blocking_wait(self, timeout: float, abort: threading.Event) -> None:
        if self._wait_conn is None:
            self._wait_conn = connect(self.path)
        conn = self._wait_conn
        start = conn.execute("PRAGMA data_version").fetchone()[0]
        deadline = time.monotonic() + timeout
        while not abort.is_set() and time.monotonic() < deadline:
            if abort.wait(WAIT_POLL_SECONDS):
                return
            if conn.execute("PRAGMA data_version").fetchone()[0] != start:
                return

    async def next_delayed_at(self, queue: str) -> float | None:
        """Earliest due time among delayed jobs."""
        def run(c: sqlite3.Connection) -> float | None:
            row = c.execute(self._q("read_jobs", "next_delayed"), {"queue": queue}).fetchone()
            return None if row is None or row[0] is None else float(row[0])

        return await self._run(run)

    # ------------------------------------------------------------ reading

    def _jobs_from_rows(self, rows: list[sqlite3.Row]) -> list[Job]:
        out: list[Job] = []
        for r in rows:
            try:
                out.append(row_to_job(r))
            except CorruptJobRow as exc:
                out.append(corrupt_placeholder(r, exc))
        return out

    async def get_job(self, req: JobRef) -> Job | None:
        """One job by id; a corrupt row reads as a placeholder naming the problem."""
        def run(c: sqlite3.Connection) -> Job | None:
            row = c.execute(self._q("read_jobs", "get"), {"queue": req.queue, "id": req.job_id}).fetchone()
            if row is None:
                return None
            try:
                return row_to_job(row)
            except CorruptJobRow as exc:
                return corrupt_placeholder(row, exc)

        return await self._run(run)

    async def get_logs(self, req: JobRef) -> list[LogLine]:
        """A job's log lines."""
        return await self._run(lambda c: [LogLine(r[0], r[1]) for r in c.execute(
            self._q("read_jobs", "logs"), {"queue": req.queue, "id": req.job_id})])

    async def list_jobs(self, req: ListJobs) -> list[Job]:
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
        return await self._run(lambda c: self._jobs_from_rows(c.execute(self._q("read_jobs", name), params)
                                                                .fetchall()))

    async def search_jobs(self, req: SearchJobs) -> list[Job]:
        """Substring search over id, name, data and failure reason."""
        escaped = req.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params = {"queue": req.queue, "state": None if req.state is None else req.state.value,
                  "pattern": f"%{escaped}%", "limit": req.limit}
        return await self._run(lambda c: self._jobs_from_rows(
            c.execute(self._q("read_jobs", "search"), params).fetchall()))

    async def count_jobs(self, queue: str) -> dict[str, int]:
        """Counts for every state (zeros included)."""
        def run(c: sqlite3.Connection) -> dict[str, int]:
            counts = {s.value: 0 for s in JobState}
            for state, n in c.execute(self._q("read_jobs", "counts"), {"queue": queue}):
                counts[state] = n
            return counts

        return await self._run(run)

    async def list_queues(self) -> list[str]:
        """Every queue with jobs or settings."""
        return await self._run(lambda c: [r[0] for r in c.execute(self._q("read_jobs", "queues"))])

    # ------------------------------------------------------------ admin

    async def retry_failed(self, req: RetryFailed) -> list[str]:
        """Failed -> waiting with attempts reset."""
        def run(c: sqlite3.Connection) -> list[str]:
            now = time.time()
            if req.job_ids is None:
                return [r[0] for r in c.execute(self._q("admin_jobs", "retry_all"),
                                                {"queue": req.queue, "now": now, "limit": req.limit})]
            out: list[str] = []
            for job_id in req.job_ids:
                out += [r[0] for r in c.execute(self._q("admin_jobs", "retry_one"),
                                                {"queue": req.queue, "id": job_id, "now": now})]
            return out

        return await self._write(run)

    async def _per_id(self, req: JobIds, stmt: str) -> list[str]:
        def run(c: sqlite3.Connection) -> list[str]:
            now = time.time()
            out: list[str] = []
            for job_id in req.job_ids:
                out += [r[0] for r in c.execute(self._q("admin_jobs", stmt),
                                                {"queue": req.queue, "id": job_id, "now": now})]
            return out

        return await self._write(run)

    async def remove_jobs(self, req: JobIds) -> list[str]:
        """Delete jobs that are not active."""
        return await self._per_id(req, "remove_one")

    async def promote_jobs(self, req: JobIds) -> list[str]:
        """Delayed -> waiting now."""
        return await self._per_id(req, "promote_one")

    async def cancel_jobs(self, req: JobIds) -> list[str]:
        """Flag active jobs for cancellation."""
        return await self._per_id(req, "cancel_one")

    async def clean_jobs(self, req: CleanJobs) -> int:
        """Delete old jobs of one state."""
        def run(c: sqlite3.Connection) -> int:
            name = "clean_finished" if req.state in FINISHED_STATES else "clean_unfinished"
            cur = c.execute(self._q("admin_jobs", name), {
                "queue": req.queue, "state": req.state.value, "before": time.time() - req.older_than,
                "limit": req.limit})
            return cur.rowcount

        return await self._write(run)

    async def drain_queue(self, req: DrainQueue) -> int:
        """Delete waiting (and delayed) jobs."""
        def run(c: sqlite3.Connection) -> int:
            n = c.execute(self._q("admin_jobs", "drain_waiting"), {"queue": req.queue}).rowcount
            if req.include_delayed:
                n += c.execute(self._q("admin_jobs", "drain_delayed"), {"queue": req.queue}).rowcount
            return n

        return await self._write(run)

    async def set_paused(self, req: SetPaused) -> None:
        """Store the paused flag."""
        await self._write(lambda c: c.execute(self._q("queue_settings", "set_paused"),
                                              {"queue": req.queue, "paused": int(req.paused)}))

    async def configure_queue(self, req: ConfigureQueue) -> None:
        """Store rate limit and global concurrency."""
        await self._write(lambda c: c.execute(self._q("queue_settings", "configure"), {
            "queue": req.queue, "rate_max": req.rate_max, "rate_period": req.rate_period,
            "concurrency": req.concurrency}))

    async def get_queue_settings(self, queue: str) -> QueueSettings:
        """Paused flag, rate limit and concurrency of a queue."""
        def run(c: sqlite3.Connection) -> QueueSettings:
            row = c.execute(self._q("queue_settings", "get"), {"queue": queue}).fetchone()
            if row is None:
                return QueueSettings(queue)
            return QueueSettings(queue, bool(row[0]), row[1], row[2], row[3])

        return await self._run(run)

    # ------------------------------------------------------------ workers

    async def record_heartbeat(self, req: Heartbeat) -> None:
        """Upsert the worker row with a new expiry."""
        def run(c: sqlite3.Connection) -> None:
            c.execute(self._q("workers", "upsert"), {
                "id": req.info.worker_id, "info": json.dumps(asdict(req.info)),
                "expires": time.time() + req.ttl})
            c.execute(self._q("workers", "prune"), {"now": time.time()})

        await self._write(run)

    async def remove_worker(self, worker_id: str) -> None:
        """Delete a worker row."""
        await self._write(lambda c: c.execute(self._q("workers", "remove"), {"id": worker_id}))

    async def list_workers(self) -> list[WorkerInfo]:
        """Workers with a live heartbeat."""
        return await self._run(lambda c: [WorkerInfo(**json.loads(r[0])) for r in c.execute(
            self._q("workers", "list"), {"now": time.time()})])

    # ------------------------------------------------------------ events

    async def publish_events(self, req: PublishEvents) -> None:
        """Insert events and trim the stream."""
        def run(c: sqlite3.Connection) -> None:
            c.executemany(self._q("events", "insert"), [
                {"queue": req.queue, "event": e.event, "job_id": e.job_id, "at": e.at,
                 "data": json.dumps(e.data)} for e in req.events])
            c.execute(self._q("events", "trim"), {"queue": req.queue, "max_len": req.max_len})

        if req.events:
            await self._write(run)

    async def read_events(self, req: ReadEvents) -> list[QueueEvent]:
        """Events after an id; waits up to `block` seconds for new ones."""
        def last(c: sqlite3.Connection) -> int:
            return int(c.execute(self._q("events", "last_id"), {"queue": req.queue}).fetchone()[0])

        after = int(req.after_id) if req.after_id not in ("", "$") else await self._run(last)
        deadline = time.monotonic() + req.block

        def fetch(c: sqlite3.Connection) -> list[QueueEvent]:
            return [QueueEvent(str(r[0]), r[1], r[2], r[3], r[4], json.loads(r[5])) for r in c.execute(
                self._q("events", "read_after"), {"queue": req.queue, "after": after, "limit": req.limit})]

        while True:
            events = await self._run(fetch)
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                return events
            await self.wait_for_jobs(WaitForJobs([req.queue], min(remaining, 0.5)))

    # ------------------------------------------------------------ schedules

    async def upsert_schedule(self, req: UpsertSchedule) -> None:
        """Insert or update a schedule."""
        s = req.schedule
        await self._write(lambda c: c.execute(self._q("schedules", "upsert"), {
            "id": s.id, "spec": s.spec_json, "next_run": s.next_run, "last_run": s.last_run}))

    async def remove_schedule(self, req: ScheduleRef) -> bool:
        """Delete a schedule."""
        return await self._write(lambda c: c.execute(self._q("schedules", "remove"),
                                                     {"id": req.schedule_id}).rowcount == 1)

    async def list_schedules(self) -> list[StoredSchedule]:
        """Every schedule."""
        return await self._run(lambda c: [StoredSchedule(r[0], r[1], r[2], r[3])
                                          for r in c.execute(self._q("schedules", "list"))])

    async def record_schedule_run(self, req: RecordScheduleRun) -> bool:
        """Compare-and-set the run bookkeeping."""
        return await self._write(lambda c: c.execute(self._q("schedules", "record_run"), {
            "id": req.schedule_id, "expected_last_run": req.expected_last_run, "last_run": req.last_run,
            "next_run": req.next_run}).rowcount == 1)

    # ------------------------------------------------------------ throughput history

    async def record_history(self, req: RecordHistory) -> None:
        """Add minute counts and duration buckets in one transaction; prune old rows."""
        rows = record_rows(req, time.time())
        if not rows.prunes:
            return

        def run(c: sqlite3.Connection) -> None:
            c.executemany(self._q("history", "add_minute"), rows.minutes)
            c.executemany(self._q("history", "add_duration"), rows.durations)
            c.executemany(self._q("history", "prune_minutes"), rows.prunes)
            c.executemany(self._q("history", "prune_durations"), rows.prunes)

        await self._write(run)

    async def read_history(self, req: ReadHistory) -> History:
        """Points summed per step and the duration buckets of the range."""
        check_read(req)
        params = read_params(req)

        def run(c: sqlite3.Connection) -> History:
            points = c.execute(self._q("history", "read_points"), params).fetchall()
            durations = c.execute(self._q("history", "read_durations"), params).fetchall()
            return history_from_rows(points, durations)

        return await self._read(run)


def _raw_sqlite_connection(connection: Any) -> sqlite3.Connection:
    """The sqlite3 connection behind a sqlite3 / SQLAlchemy Connection / Session."""
    if isinstance(connection, sqlite3.Connection):
        return connection
    target = connection
    if hasattr(target, "connection") and callable(getattr(target, "connection")):  # Session
        target = target.connection()
    dbapi = getattr(getattr(target, "connection", None), "driver_connection", None)
    if isinstance(dbapi, sqlite3.Connection):
        return dbapi
    raise TypeError(f"cannot enqueue on SQLite inside {type(connection).__name__}: "
                    "pass a sqlite3.Connection or a SQLAlchemy Connection/Session on SQLite")
