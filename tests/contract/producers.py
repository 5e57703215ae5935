"""The producer twins for the contract suite: a queue's producer and admin operations as
coroutines, run through the async API (`q.aadd`) or through the sync API (`q.add`) called from a
thread of its own, as a Django or Flask view calls it."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from hubjobs.queue import Queue

PRODUCER_KINDS = ("async", "sync")


class Producer:
    """`await producer.add(...)`, `await producer.counts()`... on one queue, through one twin."""

    def __init__(self, queue: Queue, kind: str) -> None:
        self.queue = queue
        self.kind = kind

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if self.kind == "async":
            method: Callable[..., Awaitable[Any]] = getattr(self.queue, f"a{name}")
            return method
        sync = getattr(self.queue, name)

        async def in_thread(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(functools.partial(sync, *args, **kwargs))

        return in_thread


Producers = Callable[[Queue], Producer]
"""The `producer` fixture: `producer(queue)` gives that queue's operations through the twin
under test."""
