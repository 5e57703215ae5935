"""Maintenance: extend the leases of running and held jobs every third of the lease; drop held
jobs whose lease was lost and cancel running jobs an admin asked to cancel."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..backends.base import Backend, ExtendLeases, LeaseRef
from .service import PeriodicService
from .slots import RunningJob, Slots

log = logging.getLogger("hubjobs.worker")


class LeaseRenewal(PeriodicService):
    """Renews the leases of the jobs in `slots`; `cancel(job, reason)` stops a running job."""

    name = "lease-renewal"

    def __init__(self, backend: Backend, slots: Slots, lease: float,
                 cancel: Callable[[RunningJob, str], None]) -> None:
        super().__init__(lease / 3)
        self.backend = backend
        self.slots = slots
        self.lease = lease
        self.cancel = cancel

    async def step(self) -> None:
        """Renew every lease this worker holds, one call per queue."""
        slots = self.slots
        for queue, refs in slots.leased().items():
            leases = [LeaseRef(job_id, token) for job_id, token in refs]
            try:
                status = await self.backend.extend_leases(ExtendLeases(queue, leases, self.lease))
            except Exception as exc:
                log.warning("could not renew leases on %s: %s", queue, exc)
                continue
            if status.lost:  # another worker owns these now: never start them
                slots.drop_held(set(status.lost))
            for job_id in status.lost:
                lost = slots.running.get(job_id)
                if lost is not None and not lost.lease_lost:
                    lost.lease_lost = True
                    log.warning("job %s: lease lost (another worker may run it now)", job_id)
            for job_id in status.cancel_requested:
                target = slots.running.get(job_id)
                if target is not None:
                    self.cancel(target, "cancel")
