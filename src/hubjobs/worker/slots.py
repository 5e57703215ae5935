"""What a worker's services share: the jobs running and held in its slots, the wake-up flag of
its claim loop, and whether it is stopping."""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field

from ..backends.base import ClaimedJob
from ..job import Job
from ..registry import HandlerSpec
from ..wakeup import Wakeup


@dataclass
class RunningJob:
    """A job this worker is running."""

    job: Job
    token: str
    spec: HandlerSpec | None
    task: asyncio.Task[None] | None = None
    stop_reason: str | None = None
    """Why the worker cancelled the task: "cancel" (admin), "shutdown" or None."""
    cancel_event: asyncio.Event = field(default_factory=asyncio.Event)
    lease_lost: bool = False


class Slots:
    """Running jobs (by id), claimed jobs held for a free slot (in claim order), the flag the
    claim loop sleeps on, and the stop state."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.running: dict[str, RunningJob] = {}
        self.held: collections.deque[ClaimedJob] = collections.deque()
        self.wake = Wakeup()
        self.stopping = False
        self.force = False
        """A second stop: running jobs are handed back without waiting for the grace period."""

    def leased(self) -> dict[str, list[tuple[str, str]]]:
        """(job id, lease token) of every running and held job, by queue."""
        by_queue: dict[str, list[tuple[str, str]]] = {}
        for rj in list(self.running.values()):
            by_queue.setdefault(rj.job.queue, []).append((rj.job.id, rj.token))
        for cj in list(self.held):
            by_queue.setdefault(cj.job.queue, []).append((cj.job.id, cj.token))
        return by_queue

    def drop_held(self, job_ids: set[str]) -> None:
        """Forget held jobs another worker owns now (they are never started here)."""
        if self.held:
            self.held = collections.deque(cj for cj in self.held if cj.job.id not in job_ids)


@dataclass
class Tally:
    """Jobs this worker completed and finally failed (shown in its heartbeat)."""

    processed: int = 0
    failed: int = 0
