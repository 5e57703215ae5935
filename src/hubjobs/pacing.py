"""How much a worker carries in each round trip to its backend.

A round trip applies the outcomes of finished jobs and claims new ones. Its fixed cost (a
transaction, a script call) is paid per trip, so trips should be full; the worker should also
not sit idle while one is in flight. The pacer decides, from the worker's counts, whether to
start a trip now and what it carries:

- at most MAX_INFLIGHT_CYCLES trips are in flight; while one is, another starts only once it
  carries at least half the concurrency in outcomes and claims together (no trickle of tiny trips);
- only one trip in flight claims, and only one carries outcomes: jobs start in priority and
  FIFO order, and finish times are recorded in the order jobs ended;
- while handlers are quick (their average run time under AHEAD_MAX_RUN_SECONDS), the worker
  claims ahead: up to AHEAD_FACTOR x `concurrency` jobs beyond its free slots, in trips of up to
  that many, held here to start the moment a slot frees, so the next batch is on its way while
  the current one runs; the outcomes of a finished batch go as their own trip beside that claim.
  Held jobs are leased like running ones and handed back on shutdown. With slower handlers
  nothing is held (a held job would wait for a slot here while another worker could run it at
  once), nor for queues with a global concurrency or a rate limit (held jobs would use up the
  budget other workers could run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_INFLIGHT_CYCLES = 2
AHEAD_MAX_RUN_SECONDS = 0.02
RUN_TIME_WEIGHT = 0.1
AHEAD_FACTOR = 4
"""Jobs claimed ahead, as a multiple of the concurrency (Celery's prefetch multiplier is 4 too);
one claim carries at most this many."""
"""Weight of the newest run time in the moving average."""


@dataclass(frozen=True)
class CyclePlan:
    """What one round trip carries: how many of the queue's pending outcomes, and how many jobs
    it claims."""

    outcomes: int
    claim: int


class Pacer:
    """Sizes the round trips of one worker (see the module docstring)."""

    def __init__(self, concurrency: int, *, claim_ahead: bool = True) -> None:
        self.concurrency = concurrency
        self.claim_ahead = claim_ahead
        self._average_run = math.inf

    def record_run(self, seconds: float) -> None:
        """Note how long a handler ran."""
        if math.isinf(self._average_run):
            self._average_run = seconds
        else:
            self._average_run += RUN_TIME_WEIGHT * (seconds - self._average_run)

    @property
    def ahead(self) -> int:
        """How many jobs may be held beyond the concurrency (0 until handlers prove quick)."""
        quick = self._average_run < AHEAD_MAX_RUN_SECONDS
        return AHEAD_FACTOR * self.concurrency if self.claim_ahead and quick else 0

    def plan(self, *, queued_outcomes: int, occupied: int, in_flight: int, claiming: bool,
             claim: bool, may_hold: bool = True, finishing: bool = False,
             room: int | None = None) -> CyclePlan | None:
        """The next round trip for one queue, or None to wait.

        queued_outcomes: outcomes of this queue waiting to be sent; occupied: jobs running or
        held, slots reserved by trips in flight and outcomes waiting for other queues;
        in_flight: trips in flight; claiming: whether one of them claims; claim: whether
        claiming from this queue is wanted now; may_hold: whether this queue's jobs may be
        claimed ahead (not for a queue with a global concurrency or a rate limit, whose budget
        held jobs would take from other workers); finishing: whether a trip in flight carries
        outcomes (then this one carries none, so outcomes are applied in the order jobs ended);
        room: when the queue has slots of its own in this worker, how many more of its jobs it
        may claim (its slots, and claim-ahead allowance, minus its jobs held, running or
        being claimed)."""
        if in_flight >= MAX_INFLIGHT_CYCLES:
            return None
        ahead = self.ahead if may_hold else 0
        cap = ahead if ahead else -(-self.concurrency // MAX_INFLIGHT_CYCLES)
        outcomes = 0 if finishing else min(queued_outcomes, cap)
        # the trip applies its outcomes before it claims: their slots are free for it
        free = self.concurrency + ahead - occupied - (queued_outcomes - outcomes)
        limit = min(free, cap) if claim and not claiming and free > 0 else 0
        if room is not None:
            limit = max(0, min(limit, room))
        if not in_flight:
            least = 1
        elif ahead and not limit:  # outcomes alone go as a full batch, beside the claim
            least = self.concurrency
        else:
            least = max(1, self.concurrency // 2)
        if outcomes + limit < least:
            return None
        return CyclePlan(outcomes, limit)
