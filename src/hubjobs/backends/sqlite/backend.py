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
from dataclasses import asdict, replace
from typing import Any, TypeVar

from ... import clock
from ...job import Job
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
    Heartbeat,
    History,
    JobIds,
    JobOutcome,
    JobRef,
    LeaseStatus,
    ListJobs,
    LogLine,
    PauseSchedule,
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
    SyncBackend,
    UpdateProgress,
    UpsertSchedule,
    WaitForJobs,
    WorkerInfo,
)
from ..history_rows import check_read, history_from_rows, read_params, record_rows
from ..job_rows import CorruptJobRow
from ..sql_files import SqlFile
from .connection import Location, connect, path_from_url, read, write_transaction
from .migrations import migrate
from .operations import SQLiteOperations
from .rows import row_to_job

T = TypeVar("T")

WAIT_POLL_SECONDS = 0.002


class SQLiteBackend(Backend):
    """The embedded default backend: `sqlite:///path.db`."""

    capabilities = Capabilities(
        server_clock=False,
        blocking_wait=False,
        transactional_enqueue=True,
        cross_process_events=True,
        multi_process=True,
        sync_twin=True,
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.path: Location = path_from_url(url)
        self._ops = SQLiteOperations()
        self._sql: dict[str, SqlFile] = self._ops.sql
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
        return clock.now()

    def sync_twin(self) -> SyncBackend:
        """The sync twin: the same operations on connections of the calling threads."""
        from .sync_backend import SQLiteSyncBackend

        return SQLiteSyncBackend(self.url)

    def connection_for_sync_use(self) -> sqlite3.Connection:
        """Open a new connection for transactional enqueue by a caller (see `add_jobs_in`)."""
        return connect(self.path)

    # ------------------------------------------------------------ producing

    async def add_jobs(self, req: AddJobs) -> list[AddedJob]:
        """Insert jobs in one transaction, or inside the caller's (`req.connection`)."""
        if req.connection is not None:
            return self._ops.add_jobs_in(req.connection, req)
        return await self._write(lambda c: self._ops.add_jobs(c, req))

    def add_jobs_in(self, connection: Any, req: AddJobs) -> list[AddedJob]:
        """Insert jobs through a caller's sqlite3 connection or SQLAlchemy connection/session,
        inside whatever transaction it has open; the caller commits or rolls back."""
        return self._ops.add_jobs_in(connection, req)

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
        return await self._write(lambda c: self._claim(c, req, clock.now()))

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
        now = clock.now()
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
            expires = clock.now() + req.lease_seconds
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
            params = {"queue": req.queue, "now": clock.now(), "limit": req.limit}
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
            params = {"queue": req.queue, "id": req.job_id, "at": clock.now(), "line": req.line,
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

    async def get_job(self, req: JobRef) -> Job | None:
        """One job by id; a corrupt row reads as a placeholder naming the problem."""
        return await self._run(lambda c: self._ops.get_job(c, req))

    async def get_logs(self, req: JobRef) -> list[LogLine]:
        """A job's log lines."""
        return await self._run(lambda c: self._ops.get_logs(c, req))

    async def list_jobs(self, req: ListJobs) -> list[Job]:
        """Jobs in a state, paginated."""
        return await self._run(lambda c: self._ops.list_jobs(c, req))

    async def search_jobs(self, req: SearchJobs) -> list[Job]:
        """Substring search over id, name, data and failure reason."""
        return await self._run(lambda c: self._ops.search_jobs(c, req))

    async def count_jobs(self, queue: str) -> dict[str, int]:
        """Counts for every state (zeros included)."""
        return await self._run(lambda c: self._ops.count_jobs(c, queue))

    async def list_queues(self) -> list[str]:
        """Every queue with jobs or settings."""
        return await self._run(lambda c: [r[0] for r in c.execute(self._q("read_jobs", "queues"))])

    # ------------------------------------------------------------ admin

    async def retry_failed(self, req: RetryFailed) -> list[str]:
        """Failed -> waiting with attempts reset."""
        return await self._write(lambda c: self._ops.retry_failed(c, req))

    async def remove_jobs(self, req: JobIds) -> list[str]:
        """Delete jobs that are not active."""
        return await self._write(lambda c: self._ops.remove_jobs(c, req))

    async def promote_jobs(self, req: JobIds) -> list[str]:
        """Delayed -> waiting now."""
        return await self._write(lambda c: self._ops.promote_jobs(c, req))

    async def cancel_jobs(self, req: JobIds) -> list[str]:
        """Flag active jobs for cancellation."""
        return await self._write(lambda c: self._ops.cancel_jobs(c, req))

    async def clean_jobs(self, req: CleanJobs) -> int:
        """Delete old jobs of one state."""
        return await self._write(lambda c: self._ops.clean_jobs(c, req))

    async def drain_queue(self, req: DrainQueue) -> int:
        """Delete waiting (and delayed) jobs."""
        return await self._write(lambda c: self._ops.drain_queue(c, req))

    async def set_paused(self, req: SetPaused) -> None:
        """Store the paused flag."""
        await self._write(lambda c: self._ops.set_paused(c, req))

    async def configure_queue(self, req: ConfigureQueue) -> None:
        """Store rate limit and global concurrency."""
        await self._write(lambda c: c.execute(self._q("queue_settings", "configure"), {
            "queue": req.queue, "rate_max": req.rate_max, "rate_period": req.rate_period,
            "concurrency": req.global_concurrency}))

    async def get_queue_settings(self, queue: str) -> QueueSettings:
        """Paused flag, rate limit and global concurrency of a queue."""
        return await self._run(lambda c: self._ops.get_queue_settings(c, queue))

    # ------------------------------------------------------------ workers

    async def record_heartbeat(self, req: Heartbeat) -> None:
        """Upsert the worker row with a new expiry."""
        def run(c: sqlite3.Connection) -> None:
            c.execute(self._q("workers", "upsert"), {
                "id": req.info.worker_id, "info": json.dumps(asdict(req.info)),
                "expires": clock.now() + req.ttl})
            c.execute(self._q("workers", "prune"), {"now": clock.now()})

        await self._write(run)

    async def remove_worker(self, worker_id: str) -> None:
        """Delete a worker row."""
        await self._write(lambda c: c.execute(self._q("workers", "remove"), {"id": worker_id}))

    async def list_workers(self) -> list[WorkerInfo]:
        """Workers with a live heartbeat."""
        return await self._run(lambda c: [WorkerInfo(**json.loads(r[0])) for r in c.execute(
            self._q("workers", "list"), {"now": clock.now()})])

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
        return await self._run(lambda c: [StoredSchedule(r[0], r[1], r[2], r[3], bool(r[4]))
                                          for r in c.execute(self._q("schedules", "list"))])

    async def set_schedule_paused(self, req: PauseSchedule) -> bool:
        """Set the paused flag."""
        return await self._write(lambda c: c.execute(self._q("schedules", "set_paused"), {
            "id": req.schedule_id, "paused": int(req.paused)}).rowcount == 1)

    async def record_schedule_run(self, req: RecordScheduleRun) -> bool:
        """Compare-and-set the run bookkeeping."""
        return await self._write(lambda c: c.execute(self._q("schedules", "record_run"), {
            "id": req.schedule_id, "expected_last_run": req.expected_last_run, "last_run": req.last_run,
            "next_run": req.next_run}).rowcount == 1)

    # ------------------------------------------------------------ throughput history

    async def record_history(self, req: RecordHistory) -> None:
        """Add minute counts and duration buckets in one transaction; prune old rows."""
        rows = record_rows(req, clock.now())
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


class MemoryBackend(SQLiteBackend):
    """`memory://name`: the SQLite backend on an in-memory database of this process (tests)."""

    capabilities = replace(SQLiteBackend.capabilities, multi_process=False)
