"""LISTEN on one dedicated connection and count notifications per (channel, payload).

A waiter remembers the counts it has seen (`version`) and `wait_changed` returns as soon as any of
them moves, or at its timeout: no polling. When the connection is lost the listener reconnects
in the background; every reconnection counts as a change of every key, because notifications
sent meanwhile were lost. Callers that must not miss a notification (a claim, then a wait) first
await `started()`, so that LISTEN is in place before they read the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence

import psycopg
from psycopg import sql

from ...errors import BackendUnavailable
from .connection import AsyncConn, connect
from .settings import PostgresSettings

log = logging.getLogger("hubjobs.postgres")

RECONNECT_MIN_SECONDS = 0.05
RECONNECT_MAX_SECONDS = 2.0

Version = tuple[int, int]
"""(connection generation, notifications counted for one key on that connection)."""


def listen_key(channel: str, payload: str) -> str:
    """The key a notification is counted under."""
    return f"{channel}\x00{payload}"


class Listener:
    """One LISTEN connection for a backend instance, counting notifications on `channels`."""

    def __init__(self, settings: PostgresSettings, channels: Sequence[str]) -> None:
        self.settings = settings
        self.channels = list(channels)
        self._counts: dict[str, int] = {}
        self._generation = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._first_connection = asyncio.Event()
        self.connected = False
        """True while LISTEN is in place."""
        self._closing = False

    # ------------------------------------------------------------ waiting

    def version(self, key: str) -> Version:
        """The current version of a key; compare with a later one to see if it moved."""
        return (self._generation, self._counts.get(key, 0))

    async def wait_changed(self, seen: Mapping[str, Version], timeout: float) -> bool:
        """Wait until a key's version differs from `seen` or `timeout` seconds pass; True if
        something changed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if any(self.version(key) != v for key, v in seen.items()):
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            changed = self._changed
            try:
                # asyncio.timeout, not wait_for: wait_for (3.11) may swallow the waiter's own
                # cancellation when the event fires at the same moment, and this loop would
                # then sleep on until its timeout
                async with asyncio.timeout(remaining):
                    await changed.wait()
            except TimeoutError:
                return any(self.version(key) != v for key, v in seen.items())

    def _signal(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # ------------------------------------------------------------ the connection

    @property
    def running(self) -> bool:
        """True once started and not closed."""
        return self._task is not None and not self._task.done()

    def ensure_running(self) -> None:
        """Start listening in the background if not yet started."""
        if self.running or self._closing:
            return
        self._task = asyncio.get_running_loop().create_task(self._serve(), name="hubjobs-pg-listen")

    async def started(self, timeout: float) -> bool:
        """Start if needed and wait (up to `timeout`) until LISTEN was in place once; False if it
        could not connect in time (it keeps trying in the background)."""
        self.ensure_running()
        if self._first_connection.is_set():
            return True
        try:
            async with asyncio.timeout(timeout):
                await self._first_connection.wait()
        except TimeoutError:
            return False
        return True

    async def _connect(self) -> AsyncConn:
        conn = await connect(self.settings, "connecting to LISTEN")
        try:
            for channel in self.channels:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _serve(self) -> None:
        delay = RECONNECT_MIN_SECONDS
        lost = False
        while not self._closing:
            conn: AsyncConn | None = None
            try:
                conn = await self._connect()
                if self._first_connection.is_set():  # a reconnection: notifications may be lost
                    self._generation += 1
                    self._signal()
                self._first_connection.set()
                self.connected = True
                if lost:
                    log.info("LISTEN connection to PostgreSQL restored")
                lost = False
                delay = RECONNECT_MIN_SECONDS
                async for note in conn.notifies():
                    key = listen_key(note.channel, note.payload)
                    self._counts[key] = self._counts.get(key, 0) + 1
                    self._signal()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError, BackendUnavailable) as exc:  # refused, lost or broken
                if not self._closing and not lost:
                    log.warning("LISTEN connection to PostgreSQL lost (%s); reconnecting", exc)
                lost = True
            finally:
                self.connected = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            if self._closing:
                return
            self._generation += 1
            self._signal()
            await asyncio.sleep(delay)
            delay = min(RECONNECT_MAX_SECONDS, delay * 2)

    async def close(self) -> None:
        """Stop listening and close the connection."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._signal()
