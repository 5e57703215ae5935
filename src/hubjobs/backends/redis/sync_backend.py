"""RedisSyncBackend: the producer and admin operations from the calling thread, on redis-py's
blocking client with hiredis (the plans of `operations.py`, the same Lua scripts as the async
backend, EVALSHA with a SCRIPT LOAD on NOSCRIPT).

Each call takes an idle connection from a free list (a connection of the client's pool when
none is idle) and puts it back when done, so any number of threads call at once, each on a
connection of its own, with no lock on the way; a script call is packed by hiredis, written to
the socket and its reply read straight off it (`sync_lane.py`)."""

from __future__ import annotations

import hashlib
from typing import Any

from redis import BlockingConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.retry import Retry

from ...errors import BackendUnavailable, InvalidJobOptions
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
from .connection import (
    CLUSTER_MAX_CONNECTIONS,
    MAX_CONNECTIONS,
    REPLICATED_OPERATIONS,
    check_infos,
    client_options,
    sentinel_sync_client,
    translated,
)
from .operations import Command, Plan, RedisOperations, Script, T, run_plan
from .scripts import load_sources
from .settings import parse_redis_url
from .sync_lane import SyncLane

MAX_IDLE_CONNECTIONS = 16
"""Idle connections kept for reuse; more threads at once take more, given back to the pool."""


class RedisSyncBackend(SyncBackend):
    """The sync twin of `RedisBackend` (same URL, same keys and scripts)."""

    def __init__(self, url: str) -> None:
        from .backend import RedisBackend

        self.url = url
        self.capabilities: Capabilities = RedisBackend.capabilities
        self.settings = parse_redis_url(url)
        self._ops = RedisOperations(self.settings.prefix)
        self._sources = load_sources()
        self._shas = {op: hashlib.sha1(text.encode()).hexdigest() for op, text in self._sources.items()}
        self._client: Redis | None = None
        self._cluster: RedisCluster | None = None
        self._scripts: dict[str, Any] = {}
        self._idle: list[SyncLane] = []
        self._registered: set[str] = set()
        self._replicated = self.settings.durability == "replicated"

    def __repr__(self) -> str:
        return f"RedisSyncBackend({self.settings.display!r}, prefix={self.settings.prefix!r})"

    # ------------------------------------------------------------ lifecycle

    def open(self) -> None:
        """Connect and check the server (version, eviction policy), as the async backend does."""
        if self._client is not None or self._cluster is not None:
            return
        options = client_options(self.settings, blocking=False)
        options["socket_timeout"] = self.settings.socket_timeout
        options["retry"] = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
        client: Redis | RedisCluster
        if self.settings.cluster:
            client = RedisCluster.from_url(self.settings.client_url, max_connections=CLUSTER_MAX_CONNECTIONS,
                                           **options)
        elif self.settings.sentinels:
            client = sentinel_sync_client(self.settings, options)
        else:
            pool = BlockingConnectionPool.from_url(self.settings.client_url, max_connections=MAX_CONNECTIONS,
                                                   timeout=self.settings.socket_timeout, **options)
            client = Redis(connection_pool=pool)
        try:
            with translated("connecting", self.settings.display):
                client.ping()
                check_infos(client.info("server"), client.info("memory"), self.settings)
        except BaseException:
            client.close()
            raise
        if isinstance(client, RedisCluster):
            self._cluster = client
            self._scripts = {op: client.register_script(text) for op, text in self._sources.items()}
        else:
            self._client = client

    def close(self) -> None:
        """Give the idle connections back and close the client."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            while self._idle:
                lane = self._idle.pop()
                lane.conn.disconnect()
                client.connection_pool.release(lane.conn)
            client.close()
            client.connection_pool.disconnect()
        if cluster is not None:
            cluster.close()

    # ------------------------------------------------------------ running plans

    def _drive(self, plan: Plan[T]) -> T:
        return run_plan(plan, self._call)

    def _call(self, step: Script | Command) -> Any:
        with translated(step.what, self.settings.display, step.queue):
            if self._cluster is not None:
                if isinstance(step, Script):
                    return self._scripts[step.operation](keys=step.keys, args=step.args)
                return self._cluster.execute_command(*step.args)  # type: ignore[no-untyped-call]
            return self._on_connection(step)

    def _on_connection(self, step: Script | Command) -> Any:
        """Run a call on an idle connection; a connection dropped under it (Redis restarted,
        CLIENT KILL) is reconnected and the call sent once more, like the async client's single
        retry (the operations sent are idempotent or refused by their script)."""
        client = self._client
        if client is None:
            raise RuntimeError("the Redis sync backend is not open: call open() first")
        pool = client.connection_pool
        try:
            lane = self._idle.pop()  # list.pop/append are atomic: a lock-free free list
        except IndexError:
            lane = SyncLane(pool.get_connection())
        for attempt in (1, 2):
            try:
                if isinstance(step, Script):
                    op = step.operation
                    reply = lane.evalsha(self._shas[op], self._sources[op], step.keys, step.args)
                    if self._replicated and op in REPLICATED_OPERATIONS:
                        self._wait_replicas(lane, step)
                else:
                    lane.conn.send_command(*step.args, check_health=False)
                    reply = client.parse_response(lane.conn, str(step.args[0]))  # type: ignore[no-untyped-call]
            except ResponseError:
                self._put_back(pool, lane)  # the error reply was read whole: the connection is fine
                raise
            except RedisConnectionError:
                lane.drop()  # the retry reconnects this lane (other idle ones may be as stale)
                if attempt == 2:
                    pool.release(lane.conn)
                    raise
                continue
            except BaseException:
                lane.drop()  # a reply may be left unread: never reuse this connection as is
                pool.release(lane.conn)
                raise
            self._put_back(pool, lane)
            return reply
        raise AssertionError("unreachable")

    def _wait_replicas(self, lane: SyncLane, step: Script) -> None:
        """WAIT on the connection that ran the script (durability=replicated): fewer replicas
        than asked within `wait_timeout` is an outage (the write is on the primary only)."""
        need, timeout = self.settings.replicas, self.settings.wait_timeout
        acked = lane.command("WAIT", need, max(1, int(timeout * 1000)))
        if int(acked) < need:
            raise BackendUnavailable(
                f"Redis at {self.settings.display} did not replicate {step.what} to {need} replica(s) within "
                f"{timeout:g} s (only {acked}): the primary has it, but a failover now could lose it "
                "(durability=replicated)")

    def _put_back(self, pool: Any, lane: SyncLane) -> None:
        if len(self._idle) < MAX_IDLE_CONNECTIONS and self._client is not None:
            self._idle.append(lane)
        else:
            pool.release(lane.conn)

    def _register(self, queue: str) -> None:
        if queue not in self._registered:
            self._call(self._ops.register_queue(queue))
            self._registered.add(queue)

    # ------------------------------------------------------------ producing

    def add_jobs(self, req: AddJobs) -> list[AddedJob]:
        """Add jobs: one `add_job` script call for a single waiting job, else one call per chunk."""
        if req.connection is not None:
            raise InvalidJobOptions("the Redis backend cannot enqueue inside a caller's database transaction "
                                    "(use PostgreSQL or SQLite for that)")
        if not req.jobs:
            return []
        self._ops.keys(req.queue)
        self._register(req.queue)
        return self._drive(self._ops.add_jobs(req.queue, req.jobs))

    # ------------------------------------------------------------ reading

    def get_job(self, req: JobRef) -> Job | None:
        """One job, or None."""
        return self._drive(self._ops.get_job(req))

    def get_logs(self, req: JobRef) -> list[LogLine]:
        """A job's log lines, oldest first."""
        return self._drive(self._ops.get_logs(req))

    def list_jobs(self, req: ListJobs) -> list[Job]:
        """One page of jobs in a state."""
        return self._drive(self._ops.list_jobs(req))

    def search_jobs(self, req: SearchJobs) -> list[Job]:
        """Jobs matching a text in id, name, data or failure reason."""
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
        """Delete jobs that are not active, with their logs."""
        return self._drive(self._ops.per_id("remove_jobs", req, "removing jobs"))

    def promote_jobs(self, req: JobIds) -> list[str]:
        """Delayed -> waiting now."""
        return self._drive(self._ops.per_id("promote_jobs", req, "promoting jobs"))

    def cancel_jobs(self, req: JobIds) -> list[str]:
        """Flag active jobs for cancellation."""
        return self._drive(self._ops.per_id("cancel_jobs", req, "cancelling jobs"))

    def clean_jobs(self, req: CleanJobs) -> int:
        """Remove old jobs of one state."""
        return self._drive(self._ops.clean_jobs(req))

    def drain_queue(self, req: DrainQueue) -> int:
        """Remove waiting (and delayed) jobs."""
        return self._drive(self._ops.drain_queue(req))

    def set_paused(self, req: SetPaused) -> None:
        """Store the paused flag (resuming wakes idle workers)."""
        self._register(req.queue)
        self._drive(self._ops.set_paused(req))
