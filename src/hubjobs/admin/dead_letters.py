"""Dead letters: jobs that failed for good, listed and replayed in bulk.

In the engine a dead letter is simply a job in the `failed` state (it failed after its last
attempt, or at once with UnrecoverableError). A host application with its own dead-letter
records can plug them in by passing any object that follows `DeadLetterProvider` to
`AdminSettings(dead_letters=...)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..job import Job, JobState

if TYPE_CHECKING:
    from .service import AdminService


@dataclass(frozen=True)
class DeadLetterRef:
    """One dead letter by queue and the provider's id for it."""

    queue: str
    id: str


@dataclass(frozen=True)
class DeadLetter:
    """A job that failed for good, as the dead-letter view shows it."""

    ref: DeadLetterRef
    job_id: str
    name: str
    data: Any
    error: str | None
    attempts: int
    failed_at: float | None
    resolved: bool = False


@dataclass(frozen=True)
class DeadLetterPage:
    """A page of dead letters and how many exist in total (None when unknown)."""

    items: list[DeadLetter]
    total: int | None


@runtime_checkable
class DeadLetterProvider(Protocol):
    """Where dead letters come from, and how they are replayed and resolved."""

    title: str
    """Heading of the dead-letter view."""

    async def page(self, queue: str | None, offset: int, limit: int) -> DeadLetterPage:
        """Newest first; `queue` None means every queue."""

    async def replay(self, refs: Sequence[DeadLetterRef]) -> list[DeadLetterRef]:
        """Run these again; returns those replayed."""

    async def replay_all(self, queue: str | None) -> int:
        """Run every dead letter (of one queue, or all) again; returns how many."""

    async def resolve(self, refs: Sequence[DeadLetterRef]) -> list[DeadLetterRef]:
        """Mark these handled without running them; returns those resolved."""


class FailedJobs:
    """The engine's dead letters: failed jobs. Replay = retry with fresh attempts; resolve =
    remove the job."""

    title = "Failed jobs (dead letters)"

    def __init__(self, service: AdminService) -> None:
        self.service = service

    async def page(self, queue: str | None, offset: int, limit: int) -> DeadLetterPage:
        """Failed jobs newest first, of one queue or merged across queues."""
        names = [queue] if queue is not None else await self.service.queue_names()
        jobs: list[Job] = []
        total = 0
        for name in names:
            q = await self.service.queue(name)
            total += (await q.acounts())[JobState.FAILED.value]
            jobs += await q.ajobs(JobState.FAILED, 0 if queue is None else offset,
                                  offset + limit if queue is None else limit)
        if queue is None:
            jobs.sort(key=lambda j: (j.finished_ts or 0.0), reverse=True)
            jobs = jobs[offset:offset + limit]
        return DeadLetterPage([_dead_letter(j) for j in jobs], total)

    async def replay(self, refs: Sequence[DeadLetterRef]) -> list[DeadLetterRef]:
        """Retry the given failed jobs."""
        done: list[DeadLetterRef] = []
        for queue, ids in _by_queue(refs).items():
            retried = set((await self.service.retry_jobs(queue, ids)).done)
            done += [DeadLetterRef(queue, i) for i in ids if i in retried]
        return done

    async def replay_all(self, queue: str | None) -> int:
        """Retry every failed job of one queue or of all."""
        names = [queue] if queue is not None else await self.service.queue_names()
        total = 0
        for name in names:
            total += await (await self.service.queue(name)).aretry_all_failed()
        return total

    async def resolve(self, refs: Sequence[DeadLetterRef]) -> list[DeadLetterRef]:
        """Remove the given failed jobs."""
        done: list[DeadLetterRef] = []
        for queue, ids in _by_queue(refs).items():
            removed = set(await self.service.remove_jobs(queue, ids, only_state=JobState.FAILED))
            done += [DeadLetterRef(queue, i) for i in ids if i in removed]
        return done


def _dead_letter(job: Job) -> DeadLetter:
    return DeadLetter(DeadLetterRef(job.queue, job.id), job.id, job.name, job.data, job.failed_reason,
                      job.attempts_made, job.finished_ts)


def _by_queue(refs: Sequence[DeadLetterRef]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ref in refs:
        out.setdefault(ref.queue, []).append(ref.id)
    return out
