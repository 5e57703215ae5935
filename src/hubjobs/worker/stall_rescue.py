"""Maintenance: send jobs whose lease expired (their worker died or froze) back to waiting, or
fail them after `max_stalled` stalls; once at start, then every `interval` seconds."""

from __future__ import annotations

import logging

from ..backends.base import Backend, RecoverStalled
from ..events import JobEvent
from .event_publisher import EventPublisher
from .service import PeriodicService
from .slots import Slots

log = logging.getLogger("hubjobs.worker")


class StallRescue(PeriodicService):
    """Recovers stalled jobs of `queues` and reports them as events."""

    name = "stall-rescue"

    def __init__(self, backend: Backend, queues: list[str], events: EventPublisher, slots: Slots,
                 interval: float) -> None:
        super().__init__(interval)
        self.backend = backend
        self.queues = queues
        self.events = events
        self.slots = slots

    async def step(self) -> None:
        """One recovery pass over every queue; wakes the claim loop when jobs came back."""
        for queue in self.queues:
            try:
                res = await self.backend.recover_stalled(RecoverStalled(queue))
            except Exception as exc:
                log.warning("stall recovery on %s failed: %s", queue, exc)
                continue
            for job_id in res.requeued:
                await self.events.emit(JobEvent("stalled", queue, job_id, None, {"requeued": True}))
            for job_id in res.failed:
                await self.events.emit(JobEvent("stalled", queue, job_id, None, {"requeued": False}))
                await self.events.emit(JobEvent("failed", queue, job_id, None,
                                                {"error": "job stalled more than max_stalled times"}))
            if res.requeued:
                self.slots.wake.set()
