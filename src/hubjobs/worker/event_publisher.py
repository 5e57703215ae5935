"""A worker's events: to its in-process listeners (through the listener dispatch, off the hot
path), and buffered for the queue's cross-process event stream (which the event flusher
publishes)."""

from __future__ import annotations

import time
from typing import Any

from ..backends.base import Backend, NewEvent, PublishEvents
from ..events import EventEmitter, JobEvent
from ..job import Job
from .listener_dispatch import ListenerDispatch

LOCAL_ONLY = frozenset({"result", "exception", "traceback"})
"""Event data for local listeners only, never published to the cross-process stream."""


class EventPublisher:
    """Hands events to local listeners and buffers them for the backend's event stream."""

    def __init__(self, emitter: EventEmitter, *, publish: bool, dispatch: ListenerDispatch | None = None) -> None:
        self.emitter = emitter
        self.publish_enabled = publish
        self.dispatch = dispatch
        """Where events for listeners go; without one they are called inline (tests)."""
        self._buffer: dict[str, list[NewEvent]] = {}

    def publish(self, queue: str, name: str, job_id: str | None, at: float, data: dict[str, Any],
                job: Job | None) -> None:
        """Buffer an event for the queue's cross-process stream (results stay out of it)."""
        if not self.publish_enabled or not queue or name == "error":
            return
        if data:
            data = {k: v for k, v in data.items() if k not in LOCAL_ONLY}
            if job is not None:
                data.setdefault("name", job.name)
        elif job is not None:
            data = {"name": job.name}
        self._buffer.setdefault(queue, []).append(NewEvent(name, job_id, at, data))

    async def emit(self, event: JobEvent) -> None:
        """Publish the event and hand it to its local listeners (never waits for them when a
        dispatch is set)."""
        self.publish(event.queue, event.name, event.job_id, event.at, event.data, event.job)
        if self.emitter.has_listeners(event.name):
            if self.dispatch is not None:
                self.dispatch.submit(event)
            else:
                await self.emitter.emit(event)

    async def emit_started(self, job: Job) -> None:
        """The `active` event of a job; a JobEvent is made only for local listeners."""
        if self.emitter.has_listeners("active"):
            await self.emit(JobEvent("active", job.queue, job.id, job))
        else:
            self.publish(job.queue, "active", job.id, time.time(), {}, job)

    async def flush(self, backend: Backend) -> None:
        """Publish the buffered events to the backend's streams."""
        if not self._buffer:
            return
        buffered, self._buffer = self._buffer, {}
        for queue, events in buffered.items():
            await backend.publish_events(PublishEvents(queue, events))
