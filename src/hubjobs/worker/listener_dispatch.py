"""Listeners off the hot path: a worker hands events for its in-process listeners to a
bounded buffer that one task of its own drains, so a slow or failing listener never delays
claiming, running or finishing jobs. A failing listener is logged (by the EventEmitter); when
the buffer is full, new events for listeners are dropped and counted, with a warning."""

from __future__ import annotations

import asyncio
import logging

from ..events import EventEmitter, JobEvent

log = logging.getLogger("hubjobs.worker")

BUFFER_EVENTS = 10_000
DRAIN_SECONDS = 10.0
"""How long a stopping worker waits for its listeners to take the events still buffered."""


class ListenerDispatch:
    """Calls `emitter`'s listeners from a task of its own, in event order."""

    def __init__(self, emitter: EventEmitter, capacity: int = BUFFER_EVENTS) -> None:
        if capacity < 1:
            raise ValueError(f"listener buffer capacity must be >= 1, got {capacity!r}")
        self.emitter = emitter
        self.capacity = capacity
        self.dropped = 0
        self._buffer: asyncio.Queue[JobEvent] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the dispatching task on the running loop."""
        self._buffer = asyncio.Queue(self.capacity)
        self._task = asyncio.create_task(self._run(), name="hubjobs-listeners")

    def submit(self, event: JobEvent) -> None:
        """Queue `event` for its listeners (never waits)."""
        buffer = self._buffer
        if buffer is None:
            raise RuntimeError("listener dispatch is not started")
        try:
            buffer.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("listeners are behind: %d event(s) dropped so far (buffer of %d full)",
                            self.dropped, self.capacity)

    async def _run(self) -> None:
        buffer = self._buffer
        assert buffer is not None
        while True:
            event = await buffer.get()
            try:
                await self.emitter.emit(event)
            finally:
                buffer.task_done()

    async def stop(self, timeout: float = DRAIN_SECONDS) -> None:
        """Let the listeners take what is buffered (up to `timeout` seconds), then stop."""
        task, buffer = self._task, self._buffer
        if task is None or buffer is None:
            return
        try:
            await asyncio.wait_for(buffer.join(), timeout)
        except TimeoutError:
            log.warning("listeners did not take %d buffered event(s) within %.0f s; dropped",
                        buffer.qsize(), timeout)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        self._task = None
