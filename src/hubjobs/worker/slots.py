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
    claim loop sleeps on, and the stop state.

    `concurrency` slots in all; with `caps`, each queue also has its own number of slots
    (its per-worker concurrency) and the counts below keep each queue within them."""

    def __init__(self, concurrency: int, caps: dict[str, int] | None = None) -> None:
        self.concurrency = concurrency
        self.caps = caps
        self.running: dict[str, RunningJob] = {}
        self.held: collections.deque[ClaimedJob] = collections.deque()
        self.running_in: dict[str, int] = {}
        """Running jobs per queue."""
        self.taken_in: dict[str, int] = {}
        """Jobs per queue this worker holds or runs (claimed and not yet finished)."""
        self.wake = Wakeup()
        self.stopping = False
        self.quiet = False
        """Told to stop claiming (an admin's `quiet`): running jobs finish, nothing new starts."""
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

    def hold(self, jobs: list[ClaimedJob]) -> None:
        """Keep claimed jobs until a slot of theirs is free."""
        self.held.extend(jobs)
        taken = self.taken_in
        for cj in jobs:
            queue = cj.job.queue
            taken[queue] = taken.get(queue, 0) + 1

    def begin(self, rj: RunningJob) -> None:
        """Count a held job as running."""
        self.running[rj.job.id] = rj
        queue = rj.job.queue
        self.running_in[queue] = self.running_in.get(queue, 0) + 1

    def end(self, rj: RunningJob) -> None:
        """A running job is over: its slot is free."""
        if self.running.pop(rj.job.id, None) is not None:
            queue = rj.job.queue
            self.running_in[queue] -= 1
            self.taken_in[queue] -= 1

    def room(self, queue: str, ahead_factor: int) -> int | None:
        """How many more jobs of `queue` this worker may claim: its slots (times 1 +
        `ahead_factor` when claiming ahead) minus the jobs it holds or runs; None without caps."""
        if self.caps is None:
            return None
        return self.caps[queue] * (1 + ahead_factor) - self.taken_in.get(queue, 0)

    def drop_held(self, job_ids: set[str]) -> None:
        """Forget held jobs another worker owns now (they are never started here)."""
        if self.held:
            kept: collections.deque[ClaimedJob] = collections.deque()
            for cj in self.held:
                if cj.job.id in job_ids:
                    self.taken_in[cj.job.queue] -= 1
                else:
                    kept.append(cj)
            self.held = kept

    def pop_held(self) -> ClaimedJob:
        """The oldest held job, no longer held (handed back on shutdown)."""
        cj = self.held.popleft()
        self.taken_in[cj.job.queue] -= 1
        return cj


@dataclass
class Tally:
    """Jobs this worker completed and finally failed (shown in its heartbeat)."""

    processed: int = 0
    failed: int = 0
