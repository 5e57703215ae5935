"""Prometheus metrics of the queues: depth per state, paused flags, oldest waiting job, workers
(read at scrape time) and started / completed / failed / retried counters with a try duration
histogram (derived from the queues' cross-process event stream). No job data appears here."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from ..job import JobState

if TYPE_CHECKING:
    from .service import AdminService

CONTENT_TYPE = CONTENT_TYPE_LATEST
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
                    600.0, 1800.0, 3600.0)

OUTCOME_OF_EVENT = {"completed": "completed", "failed": "failed", "retrying": "retry"}


class JobMetrics:
    """The metrics of one admin app, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.started = Counter("hubjobs_jobs_started", "Tries started (active events seen on the stream).",
                               ["queue"], registry=r)
        self.completed = Counter("hubjobs_jobs_completed", "Jobs completed.", ["queue"], registry=r)
        self.failed = Counter("hubjobs_jobs_failed", "Jobs failed for good (no tries left).", ["queue"], registry=r)
        self.retried = Counter("hubjobs_jobs_retried", "Tries that failed and will be retried.", ["queue"],
                               registry=r)
        self.stalled = Counter("hubjobs_jobs_stalled", "Jobs found stalled (lease expired).", ["queue"],
                               registry=r)
        self.duration = Histogram("hubjobs_job_duration_seconds",
                                  "Duration of tries from start to finish, by outcome.",
                                  ["queue", "outcome"], buckets=DURATION_BUCKETS, registry=r)
        self.depth = Gauge("hubjobs_queue_jobs", "Jobs in the queue per state.", ["queue", "state"], registry=r)
        self.paused = Gauge("hubjobs_queue_paused", "1 while the queue is paused.", ["queue"], registry=r)
        self.oldest_waiting = Gauge("hubjobs_queue_oldest_waiting_age_seconds",
                                    "Age of the oldest waiting job (0 when none waits).", ["queue"], registry=r)
        self.workers = Gauge("hubjobs_workers", "Workers with a live heartbeat.", registry=r)
        self._scrape_lock = asyncio.Lock()

    def observe(self, queue: str, event: str, duration: float | None) -> None:
        """Count one stream event (and its try's duration when known)."""
        if event == "active":
            self.started.labels(queue).inc()
        elif event == "completed":
            self.completed.labels(queue).inc()
        elif event == "failed":
            self.failed.labels(queue).inc()
        elif event == "retrying":
            self.retried.labels(queue).inc()
        elif event == "stalled":
            self.stalled.labels(queue).inc()
        outcome = OUTCOME_OF_EVENT.get(event)
        if outcome is not None and duration is not None and duration >= 0:
            self.duration.labels(queue, outcome).observe(duration)

    async def refresh(self, service: AdminService) -> None:
        """Read depth, pause flags, oldest waiting ages and workers from the backend."""
        statuses = await service.overview()
        now = time.time()
        self.depth.clear()
        self.paused.clear()
        self.oldest_waiting.clear()
        for status in statuses:
            for counter in (self.started, self.completed, self.failed, self.retried, self.stalled):
                counter.labels(status.name)
            for state in JobState:
                self.depth.labels(status.name, state.value).set(status.counts.get(state.value, 0))
            self.paused.labels(status.name).set(1 if status.paused else 0)
            oldest = await service.oldest_waiting_at(status.name) if status.counts.get("waiting") else None
            self.oldest_waiting.labels(status.name).set(0.0 if oldest is None else max(0.0, now - oldest))
        self.workers.set(len(await service.workers()))

    async def scrape(self, service: AdminService) -> bytes:
        """Refresh the gauges and render, one scrape at a time."""
        async with self._scrape_lock:
            await self.refresh(service)
            return self.render()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
