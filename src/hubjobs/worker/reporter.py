"""Progress and logs of running jobs, fenced by their lease token (a job's JobReporter)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..backends.base import AppendLog, Backend, UpdateProgress
from ..events import JobEvent
from ..job import MAX_LOG_LINES, Job
from ..payload import encode_value
from .event_publisher import EventPublisher
from .slots import Slots


class Reporter:
    """Stores progress and log lines of the jobs running in `slots`."""

    def __init__(self, backend: Backend, slots: Slots, events: EventPublisher,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.backend = backend
        self.slots = slots
        self.events = events
        self.loop = loop

    async def report_progress(self, job: Job, progress: float | dict[str, Any]) -> None:
        """Store progress (ignored once the job no longer runs here) and emit `progress`."""
        rj = self.slots.running.get(job.id)
        if rj is None:
            return
        await self.backend.update_progress(
            UpdateProgress(job.queue, job.id, rj.token, encode_value(progress, "progress")))
        await self.events.emit(JobEvent("progress", job.queue, job.id, job, {"progress": progress}))

    async def report_log(self, job: Job, line: str) -> None:
        """Append a log line."""
        await self.backend.append_log(AppendLog(job.queue, job.id, line, MAX_LOG_LINES))

    def call_sync(self, make: Callable[[], Awaitable[None]]) -> None:
        """Run `make()` on the worker's loop from a handler thread and wait for it."""
        async def run() -> None:
            await make()

        asyncio.run_coroutine_threadsafe(run(), self.loop).result()
