"""In-process event listeners for workers and queues."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from .job import Job

log = logging.getLogger("hubjobs.events")

EVENT_NAMES = ("waiting", "active", "progress", "completed", "failed", "retrying", "stalled", "delayed",
               "removed", "error", "lease_lost", "drained")
"""Event names a listener may subscribe to; `error` reports worker errors (backend down...)."""


@dataclass(frozen=True)
class JobEvent:
    """One event: which, on what queue and job, with details (result, error, progress...)."""

    name: str
    queue: str
    job_id: str | None
    job: Job | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


Listener = Callable[[JobEvent], Awaitable[None] | None]


class EventEmitter:
    """Listeners by event name; sync or async; a failing listener is logged, never raised."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    def on(self, event: str, fn: Listener) -> Listener:
        """Subscribe `fn` to `event` (or "*" for all)."""
        if event != "*" and event not in EVENT_NAMES:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(EVENT_NAMES)}")
        self._listeners.setdefault(event, []).append(fn)
        return fn

    def off(self, event: str, fn: Listener) -> None:
        """Unsubscribe."""
        if fn in self._listeners.get(event, []):
            self._listeners[event].remove(fn)

    def has_listeners(self, event: str) -> bool:
        """True if anyone listens to `event` (or to all)."""
        return bool(self._listeners.get(event)) or bool(self._listeners.get("*"))

    async def emit(self, event: JobEvent) -> None:
        """Call every listener of the event."""
        for fn in [*self._listeners.get(event.name, ()), *self._listeners.get("*", ())]:
            try:
                res = fn(event)
                if inspect.isawaitable(res):
                    await res
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("listener %r for %s failed", fn, event.name)

    def emit_sync(self, event: JobEvent, run: Callable[[Coroutine[Any, Any, Any]], Any]) -> None:
        """Call every listener from this thread (sync code); an async listener's coroutine is
        handed to `run` (the App's background loop), which waits for it."""
        for fn in [*self._listeners.get(event.name, ()), *self._listeners.get("*", ())]:
            try:
                res = fn(event)
                if inspect.iscoroutine(res):
                    run(res)
                elif inspect.isawaitable(res):
                    run(_awaited(res))
            except Exception:
                log.exception("listener %r for %s failed", fn, event.name)


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable
