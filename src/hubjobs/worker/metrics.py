"""Worker metrics for Prometheus (`hubjobs worker --metrics-port P`): per queue and job name,
tries started, completed, retried and finally failed, run time and wait time (from due to
start) histograms, and the slots busy now, served over HTTP from the worker process (on a
registry of its own, so several workers in one process do not collide)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError
from ..job import Job

log = logging.getLogger("hubjobs.worker")

RUN_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)
WAIT_BUCKETS = (0.001, 0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0, 3600.0)


class WorkerMetrics:
    """The worker's counters and histograms; `serve` exposes them on a port."""

    def __init__(self, worker_id: str, busy: Callable[[], int]) -> None:
        try:
            from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
        except ImportError:
            raise ConfigurationError("worker metrics need prometheus-client: "
                                     "pip install 'hubjobs[dashboard]'") from None
        self.registry = CollectorRegistry()
        labels = ("queue", "name")
        self.started = Counter("hubjobs_worker_jobs_started", "Tries started", labels, registry=self.registry)
        self.completed = Counter("hubjobs_worker_jobs_completed", "Tries that completed", labels,
                                 registry=self.registry)
        self.retried = Counter("hubjobs_worker_jobs_retried", "Tries that failed and will be retried", labels,
                               registry=self.registry)
        self.failed = Counter("hubjobs_worker_jobs_failed", "Jobs that failed for good", labels,
                              registry=self.registry)
        self.run_seconds = Histogram("hubjobs_worker_job_run_seconds", "How long a try ran", labels,
                                     buckets=RUN_BUCKETS, registry=self.registry)
        self.wait_seconds = Histogram("hubjobs_worker_job_wait_seconds", "From due to started", labels,
                                      buckets=WAIT_BUCKETS, registry=self.registry)
        busy_gauge = Gauge("hubjobs_worker_busy_slots", "Slots running a job now", ("worker",),
                           registry=self.registry)
        busy_gauge.labels(worker_id).set_function(lambda: float(busy()))
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def job_started(self, job: Job) -> None:
        """Count a try and how long the job waited for it."""
        self.started.labels(job.queue, job.name).inc()
        if job.started_ts is not None:
            due = job.run_at_ts if job.run_at_ts is not None else job.created_ts
            self.wait_seconds.labels(job.queue, job.name).observe(max(0.0, job.started_ts - due))

    def job_ended(self, job: Job, kind: str, seconds: float) -> None:
        """Count how a try ended ("completed", "retry", "failed"; "released" is not counted)."""
        if kind == "released":
            return
        self.run_seconds.labels(job.queue, job.name).observe(seconds)
        counter = {"completed": self.completed, "retry": self.retried, "failed": self.failed}.get(kind)
        if counter is not None:
            counter.labels(job.queue, job.name).inc()

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Serve /metrics on `host`:`port` (0: any free port) from a thread; returns the port."""
        from prometheus_client import start_http_server

        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        bound = int(self._server.server_port)
        log.info("worker metrics on http://%s:%d/metrics", host, bound)
        return bound

    def close(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
