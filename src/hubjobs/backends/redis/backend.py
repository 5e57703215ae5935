"""RedisBackend: the storage contract on Redis (standalone or Cluster).

Every state change is one Lua script (`lua/`, EVALSHA); times come from the Redis clock. A
queue's keys share the hash tag `{prefix:queue}`. Idle workers block on a wake-up marker
(`waiter.py`); events go to a per-queue stream (`events.py`); jobs are encoded compactly
(`codec.py`)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Coroutine, Sequence
from dataclasses import asdict, replace
from typing import Any

from ...errors import BackendUnavailable, InvalidJobOptions
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
    Heartbeat,
    History,
    JobIds,
    JobOutcome,
    JobRef,
    JobsReceiver,
    LeaseStatus,
    ListJobs,
    LogLine,
    NewJob,
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
from ..event_batches import encode_events
from ..history_rows import check_read, read_params
from . import history
from .batching import AddCoalescer
from .client import ScriptLane
from .clock import ServerClock
from .codec import CorruptJob, load_id, store_id
from .connection import REPLICATED_OPERATIONS, RedisClient, check_server, lane_client, make_client, translated
from .events import FIELD, decode_entries, entries_to_keep, parse_cursor
from .keys import QueueKeys
from .operations import Command, Plan, RedisOperations, Script, T, us
from .prefetch import HOLD_SECONDS, Prefetcher, PrefetchPlan
from .scripts import Scripts, load_sources
from .settings import parse_redis_url
from .waiter import ChainedCommand, WakeWaiter

MAX_ADD_LANES = 16
"""Queues of one process whose single adds get their own connection (`ScriptLane`); adds to
further queues take pooled connections."""

log = logging.getLogger("hubjobs.redis")

NEXT_DUE_FRESH = 1.0
"""Seconds a queue's next due time reported by a claim is trusted without asking again."""
_KIND_CODES = {"completed": "c", "retry": "r", "failed": "f", "released": "l"}
_FINISHED = (JobState.COMPLETED, JobState.FAILED)




def _float_text(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _float_or_none(text: str) -> float | None:
    return float(text) if text else None


class RedisBackend(Backend):
    """Jobs on Redis: `redis://host:port/db?prefix=NAME`, `rediss://`, `unix://` or
    `redis+cluster://host:port`. Needs Redis 7.0+ with `maxmemory-policy noeviction` (or
    `?allow_eviction=1`, at the risk of losing jobs)."""

    capabilities = Capabilities(
        server_clock=True,
        blocking_wait=True,
        transactional_enqueue=False,
        cross_process_events=True,
        multi_process=True,
        sync_twin=True,
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.settings = parse_redis_url(url)
        self._ops = RedisOperations(self.settings.prefix)
        self._codec = self._ops.codec
        self._sources = load_sources()
        self._global = self._ops.global_keys
        self._registered_queues: set[str] = set()
        self._registering: dict[str, asyncio.Future[None]] = {}
        self._client: RedisClient | None = None
        self._blocking: RedisClient | None = None
        self._scripts: Scripts | None = None
        self._waiter: WakeWaiter | None = None
        self._clock = ServerClock()
        self._next_due: dict[str, tuple[float | None, float]] = {}
        self._adds = AddCoalescer(self._add_lane)
        self._lanes: dict[str, ScriptLane | None] = {}
        """Queue → the client its single adds go through (see `lane_client`)."""
        self._prefetch = Prefetcher()
        self._receivers: dict[str, JobsReceiver] = {}
        """Worker id → where its prefetched jobs go (see `WaitForJobs.receive`)."""
        self._tasks: set[asyncio.Future[None]] = set()
        self._replicated = self.settings.durability == "replicated"

    def __repr__(self) -> str:
        return f"RedisBackend({self.settings.display!r}, prefix={self.settings.prefix!r})"

    # ------------------------------------------------------------ plumbing

    @property
    def client(self) -> RedisClient:
        """The client for ordinary commands (after `open()`)."""
        if self._client is None:
            raise RuntimeError("the Redis backend is not open: call open() first")
        return self._client

    @property
    def _c(self) -> Any:
        """The client for commands, untyped: with decode_responses its replies are str, which
        redis-py's overloads cannot express."""
        return self.client

    @property
    def _blocking_client(self) -> Any:
        if self._blocking is None:
            raise RuntimeError("the Redis backend is not open: call open() first")
        return self._blocking

    def _keys(self, queue: str) -> QueueKeys:
        return self._ops.keys(queue)

    def sync_twin(self) -> SyncBackend:
        """The sync twin: the same plans on redis-py's blocking client, from the caller's thread."""
        from .sync_backend import RedisSyncBackend

        return RedisSyncBackend(self.url)

    def _translated(self, what: str) -> Any:
        return translated(what, self.settings.display)

    async def _run(self, operation: str, keys: Sequence[str], args: Sequence[Any], what: str) -> Any:
        if self._scripts is None:
            raise RuntimeError("the Redis backend is not open: call open() first")
        with self._translated(what):
            return await self._scripts[operation](keys=keys, args=args)

    async def _queue_script(self, operation: str, queue: str, args: Sequence[Any], what: str,
                            lane: ScriptLane | None = None) -> Any:
        """A queue script with the whole queue layout as its keys and the key base first."""
        encoded = self._keys(queue).script_args
        return await self._script_on(operation, queue, encoded[:-1], (encoded[-1], *args), what, lane)

    async def _drive(self, plan: Plan[T], lane: ScriptLane | None = None) -> T:
        """Run an operation's plan (`operations.py`) on the asyncio client (scripts through
        `lane` when given)."""
        try:
            step = next(plan)
            while True:
                if isinstance(step, Script):
                    reply = await self._script_on(step.operation, step.queue, step.keys, step.args, step.what, lane)
                else:
                    reply = await self._command(step)
                step = plan.send(reply)
        except StopIteration as done:
            result: T = done.value
            return result

    async def _command(self, step: Command) -> Any:
        with translated(step.what, self.settings.display, step.queue):
            return await self._c.execute_command(*step.args)

    async def _script_on(self, operation: str, queue: str | None, keys: Sequence[Any], args: Sequence[Any],
                         what: str, lane: ScriptLane | None) -> Any:
        """Run a script of `queue` through its add lane, if given, else the client."""
        if self._scripts is None:
            raise RuntimeError("the Redis backend is not open: call open() first")
        script = self._scripts[operation]
        with translated(what, self.settings.display, queue):
            if self._replicated and operation in REPLICATED_OPERATIONS:
                return await self._run_replicated(script, keys, args, what, queue)
            if lane is not None:
                return await lane.evalsha(script.sha, script.script, keys, args)
            return await script(keys=keys, args=args)

    async def _run_replicated(self, script: Any, keys: Sequence[Any], args: Sequence[Any], what: str,
                              queue: str | None) -> Any:
        """Run a script and WAIT on the same connection (a pipeline), so that the reply comes
        only once `replicas` replicas have its writes; fewer in `wait_timeout` is an outage."""
        need, timeout = self.settings.replicas, self.settings.wait_timeout
        async with asyncio.timeout(timeout + self.settings.socket_timeout):
            async with self._c.pipeline(transaction=False) as pipe:
                await script(keys=keys, args=args, client=pipe)
                pipe.execute_command("WAIT", need, max(1, int(timeout * 1000)))
                result, acked = await pipe.execute()
        if int(acked) < need:
            raise BackendUnavailable(
                f"Redis at {self.settings.display} did not replicate {what} on queue {queue!r} to {need} "
                f"replica(s) within {timeout:g} s (only {acked}): the primary has it, but a failover now could "
                "lose it (durability=replicated)")
        return result

    async def _register_queue(self, queue: str) -> None:
        """Add the queue to the list of queues, once per process (concurrent callers share it)."""
        if queue in self._registered_queues:
            return
        pending = self._registering.get(queue)
        if pending is None:
            pending = self._registering[queue] = asyncio.ensure_future(self._sadd_queue(queue))
            pending.add_done_callback(lambda _t: self._registering.pop(queue, None))
        await asyncio.shield(pending)

    async def _sadd_queue(self, queue: str) -> None:
        await self._command(self._ops.register_queue(queue))
        self._registered_queues.add(queue)

    # ------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Connect, check the server (version, eviction policy) and prepare the scripts."""
        if self._client is not None:
            return
        client = make_client(self.settings, blocking=False)
        blocking = make_client(self.settings, blocking=True)
        try:
            with self._translated("connecting"):
                await client.ping()
                await check_server(client, self.settings)
        except BaseException:
            await client.aclose()
            await blocking.aclose()
            raise
        self._client, self._blocking = client, blocking
        self._scripts = Scripts.register(client, self._sources)
        self._waiter = WakeWaiter(blocking, cluster=self.settings.cluster, where=self.settings.display)

    async def close(self) -> None:
        """Stop blocking calls and close both clients."""
        await self._adds.close()
        for task in list(self._tasks):
            task.cancel()
        for queue, jobs in self._prefetch.drain().items():
            try:
                await self._release(queue, jobs)
            except Exception:  # the server may be gone: the leases then expire and the jobs are recovered
                log.debug("could not hand back prefetched jobs on close", exc_info=True)
        if self._waiter is not None:
            await self._waiter.close()
            self._waiter = None
        lanes, self._lanes = [lane for lane in self._lanes.values() if lane is not None], {}
        for c in (*lanes, self._client, self._blocking):
            if c is not None:
                try:
                    await c.aclose()
                except Exception:  # closing a client of a dead server must not fail shutdown
                    log.debug("error closing a Redis client", exc_info=True)
        self._client = self._blocking = None
        self._scripts = None

    async def now(self) -> float:
        """The Redis server's clock: estimated from the server times in recent script replies
        (never ahead of the server, see `clock.py`), else read with TIME. While Redis cannot be
        reached, the last known offset (or this machine's clock) stands in: callers use the time
        to plan waits, and the operation they run next reports the outage."""
        estimate = self._clock.estimate()
        if estimate is not None:
            return estimate
        try:
            with self._translated("reading the clock"):
                seconds, micros = await self._c.time()
        except BackendUnavailable:
            stale = self._clock.estimate(any_age=True)
            return stale if stale is not None else time.time()
        server_now = float(seconds) + float(micros) / 1_000_000
        self._clock.sample(server_now)
        return server_now

    # ------------------------------------------------------------ producing

    async def add_jobs(self, req: AddJobs) -> list[AddedJob]:
        """Add jobs with one script call per chunk of `ADD_CHUNK` jobs; concurrent single adds
        to a queue share script calls (`batching.py`)."""
        if req.connection is not None:
            raise InvalidJobOptions("the Redis backend cannot enqueue inside a caller's database transaction "
                                    "(use PostgreSQL or SQLite for that)")
        if not req.jobs:
            return []
        self._keys(req.queue)
        await self._register_queue(req.queue)
        if len(req.jobs) == 1:
            return [await self._adds.add(req.queue, req.jobs[0])]
        return await self._add_many(req.queue, req.jobs)

    async def _add_lane(self, queue: str, jobs: Sequence[NewJob]) -> list[AddedJob]:
        """Single adds of a queue (one call at a time, `batching.py`), on the queue's own
        connection."""
        if queue not in self._lanes:  # each lane keeps a pooled connection: a few queues get one
            self._lanes[queue] = lane_client(self.client) if len(self._lanes) < MAX_ADD_LANES else None
        return await self._add_many(queue, jobs, self._lanes[queue])

    async def _add_many(self, queue: str, jobs: Sequence[NewJob], lane: ScriptLane | None = None) -> list[AddedJob]:
        if len(jobs) > 1 or jobs[0].delay > 0 or jobs[0].run_at is not None:
            self._forget_next_due(queue)
        return await self._drive(self._ops.add_jobs(queue, jobs), lane)

    # ------------------------------------------------------------ the worker's cycle

    async def _decode_claimed(self, queue: str, reply: Any, token: str, worker_id: str) -> list[ClaimedJob]:
        claimed, corrupt = self._decode_claimed_now(queue, reply, token, worker_id)
        if corrupt:
            await self._fail_corrupt(queue, token, corrupt)
        return claimed

    def _decode_claimed_now(self, queue: str, reply: Any, token: str,
                            worker_id: str) -> tuple[list[ClaimedJob], list[tuple[str, str]]]:
        """A claim reply's jobs, and the (id, reason) of those that cannot be decoded."""
        now_text, expires_text, flat, next_due = reply
        started, expires = float(now_text), float(expires_text)
        self._clock.sample(started)
        self._next_due[queue] = (float(next_due) / 1_000_000 if next_due else None, time.monotonic())
        claimed: list[ClaimedJob] = []
        corrupt: list[tuple[str, str]] = []
        claimed_job = self._codec.claimed
        for i in range(0, len(flat), 8):
            fields = flat[i:i + 8]
            try:
                job = claimed_job(queue, fields, started, worker_id)
            except CorruptJob as exc:
                corrupt.append((load_id(fields[0]), str(exc)))
                continue
            claimed.append(ClaimedJob(job, token, expires))
        return claimed, corrupt

    async def _fail_corrupt(self, queue: str, token: str, corrupt: list[tuple[str, str]]) -> None:
        outcomes = [JobOutcome(job_id, token, "failed", error=f"corrupt job in storage: {reason}",
                               stacktrace="") for job_id, reason in corrupt]
        for job_id, reason in corrupt:
            log.error("job %s on queue %s is corrupt in Redis and was failed: %s", job_id, queue, reason)
        await self._finish(queue, outcomes, None)

    async def claim_jobs(self, req: ClaimJobs) -> list[ClaimedJob]:
        """Promote due delayed jobs and claim runnable ones in one script call (or hand over the
        jobs a wait already claimed for this worker, see `prefetch.py`)."""
        if req.limit <= 0:
            return []
        given, surplus = self._prefetch.take(req.queue, req.worker_id, req.limit)
        if surplus:
            await self._release(req.queue, surplus)
        if given:
            self._prefetch.claimed(req.queue, req.worker_id, req.lease_seconds, req.limit - len(given))
            return given
        token = secrets.token_hex(8)
        reply = await self._queue_script("claim_jobs", req.queue,
                                         [req.limit, us(req.lease_seconds), token, req.worker_id], "claiming jobs")
        claimed = await self._decode_claimed(req.queue, reply, token, req.worker_id)
        self._prefetch.claimed(req.queue, req.worker_id, req.lease_seconds, req.limit - len(claimed))
        return claimed

    async def _release(self, queue: str, jobs: list[ClaimedJob]) -> None:
        """Hand prefetched jobs back to waiting at once (no attempt used)."""
        if jobs:
            await self._finish(queue, [JobOutcome(cj.job.id, cj.token, "released") for cj in jobs], None)

    async def _release_expired(self) -> None:
        for queue, jobs in self._prefetch.expired().items():
            try:
                await self._release(queue, jobs)
            except Exception as exc:  # noqa: BLE001 - logged; their leases expire and recovery requeues them
                log.warning("could not hand back %d prefetched job(s) of queue %s: %s", len(jobs), queue, exc)

    def _prefetched(self, queue: str, plan: PrefetchPlan, token: str, reply: Any) -> None:
        """The reply of a claim chained behind a wait, handled the moment it arrives (from the
        connection's read callback): its jobs go to the waiting worker or are held for it; what
        needs Redis again (handing back stale jobs, failing corrupt ones, reloading the script)
        runs in a task of its own."""
        if isinstance(reply, Exception):
            if "NOSCRIPT" in str(reply) and self._scripts is not None:
                self._spawn(self._reload_script("claim_jobs"), f"reloading the claim script of queue {queue}")
            else:
                log.warning("prefetching claim on queue %s failed: %s", queue, reply)
            return
        jobs, corrupt = self._decode_claimed_now(queue, reply, token, plan.worker_id)
        if corrupt:
            self._spawn(self._fail_corrupt(queue, token, corrupt), f"failing corrupt jobs of queue {queue}")
        stale = self._prefetch.deliver(queue, plan, jobs, self._receivers.get(plan.worker_id))
        if stale:
            self._spawn(self._release(queue, stale), f"handing back {len(stale)} prefetched job(s) of queue {queue}")
        elif self._prefetch.holds(queue):
            loop = asyncio.get_running_loop()
            loop.call_later(min(HOLD_SECONDS, plan.lease_seconds / 3) * 1.1, self._spawn_release_expired)

    async def _reload_script(self, operation: str) -> None:
        with self._translated("loading scripts"):
            await self._c.script_load(self._sources[operation])

    def _spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run follow-up work in a task the backend tracks (cancelled on close); its failure is
        logged: leases expire and recovery requeues whatever it was about."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def finished(t: asyncio.Future[None]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.warning("%s failed: %s", what, t.exception())

        task.add_done_callback(finished)

    def _spawn_release_expired(self) -> None:
        self._spawn(self._release_expired(), "handing back prefetched jobs")

    @staticmethod
    def _outcome_args(o: JobOutcome) -> list[Any]:
        head: list[Any] = [_KIND_CODES.get(o.kind, o.kind), store_id(o.job_id), o.token]
        keep_count = -1 if o.keep.count is None else o.keep.count
        keep_age = -1 if o.keep.age is None else us(o.keep.age)
        if o.kind == "completed":
            return head + [o.result_json if o.result_json is not None else "null", keep_count, keep_age]
        if o.kind in ("retry", "failed"):
            message = o.error or ""
            head += (message, json.dumps(message), json.dumps(o.stacktrace or ""))
            if o.kind == "retry":
                return head + [us(max(0.0, o.retry_delay))]
            return head + [keep_count, keep_age]
        if o.kind == "released":
            return head
        raise ValueError(f"unknown outcome kind {o.kind!r}")

    async def finish_jobs(self, req: FinishJobs) -> FinishResult:
        """Apply outcomes (fenced by token) and retention, then optionally claim: one script call."""
        claim = req.then_claim
        outcomes = list(req.outcomes)
        given: list[ClaimedJob] = []
        if claim is not None and claim.limit > 0:
            given, surplus = self._prefetch.take(req.queue, claim.worker_id, claim.limit)
            outcomes += [JobOutcome(cj.job.id, cj.token, "released") for cj in surplus]
            remaining = claim.limit - len(given)
            result = await self._finish(req.queue, outcomes, replace(claim, limit=remaining) if remaining else None)
            claimed = given + result.claimed
            self._prefetch.claimed(req.queue, claim.worker_id, claim.lease_seconds, claim.limit - len(claimed))
            if surplus:
                mine = {o.job_id for o in req.outcomes}
                result = FinishResult([i for i in result.applied if i in mine],
                                      [i for i in result.refused if i in mine], result.claimed)
            return FinishResult(result.applied, result.refused, claimed)
        # finishing without claiming only frees slots: the known spare ones stay free
        return await self._finish(req.queue, outcomes, None)

    async def _finish(self, queue: str, outcomes: Sequence[JobOutcome], claim: ClaimJobs | None) -> FinishResult:
        args: list[Any] = [len(outcomes)]
        for o in outcomes:
            args += self._outcome_args(o)
        token = secrets.token_hex(8)
        if claim is not None and claim.limit > 0:
            args += (claim.limit, us(claim.lease_seconds), token, claim.worker_id)
        else:
            args += (0, 0, "", "")
        applied, refused, claim_reply = await self._queue_script("finish_jobs", queue, args, "finishing jobs")
        claimed = await self._decode_claimed(queue, claim_reply, token, claim.worker_id if claim is not None else "")
        return FinishResult([load_id(i) for i in applied], [load_id(i) for i in refused], claimed)

    async def extend_leases(self, req: ExtendLeases) -> LeaseStatus:
        """Renew leases whose token still holds."""
        if not req.leases:
            return LeaseStatus([], [])
        ids = [store_id(lease.job_id) for lease in req.leases]
        tokens = [lease.token for lease in req.leases]
        lost, cancel = await self._queue_script("extend_leases", req.queue,
                                                [us(req.lease_seconds), len(ids), *ids, *tokens],
                                                "renewing leases")
        return LeaseStatus([load_id(i) for i in lost], [load_id(i) for i in cancel])

    async def recover_stalled(self, req: RecoverStalled) -> RecoveredJobs:
        """Requeue or fail active jobs whose lease expired."""
        requeued, failed = await self._queue_script("recover_stalled", req.queue, [max(1, req.limit)],
                                                    "recovering stalled jobs")
        return RecoveredJobs([load_id(i) for i in requeued], [load_id(i) for i in failed])

    async def update_progress(self, req: UpdateProgress) -> bool:
        """Store progress under the lease token."""
        done = await self._queue_script("update_progress", req.queue,
                                        [store_id(req.job_id), req.token, req.progress_json], "storing progress")
        return bool(done)

    async def append_log(self, req: AppendLog) -> None:
        """Append a log line, keeping the newest `max_lines`."""
        await self._queue_script("append_log", req.queue, [store_id(req.job_id), req.line, max(1, req.max_lines)],
                                 "appending a log line")

    async def wait_for_jobs(self, req: WaitForJobs) -> None:
        """Block on the queues' wake-up markers (BZPOPMIN) until work may be there or timeout.
        A wait on one queue of a standalone server also claims, the moment it wakes, what its
        worker has room for (`prefetch.py`)."""
        if req.timeout <= 0 or not req.queues:
            return
        if self._waiter is None:
            raise RuntimeError("the Redis backend is not open: call open() first")
        if req.receive is not None and req.worker_id:
            self._receivers[req.worker_id] = req.receive
        chained = self._prefetch_command(req.queues[0]) if len(req.queues) == 1 else None
        woken = await self._waiter.wait([self._keys(q).wake for q in req.queues], req.timeout, chained)
        if woken:
            for q in req.queues:
                self._forget_next_due(q)

    def _prefetch_command(self, queue: str) -> ChainedCommand | None:
        plan = self._prefetch.plan(queue)
        if plan is None or self.settings.cluster or self._scripts is None:
            return None
        keys = self._keys(queue)
        token = secrets.token_hex(8)
        command = ("EVALSHA", self._scripts["claim_jobs"].sha, len(keys.script_keys), *keys.script_keys, keys.base,
                   plan.limit, us(plan.lease_seconds), token, plan.worker_id)

        def on_reply(reply: Any) -> None:
            try:
                self._prefetched(queue, plan, token, reply)
            except Exception:  # never break the wait: the leases expire and recovery requeues
                log.exception("could not take prefetched jobs of queue %s", queue)

        return ChainedCommand(command, on_reply, plan.worker_id)

    async def next_delayed_at(self, queue: str) -> float | None:
        """When the earliest delayed job becomes due. The time reported by this process's
        latest claim on the queue is used while fresh (at most `NEXT_DUE_FRESH` seconds old; a
        change made elsewhere also sets the queue's wake-up marker, which drops it)."""
        cached = self._next_due.get(queue)
        if cached is not None and time.monotonic() - cached[1] < NEXT_DUE_FRESH:
            return cached[0]
        try:
            with self._translated(f"reading delayed jobs of queue {queue!r}"):
                first = await self._c.zrange(self._keys(queue).delayed, 0, 0, withscores=True)
        except BackendUnavailable:
            # advisory (it only plans an idle wait): the next claim reports the outage
            return cached[0] if cached is not None else None
        return float(first[0][1]) / 1_000_000 if first else None

    def _forget_next_due(self, queue: str) -> None:
        self._next_due.pop(queue, None)

    # ------------------------------------------------------------ reading

    async def get_job(self, req: JobRef) -> Job | None:
        """One job, or None (also for a job whose stored fields are corrupt)."""
        return await self._drive(self._ops.get_job(req))

    async def get_logs(self, req: JobRef) -> list[LogLine]:
        """A job's log lines, oldest first."""
        return await self._drive(self._ops.get_logs(req))

    async def list_jobs(self, req: ListJobs) -> list[Job]:
        """One page of jobs in a state."""
        return await self._drive(self._ops.list_jobs(req))

    async def search_jobs(self, req: SearchJobs) -> list[Job]:
        """Jobs whose id, name, data or failed reason contains the text (case-insensitive),
        newest first (HSCAN over the queue's jobs: an admin operation)."""
        return await self._drive(self._ops.search_jobs(req))

    async def count_jobs(self, queue: str) -> dict[str, int]:
        """Counts for every state."""
        return await self._drive(self._ops.count_jobs(queue))

    async def list_queues(self) -> list[str]:
        """Every queue that was used (jobs added or settings stored)."""
        with self._translated("listing queues"):
            names = await self._c.smembers(self._global.queues)
        return sorted(names)

    # ------------------------------------------------------------ admin

    async def retry_failed(self, req: RetryFailed) -> list[str]:
        """Failed -> waiting with attempts reset."""
        return await self._drive(self._ops.retry_failed(req))

    async def _per_id(self, operation: str, req: JobIds, what: str) -> list[str]:
        if req.job_ids:
            self._forget_next_due(req.queue)
        return await self._drive(self._ops.per_id(operation, req, what))

    async def remove_jobs(self, req: JobIds) -> list[str]:
        """Delete jobs that are not active, with their logs."""
        return await self._per_id("remove_jobs", req, "removing jobs")

    async def promote_jobs(self, req: JobIds) -> list[str]:
        """Delayed -> waiting now."""
        return await self._per_id("promote_jobs", req, "promoting jobs")

    async def cancel_jobs(self, req: JobIds) -> list[str]:
        """Flag active jobs for cancellation."""
        return await self._per_id("cancel_jobs", req, "cancelling jobs")

    async def clean_jobs(self, req: CleanJobs) -> int:
        """Remove old jobs of one state."""
        return await self._drive(self._ops.clean_jobs(req))

    async def drain_queue(self, req: DrainQueue) -> int:
        """Remove waiting (and delayed) jobs, a bounded batch per script call."""
        self._forget_next_due(req.queue)
        return await self._drive(self._ops.drain_queue(req))

    async def set_paused(self, req: SetPaused) -> None:
        """Store the paused flag (resuming wakes idle workers)."""
        await self._register_queue(req.queue)
        await self._drive(self._ops.set_paused(req))

    async def configure_queue(self, req: ConfigureQueue) -> None:
        """Store rate limit and global concurrency."""
        await self._register_queue(req.queue)

        def text(v: float | None) -> str:
            return "" if v is None else repr(v)

        await self._queue_script("configure_queue", req.queue,
                                 [text(req.rate_max), text(req.rate_period), text(req.global_concurrency)],
                                 "configuring the queue")

    async def get_queue_settings(self, queue: str) -> QueueSettings:
        """Paused flag, rate limit and global concurrency of a queue."""
        return await self._drive(self._ops.get_queue_settings(queue))

    # ------------------------------------------------------------ workers

    def _worker_keys(self) -> list[str]:
        return [self._global.workers, self._global.worker_expiry]

    async def record_heartbeat(self, req: Heartbeat) -> None:
        """Register or refresh a worker; expired ones are forgotten."""
        info = json.dumps(asdict(req.info), separators=(",", ":"))
        await self._run("record_heartbeat", self._worker_keys(),
                        [req.info.worker_id, info, us(max(0.001, req.ttl))], "recording a heartbeat")

    async def remove_worker(self, worker_id: str) -> None:
        """Forget a worker; call off its prefetching waits and hand back what they held."""
        self._receivers.pop(worker_id, None)
        if self._waiter is not None:
            await self._waiter.call_off(worker_id)
        for queue, jobs in self._prefetch.forget_worker(worker_id).items():
            await self._release(queue, jobs)
        await self._run("remove_worker", self._worker_keys(), [worker_id], "removing a worker")

    async def list_workers(self) -> list[WorkerInfo]:
        """Workers with a live heartbeat."""
        infos = await self._run("list_workers", self._worker_keys(), [], "listing workers")
        out = [WorkerInfo(**json.loads(i)) for i in infos]
        out.sort(key=lambda w: w.worker_id)
        return out

    # ------------------------------------------------------------ events

    async def publish_events(self, req: PublishEvents) -> None:
        """Append a batch of events as one stream entry (stream trimmed with MAXLEN ~)."""
        if not req.events:
            return
        key = self._keys(req.queue).events
        with self._translated(f"publishing events on queue {req.queue!r}"):
            await self._c.xadd(key, {FIELD: encode_events(req.events)},
                                   maxlen=entries_to_keep(req.max_len, len(req.events)), approximate=True)

    async def read_events(self, req: ReadEvents) -> list[QueueEvent]:
        """Events after `after_id` ("" = only new ones, "0" = from the start), waiting up to
        `block` seconds (XREAD BLOCK) when there are none yet."""
        key = self._keys(req.queue).events
        limit = max(1, req.limit)
        what = f"reading events of queue {req.queue!r}"
        if req.after_id in ("", "$"):
            return await self._block_events(req, key, "$", limit)
        if req.after_id in ("0", "0-0"):
            with self._translated(what):
                entries = await self._c.xrange(key, "-", "+", count=limit)
            events = decode_entries(req.queue, entries, None, limit)
            return events or await self._block_events(req, key, "0-0", limit)
        try:
            entry, index = parse_cursor(req.after_id)
        except ValueError as exc:
            raise InvalidJobOptions(str(exc)) from None
        events = []
        with self._translated(what):
            if index >= 0:
                head = await self._c.xrange(key, entry, entry)
                events = decode_entries(req.queue, head, (entry, index), limit)
            if len(events) < limit:
                more = await self._c.xrange(key, f"({entry}", "+", count=limit)
                events += decode_entries(req.queue, more, None, limit - len(events))
        return events or await self._block_events(req, key, entry, limit)

    async def _block_events(self, req: ReadEvents, key: str, after: str, limit: int) -> list[QueueEvent]:
        if req.block <= 0:
            return []
        with self._translated(f"waiting for events of queue {req.queue!r}"):
            reply = await self._blocking_client.xread({key: after}, count=limit, block=max(1, int(req.block * 1000)))
        events: list[QueueEvent] = []
        for _stream, entries in reply or []:
            events += decode_entries(req.queue, entries, None, limit - len(events))
        return events

    # ------------------------------------------------------------ schedules

    def _schedule_keys(self) -> list[str]:
        return [self._global.schedules, self._global.schedule_runs, self._global.schedules_paused]

    async def upsert_schedule(self, req: UpsertSchedule) -> None:
        """Create or change a schedule (bookkeeping kept when the spec is unchanged)."""
        s = req.schedule
        await self._run("upsert_schedule", self._schedule_keys(),
                        [s.id, s.spec_json, _float_text(s.next_run), _float_text(s.last_run)], "storing a schedule")

    async def remove_schedule(self, req: ScheduleRef) -> bool:
        """Delete a schedule."""
        return bool(await self._run("remove_schedule", self._schedule_keys(), [req.schedule_id],
                                    "removing a schedule"))

    async def list_schedules(self) -> list[StoredSchedule]:
        """Every stored schedule."""
        with self._translated("listing schedules"):
            specs = await self._c.hgetall(self._global.schedules)
            runs = await self._c.hgetall(self._global.schedule_runs)
            paused = await self._c.smembers(self._global.schedules_paused)
        out: list[StoredSchedule] = []
        for sid in sorted(specs):
            last, _sep, nxt = runs.get(sid, "|").partition("|")
            out.append(StoredSchedule(sid, specs[sid], _float_or_none(nxt), _float_or_none(last), sid in paused))
        return out

    async def set_schedule_paused(self, req: PauseSchedule) -> bool:
        """Add the schedule to, or take it out of, the paused set."""
        return bool(await self._run("set_schedule_paused", self._schedule_keys(),
                                    [req.schedule_id, "1" if req.paused else "0"], "pausing or resuming a schedule"))

    async def record_schedule_run(self, req: RecordScheduleRun) -> bool:
        """Compare-and-set the schedule's last and next run."""
        return bool(await self._run("record_schedule_run", self._schedule_keys(),
                                    [req.schedule_id, _float_text(req.expected_last_run), _float_text(req.last_run),
                                     _float_text(req.next_run)], "recording a schedule run"))

    # ------------------------------------------------------------ throughput history

    async def record_history(self, req: RecordHistory) -> None:
        """Add counts to each queue's day hashes (one script call per queue and day)."""
        for (queue, day), fields in history.increments(req).items():
            if not fields:
                continue
            await self._register_queue(queue)  # read_history of every queue finds it
            args: list[Any] = [day + history.DAY + req.keep_seconds]
            for name, n in fields.items():
                args += [name, n]
            await self._run("record_history", [history.day_key(self._keys(queue).base, day)], args,
                            "recording throughput history")

    async def read_history(self, req: ReadHistory) -> History:
        """Read the day hashes of the range, for one queue or every queue."""
        check_read(req)
        params = read_params(req)
        queues = [req.queue] if req.queue is not None else await self.list_queues()
        flats = []
        for queue in queues:
            base = self._keys(queue).base
            keys = [history.day_key(base, d) for d in history.days_between(params["since"], params["until"])]
            flats.append(await self._run("read_history", keys,
                                         [params["since"], params["until"], params["since_hour"]],
                                         "reading throughput history"))
        return history.merge(req, flats)
