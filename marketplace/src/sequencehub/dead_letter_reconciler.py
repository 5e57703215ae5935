"""The dead-letter reconciler: derives dead letters and their alerts from the engine's durable
``failed`` state, so a worker that dies between the engine's commit of a final failure and its
``failed`` listener loses nothing.

Leader-free: every worker that runs marketplace queues runs one (a worker service, first pass at
start, then every ``SEQUENCEHUB_DEAD_LETTER_RECONCILE_INTERVAL`` seconds). Idempotent: a failure
is keyed by queue, job id, tries and finish time (:func:`~sequencehub.dead_letter.failure_key`),
unique in ``"DeadLetterJob"."failureKey"``, so the listener and any number of reconcilers record
it once. Each pass reads failed jobs newest first and stops at the first page it already knows
entirely (the first pass after a start reads back ``horizon`` seconds); then it re-adds the alert
job of every batch still PENDING (the job id makes that a no-op when it exists).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from hubjobs import App, Job, JobState
from hubjobs.worker.service import PeriodicService

from .db import Database
from .dead_letter import ALERT_JOB, ALERT_QUEUE, DeadLetterHook, alert_job_id, failure_key
from .models import AlertBatch, AlertStatus, DeadLetter

log = logging.getLogger("sequencehub.dead_letter")

PAGE = 100
DEFAULT_HORIZON = 7 * 24 * 3600.0


class DeadLetterReconciler(PeriodicService):
    """Records every failed job of `queues` that has no dead letter yet, and re-adds lost alerts."""

    name = "dead-letter-reconciler"
    step_at_start = True

    def __init__(self, app: App, db: Database, hook: DeadLetterHook, queues: Sequence[str], *,
                 interval: float = 30.0, horizon: float = DEFAULT_HORIZON) -> None:
        super().__init__(interval)
        self.app = app
        self.db = db
        self.hook = hook
        self.queues = [q for q in queues if q in app.queues]
        self.horizon = horizon
        self._passes = 0

    async def step(self) -> None:
        """One pass; errors are logged (the next pass tries again)."""
        try:
            await self.reconcile()
        except Exception:
            log.exception("dead-letter reconcile pass failed; retrying in %.0f s", self.interval)

    async def reconcile(self) -> int:
        """Record the failures no one recorded; returns how many it recorded."""
        deep = self._passes == 0
        self._passes += 1
        recorded = 0
        for queue in self.queues:
            recorded += await self._queue(queue, deep)
        await self._readd_pending_alerts()
        if recorded:
            log.warning("dead-letter reconciler recorded %d failure(s) no listener had recorded", recorded)
        return recorded

    async def _queue(self, queue: str, deep: bool) -> int:
        oldest = time.time() - self.horizon
        recorded, offset = 0, 0
        while True:
            jobs = [j for j in await self.app.queue(queue).ajobs(JobState.FAILED, offset, PAGE) if j.finished_ts]
            if not jobs:
                return recorded
            missing = await asyncio.to_thread(self._unrecorded, jobs)
            for job in missing:
                await self.hook.record_job(job)
            recorded += len(missing)
            if (not missing and not deep) or (jobs[-1].finished_ts or 0) < oldest:
                return recorded
            offset += PAGE

    def _unrecorded(self, jobs: list[Job]) -> list[Job]:
        keys = {_key(job): job for job in jobs}
        with self.db.session() as session:
            known = set(session.scalars(select(DeadLetter.failure_key).where(DeadLetter.failure_key.in_(keys))))
        return [job for key, job in keys.items() if key not in known]

    async def _readd_pending_alerts(self) -> None:
        def pending() -> list[tuple[str, float]]:
            with self.db.session() as session:
                rows = session.execute(select(AlertBatch.id, AlertBatch.send_after)
                                       .where(AlertBatch.status == AlertStatus.PENDING)).all()
            return [(batch_id, send_after.timestamp()) for batch_id, send_after in rows]

        if ALERT_QUEUE not in self.app.queues:
            return
        for batch_id, send_after in await asyncio.to_thread(pending):
            await self.app.queue(ALERT_QUEUE).aadd(ALERT_JOB, {"batchId": batch_id}, job_id=alert_job_id(batch_id),
                                                   delay=max(0.0, send_after - time.time()))


def _key(job: Job) -> str:
    return failure_key(job.queue, job.id, job.attempts_made, datetime.fromtimestamp(job.finished_ts or 0, tz=UTC))
