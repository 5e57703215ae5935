"""Maintenance: publish the worker's buffered events to the backend's streams every
EVENT_FLUSH_SECONDS."""

from __future__ import annotations

import logging

from ..backends.base import Backend
from .event_publisher import EventPublisher
from .service import PeriodicService

log = logging.getLogger("hubjobs.worker")

EVENT_FLUSH_SECONDS = 0.2


class EventFlusher(PeriodicService):
    """Flushes an EventPublisher's buffer; a failed flush is logged and retried next round."""

    name = "event-flusher"

    def __init__(self, publisher: EventPublisher, backend: Backend, interval: float = EVENT_FLUSH_SECONDS) -> None:
        super().__init__(interval)
        self.publisher = publisher
        self.backend = backend

    async def step(self) -> None:
        """Publish what is buffered."""
        try:
            await self.publisher.flush(self.backend)
        except Exception as exc:
            log.warning("could not publish events: %s", exc)
