"""The standalone Redis client the backend talks through: redis-py's asyncio client with two
changes that shorten every command's path, which matters most when a process wakes cold (a job
added to an idle queue); and `ScriptLane`, the shortest path for a queue's single adds:

- commands are packed by hiredis' C packer (redis-py's asyncio connections pack in Python);
- the socket timeout bounds the whole command with one `asyncio.timeout` instead of redis-py's
  per-connection timeout, whose write side wraps every send in `asyncio.wait_for` (a Task and
  two extra event-loop iterations per command on Python 3.11). A command cut off by the timeout
  has its connection dropped by redis-py (a read interrupted mid-reply is never reused) and
  surfaces as `TimeoutError`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import hiredis

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError, NoScriptError


def pack_command(*args: Any) -> list[bytes]:
    """One command in the Redis protocol. Like redis-py, a first argument with spaces
    ("CLIENT SETNAME") is split into words."""
    head = args[0]
    if isinstance(head, str) and " " in head or isinstance(head, bytes) and b" " in head:
        args = (*head.split(), *args[1:])
    try:
        return [hiredis.pack_command(args)]
    except TypeError:
        bad = next((a for a in args if not isinstance(a, (str, bytes, int, float)) or isinstance(a, bool)), None)
        raise DataError(f"invalid argument {bad!r} of type {type(bad).__name__} in Redis command {args[0]!r}: "
                        "only str, bytes, int and float can be sent") from None


class _HiredisPacking:
    """Packs commands with hiredis (see `pack_command`)."""

    def pack_command(self, *args: Any) -> list[bytes]:
        """See `pack_command`."""
        return pack_command(*args)


class PackedConnection(_HiredisPacking, Connection):
    """A TCP connection packing with hiredis."""


class PackedSSLConnection(_HiredisPacking, SSLConnection):
    """A TLS connection packing with hiredis."""


class PackedUnixConnection(_HiredisPacking, UnixDomainSocketConnection):
    """A Unix-socket connection packing with hiredis."""


PACKED_CLASSES: dict[type[AbstractConnection], type[AbstractConnection]] = {
    Connection: PackedConnection,
    SSLConnection: PackedSSLConnection,
    UnixDomainSocketConnection: PackedUnixConnection,
}
"""redis-py's connection class (chosen from the URL scheme) → ours."""


class TimedRedis(Redis):
    """A standalone client whose commands each complete within `command_timeout` seconds (None:
    no bound), or raise TimeoutError."""

    command_timeout: float | None = None

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Run one command within the command timeout."""
        if self.command_timeout is None:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        async with asyncio.timeout(self.command_timeout):
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


class ScriptLane:
    """One connection taken from a pool and kept by a caller that runs one script call at a
    time (a queue's single adds, see `batching.py`): EVALSHA is packed and written straight to
    the socket and its reply read straight off it, with none of the client's per-command
    machinery (pool checkout and checks, retry wrapper, script object). Still:

    - the command timeout bounds each call (TimeoutError; redis-py drops a connection whose
      read or write was cut off);
    - a dropped connection (Redis restarted, CLIENT KILL, a Sentinel failover) is given back and
      a fresh one taken from the pool, and the call sent once more, like the client's single retry: callers must send idempotent calls (adds are: a
      job id that exists is left as it is);
    - NOSCRIPT (a restarted or flushed server) loads the script and calls again."""

    def __init__(self, pool: ConnectionPool, command_timeout: float | None) -> None:
        self._pool = pool
        self._timeout = command_timeout
        self._conn: AbstractConnection | None = None

    async def _call(self, conn: AbstractConnection, packed: list[bytes]) -> Any:
        async with asyncio.timeout(self._timeout):
            await conn.send_packed_command(packed, check_health=False)
            return await conn.read_response()

    async def evalsha(self, sha: str, script: str, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """Run a script by its SHA (loading its text once if the server lacks it)."""
        packed = pack_command("EVALSHA", sha, len(keys), *keys, *args)
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = await self._pool.get_connection()  # type: ignore[no-untyped-call]
            conn = self._conn
            try:
                return await self._call(conn, packed)
            except NoScriptError:
                await self._call(conn, pack_command("SCRIPT", "LOAD", script))
                return await self._call(conn, packed)
            except RedisConnectionError:
                # hand the dropped connection back and take one through the pool, which connects
                # it afresh (to wherever Sentinel names the primary now: a connection reconnecting
                # by itself would dial its old address)
                await conn.disconnect()
                self._conn = None
                await self._pool.release(conn)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        """Give the connection back to the pool."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._pool.release(conn)
