"""Waiting for work without polling: idle workers block on queues' wake-up markers with
BZPOPMIN on a dedicated connection.

A blocking call outlives a caller that stops waiting (the worker also wakes for its own
reasons, e.g. a finished job): it keeps its connection, and its outcome is used by the next
wait. So an idle worker neither drops connections nor misses a wake-up that arrived in between.

A standalone server's blocking calls run on connections the waiter keeps (see `_block_on`).
On Redis Cluster the markers of different queues live in different slots, and one BZPOPMIN
may only name keys of one slot: there, one blocking call per queue runs concurrently and the
first to return ends the wait."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ResponseError

from ...errors import BackendUnavailable
from .connection import RedisClient, translated
from .wake_connection import WakeAddress, WakeConnection, reply_error

log = logging.getLogger("hubjobs.redis")

MAX_BACKOFF = 5.0
STALE_GRACE = 5.0
"""A blocking call still pending this long after its own timeout is presumed stuck (a frozen
network) and replaced."""


@dataclass(frozen=True)
class ChainedCommand:
    """A command pipelined behind the blocking call on the same connection: Redis runs it the
    moment the blocking call returns. `on_reply` gets its reply (or error) before the wait
    reports the wake-up, whether or not anyone is still waiting; on a `WakeConnection`, from
    inside the read callback itself, so it must not block and must not raise."""

    command: tuple[Any, ...]
    on_reply: Callable[[Any], None]
    owner: str = ""
    """Who the command works for (a worker id), so that it can be called off."""


def _wait_commands(keys: tuple[str, ...], timeout: float,
                   chained: ChainedCommand | None) -> list[tuple[Any, ...]]:
    """BZPOPMIN on the markers, and the chained command behind it."""
    commands: list[tuple[Any, ...]] = [("BZPOPMIN", *keys, timeout)]
    if chained is not None:
        commands.append(chained.command)
    return commands


class _Blocker:
    """One in-flight BZPOPMIN on a set of marker keys."""

    def __init__(self, task: asyncio.Task[Any], timeout: float, owner: str) -> None:
        self.task = task
        self.deadline = time.monotonic() + timeout + STALE_GRACE
        self.owner = owner


class WakeWaiter:
    """Blocks until a queue's wake-up marker is set or a timeout passes."""

    def __init__(self, client: RedisClient, *, cluster: bool, where: str) -> None:
        self._client = client
        self._address = None if not isinstance(client, Redis) else WakeAddress.supported(
            client.connection_pool.connection_class, client.connection_pool.connection_kwargs)
        self._direct: list[WakeConnection] = []
        """Connections of our own for blocking waits (see `wake_connection.py`), one per
        concurrent wait, kept between waits."""
        self._cluster = cluster
        self._where = where
        self._blockers: dict[tuple[str, ...], _Blocker] = {}
        self._failures = 0
        self._kept: list[AbstractConnection] = []
        """Standalone: connections of the blocking client's pool kept between blocking calls
        (one per concurrent wait), so a wait neither takes nor returns a pooled connection."""

    def _groups(self, markers: Sequence[str]) -> list[tuple[str, ...]]:
        if self._cluster:
            return [(m,) for m in markers]
        return [tuple(markers)]

    async def _block(self, keys: tuple[str, ...], timeout: float, chained: ChainedCommand | None) -> Any:
        if not isinstance(self._client, Redis):  # cluster: the client routes each key to its node
            with translated("waiting for jobs", self._where):
                return await self._client.bzpopmin(list(keys), timeout)
        if self._address is not None:
            return await self._block_direct(keys, timeout, chained)
        pool = self._client.connection_pool
        with translated("waiting for jobs", self._where):
            conn = self._kept.pop() if self._kept else await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            with translated("waiting for jobs", self._where):
                popped, reply = await self._block_on(conn, keys, timeout, chained)
            if chained is not None:
                chained.on_reply(reply)
        finally:
            self._kept.append(conn)
        return popped

    async def _block_direct(self, keys: tuple[str, ...], timeout: float, chained: ChainedCommand | None) -> Any:
        """BZPOPMIN (and the chained command) on a connection of our own: the chained reply is
        handled inside the read callback that parses it."""
        assert self._address is not None
        conn = self._direct.pop() if self._direct else WakeConnection(self._address)
        try:
            with translated("waiting for jobs", self._where):
                await conn.open()
                future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

                def done(replies: list[Any]) -> None:
                    if chained is not None:
                        chained.on_reply(replies[1])
                    error = reply_error(replies[0])
                    if future.done():
                        return
                    if error is not None:
                        future.set_exception(error)
                    else:
                        future.set_result(replies[0])

                def failed(exc: BaseException) -> None:
                    if not future.done():
                        future.set_exception(exc)

                conn.send(_wait_commands(keys, timeout, chained), done, failed)
                return await future
        except BaseException:
            conn.close()  # a wait cut short (or failed) leaves nothing queued on the connection
            raise
        finally:
            self._direct.append(conn)

    @staticmethod
    async def _block_on(conn: AbstractConnection, keys: tuple[str, ...], timeout: float,
                        chained: ChainedCommand | None) -> tuple[Any, Any]:
        """Send BZPOPMIN (and the chained command behind it) and read the replies straight off
        the connection: no pipeline or pool bookkeeping on the path from wake-up to the worker.
        The chained command's error reply is returned as its reply; a connection left with a
        reply unread is dropped (redis-py also drops one whose read was cancelled)."""
        await conn.send_packed_command(conn.pack_commands(_wait_commands(keys, timeout, chained)))
        try:
            popped = await conn.read_response()
        except ResponseError:
            await conn.disconnect()
            raise
        if chained is None:
            return popped, None
        try:
            reply = await conn.read_response()
        except ResponseError as exc:
            reply = exc
        return popped, reply

    def _blocker(self, keys: tuple[str, ...], timeout: float, chained: ChainedCommand | None = None) -> _Blocker:
        current = self._blockers.get(keys)
        if current is not None and not current.task.done() and time.monotonic() > current.deadline:
            current.task.cancel()
            current = None
        if current is None:
            task = asyncio.ensure_future(self._block(keys, timeout, chained))
            current = _Blocker(task, timeout, chained.owner if chained is not None else "")
            self._blockers[keys] = current
        return current

    def _settled(self, keys: tuple[str, ...]) -> bool:
        """Consume a finished blocker: True if it saw a marker; raises its error."""
        blocker = self._blockers.pop(keys)
        if blocker.task.cancelled():
            return False
        exc = blocker.task.exception()
        if exc is not None:
            raise exc
        return blocker.task.result() is not None

    async def wait(self, markers: Sequence[str], timeout: float, chained: ChainedCommand | None = None) -> bool:
        """Return when one of the markers is set (work may be available: True) or after
        `timeout` (False).

        A lost connection (Redis restarted, CLIENT KILL) is logged and, after a backoff that
        grows with consecutive failures (bounded by `timeout`), reported as a wake-up: the
        caller's next operation reconnects or reports the outage itself. `chained` (a wait on a
        single marker of a standalone server only) runs right after the blocking call."""
        try:
            woken = await self._wait(markers, timeout, chained)
        except BackendUnavailable as exc:
            self._failures += 1
            delay = min(MAX_BACKOFF, 0.05 * 2 ** min(self._failures, 7), timeout)
            log.warning("backend unavailable: lost the blocking connection (%s); reconnecting in %.2f s",
                        exc, delay)
            await asyncio.sleep(delay)
            return True
        self._failures = 0
        return woken

    async def _wait(self, markers: Sequence[str], timeout: float, chained: ChainedCommand | None) -> bool:
        groups = self._groups(markers)
        # a blocking call that finished while nobody waited tells its news now
        for keys in groups:
            blocker = self._blockers.get(keys)
            if blocker is not None and blocker.task.done() and self._settled(keys):
                return True
        server_timeout = max(0.01, round(timeout, 3))
        if chained is not None and (self._cluster or len(groups) != 1 or len(groups[0]) != 1):
            chained = None
        tasks = [self._blocker(keys, server_timeout, chained).task for keys in groups]
        done, _pending = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        woken = False
        for keys in groups:
            blocker = self._blockers.get(keys)
            if blocker is not None and blocker.task in done:
                woken = self._settled(keys) or woken
        return woken

    async def call_off(self, owner: str) -> None:
        """Cancel the blocking calls with a chained command for `owner`: their connection is
        dropped, so Redis never runs the chained command of a call still blocked."""
        mine = [(keys, b) for keys, b in self._blockers.items() if b.owner == owner and not b.task.done()]
        for keys, blocker in mine:
            del self._blockers[keys]
            blocker.task.cancel()
        if mine:
            await asyncio.gather(*(b.task for _k, b in mine), return_exceptions=True)

    async def close(self) -> None:
        """Stop every blocking call; give the kept connections back to the pool."""
        tasks = [b.task for b in self._blockers.values()]
        self._blockers.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for direct in self._direct:
            direct.close()
        self._direct = []
        kept, self._kept = self._kept, []
        if isinstance(self._client, Redis):
            for conn in kept:
                await self._client.connection_pool.release(conn)
