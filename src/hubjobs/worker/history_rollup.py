"""Maintenance: the worker's throughput history writer. Counts finished jobs per queue and
minute in memory (a dict update per applied outcome, nothing added to a round trip) and flushes
them with one `record_history` call every FLUSH_SECONDS and when the worker stops.

A worker killed between flushes loses at most its last `FLUSH_SECONDS` of counts; the jobs
themselves are unaffected. A flush that fails keeps its counts for the next one.
"""

from __future__ import annotations

import logging

from ..backends.base import Backend, QueueMinute, RecordHistory
from ..history.buckets import bucket_of
from ..job import Job
from .service import PeriodicService

log = logging.getLogger("hubjobs.history")

FLUSH_SECONDS = 5.0
"""How often a worker writes what it counted."""


class _Counts:
    """One queue's counts for one minute."""

    __slots__ = ("completed", "failed", "runs", "waits")

    def __init__(self) -> None:
        self.completed = 0
        self.failed = 0
        self.waits: dict[int, int] = {}
        self.runs: dict[int, int] = {}


def ready_at(job: Job) -> float:
    """When the job last became ready to run: its creation, due time or latest failed try,
    whichever is latest (so a retried job's wait does not count the time it sat failed)."""
    latest = max(job.created_ts, job.run_at_ts or 0.0)
    started = job.started_ts
    for err in job.errors:  # failed tries before this run's start
        if started is None or err.at <= started:
            latest = max(latest, err.at)
    return latest


class HistoryRollup(PeriodicService):
    """Per-minute counts of one worker, flushed to its backend periodically and at stop."""

    name = "history-rollup"

    def __init__(self, backend: Backend, interval: float = FLUSH_SECONDS) -> None:
        super().__init__(interval)
        self.backend = backend
        self._counts: dict[tuple[str, int], _Counts] = {}

    def note(self, kind: str, job: Job, finished_at: float) -> None:
        """Count one applied outcome ("completed" or "failed"; other kinds are ignored)."""
        if kind not in ("completed", "failed"):
            return
        minute = int(finished_at) - int(finished_at) % 60
        counts = self._counts.get((job.queue, minute))
        if counts is None:
            counts = self._counts[(job.queue, minute)] = _Counts()
        if kind == "completed":
            counts.completed += 1
        else:
            counts.failed += 1
        started = job.started_ts
        if started is not None:
            wait = bucket_of(started - ready_at(job))
            run = bucket_of(finished_at - started)
            counts.waits[wait] = counts.waits.get(wait, 0) + 1
            counts.runs[run] = counts.runs.get(run, 0) + 1

    def take(self) -> list[QueueMinute]:
        """Everything counted so far (and forget it)."""
        taken, self._counts = self._counts, {}
        return [QueueMinute(queue, minute, c.completed, c.failed, c.waits, c.runs)
                for (queue, minute), c in taken.items()]

    def give_back(self, minutes: list[QueueMinute]) -> None:
        """Return counts a flush could not write, to go with the next one."""
        for m in minutes:
            counts = self._counts.setdefault((m.queue, m.minute), _Counts())
            counts.completed += m.completed
            counts.failed += m.failed
            for target, source in ((counts.waits, m.wait_buckets), (counts.runs, m.run_buckets)):
                for bucket, n in source.items():
                    target[bucket] = target.get(bucket, 0) + n

    async def step(self) -> None:
        """Write what was counted; on failure keep it for the next step."""
        minutes = self.take()
        if not minutes:
            return
        try:
            await self.backend.record_history(RecordHistory(minutes))
        except Exception as exc:  # noqa: BLE001 - the counts wait for the next step
            self.give_back(minutes)
            log.warning("could not record throughput history: %s", exc)

    async def stop(self) -> None:
        """Stop the periodic task, then write what is left."""
        await super().stop()
        await self.step()
