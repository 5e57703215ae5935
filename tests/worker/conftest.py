"""Fixtures for the worker's services: an App on a real SQLite database and its opened backend,
plus the shared pieces (slots, events, completer) services are built from."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hubjobs import App
from hubjobs.backends.base import Backend, ClaimedJob, ClaimJobs
from hubjobs.events import EventEmitter, JobEvent
from hubjobs.pacing import Pacer
from hubjobs.worker.completer import Completer
from hubjobs.worker.event_publisher import EventPublisher
from hubjobs.worker.executor import Executor
from hubjobs.worker.reporter import Reporter
from hubjobs.worker.slots import Slots, Tally


@dataclass
class Parts:
    """An App with queue "q", its backend, and fresh shared worker state."""

    app: App
    backend: Backend
    slots: Slots
    emitter: EventEmitter
    events: EventPublisher
    seen: list[JobEvent]
    tally: Tally
    completer: Completer

    async def claim(self, count: int = 1, lease: float = 30.0) -> list[ClaimedJob]:
        """Claim jobs of queue "q" as worker "w"."""
        return await self.backend.claim_jobs(ClaimJobs("q", "w", count, lease))


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[Parts]:
    """Parts on a new SQLite database, with every event recorded in `seen`."""
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")
    app.queue("q")
    backend = await app.backend()
    slots = Slots(4)
    emitter = EventEmitter()
    seen: list[JobEvent] = []
    emitter.on("*", seen.append)
    events = EventPublisher(emitter, publish=True)
    tally = Tally()
    yield Parts(app, backend, slots, emitter, events, seen, tally, Completer(slots, events, tally))
    await app.aclose()


def build_executor(parts: Parts, *, concurrency: int = 4) -> tuple[Executor, Pacer]:
    """An Executor over `parts` (handlers of parts.app) with its own threads and pacer."""
    loop = asyncio.get_running_loop()
    pacer = Pacer(concurrency)
    executor = Executor(parts.slots, parts.app, parts.completer, parts.events,
                        Reporter(parts.backend, parts.slots, parts.events, loop), pacer,
                        concurrency, 1)
    return executor, pacer
