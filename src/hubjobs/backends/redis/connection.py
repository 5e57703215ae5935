"""Redis clients for the backend, the translation of Redis failures into the engine's typed
errors, and the start-up checks (server version, eviction policy)."""

from __future__ import annotations

import logging
import os
from types import TracebackType
from typing import Any

from redis import Redis as SyncRedis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import (
    ConnectionError as RedisConnectionError,
)
from redis.exceptions import (
    OutOfMemoryError,
    RedisClusterException,
    ResponseError,
)
from redis.exceptions import (
    TimeoutError as RedisTimeoutError,
)
from redis.sentinel import Sentinel as SyncSentinel

from ...errors import BackendFull, BackendUnavailable, ConfigurationError, HubJobsError
from .client import PACKED_CLASSES, ScriptLane, TimedRedis
from .settings import RedisSettings

log = logging.getLogger("hubjobs.redis")

MIN_SERVER_VERSION = (7, 0)
MAX_CONNECTIONS = 64
CLUSTER_MAX_CONNECTIONS = 4096
SENTINEL_MAX_CONNECTIONS = 1024
"""redis-py's Sentinel pool does not wait for a free connection, so its bound is high."""
"""Per node: the cluster client has no waiting pool, so its bound is high."""
_UNAVAILABLE_REPLIES = ("BUSY", "LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY")

REPLICATED_OPERATIONS = frozenset({"add_job", "add_jobs", "finish_jobs"})
"""Scripts whose writes `durability=replicated` waits for replicas to have (adds and finishes)."""

RedisClient = Redis | RedisCluster
"""A standalone or cluster asyncio client."""


def client_options(settings: RedisSettings, *, blocking: bool) -> dict[str, Any]:
    """Options shared by the asyncio clients and the sync twin's client (see `make_client`)."""
    return {
        "decode_responses": True,
        "socket_connect_timeout": settings.connect_timeout,
        "socket_timeout": None,  # standalone: TimedRedis bounds each command (redis-py's default is 5 s)
        "socket_keepalive": True,
        "client_name": f"{'hubjobs-wait' if blocking else 'hubjobs'}:{os.getpid()}",
    }


def make_client(settings: RedisSettings, *, blocking: bool) -> RedisClient:
    """A client for ordinary commands, or (`blocking`) for commands that wait on the server.

    Ordinary commands retry once at once on a dropped connection (a stale pooled connection
    after a restart or a CLIENT KILL), never after a timeout (the command may still run), and
    then fail: producers get BackendUnavailable at once while Redis is down. Blocking commands
    do not retry: the worker sees the error, logs it and reconnects with its own backoff.
    Connections are named `hubjobs:<pid>` / `hubjobs-wait:<pid>` (see CLIENT LIST). A standalone
    client holds at most `MAX_CONNECTIONS`; more concurrent commands wait for a free one, and
    bounds each command as a whole by the socket timeout (see `client.py`)."""
    options = client_options(settings, blocking=blocking)
    options["retry"] = Retry(NoBackoff(), 0 if blocking else 1, supported_errors=(RedisConnectionError,))
    if settings.cluster:
        options["socket_timeout"] = None if blocking else settings.socket_timeout
        return RedisCluster.from_url(settings.client_url, max_connections=CLUSTER_MAX_CONNECTIONS, **options)
    if settings.sentinels:
        return _sentinel_client(settings, options, blocking)
    pool = BlockingConnectionPool.from_url(settings.client_url, max_connections=MAX_CONNECTIONS,
                                           timeout=settings.socket_timeout, **options)
    pool.connection_class = PACKED_CLASSES.get(pool.connection_class, pool.connection_class)
    client = TimedRedis.from_pool(pool)
    assert isinstance(client, TimedRedis)
    client.command_timeout = None if blocking else settings.socket_timeout
    return client


def _sentinel_client(settings: RedisSettings, options: dict[str, Any], blocking: bool) -> TimedRedis:
    """A client of the primary that Sentinel names: each new connection asks the Sentinels where
    the primary is, and a connection that finds its server demoted (READONLY) or gone is dropped,
    so after a failover the next commands reach the new primary without a restart."""
    sentinel_options: dict[str, Any] = {"socket_connect_timeout": settings.connect_timeout,
                                        "socket_timeout": settings.connect_timeout}
    if settings.sentinel_password:
        sentinel_options["password"] = settings.sentinel_password
    sentinel = Sentinel(list(settings.sentinels), sentinel_kwargs=sentinel_options)  # type: ignore[no-untyped-call]
    client = sentinel.master_for(settings.service or "", redis_class=TimedRedis, db=settings.db,
                                 username=settings.username, password=settings.password, ssl=settings.tls,
                                 max_connections=SENTINEL_MAX_CONNECTIONS, **options)
    assert isinstance(client, TimedRedis)
    client.command_timeout = None if blocking else settings.socket_timeout
    return client


def sentinel_sync_client(settings: RedisSettings, options: dict[str, Any]) -> SyncRedis:
    """The sync twin's client of the primary that Sentinel names (see `_sentinel_client`)."""
    sentinel_options: dict[str, Any] = {"socket_connect_timeout": settings.connect_timeout,
                                        "socket_timeout": settings.connect_timeout}
    if settings.sentinel_password:
        sentinel_options["password"] = settings.sentinel_password
    sentinel = SyncSentinel(list(settings.sentinels), sentinel_kwargs=sentinel_options)  # type: ignore[no-untyped-call]
    client = sentinel.master_for(settings.service or "", db=settings.db, username=settings.username,  # type: ignore[no-untyped-call]
                                 password=settings.password, ssl=settings.tls,
                                 max_connections=SENTINEL_MAX_CONNECTIONS, **options)
    assert isinstance(client, SyncRedis)
    return client


def lane_client(client: RedisClient) -> ScriptLane | None:
    """A `ScriptLane` on `client`'s pool for a caller that sends one script call at a time (a
    queue's single adds); None for a cluster client (it routes each call itself)."""
    if not isinstance(client, TimedRedis):
        return None
    return ScriptLane(client.connection_pool, client.command_timeout)


class translated:
    """Raise BackendFull for Redis out-of-memory refusals and BackendUnavailable when Redis
    cannot be reached or cannot serve now, naming the operation (on `queue`) and the server.
    (A plain class rather than a generator context manager: it sits on every command's path.)"""

    __slots__ = ("queue", "what", "where")

    def __init__(self, what: str, where: str, queue: str | None = None) -> None:
        self.what, self.where, self.queue = what, where, queue

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 _tb: TracebackType | None) -> None:
        if exc is None or isinstance(exc, HubJobsError):
            return
        what = self.what if self.queue is None else f"{self.what} on queue {self.queue!r}"
        if isinstance(exc, OutOfMemoryError):
            raise BackendFull(f"Redis at {self.where} is out of memory (maxmemory reached) while {what}: {exc}. "
                              "Free memory (finish or clean jobs) or raise maxmemory") from None
        if isinstance(exc, ResponseError):
            text = str(exc)
            if text.startswith("OOM") or "OOM command not allowed" in text:
                raise BackendFull(f"Redis at {self.where} is out of memory (maxmemory reached) while {what}: "
                                  f"{text}. Free memory (finish or clean jobs) or raise maxmemory") from None
            if text.startswith(_UNAVAILABLE_REPLIES):
                raise BackendUnavailable(f"Redis at {self.where} cannot serve while {what}: {text}") from None
            return
        if isinstance(exc, (RedisConnectionError, RedisTimeoutError, RedisClusterException, OSError, TimeoutError)):
            raise BackendUnavailable(f"Redis at {self.where} is unreachable while {what}: "
                                     f"{type(exc).__name__}: {exc}") from None


def _node_infos(reply: Any) -> list[dict[str, Any]]:
    """INFO replies of a standalone server or of each cluster node, as a list."""
    if isinstance(reply, dict) and reply and all(isinstance(v, dict) for v in reply.values()):
        return list(reply.values())
    return [reply]


def _version(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


async def check_server(client: RedisClient, settings: RedisSettings) -> None:
    """Refuse servers older than 7.0 and an eviction policy that could drop jobs."""
    check_infos(await client.info("server"), await client.info("memory"), settings)


def check_infos(server: Any, memory: Any, settings: RedisSettings) -> None:
    """The start-up checks on INFO server / INFO memory replies (of either client)."""
    for info in _node_infos(server):
        version = str(info.get("redis_version", "0"))
        if _version(version) < MIN_SERVER_VERSION:
            raise ConfigurationError(
                f"Redis at {settings.display} is version {version}; the hubjobs Redis backend needs "
                f"Redis {'.'.join(map(str, MIN_SERVER_VERSION))} or newer (script flags, LPOP with a count)")
    for info in _node_infos(memory):
        policy = str(info.get("maxmemory_policy", "noeviction"))
        if policy == "noeviction":
            continue
        if settings.allow_eviction:
            log.warning(
                "Redis at %s has maxmemory-policy %s: Redis may EVICT job keys under memory pressure and "
                "jobs can be LOST or corrupted. Started anyway because the URL says allow_eviction=1. "
                "Fix: CONFIG SET maxmemory-policy noeviction (and set it in redis.conf).",
                settings.display, policy)
            continue
        raise ConfigurationError(
            f"Redis at {settings.display} has maxmemory-policy {policy}, which lets Redis evict job keys "
            "under memory pressure (jobs would be lost). Fix it with `CONFIG SET maxmemory-policy "
            "noeviction` (and `maxmemory-policy noeviction` in redis.conf), or add ?allow_eviction=1 "
            "to the URL to start anyway at your own risk")
