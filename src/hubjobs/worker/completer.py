"""The completer: outcomes of finished jobs, queued per queue until a round trip carries them,
applied in batches; after the backend applied a batch, it counts and emits their events."""

from __future__ import annotations

import asyncio
import logging

from ..backends.base import Backend, ClaimedJob, ClaimJobs, FinishJobs, JobOutcome
from ..errors import BackendUnavailable
from ..events import JobEvent
from .event_publisher import EventPublisher
from .history_rollup import HistoryRollup
from .slots import RunningJob, Slots, Tally

log = logging.getLogger("hubjobs.worker")

Pending = tuple[JobOutcome, RunningJob, JobEvent]
"""An outcome to apply, the job it is for, and the event to emit once it is applied."""


class Completer:
    """Queues outcomes and applies them with `finish` (one batch per round trip)."""

    def __init__(self, slots: Slots, events: EventPublisher, tally: Tally,
                 history: HistoryRollup | None = None) -> None:
        self.slots = slots
        self.history = history
        """Counts applied outcomes for the throughput history, when given."""
        self.events = events
        self.tally = tally
        self.outcomes: dict[str, list[Pending]] = {}
        self.finishing = 0
        """Round trips in flight that carry outcomes (at most one, see pacing)."""

    def add(self, queue: str, pending: Pending) -> None:
        """Queue an outcome and wake the claim loop to send it."""
        self.outcomes.setdefault(queue, []).append(pending)
        self.slots.wake.set()

    def pending_count(self) -> int:
        """Outcomes waiting to be sent, over all queues."""
        return sum(len(v) for v in self.outcomes.values())

    def queued(self, queue: str) -> int:
        """Outcomes of `queue` waiting to be sent."""
        return len(self.outcomes.get(queue, ()))

    def take(self, queue: str, count: int) -> list[Pending]:
        """The oldest `count` outcomes of `queue`, removed from the queue."""
        queued = self.outcomes.get(queue)
        if not queued:
            return []
        taken, queued[:] = queued[:count], queued[count:]
        if not queued:
            self.outcomes.pop(queue, None)
        return taken

    def begin(self) -> None:
        """Count a round trip carrying outcomes as in flight from now (`finish` counts it down)."""
        self.finishing += 1

    async def finish(self, backend: Backend, queue: str, pending: list[Pending],
                     claim: ClaimJobs | None) -> list[ClaimedJob]:
        """Apply `pending` (and claim, when asked) in one round trip, then emit their events.
        On failure the outcomes go back to the front of the queue (fencing makes a repeat
        harmless). Call `begin` first."""
        try:
            res = await backend.finish_jobs(FinishJobs(queue, [p[0] for p in pending], claim))
            await self._after_finish(pending, set(res.refused))
        except BaseException:
            self.outcomes.setdefault(queue, [])[:0] = pending
            raise
        finally:
            self.finishing -= 1
        return res.claimed

    async def _after_finish(self, pending: list[Pending], refused: set[str]) -> None:
        for outcome, _rj, event in pending:
            if outcome.job_id in refused:
                if outcome.kind != "released":
                    log.warning("job %s: result refused, the lease was lost to another worker", outcome.job_id)
                    await self.events.emit(JobEvent("lease_lost", event.queue, outcome.job_id, event.job,
                                                    {"outcome": outcome.kind}))
                continue
            if self.history is not None:
                self.history.note(outcome.kind, event.job or _rj.job, event.at)
            if outcome.kind == "completed":
                self.tally.processed += 1
            elif outcome.kind == "failed":
                self.tally.failed += 1
            await self.events.emit(event)

    async def flush_all(self, backend: Backend) -> None:
        """Apply every queued outcome now (on shutdown), retrying a few times while the backend
        is unreachable."""
        for queue in list(self.outcomes):
            for attempt in range(5):
                try:
                    pending = self.outcomes.pop(queue, [])
                    if pending:
                        self.begin()
                        await self.finish(backend, queue, pending, None)
                    break
                except (BackendUnavailable, ConnectionError, OSError) as exc:
                    log.warning("could not record outcomes on %s: %s", queue, exc)
                    await asyncio.sleep(0.2 * (attempt + 1))
