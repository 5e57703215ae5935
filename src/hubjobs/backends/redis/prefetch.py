"""Prefetch on wake-up: an idle worker's blocking wait on a queue's marker is pipelined with a
claim on the same connection, so Redis claims the new job the moment the marker is set, with
no second round trip; the job goes to the waiting worker at once (or to its next claim).

What keeps it safe:
- the prefetch claims at most the slots the worker is known to have free: what its last claim
  on the queue asked for and did not get (a worker's free slots only grow until it claims again);
- prefetched jobs belong to that worker (its id and lease length); they go straight to the
  worker when it waits with a receiver (`WaitForJobs.receive`), else they are held until its
  next claim; any claim on the queue made meanwhile makes a prefetch still in flight stale,
  and stale, surplus or uncollected jobs (`HOLD_SECONDS`) are handed back to waiting at once
  without using an attempt ("released");
- only waits on a single queue on a standalone server prefetch (a cluster pipeline cannot
  chain a blocking command with a script on one connection)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..base import ClaimedJob, JobsReceiver

HOLD_SECONDS = 0.5
"""Prefetched jobs not collected by their worker within this time (or a third of their lease,
if shorter) are released."""


@dataclass
class PrefetchPlan:
    """What a blocking wait may claim when it wakes."""

    worker_id: str
    lease_seconds: float
    limit: int
    epoch: int


@dataclass
class _QueueState:
    worker_id: str = ""
    lease_seconds: float = 0.0
    spare: int = 0
    epoch: int = 0
    held: list[ClaimedJob] = field(default_factory=list)
    held_at: float = 0.0

    @property
    def hold_limit(self) -> float:
        return min(HOLD_SECONDS, self.lease_seconds / 3)


class Prefetcher:
    """Per-queue bookkeeping of free slots, prefetches in flight and jobs held for a worker."""

    def __init__(self) -> None:
        self._queues: dict[str, _QueueState] = {}

    def _state(self, queue: str) -> _QueueState:
        state = self._queues.get(queue)
        if state is None:
            state = self._queues[queue] = _QueueState()
        return state

    def take(self, queue: str, worker_id: str, limit: int) -> tuple[list[ClaimedJob], list[ClaimedJob]]:
        """Before a claim: (held jobs for this worker, up to `limit`; jobs to release)."""
        state = self._queues.get(queue)
        if state is None or not state.held:
            return [], []
        held, state.held = state.held, []
        if state.worker_id != worker_id or time.monotonic() - state.held_at > state.hold_limit:
            return [], held
        return held[:limit], held[limit:]

    def claimed(self, queue: str, worker_id: str, lease_seconds: float, spare: int) -> None:
        """After a claim by `worker_id`: `spare` of the slots it asked for stayed free."""
        state = self._state(queue)
        state.worker_id, state.lease_seconds, state.spare = worker_id, lease_seconds, max(0, spare)
        state.epoch += 1

    def forget_worker(self, worker_id: str) -> dict[str, list[ClaimedJob]]:
        """A worker stopped: no more prefetches for it; returns its held jobs by queue."""
        out: dict[str, list[ClaimedJob]] = {}
        for queue, state in self._queues.items():
            if state.worker_id == worker_id:
                if state.held:
                    out[queue], state.held = state.held, []
                state.spare = 0
                state.epoch += 1
        return out

    def plan(self, queue: str) -> PrefetchPlan | None:
        """What a wait on `queue` may claim when it wakes, if anything."""
        state = self._queues.get(queue)
        if state is None or state.spare <= 0 or not state.worker_id or state.held:
            return None
        return PrefetchPlan(state.worker_id, state.lease_seconds, state.spare, state.epoch)

    def deliver(self, queue: str, plan: PrefetchPlan, jobs: list[ClaimedJob],
                receive: JobsReceiver | None = None) -> list[ClaimedJob]:
        """A prefetch came back: hand its jobs to the worker's `receive` (if it takes them),
        else hold them for its next claim; returns stale ones to release."""
        state = self._state(queue)
        if plan.epoch != state.epoch or state.worker_id != plan.worker_id:
            return jobs
        if jobs:
            state.spare = max(0, state.spare - len(jobs))
            if receive is None or not receive(queue, jobs):
                state.held.extend(jobs)
                state.held_at = time.monotonic()
        return []

    def holds(self, queue: str) -> bool:
        """Whether jobs of `queue` are held for a worker."""
        state = self._queues.get(queue)
        return state is not None and bool(state.held)

    def expired(self) -> dict[str, list[ClaimedJob]]:
        """Held jobs nobody collected in time, by queue (removed from holding)."""
        out: dict[str, list[ClaimedJob]] = {}
        now = time.monotonic()
        for queue, state in self._queues.items():
            if state.held and now - state.held_at > state.hold_limit:
                out[queue], state.held = state.held, []
        return out

    def drain(self) -> dict[str, list[ClaimedJob]]:
        """Every held job, by queue (on close)."""
        out = {q: s.held for q, s in self._queues.items() if s.held}
        for state in self._queues.values():
            state.held = []
        return out
