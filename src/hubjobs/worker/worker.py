"""Worker: builds its services around shared slots, starts and stops them, and shuts down
gracefully (running jobs finish within the grace period, the rest are handed back)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time
import uuid
from dataclasses import replace
from collections.abc import Sequence

from ..backends.base import Backend, ConfigureQueue, JobOutcome, WorkerInfo
from ..events import EventEmitter, JobEvent, Listener
from ..job import Job
from ..pacing import Pacer
from .completer import Completer
from .control import WorkerControl
from .event_flusher import EventFlusher
from .event_publisher import EventPublisher
from .executor import Executor
from .heartbeat import HeartbeatService, worker_info
from .history_rollup import HistoryRollup
from .lease_renewal import LeaseRenewal
from .listener_dispatch import ListenerDispatch
from .metrics import WorkerMetrics
from .ports import WorkerHost
from .producer import Producer
from .reporter import Reporter
from .service import PeriodicService
from .slots import RunningJob, Slots, Tally
from .stall_rescue import StallRescue

log = logging.getLogger("hubjobs.worker")

DEFAULT_CONCURRENCY = 10


class Worker:
    """Runs jobs of some queues. Create with `app.worker(...)`; run with `run()` or `await arun()`."""

    def __init__(self, host: WorkerHost, queues: Sequence[str], *, concurrency: int | None = None,
                 lease: float = 30.0, grace: float = 30.0, heartbeat: float | None = None,
                 stall_interval: float | None = None, process_slots: int | None = None,
                 install_signals: bool = True, worker_id: str | None = None, publish_events: bool = True,
                 claim_ahead: bool = True, metrics_port: int | None = None,
                 metrics_host: str = "127.0.0.1") -> None:
        if lease <= 0:
            raise ValueError(f"lease must be > 0 seconds, got {lease!r}")
        self.host = host
        self.queues = list(queues)
        defaults = {q: host.queue_defaults(q) for q in self.queues}
        caps: dict[str, int] | None = None
        if concurrency is None:
            caps = {q: d.concurrency or DEFAULT_CONCURRENCY for q, d in defaults.items()}
            concurrency = sum(caps.values())
            if len(caps) == 1:
                caps = None  # one queue: its slots are the worker's
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be an integer >= 1, got {concurrency!r}")
        self.concurrency = concurrency
        self.lease = float(lease)
        self.grace = float(grace)
        self.heartbeat_interval = heartbeat if heartbeat is not None else min(5.0, max(0.5, self.lease / 3))
        self.stall_interval = stall_interval if stall_interval is not None else min(15.0, max(0.2, self.lease / 2))
        self.process_slots = process_slots or min(concurrency, os.cpu_count() or 1)
        self.install_signals = install_signals
        self.publish = publish_events
        self.claim_ahead = claim_ahead
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.events = EventEmitter()
        self._tally = Tally()
        self._slots = Slots(concurrency, caps)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started_at = time.time()
        self._stop_requested = threading.Event()
        self._limited = {q for q, d in defaults.items()
                         if d.global_concurrency is not None or d.rate_limit is not None}
        """Queues with a global concurrency or rate limit: never claimed ahead."""
        if metrics_port is not None and (isinstance(metrics_port, bool) or not isinstance(metrics_port, int)
                                         or not 0 <= metrics_port <= 65535):
            raise ValueError(f"metrics_port must be a port number 0-65535, got {metrics_port!r}")
        self.metrics_port = metrics_port
        self.metrics_host = metrics_host
        self.metrics_bound: int | None = None
        """The port metrics are served on once running (useful with metrics_port=0)."""
        self._extra_services: list[PeriodicService] = []

    # ------------------------------------------------------------ public API

    def on(self, event: str, fn: Listener) -> Listener:
        """Listen to active / progress / completed / failed / retrying / stalled / lease_lost / error."""
        return self.events.on(event, fn)

    def add_service(self, service: PeriodicService) -> None:
        """Run `service` (a PeriodicService of the application's own, e.g. a reconciler) alongside
        the worker's maintenance services: started with the worker, stopped when it stops."""
        if not isinstance(service, PeriodicService):
            raise TypeError(f"add_service needs a PeriodicService, got {service!r}")
        self._extra_services.append(service)

    def run(self, burst: bool = False) -> None:
        """Run until stopped (SIGTERM/SIGINT or `stop()`); with `burst`, until no work is left."""
        asyncio.run(self.arun(burst=burst))

    def stop(self) -> None:
        """Ask the worker to stop gracefully (thread-safe)."""
        self._stop_requested.set()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._begin_stop)

    @property
    def running_jobs(self) -> list[Job]:
        """Jobs currently running here."""
        return [rj.job for rj in self._slots.running.values()]

    @property
    def processed(self) -> int:
        """Jobs completed by this worker."""
        return self._tally.processed

    @property
    def failed(self) -> int:
        """Jobs that finally failed in this worker."""
        return self._tally.failed

    # ------------------------------------------------------------ lifecycle

    def _begin_stop(self) -> None:
        slots = self._slots
        if slots.stopping:
            slots.force = True
            log.warning("second stop signal: handing running jobs back now")
        slots.stopping = True
        slots.wake.set()

    def _describe(self) -> WorkerInfo:
        info = worker_info(self.id, self.queues, self._started_at, len(self._slots.running), self.concurrency,
                           self._tally.processed, self._tally.failed)
        state = "stopping" if self._slots.stopping else "quiet" if self._slots.quiet else "running"
        return replace(info, state=state)

    async def arun(self, burst: bool = False) -> None:
        """Run the worker on the current event loop."""
        loop = self._loop = asyncio.get_running_loop()
        backend = await self.host.backend()
        slots = self._slots
        if self._stop_requested.is_set():
            slots.stopping = True
        dispatch = ListenerDispatch(self.events)
        events = EventPublisher(self.events, publish=self.publish, dispatch=dispatch)
        history = HistoryRollup(backend)
        completer = Completer(slots, events, self._tally, history)
        pacer = Pacer(self.concurrency, claim_ahead=self.claim_ahead)
        executor = Executor(slots, self.host, completer, events, Reporter(backend, slots, events, loop), pacer,
                            self.concurrency, self.process_slots)
        producer = Producer(backend, self.queues, self.id, self.lease, slots, completer, executor, events,
                            pacer, self.host, self._limited)
        stall = StallRescue(backend, self.queues, events, slots, self.stall_interval)
        services: list[PeriodicService] = [
            LeaseRenewal(backend, slots, self.lease, executor.cancel), stall,
            HeartbeatService(backend, self._describe, self.heartbeat_interval), EventFlusher(events, backend),
            history, WorkerControl(backend, self.id, slots, self.stop), *self._extra_services]
        await self._configure_queues(backend)
        installed = self._install_signal_handlers(loop)
        metrics = None
        if self.metrics_port is not None:
            metrics = WorkerMetrics(self.id, lambda: len(slots.running))
            executor.metrics = metrics
            self.metrics_bound = metrics.serve(self.metrics_port, self.metrics_host)
        dispatch.start()
        for service in services:
            service.start()
        try:
            await stall.step()
            await producer.run(burst)
            await self._shutdown(backend, slots, completer, executor, producer)
        finally:
            for service in services:
                await service.stop()
            await events.flush(backend)
            await dispatch.stop()
            if metrics is not None:
                metrics.close()
            try:
                await backend.remove_worker(self.id)
            except Exception:
                log.debug("could not remove worker record", exc_info=True)
            for sig in installed:
                loop.remove_signal_handler(sig)
            executor.close()

    def _install_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> list[int]:
        if not self.install_signals or threading.current_thread() is not threading.main_thread():
            return []
        installed: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self._begin_stop)
                installed.append(sig)
            except (NotImplementedError, RuntimeError):
                pass
        return installed

    async def _configure_queues(self, backend: Backend) -> None:
        for name in self.queues:
            d = self.host.queue_defaults(name)
            await backend.configure_queue(ConfigureQueue(
                name, d.rate_limit.max if d.rate_limit else None, d.rate_limit.period if d.rate_limit else None,
                d.global_concurrency))

    # ------------------------------------------------------------ shutdown

    async def _shutdown(self, backend: Backend, slots: Slots, completer: Completer, executor: Executor,
                        producer: Producer) -> None:
        """Stop claiming; let running jobs finish within the grace period; hand the rest back."""
        deadline = time.monotonic() + self.grace
        self._release_held(slots, completer)
        while slots.running and not slots.force and time.monotonic() < deadline:
            slots.wake.clear()
            await completer.flush_all(backend)
            if not slots.running:
                break
            await producer.sleep_or_wake(min(0.5, max(0.0, deadline - time.monotonic())))
        if slots.running:
            log.warning("grace period over: handing %d running job(s) back to waiting", len(slots.running))
            for rj in list(slots.running.values()):
                executor.cancel(rj, "shutdown")
            tasks = [rj.task for rj in slots.running.values() if rj.task is not None]
            if tasks:
                await asyncio.wait(tasks, timeout=5)
        await completer.flush_all(backend)

    def _release_held(self, slots: Slots, completer: Completer) -> None:
        """Hand jobs claimed but never started back to waiting (queued as outcomes)."""
        while slots.held:
            cj = slots.pop_held()
            job = cj.job
            rj = RunningJob(job, cj.token, self.host.handlers.get((job.queue, job.name)))
            completer.outcomes.setdefault(job.queue, []).append((
                JobOutcome(job.id, cj.token, "released"), rj,
                JobEvent("waiting", job.queue, job.id, job, {"reason": "worker shutdown"})))
