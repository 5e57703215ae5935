"""The producer and admin operations of the PostgreSQL backend, written once for both twins.

Each operation is a plan: a generator that yields the statements it runs (`Rows`: the rows of
one statement; `RowCount`: how many rows it changed) and returns the operation's result. The
async backend runs plans on its asyncio pool, the sync twin on psycopg's blocking connections
from the caller's thread: statement parameters, row decoding and results live here only."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from psycopg.rows import DictRow

from ...errors import InvalidJobOptions
from ...job import Job, JobOptions, JobState
from ..base import (
    AddedJob,
    AddJobs,
    CleanJobs,
    DrainQueue,
    JobIds,
    JobRef,
    ListJobs,
    LogLine,
    NewJob,
    QueueSettings,
    RetryFailed,
    SearchJobs,
    SetPaused,
)
from ..job_rows import CorruptJobRow
from ..sql_files import SqlFile, load_sql_dir
from .rows import RowDecoder, stored_options
from .settings import PostgresSettings

T = TypeVar("T")

CLEAN_BATCH = 5000
"""Rows removed per transaction by `clean_jobs`."""
OPTIONS_CACHE_SIZE = 256
"""Distinct JobOptions values whose JSON text is remembered."""
FINISHED_STATES = (JobState.COMPLETED, JobState.FAILED)


class Rows(NamedTuple):
    """Run one statement; the reply is its rows (dicts)."""

    what: str
    query: str
    params: Mapping[str, Any] | None = None


class RowCount(NamedTuple):
    """Run one statement; the reply is how many rows it changed."""

    what: str
    query: str
    params: Mapping[str, Any] | None = None


Plan = Generator[Rows | RowCount, Any, T]
"""An operation: yields statements, receives their results, returns the operation's result."""


def pg_text(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL characters: show them as U+FFFD instead."""
    return None if value is None else value.replace("\x00", "\ufffd")


class PostgresOperations:
    """Plans of the producer and admin operations for one schema."""

    def __init__(self, settings: PostgresSettings) -> None:
        self.settings = settings
        self.sql: dict[str, SqlFile] = load_sql_dir("hubjobs.backends.postgres.sql")
        self.decoder = RowDecoder()
        self._options_text: dict[JobOptions, str] = {}

    def q(self, op: str, name: str) -> str:
        """The statement `name` of the SQL file `op`."""
        return self.sql[op][name]

    def options_json(self, options: JobOptions) -> str:
        """Stored options JSON, remembered per distinct options value (jobs share a few)."""
        try:
            text = self._options_text.get(options)
        except TypeError:  # an unhashable custom value inside the options
            return stored_options(options)
        if text is None:
            text = stored_options(options)
            if len(self._options_text) >= OPTIONS_CACHE_SIZE:
                self._options_text.clear()
            self._options_text[options] = text
        return text

    def jobs(self, rows: Iterable[DictRow]) -> list[Job]:
        """Decoded rows; a corrupt one is left out."""
        out: list[Job] = []
        for row in rows:
            try:
                out.append(self.decoder.job(row))
            except CorruptJobRow:
                continue
        return out

    # ------------------------------------------------------------ producing

    def add_statement(self, req: AddJobs) -> tuple[str, dict[str, Any]]:
        """The insert and its parameters (each id once: a repeated id within a call is added once)."""
        first: dict[str, int] = {}
        jobs: list[NewJob] = []
        for job in req.jobs:
            for what, value in (("job id", job.id), ("job name", job.name), ("queue name", req.queue)):
                if "\x00" in value:
                    raise InvalidJobOptions(f"{what} {value!r} contains a NUL character, which PostgreSQL "
                                            "text cannot store")
            if job.id not in first:
                first[job.id] = len(jobs)
                jobs.append(job)
        params: dict[str, Any] = {
            "queue": req.queue,
            "channel": self.settings.jobs_channel,
            "jobs": json.dumps([{
                "id": j.id, "name": j.name, "data": j.data_json, "priority": j.options.priority,
                "max_attempts": j.options.attempts, "max_stalled": j.options.max_stalled,
                "options": self.options_json(j.options), "delay": float(j.delay), "run_at": j.run_at,
            } for j in jobs]),
        }
        return self.q("add_jobs", "insert"), params

    @staticmethod
    def added(req: AddJobs, rows: Iterable[Sequence[Any]]) -> list[AddedJob]:
        """The outcome of each requested job from the insert's (id, created, state, created_at) rows."""
        by_id = {str(r[0]): AddedJob(str(r[0]), bool(r[1]), JobState(r[2] or JobState.WAITING.value),
                                     None if r[3] is None else float(r[3]))
                 for r in rows}
        out: list[AddedJob] = []
        seen: set[str] = set()
        for job in req.jobs:
            added = by_id[job.id]
            if job.id in seen:  # a repeated id within one call is added once
                added = AddedJob(job.id, False, added.state)
            seen.add(job.id)
            out.append(added)
        return out

    def add_jobs(self, req: AddJobs) -> Plan[list[AddedJob]]:
        """Insert jobs in one statement (not inside a caller's transaction: see `transactional.py`)."""
        if not req.jobs:
            return []
        query, params = self.add_statement(req)
        rows = yield Rows("adding jobs", query, params)
        return self.added(req, [(r["id"], r["created"], r["state"], r["created_at"]) for r in rows])

    # ------------------------------------------------------------ reading

    def get_job(self, req: JobRef) -> Plan[Job | None]:
        """One job by id; a corrupt row reads as None."""
        rows = yield Rows("reading a job", self.q("read_jobs", "get"), {"queue": req.queue, "id": req.job_id})
        jobs = self.jobs(rows)
        return jobs[0] if jobs else None

    def get_logs(self, req: JobRef) -> Plan[list[LogLine]]:
        """A job's log lines, oldest first."""
        rows = yield Rows("reading job logs", self.q("read_jobs", "logs"), {"queue": req.queue, "id": req.job_id})
        return [LogLine(float(r["at"]), str(r["line"])) for r in rows]

    def list_jobs(self, req: ListJobs) -> Plan[list[Job]]:
        """Jobs in one state, paginated (run order, or newest first for finished states)."""
        if req.state in FINISHED_STATES:
            name = "list_finished_desc"
        elif req.state == JobState.DELAYED:
            name = "list_delayed"
        elif req.state == JobState.ACTIVE:
            name = "list_active"
        else:
            name = "list_run_order"
        rows = yield Rows("listing jobs", self.q("read_jobs", name), {
            "queue": req.queue, "state": req.state.value, "offset": req.offset, "limit": req.limit})
        return self.jobs(rows)

    def search_jobs(self, req: SearchJobs) -> Plan[list[Job]]:
        """Case-insensitive substring search over id, name, data and failure reason."""
        escaped = (pg_text(req.text) or "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = yield Rows("searching jobs", self.q("read_jobs", "search"), {
            "queue": req.queue, "state": None if req.state is None else req.state.value,
            "pattern": f"%{escaped}%", "limit": req.limit})
        return self.jobs(rows)

    def count_jobs(self, queue: str) -> Plan[dict[str, int]]:
        """Counts for every state (zeros included)."""
        rows = yield Rows("counting jobs", self.q("read_jobs", "counts"), {"queue": queue})
        counts = {s.value: 0 for s in JobState}
        for r in rows:
            counts[str(r["state"])] = int(r["n"])
        return counts

    def get_queue_settings(self, queue: str) -> Plan[QueueSettings]:
        """Paused flag, rate limit and concurrency of a queue."""
        rows = yield Rows("reading queue settings", self.q("queue_settings", "get"), {"queue": queue})
        if not rows:
            return QueueSettings(queue)
        r = rows[0]
        return QueueSettings(queue, bool(r["paused"]), r["rate_max"], r["rate_period"], r["concurrency"])

    # ------------------------------------------------------------ admin

    @staticmethod
    def in_request_order(job_ids: Sequence[str] | None, rows: Iterable[DictRow]) -> list[str]:
        """Ids of the rows, in the order they were asked for (each once)."""
        done = [str(r["id"]) for r in rows]
        if job_ids is None:
            return done
        found = set(done)
        out: list[str] = []
        for job_id in job_ids:
            if job_id in found and job_id not in out:
                out.append(job_id)
        return out

    def retry_failed(self, req: RetryFailed) -> Plan[list[str]]:
        """Failed -> waiting with attempts reset; wakes the queue's workers."""
        params: dict[str, Any] = {"queue": req.queue, "channel": self.settings.jobs_channel}
        if req.job_ids is None:
            params["limit"] = req.limit
            rows = yield Rows("retrying failed jobs", self.q("admin_jobs", "retry_all"), params)
        else:
            params["ids"] = list(req.job_ids)
            rows = yield Rows("retrying failed jobs", self.q("admin_jobs", "retry_some"), params)
        return self.in_request_order(req.job_ids, rows)

    def per_ids(self, what: str, stmt: str, req: JobIds) -> Plan[list[str]]:
        """remove, promote or cancel by id."""
        if not req.job_ids:
            return []
        rows = yield Rows(what, self.q("admin_jobs", stmt), {
            "queue": req.queue, "ids": list(req.job_ids), "channel": self.settings.jobs_channel})
        return self.in_request_order(req.job_ids, rows)

    def clean_jobs(self, req: CleanJobs) -> Plan[int]:
        """Delete old jobs of one state, in batches of CLEAN_BATCH rows per transaction."""
        name = "clean_finished" if req.state in FINISHED_STATES else "clean_unfinished"
        removed = 0
        while removed < req.limit:
            batch = min(CLEAN_BATCH, req.limit - removed)
            n = yield RowCount("cleaning jobs", self.q("admin_jobs", name), {
                "queue": req.queue, "state": req.state.value, "older_than": float(req.older_than),
                "limit": batch})
            removed += max(0, int(n))
            if int(n) < batch:
                break
        return removed

    def drain_queue(self, req: DrainQueue) -> Plan[int]:
        """Delete waiting (and delayed) jobs."""
        n = yield RowCount("draining a queue", self.q("admin_jobs", "drain"),
                           {"queue": req.queue, "include_delayed": req.include_delayed})
        return max(0, int(n))

    def set_paused(self, req: SetPaused) -> Plan[None]:
        """Store the paused flag; resuming wakes the queue's workers."""
        yield Rows("pausing or resuming a queue", self.q("queue_settings", "set_paused"), {
            "queue": req.queue, "paused": req.paused, "channel": self.settings.jobs_channel})
        return None
