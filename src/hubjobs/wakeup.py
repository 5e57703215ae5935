"""The flag a worker's loop sleeps on: set when a job finishes, a stall is recovered or a stop
is asked for. Like asyncio.Event, but it also hands out plain futures, so the loop can wait
for "a round trip ended or the flag was set" with `asyncio.wait` without creating a Task (and,
when done, awaiting its cancellation) for each wait: the loop waits once per round trip, and a
wake-up is on the path from a job being added to its handler starting."""

from __future__ import annotations

import asyncio

PRUNE_AT = 16
"""Abandoned futures are dropped once this many are waiting."""


class Wakeup:
    """A settable flag with cheap waiters."""

    def __init__(self) -> None:
        self._is_set = False
        self._waiters: list[asyncio.Future[None]] = []

    def set(self) -> None:
        """Set the flag and resolve every waiting future."""
        if self._is_set:
            return
        self._is_set = True
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def clear(self) -> None:
        """Clear the flag."""
        self._is_set = False

    def is_set(self) -> bool:
        """Whether the flag is set."""
        return self._is_set

    def future(self) -> asyncio.Future[None]:
        """A future resolved when the flag is (or already was) set; cancel it when no longer
        needed."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._is_set:
            fut.set_result(None)
            return fut
        if len(self._waiters) >= PRUNE_AT:
            self._waiters = [f for f in self._waiters if not f.done()]
        self._waiters.append(fut)
        return fut

    async def wait(self) -> None:
        """Wait until the flag is set."""
        if not self._is_set:
            await self.future()
