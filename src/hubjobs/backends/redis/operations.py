"""The producer and admin operations of the Redis backend, written once for both twins.

Each operation is a plan: a generator that yields the Redis calls it needs (`Script`: a Lua
script by operation name; `Command`: one plain command) and returns the operation's result from
their replies. The async backend runs plans on redis-py's asyncio client, the sync twin on its
blocking client from the caller's thread: argument building, reply parsing and job decoding
live here only, the twins differ only in how a call travels."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Generator, Sequence
from typing import Any, NamedTuple, TypeVar

from ...errors import ConfigurationError, InvalidJobOptions
from ...job import Job, JobState
from ..base import (
    AddedJob,
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
from .codec import CorruptJob, JobCodec, load_id, store_id, unpack_fields
from .keys import GlobalKeys, QueueKeys, global_keys, queue_keys

T = TypeVar("T")
log = logging.getLogger("hubjobs.redis")

ADD_CHUNK = 2000
"""Jobs per add script call: large bulks are split so that Redis is never blocked for long."""
DRAIN_BUDGET = 5000
SEARCH_SCAN_COUNT = 10_000
READ_CHUNK = 500
_PLAIN_TEXT = re.compile(r"[a-z0-9 _.@:+-]+")
"""Search text made only of characters JSON never escapes."""


class Script(NamedTuple):
    """Run the Lua script of `operation` with these keys and arguments."""

    operation: str
    keys: Sequence[Any]
    args: Sequence[Any]
    what: str
    """What is being done, for error messages."""
    queue: str | None = None


class Command(NamedTuple):
    """Run one plain command (its reply parsed by the client's response callbacks)."""

    args: tuple[Any, ...]
    what: str
    queue: str | None = None


Plan = Generator[Script | Command, Any, T]
"""An operation: yields calls, receives their replies, returns the result."""


def us(seconds: float) -> int:
    """Seconds as whole microseconds, rounded up (a due time never moves earlier)."""
    return math.ceil(seconds * 1_000_000)


def _is_pack_field(name: str) -> bool:
    """True for a job's pack field (its stored id), False for `<id>\\0<letter>` fields."""
    if len(name) < 2 or name[-2] != "\0":
        return True
    run = 0
    for ch in reversed(name[:-1]):
        if ch != "\0":
            break
        run += 1
    return run % 2 == 0


def _pack_matches(job_id: str, pack: str, needle: str) -> bool:
    if needle in job_id.lower():
        return True
    if _PLAIN_TEXT.fullmatch(needle) and needle not in pack.lower():
        return False  # plain ASCII is never escaped in JSON: absent from the raw text, absent
    try:
        _created, _prio, _ms, name, _code, data = unpack_fields(pack)
    except (ValueError, TypeError):
        return False
    if needle in str(name).lower():
        return True
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return needle in text.lower()


class RedisOperations:
    """Plans of the producer and admin operations for one key prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.codec = JobCodec()
        self.global_keys: GlobalKeys = global_keys(prefix)
        self._queue_keys: dict[str, QueueKeys] = {}

    def keys(self, queue: str) -> QueueKeys:
        """A queue's keys (checking its name once)."""
        keys = self._queue_keys.get(queue)
        if keys is None:
            if not isinstance(queue, str) or not queue or any(ch in queue for ch in "{}\r\n\t "):
                raise ConfigurationError(f"queue name must be a non-empty string without braces or spaces, "
                                         f"got {queue!r}")
            keys = self._queue_keys[queue] = queue_keys(self.prefix, queue)
        return keys

    def queue_script(self, operation: str, queue: str, args: Sequence[Any], what: str) -> Script:
        """A queue script with the whole queue layout as its keys and the key base first."""
        encoded = self.keys(queue).script_args
        return Script(operation, encoded[:-1], (encoded[-1], *args), what, queue)

    # ------------------------------------------------------------ producing

    def register_queue(self, queue: str) -> Command:
        """Add the queue to the list of queues (once per process: the caller remembers)."""
        return Command(("SADD", self.global_keys.queues, queue), f"registering queue {queue!r}")

    def add_one(self, queue: str, job: NewJob) -> Plan[AddedJob | None]:
        """A job that waits now, with the lean `add_job` script; None when its id exists."""
        keys = self.keys(queue)
        layout = keys.script_keys
        key_args = (layout[0], layout[1], layout[9], layout[7])  # J, W, K, M
        args = (keys.base, store_id(job.id), job.options.priority, self.codec.pack_tail(job))
        created = yield Script("add_job", key_args, args, "adding jobs", queue)
        if created is None:
            return None
        return AddedJob(job.id, True, JobState.WAITING, float(created))

    def add_jobs(self, queue: str, jobs: Sequence[NewJob]) -> Plan[list[AddedJob]]:
        """Add jobs: a single waiting job with `add_job`, else one `add_jobs` call per chunk."""
        if len(jobs) == 1 and jobs[0].delay <= 0 and jobs[0].run_at is None:
            added = yield from self.add_one(queue, jobs[0])
            if added is not None:
                return [added]  # else the id exists: add_jobs below reports its state
        out: list[AddedJob] = []
        tail = self.codec.pack_tail
        for start in range(0, len(jobs), ADD_CHUNK):
            part = jobs[start:start + ADD_CHUNK]
            args: list[Any] = [len(part)]
            for job in part:
                if job.run_at is not None:
                    when = str(us(job.run_at))
                elif job.delay > 0:
                    when = f"+{us(job.delay)}"
                else:
                    when = ""
                args += (store_id(job.id), f"{when};{tail(job)}")
            created_text, existing, delayed = yield self.queue_script("add_jobs", queue, args, "adding jobs")
            created_at = float(created_text)
            found = {existing[i]: JobState(existing[i + 1]) for i in range(0, len(existing), 2)}
            later = set(delayed)
            for i, job in enumerate(part, 1):
                state = found.get(i)
                if state is not None:
                    out.append(AddedJob(job.id, False, state, None))
                else:
                    out.append(AddedJob(job.id, True, JobState.DELAYED if i in later else JobState.WAITING,
                                        created_at))
        return out

    # ------------------------------------------------------------ reading

    def jobs(self, queue: str, records: Sequence[Any]) -> list[Job]:
        """Decoded job records; a corrupt one is logged and skipped."""
        out: list[Job] = []
        for rec in records:
            try:
                out.append(self.codec.record(queue, rec))
            except CorruptJob as exc:
                log.warning("skipping corrupt job %r on queue %s: %s", rec[0] if rec else "?", queue, exc)
        return out

    def read(self, queue: str, stored_ids: Sequence[str]) -> Plan[list[Job]]:
        """Jobs by stored id, a chunk of `READ_CHUNK` per script call."""
        out: list[Job] = []
        for start in range(0, len(stored_ids), READ_CHUNK):
            part = stored_ids[start:start + READ_CHUNK]
            records = yield self.queue_script("read_jobs", queue, part, "reading jobs")
            out += self.jobs(queue, records)
        return out

    def get_job(self, req: JobRef) -> Plan[Job | None]:
        """One job, or None (also for a job whose stored fields are corrupt)."""
        jobs = yield from self.read(req.queue, [store_id(req.job_id)])
        return jobs[0] if jobs else None

    def get_logs(self, req: JobRef) -> Plan[list[LogLine]]:
        """A job's log lines, oldest first."""
        lines = yield Command(("LRANGE", self.keys(req.queue).log(store_id(req.job_id)), 0, -1),
                              f"reading logs of job {req.job_id!r}")
        out: list[LogLine] = []
        for entry in lines:
            at, _sep, line = entry.partition(" ")
            out.append(LogLine(float(at), line))
        return out

    def list_jobs(self, req: ListJobs) -> Plan[list[Job]]:
        """One page of jobs in a state."""
        records = yield self.queue_script("list_jobs", req.queue,
                                          [req.state.value, max(0, req.offset), max(0, req.limit)], "listing jobs")
        return self.jobs(req.queue, records)

    def search_jobs(self, req: SearchJobs) -> Plan[list[Job]]:
        """Jobs whose id, name, data or failed reason contains the text (case-insensitive),
        newest first. Scans the queue's jobs hash in steps (HSCAN): an admin operation."""
        needle = req.text.lower()
        keys = self.keys(req.queue)
        matched: set[str] = set()
        cursor = 0
        while True:
            cursor, fields = yield Command(("HSCAN", keys.jobs, cursor, "COUNT", SEARCH_SCAN_COUNT),
                                           "searching jobs", req.queue)
            for name, value in fields.items():
                if _is_pack_field(name):
                    if _pack_matches(load_id(name), value, needle):
                        matched.add(name)
                elif name.endswith("\0x") and needle in value.lower():
                    matched.add(name[:-2])
            if int(cursor) == 0:
                break
        jobs = yield from self.read(req.queue, sorted(matched))
        if req.state is not None:
            jobs = [j for j in jobs if j.state == req.state]
        jobs.sort(key=lambda j: (j.created_ts, j.id), reverse=True)
        return jobs[:max(0, req.limit)]

    def count_jobs(self, queue: str) -> Plan[dict[str, int]]:
        """Counts for every state."""
        waiting, delayed, active, completed, failed = yield self.queue_script("count_jobs", queue, [],
                                                                              "counting jobs")
        return {"waiting": int(waiting), "delayed": int(delayed), "active": int(active),
                "completed": int(completed), "failed": int(failed)}

    def get_queue_settings(self, queue: str) -> Plan[QueueSettings]:
        """Paused flag, rate limit and concurrency of a queue."""
        paused, rate_max, rate_period, concurrency = yield Command(
            ("HMGET", self.keys(queue).script_keys[7], "paused", "rate_max", "rate_period", "concurrency"),
            "reading settings", queue)
        return QueueSettings(queue, paused == "1", int(rate_max) if rate_max else None,
                             float(rate_period) if rate_period else None,
                             int(concurrency) if concurrency else None)

    # ------------------------------------------------------------ admin

    def retry_failed(self, req: RetryFailed) -> Plan[list[str]]:
        """Failed -> waiting with attempts reset."""
        if req.job_ids is None:
            args: list[Any] = ["all", max(0, req.limit)]
        else:
            if not req.job_ids:
                return []
            args = ["ids", 0, *[store_id(i) for i in req.job_ids]]
        ids = yield self.queue_script("retry_failed", req.queue, args, "retrying failed jobs")
        return [load_id(i) for i in ids]

    def per_id(self, operation: str, req: JobIds, what: str) -> Plan[list[str]]:
        """remove_jobs, promote_jobs or cancel_jobs."""
        if not req.job_ids:
            return []
        ids = yield self.queue_script(operation, req.queue, [store_id(i) for i in req.job_ids], what)
        return [load_id(i) for i in ids]

    def clean_jobs(self, req: CleanJobs) -> Plan[int]:
        """Remove old jobs of one state."""
        if req.state == JobState.ACTIVE:
            raise InvalidJobOptions("active jobs cannot be cleaned; cancel them first")
        n = yield self.queue_script("clean_jobs", req.queue,
                                    [req.state.value, us(max(0.0, req.older_than)), max(0, req.limit)],
                                    "cleaning jobs")
        return int(n)

    def drain_queue(self, req: DrainQueue) -> Plan[int]:
        """Remove waiting (and delayed) jobs, a bounded batch per script call."""
        total = 0
        while True:
            removed, more = yield self.queue_script("drain_queue", req.queue,
                                                    ["1" if req.include_delayed else "0", DRAIN_BUDGET],
                                                    "draining the queue")
            total += int(removed)
            if not int(more):
                return total

    def set_paused(self, req: SetPaused) -> Plan[None]:
        """Store the paused flag (resuming wakes idle workers); register the queue first."""
        yield self.queue_script("set_paused", req.queue, ["1" if req.paused else "0"], "pausing/resuming")
        return None


def run_plan(plan: Plan[T], call: Any) -> T:
    """Run a plan with a blocking `call(step) -> reply`."""
    try:
        step = next(plan)
        while True:
            step = plan.send(call(step))
    except StopIteration as done:
        result: T = done.value
        return result
