"""PostgresBackend: the storage contract on PostgreSQL (psycopg 3, asyncio).

- Claims use `FOR NO KEY UPDATE SKIP LOCKED` in batches and promote due delayed jobs in the same
  statement; queues with a rate limit or a global concurrency serialise their claims on the
  queue's settings row (see sql/claim_jobs.sql).
- Several statements of one operation are pipelined: they travel in one round trip and run in
  one implicit transaction, committed at the pipeline's end (finish + retention + claim).
- Times come from the server's clock (`clock_timestamp()`), as epoch seconds.
- Idle workers wait on LISTEN (one dedicated connection); every change that makes a job
  runnable NOTIFYs the queue, inside its transaction, so wake-ups happen on commit.
- `add_jobs` can run inside a caller's own transaction (psycopg or SQLAlchemy connection).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import asdict
from functools import partial
from types import MappingProxyType
from typing import Any

import psycopg
from psycopg.rows import DictRow

from ...errors import BackendUnavailable
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
from ..event_batches import decode_events, encode_events
from ..history_rows import check_read, history_from_rows, read_params, record_rows
from ..job_rows import CorruptJobRow
from ..sql_files import SqlFile
from .connection import CONNECT_TIMEOUT_SECONDS, AsyncConn, Database
from .listener import Listener, Version, listen_key
from .migrations import amigrate
from .operations import Plan, PostgresOperations, Rows, T, pg_text
from .rows import claim_order
from .settings import PostgresSettings, parse_url
from .transactional import async_driver_connection, run_async, run_sync, sync_driver_connection

PROMOTE_BATCH = 1000
"""Most due delayed jobs promoted by one claim."""
RETENTION_BATCH = 1000
"""Most finished jobs one finishing transaction removes per retention bound."""
COUNT_TRIM_EVERY = 2
"""A count bound is re-checked each time `keep // COUNT_TRIM_EVERY` jobs (at least 1) have finished
through this instance: the check reads `keep` index entries, so it is amortised (a queue keeping
1,000 completed jobs holds at most about 1,500 per worker process between checks)."""
AGE_TRIM_SECONDS = 1.0
"""An age bound is re-checked at most this often (or every age / 2 seconds if shorter)."""
CLOCK_REFRESH_SECONDS = 5.0
"""How long a reading of the server clock's offset from this process's clock is used."""

Statement = tuple[str, Mapping[str, Any]]
Stamp = tuple[Version, int]

_seen_versions: ContextVar[Mapping[tuple[int, str], Version]] = ContextVar(
    "hubjobs_postgres_seen_versions", default=MappingProxyType({}))
"""Per task: the wake-up versions each queue had when this task last claimed from it. A waiter
task inherits them (asyncio copies the context), so a NOTIFY that arrived between the claim and
the wait is not missed, even with several workers sharing one backend."""





async def _pipeline(conn: AsyncConn, statements: Sequence[Statement]) -> list[list[DictRow]]:
    """Send statements in one round trip; they run in one implicit transaction committed at the
    end (a failing statement rolls all of them back). Returns each statement's rows."""
    cursors = []
    async with conn.pipeline():
        for query, params in statements:
            cursors.append(await conn.execute(query, params))
    return [await cur.fetchall() if cur.description is not None else [] for cur in cursors]


async def _fetch(conn: AsyncConn, query: str, params: Mapping[str, Any] | None = None) -> list[DictRow]:
    cur = await conn.execute(query, params)
    return await cur.fetchall() if cur.description is not None else []


async def _rowcount(conn: AsyncConn, query: str, params: Mapping[str, Any] | None = None) -> int:
    cur = await conn.execute(query, params)
    return max(0, cur.rowcount)


def _unpack_events(queue: str, batches: Iterable[DictRow], after: int, limit: int) -> list[QueueEvent]:
    """The events numbered above `after` in stored batches, oldest first, at most `limit`."""
    out: list[QueueEvent] = []
    for batch in batches:
        first = int(batch["last_no"]) - int(batch["count"]) + 1
        try:
            items = decode_events(batch["events"])
        except ValueError:
            continue
        for offset, e in enumerate(items):
            number = first + offset
            if number <= after or e is None:
                continue
            if len(out) >= limit:
                return out
            out.append(QueueEvent(str(number), queue, e.event, e.job_id, e.at, e.data))
    return out


class PostgresBackend(Backend):
    """The PostgreSQL backend: `postgresql://user@host:port/db?schema=hubjobs&pool_size=4`."""

    capabilities = Capabilities(
        server_clock=True,
        blocking_wait=True,
        transactional_enqueue=True,
        cross_process_events=True,
        multi_process=True,
        sync_twin=True,
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.settings: PostgresSettings = parse_url(url)
        self._ops = PostgresOperations(self.settings)
        self._sql: dict[str, SqlFile] = self._ops.sql
        self._db = Database(self.settings)
        self._listener = Listener(self.settings, [self.settings.jobs_channel, self.settings.events_channel])
        self._finished_since_trim: dict[tuple[str, str, int], int] = {}
        self._age_trimmed_at: dict[tuple[str, str, float], float] = {}
        self._decoder = self._ops.decoder
        self._clock_offset: tuple[float, float] | None = None
        self._local_changes: dict[str, int] = {}
        self._next_delayed: dict[str, tuple[Stamp, float | None]] = {}
        """(server clock minus this process's clock, monotonic time it was read)"""

    def sync_twin(self) -> SyncBackend:
        """The sync twin: the same plans on psycopg's blocking connections, from the caller's thread."""
        from .sync_backend import PostgresSyncBackend

        return PostgresSyncBackend(self.url)

    async def _drive(self, plan: Plan[T]) -> T:
        """Run an operation's plan (`operations.py`) on the pool."""
        try:
            step = next(plan)
            while True:
                if isinstance(step, Rows):
                    reply: Any = await self._rows(step.what, step.query, step.params)
                else:
                    reply = await self._db.run(step.what, partial(_rowcount, query=step.query, params=step.params))
                step = plan.send(reply)
        except StopIteration as done:
            result: T = done.value
            return result

    def _q(self, op: str, name: str) -> str:
        return self._sql[op][name]

    async def _rows(self, what: str, query: str, params: Mapping[str, Any] | None = None) -> list[DictRow]:
        return await self._db.run(what, lambda conn: _fetch(conn, query, params))

    async def _batch(self, what: str, statements: Sequence[Statement]) -> list[list[DictRow]]:
        return await self._db.run(what, lambda conn: _pipeline(conn, statements))

    # ------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Apply pending migrations (under an advisory lock) and create the pool."""
        await amigrate(self.settings)
        await self._db.open()

    async def close(self) -> None:
        """Stop listening and close every connection."""
        await self._listener.close()
        await self._db.close()

    async def now(self) -> float:
        """The server's clock (`clock_timestamp()`), epoch seconds: this process's clock plus its
        offset from the server's, read from the server every CLOCK_REFRESH_SECONDS (so an idle
        worker asking the time costs no round trip). While the server cannot be reached, the last
        offset read stands."""
        reading = self._clock_offset
        if reading is None or time.monotonic() - reading[1] > CLOCK_REFRESH_SECONDS:
            try:
                before = time.time()
                rows = await self._rows("reading the clock", self._q("read_jobs", "now"))
                after = time.time()
            except BackendUnavailable:
                if reading is None:
                    raise
            else:
                reading = (float(rows[0]["now"]) - (before + after) / 2, time.monotonic())
                self._clock_offset = reading
        return time.time() + reading[0]

    # ------------------------------------------------------------ producing

    async def add_jobs(self, req: AddJobs) -> list[AddedJob]:
        """Insert jobs in one statement, or inside the caller's transaction (`req.connection`)."""
        if not req.jobs:
            return []
        self._changed(req.queue)
        if req.connection is not None:
            query, params = self._ops.add_statement(req)
            conn = await async_driver_connection(req.connection)
            if isinstance(conn, psycopg.AsyncConnection):
                rows = await run_async(conn, self.settings.schema, query, params)
            else:
                rows = run_sync(conn, self.settings.schema, query, params)
            return self._ops.added(req, rows)
        return await self._drive(self._ops.add_jobs(req))

    def add_jobs_in(self, connection: Any, req: AddJobs) -> list[AddedJob]:
        """Insert jobs through a caller's psycopg connection or SQLAlchemy connection/session,
        inside whatever transaction it has open; the caller commits or rolls back. Workers are
        woken when it commits."""
        if not req.jobs:
            return []
        query, params = self._ops.add_statement(req)
        self._changed(req.queue)
        conn = sync_driver_connection(connection)
        return self._ops.added(req, run_sync(conn, self.settings.schema, query, params))

    # ------------------------------------------------------------ claiming

    def _stamp(self, queue: str) -> Stamp:
        """What must not move for facts read about a queue to stay true: its wake-up version
        (other processes' changes NOTIFY) and this instance's own changes to it."""
        return (self._listener.version(listen_key(self.settings.jobs_channel, queue)),
                self._local_changes.get(queue, 0))

    def _changed(self, queue: str) -> None:
        """Note a change this instance made to a queue's jobs (see `next_delayed_at`)."""
        self._local_changes[queue] = self._local_changes.get(queue, 0) + 1

    async def _remember_claim(self, queue: str) -> Stamp:
        """Record the queue's wake-up version before a claim reads the table (see `_seen_versions`);
        LISTEN is in place first, so a job committed after the claim's snapshot wakes the waiter."""
        await self._listener.started(CONNECT_TIMEOUT_SECONDS)
        key = listen_key(self.settings.jobs_channel, queue)
        seen = dict(_seen_versions.get())
        seen[(id(self._listener), key)] = self._listener.version(key)
        _seen_versions.set(seen)
        return self._stamp(queue)

    def _claim_statements(self, req: ClaimJobs) -> tuple[list[Statement], str]:
        """lock_limits and claim (which also reads when the next delayed job is due)."""
        token = secrets.token_hex(12)
        params = {
            "queue": req.queue, "limit": req.limit, "promote_limit": PROMOTE_BATCH, "token": token,
            "lease_seconds": float(req.lease_seconds), "worker_id": req.worker_id,
        }
        return [(self._q("claim_jobs", "lock_limits"), params), (self._q("claim_jobs", "claim"), params)], token

    def _note_next_delayed(self, queue: str, stamp: Stamp, rows: list[DictRow]) -> list[DictRow]:
        """Remember the claim's reading of the next delayed job; returns the claimed rows."""
        due = rows[0]["next_delayed_due"] if rows else None
        self._next_delayed[queue] = (stamp, None if due is None else float(due))
        return [r for r in rows if r["rid"] is not None]

    async def _claimed(self, rows: list[DictRow], token: str) -> list[ClaimedJob]:
        claimed: list[ClaimedJob] = []
        for row in sorted(rows, key=claim_order):
            try:
                job = self._decoder.job(row)
            except CorruptJobRow as exc:
                await self._rows("failing a corrupt job", self._q("claim_jobs", "fail_corrupt"),
                                 {"queue": row["queue"], "id": row["id"], "token": token,
                                  "reason": f"corrupt job row in storage: {exc}"})
                continue
            claimed.append(ClaimedJob(job, token, float(row["lease_expires"])))
        return claimed

    async def claim_jobs(self, req: ClaimJobs) -> list[ClaimedJob]:
        """Promote due delayed jobs and claim runnable ones: one round trip, one transaction."""
        if req.limit <= 0:
            return []
        stamp = await self._remember_claim(req.queue)
        statements, token = self._claim_statements(req)
        results = await self._batch("claiming jobs", statements)
        return await self._claimed(self._note_next_delayed(req.queue, stamp, results[-1]), token)

    # ------------------------------------------------------------ finishing

    def _outcome_statement(self, req: FinishJobs) -> Statement:
        if all(o.kind == "completed" and not o.keep.keeps_none for o in req.outcomes):
            return self._q("finish_jobs", "complete"), {
                "queue": req.queue, "channel": self.settings.jobs_channel,
                "outcomes": json.dumps([{"id": o.job_id, "token": o.token, "result": o.result_json}
                                        for o in req.outcomes], separators=(",", ":"))}
        params = {
            "queue": req.queue,
            "channel": self.settings.jobs_channel,
            "outcomes": json.dumps([{
                "id": o.job_id, "token": o.token, "kind": o.kind,
                "result": o.result_json if o.kind == "completed" else None,
                "reason": pg_text(o.error), "stack": pg_text(o.stacktrace),
                "delay": max(0.0, float(o.retry_delay)),
                "drop": o.kind in ("completed", "failed") and o.keep.keeps_none,
            } for o in req.outcomes]),
        }
        return self._q("finish_jobs", "apply"), params

    def _retention_statements(self, queue: str, outcomes: Sequence[JobOutcome]) -> list[Statement]:
        """The retention bounds due after these outcomes, amortised: a count bound is checked
        each time `keep // COUNT_TRIM_EVERY` jobs (at least 1) of that state finished through this
        instance (the check reads `keep` index entries), an age bound at most every
        min(AGE_TRIM_SECONDS, age / 2) seconds. Empty when nothing is due."""
        policies: dict[tuple[str, int | None, float | None], None] = {}
        now = time.monotonic()
        for o in outcomes:
            if o.kind not in ("completed", "failed") or o.keep.keeps_all or o.keep.keeps_none:
                continue
            keep, age = o.keep.count, o.keep.age
            if keep is not None:
                count_key = (queue, o.kind, keep)
                done = self._finished_since_trim.get(count_key, 0) + 1
                if done >= max(1, keep // COUNT_TRIM_EVERY):
                    done = 0
                else:
                    keep = None
                self._finished_since_trim[count_key] = done
            if age is not None:
                age_key = (queue, o.kind, age)
                last = self._age_trimmed_at.get(age_key)
                if last is None or now - last >= min(AGE_TRIM_SECONDS, age / 2):
                    self._age_trimmed_at[age_key] = now
                else:
                    age = None
            if keep is not None or age is not None:
                policies[(o.kind, keep, age)] = None
        if not policies:
            return []
        states, keeps, ages = zip(*policies, strict=True)
        return [(self._q("apply_retention", "serialize"), {"queue": queue}),
                (self._q("apply_retention", "trim"), {
                    "queue": queue, "states": list(states), "keeps": list(keeps), "ages": list(ages),
                    "batch": RETENTION_BATCH})]

    async def finish_jobs(self, req: FinishJobs) -> FinishResult:
        """Apply outcomes fenced by lease token, enforce retention and optionally claim more:
        one round trip, one transaction."""
        statements: list[Statement] = []
        if req.outcomes:
            self._changed(req.queue)
            statements.append(self._outcome_statement(req))
            statements += self._retention_statements(req.queue, req.outcomes)
        token = ""
        claim = req.then_claim if req.then_claim is not None and req.then_claim.limit > 0 else None
        stamp: Stamp | None = None
        if claim is not None:
            stamp = await self._remember_claim(claim.queue)
            claim_statements, token = self._claim_statements(claim)
            statements += claim_statements
        if not statements:
            return FinishResult([], [])
        results = await self._batch("finishing jobs", statements)
        applied_ids = {str(r["id"]) for r in results[0]} if req.outcomes else set()
        applied = [o.job_id for o in req.outcomes if o.job_id in applied_ids]
        refused = [o.job_id for o in req.outcomes if o.job_id not in applied_ids]
        claimed: list[ClaimedJob] = []
        if claim is not None and stamp is not None:
            claimed = await self._claimed(self._note_next_delayed(claim.queue, stamp, results[-1]), token)
        return FinishResult(applied, refused, claimed)

    async def extend_leases(self, req: ExtendLeases) -> LeaseStatus:
        """Renew leases whose token still holds; report lost ones and cancel requests."""
        if not req.leases:
            return LeaseStatus([], [])
        rows = await self._rows("renewing leases", self._q("extend_leases", "extend"), {
            "queue": req.queue, "lease_seconds": float(req.lease_seconds),
            "leases": json.dumps([{"id": lease.job_id, "token": lease.token} for lease in req.leases])})
        renewed = {str(r["id"]): bool(r["cancel_requested"]) for r in rows}
        lost = [lease.job_id for lease in req.leases if lease.job_id not in renewed]
        cancel = [lease.job_id for lease in req.leases if renewed.get(lease.job_id)]
        return LeaseStatus(lost, cancel)

    async def recover_stalled(self, req: RecoverStalled) -> RecoveredJobs:
        """Requeue or fail active jobs whose lease has expired."""
        self._changed(req.queue)
        rows = await self._rows("recovering stalled jobs", self._q("recover_stalled", "recover"), {
            "queue": req.queue, "channel": self.settings.jobs_channel, "limit": req.limit})
        return RecoveredJobs([str(r["id"]) for r in rows if r["outcome"] == "requeued"],
                             [str(r["id"]) for r in rows if r["outcome"] == "failed"])

    async def update_progress(self, req: UpdateProgress) -> bool:
        """Store progress under the lease token."""
        async def run(conn: AsyncConn) -> bool:
            cur = await conn.execute(self._q("update_progress", "update"), {
                "queue": req.queue, "id": req.job_id, "token": req.token, "progress": req.progress_json})
            return cur.rowcount == 1

        return await self._db.run("storing progress", run)

    async def append_log(self, req: AppendLog) -> None:
        """Append a log line and trim old ones, in one statement."""
        await self._rows("appending a log line", self._q("append_log", "append"), {
            "queue": req.queue, "id": req.job_id, "line": pg_text(req.line), "max_lines": max(1, req.max_lines)})

    async def wait_for_jobs(self, req: WaitForJobs) -> None:
        """Block on LISTEN until a queue is notified (or the listener reconnected) or the timeout
        passes. Never raises for a lost server: the next claim reports it."""
        if req.timeout <= 0:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + req.timeout
        await self._listener.started(req.timeout)
        remembered = _seen_versions.get()
        seen: dict[str, Version] = {}
        for queue in req.queues:
            key = listen_key(self.settings.jobs_channel, queue)
            seen[key] = remembered.get((id(self._listener), key), self._listener.version(key))
        await self._listener.wait_changed(seen, deadline - loop.time())

    async def next_delayed_at(self, queue: str) -> float | None:
        """When the earliest delayed job becomes due (server clock). Known without a round trip
        when read by the last claim on this queue and nothing moved since: no notification for
        the queue (adds, retries, promotions NOTIFY) and no change by this instance. (Another
        process removing a delayed job does not NOTIFY: the time reported may then be early,
        which costs a waiter one early wake-up.)"""
        known = self._next_delayed.get(queue)
        if known is not None and self._listener.connected and known[0] == self._stamp(queue):
            return known[1]
        rows = await self._rows("reading delayed jobs", self._q("read_jobs", "next_delayed"), {"queue": queue})
        due = rows[0]["due"] if rows else None
        return None if due is None else float(due)

    # ------------------------------------------------------------ reading

    async def get_job(self, req: JobRef) -> Job | None:
        """One job by id; a corrupt row reads as None."""
        return await self._drive(self._ops.get_job(req))

    async def get_logs(self, req: JobRef) -> list[LogLine]:
        """A job's log lines, oldest first."""
        return await self._drive(self._ops.get_logs(req))

    async def list_jobs(self, req: ListJobs) -> list[Job]:
        """Jobs in one state, paginated (run order, or newest first for finished states)."""
        return await self._drive(self._ops.list_jobs(req))

    async def search_jobs(self, req: SearchJobs) -> list[Job]:
        """Case-insensitive substring search over id, name, data and failure reason."""
        return await self._drive(self._ops.search_jobs(req))

    async def count_jobs(self, queue: str) -> dict[str, int]:
        """Counts for every state (zeros included)."""
        return await self._drive(self._ops.count_jobs(queue))

    async def list_queues(self) -> list[str]:
        """Every queue with jobs or settings."""
        rows = await self._rows("listing queues", self._q("read_jobs", "queues"))
        return [str(r["queue"]) for r in rows]

    # ------------------------------------------------------------ admin

    async def retry_failed(self, req: RetryFailed) -> list[str]:
        """Failed -> waiting with attempts reset; wakes the queue's workers."""
        self._changed(req.queue)
        return await self._drive(self._ops.retry_failed(req))

    async def _per_ids(self, what: str, stmt: str, req: JobIds) -> list[str]:
        if req.job_ids:
            self._changed(req.queue)
        return await self._drive(self._ops.per_ids(what, stmt, req))

    async def remove_jobs(self, req: JobIds) -> list[str]:
        """Delete jobs that are not active (their logs go with them)."""
        return await self._per_ids("removing jobs", "remove", req)

    async def promote_jobs(self, req: JobIds) -> list[str]:
        """Delayed -> waiting now; wakes the queue's workers."""
        return await self._per_ids("promoting jobs", "promote", req)

    async def cancel_jobs(self, req: JobIds) -> list[str]:
        """Flag active jobs for cancellation (seen by their worker at lease renewal)."""
        return await self._per_ids("cancelling jobs", "cancel", req)

    async def clean_jobs(self, req: CleanJobs) -> int:
        """Delete old jobs of one state, in batches per transaction."""
        self._changed(req.queue)
        return await self._drive(self._ops.clean_jobs(req))

    async def drain_queue(self, req: DrainQueue) -> int:
        """Delete waiting (and delayed) jobs."""
        self._changed(req.queue)
        return await self._drive(self._ops.drain_queue(req))

    async def set_paused(self, req: SetPaused) -> None:
        """Store the paused flag; resuming wakes the queue's workers."""
        await self._drive(self._ops.set_paused(req))

    async def configure_queue(self, req: ConfigureQueue) -> None:
        """Store rate limit and global concurrency; a change wakes the queue's workers."""
        await self._rows("configuring a queue", self._q("queue_settings", "configure"), {
            "queue": req.queue, "rate_max": req.rate_max,
            "rate_period": None if req.rate_period is None else float(req.rate_period),
            "concurrency": req.global_concurrency, "channel": self.settings.jobs_channel})

    async def get_queue_settings(self, queue: str) -> QueueSettings:
        """Paused flag, rate limit and global concurrency of a queue."""
        return await self._drive(self._ops.get_queue_settings(queue))

    # ------------------------------------------------------------ workers

    async def record_heartbeat(self, req: Heartbeat) -> None:
        """Upsert the worker row with a new expiry (server clock); prune expired ones."""
        await self._rows("recording a heartbeat", self._q("workers", "upsert"), {
            "id": req.info.worker_id, "info": json.dumps(asdict(req.info)), "ttl": float(req.ttl)})

    async def remove_worker(self, worker_id: str) -> None:
        """Forget a worker."""
        await self._rows("removing a worker", self._q("workers", "remove"), {"id": worker_id})

    async def list_workers(self) -> list[WorkerInfo]:
        """Workers with a live heartbeat."""
        rows = await self._rows("listing workers", self._q("workers", "list"))
        return [WorkerInfo(**json.loads(r["info"])) for r in rows]

    # ------------------------------------------------------------ events

    async def publish_events(self, req: PublishEvents) -> None:
        """Append events to the queue's stream, trim it and notify readers, in one statement."""
        if not req.events:
            return
        await self._rows("publishing events", self._q("events", "publish"), {
            "queue": req.queue, "channel": self.settings.events_channel, "count": len(req.events),
            "events": encode_events(req.events),
            "max_len": max(1, req.max_len)})

    async def read_events(self, req: ReadEvents) -> list[QueueEvent]:
        """Events after an id ("" or "$": only new ones; "0": from the start), waiting on LISTEN
        up to `block` seconds for the first."""
        key = listen_key(self.settings.events_channel, req.queue)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + req.block
        if req.block > 0:
            await self._listener.started(req.block)
        seen = {key: self._listener.version(key)}
        if req.after_id in ("", "$"):
            rows = await self._rows("reading events", self._q("events", "last_no"), {"queue": req.queue})
            after = int(rows[0]["last_no"]) if rows else 0
        else:
            try:
                after = int(req.after_id)
            except ValueError:
                raise ValueError(f"event id must be an integer, \"\" or \"$\", got {req.after_id!r}") from None
        params = {"queue": req.queue, "after": after, "limit": max(1, req.limit)}
        while True:
            rows = await self._rows("reading events", self._q("events", "read_after"), params)
            remaining = deadline - loop.time()
            if rows or remaining <= 0:
                break
            await self._listener.wait_changed(seen, remaining)
            seen = {key: self._listener.version(key)}
        return _unpack_events(req.queue, rows, after, req.limit)

    # ------------------------------------------------------------ schedules

    async def upsert_schedule(self, req: UpsertSchedule) -> None:
        """Insert or update a schedule (bookkeeping kept when the spec is unchanged)."""
        s = req.schedule
        await self._rows("saving a schedule", self._q("schedules", "upsert"), {
            "id": s.id, "spec": s.spec_json, "next_run": s.next_run, "last_run": s.last_run})

    async def remove_schedule(self, req: ScheduleRef) -> bool:
        """Delete a schedule."""
        async def run(conn: AsyncConn) -> bool:
            cur = await conn.execute(self._q("schedules", "remove"), {"id": req.schedule_id})
            return cur.rowcount == 1

        return await self._db.run("removing a schedule", run)

    async def list_schedules(self) -> list[StoredSchedule]:
        """Every schedule."""
        rows = await self._rows("listing schedules", self._q("schedules", "list"))
        return [StoredSchedule(str(r["id"]), str(r["spec"]), r["next_run"], r["last_run"], bool(r["paused"]))
                for r in rows]

    async def set_schedule_paused(self, req: PauseSchedule) -> bool:
        """Set the paused flag."""
        async def run(conn: AsyncConn) -> bool:
            cur = await conn.execute(self._q("schedules", "set_paused"),
                                     {"id": req.schedule_id, "paused": req.paused})
            return cur.rowcount == 1

        return await self._db.run("pausing or resuming a schedule", run)

    async def record_schedule_run(self, req: RecordScheduleRun) -> bool:
        """Compare-and-set the run bookkeeping."""
        async def run(conn: AsyncConn) -> bool:
            cur = await conn.execute(self._q("schedules", "record_run"), {
                "id": req.schedule_id, "expected_last_run": req.expected_last_run,
                "last_run": req.last_run, "next_run": req.next_run})
            return cur.rowcount == 1

        return await self._db.run("recording a schedule run", run)

    # ------------------------------------------------------------ throughput history

    async def record_history(self, req: RecordHistory) -> None:
        """Add minute counts and duration buckets and prune old rows, in one transaction."""
        rows = record_rows(req, time.time())
        if not rows.prunes:
            return
        m, d = rows.minutes, rows.durations
        prune = {"queues": [p["queue"] for p in rows.prunes], "cutoff": rows.prunes[0]["cutoff"]}
        statements: list[Statement] = []
        if m:
            statements.append((self._q("history", "add_minutes"), {
                "queues": [r["queue"] for r in m], "minutes": [r["minute"] for r in m],
                "completed": [r["completed"] for r in m], "failed": [r["failed"] for r in m]}))
        if d:
            statements.append((self._q("history", "add_durations"), {
                "queues": [r["queue"] for r in d], "hours": [r["hour"] for r in d],
                "kinds": [r["kind"] for r in d], "buckets": [r["bucket"] for r in d], "ns": [r["n"] for r in d]}))
        statements.append((self._q("history", "prune_minutes"), prune))
        statements.append((self._q("history", "prune_durations"), prune))
        await self._batch("recording throughput history", statements)

    async def read_history(self, req: ReadHistory) -> History:
        """Points summed per step and the duration buckets of the range."""
        check_read(req)
        params = read_params(req)
        points, durations = await self._batch("reading throughput history", [
            (self._q("history", "read_points"), params), (self._q("history", "read_durations"), params)])
        return history_from_rows([(r["at"], r["completed"], r["failed"]) for r in points],
                                 [(r["kind"], r["bucket"], r["n"]) for r in durations])
