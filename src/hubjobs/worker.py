"""Worker: claims jobs into concurrency slots, runs handlers, renews leases, recovers stalls,
reports heartbeats, and shuts down gracefully."""

from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
import os
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .backends.base import (
    AppendLog,
    Backend,
    ClaimedJob,
    ClaimJobs,
    ConfigureQueue,
    ExtendLeases,
    FinishJobs,
    Heartbeat,
    JobOutcome,
    LeaseRef,
    NewEvent,
    PublishEvents,
    RecoverStalled,
    UpdateProgress,
    WaitForJobs,
    WorkerInfo,
)
from .errors import (
    BackendUnavailable,
    JobCancelled,
    JobTimeoutError,
    RetryAfter,
    UnknownJobName,
    UnrecoverableError,
)
from .events import EventEmitter, JobEvent, Listener
from .history.rollup import HistoryRollup
from .job import MAX_LOG_LINES, Job
from .pacing import Pacer
from .payload import encode_value
from .process_pool import ChildProcessError_, ProcessPool
from .registry import HandlerSpec
from .wakeup import Wakeup

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .app import App

log = logging.getLogger("hubjobs.worker")

DEFAULT_CONCURRENCY = 10
MAX_IDLE_WAIT = 1.0
EVENT_FLUSH_SECONDS = 0.2


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


class _Reporter:
    """Progress and logs of running jobs, fenced by their lease token."""

    def __init__(self, worker: Worker, loop: asyncio.AbstractEventLoop) -> None:
        self.worker = worker
        self.loop = loop

    async def report_progress(self, job: Job, progress: float | dict[str, Any]) -> None:
        rj = self.worker._running.get(job.id)
        if rj is None:
            return
        await self.worker._backend_required().update_progress(
            UpdateProgress(job.queue, job.id, rj.token, encode_value(progress, "progress")))
        await self.worker._emit(JobEvent("progress", job.queue, job.id, job, {"progress": progress}))

    async def report_log(self, job: Job, line: str) -> None:
        await self.worker._backend_required().append_log(AppendLog(job.queue, job.id, line, MAX_LOG_LINES))

    def call_sync(self, make: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            await make()

        asyncio.run_coroutine_threadsafe(run(), self.loop).result()


class Worker:
    """Runs jobs of some queues. Create with `app.worker(...)`; run with `run()` or `await arun()`."""

    def __init__(self, app: App, queues: Sequence[str], *, concurrency: int | None = None, lease: float = 30.0,
                 grace: float = 30.0, heartbeat: float | None = None, stall_interval: float | None = None,
                 process_slots: int | None = None, install_signals: bool = True, worker_id: str | None = None,
                 publish_events: bool = True, claim_ahead: bool = True) -> None:
        if lease <= 0:
            raise ValueError(f"lease must be > 0 seconds, got {lease!r}")
        self.app = app
        self.queues = list(queues)
        if concurrency is None:
            concurrency = sum(app.get_queue(q).defaults.concurrency or DEFAULT_CONCURRENCY for q in self.queues)
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.concurrency = concurrency
        self.lease = float(lease)
        self.grace = float(grace)
        self.heartbeat_interval = heartbeat if heartbeat is not None else min(5.0, max(0.5, self.lease / 3))
        self.stall_interval = stall_interval if stall_interval is not None else min(15.0, max(0.2, self.lease / 2))
        self.process_slots = process_slots or min(concurrency, os.cpu_count() or 1)
        self.install_signals = install_signals
        self.publish = publish_events
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.events = EventEmitter()
        self.processed = 0
        self.failed = 0
        self.history = HistoryRollup()
        """Counts of finished jobs per minute, flushed to the backend's throughput history."""
        self._running: dict[str, RunningJob] = {}
        self._outcomes: dict[str, list[tuple[JobOutcome, RunningJob, JobEvent]]] = {}
        self._event_buffer: dict[str, list[NewEvent]] = {}
        self._backend: Backend | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: Wakeup | None = None
        self._stopping = False
        self._force = False
        self._threads: ThreadPoolExecutor | None = None
        self._procs: ProcessPool | None = None
        self._started_at = time.time()
        self._stop_requested = threading.Event()
        self._reserved = 0
        self._finishing = 0
        """Round trips in flight that carry outcomes (at most one, see pacing)."""
        self._held: collections.deque[ClaimedJob] = collections.deque()
        self._pacer = Pacer(concurrency, claim_ahead=claim_ahead)
        self._limited = {q for q in self.queues
                         if app.get_queue(q).defaults.concurrency is not None
                         or app.get_queue(q).defaults.rate_limit is not None}
        """Queues with a global concurrency or rate limit: never claimed ahead."""

    # ------------------------------------------------------------ public API

    def on(self, event: str, fn: Listener) -> Listener:
        """Listen to active / progress / completed / failed / retrying / stalled / lease_lost / error."""
        return self.events.on(event, fn)

    def run(self, burst: bool = False) -> None:
        """Run until stopped (SIGTERM/SIGINT or `stop()`); with `burst`, until no work is left."""
        asyncio.run(self.arun(burst=burst))

    def stop(self) -> None:
        """Ask the worker to stop gracefully (thread-safe)."""
        self._stop_requested.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._begin_stop)

    @property
    def running_jobs(self) -> list[Job]:
        """Jobs currently running here."""
        return [rj.job for rj in self._running.values()]

    # ------------------------------------------------------------ lifecycle

    def _begin_stop(self) -> None:
        if self._stopping:
            self._force = True
            log.warning("second stop signal: handing running jobs back now")
        self._stopping = True
        if self._wake is not None:
            self._wake.set()

    def _backend_required(self) -> Backend:
        assert self._backend is not None, "worker is not running"
        return self._backend

    async def arun(self, burst: bool = False) -> None:
        """Run the worker on the current event loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = Wakeup()
        self._backend = await self.app.backend()
        self._reporter = _Reporter(self, self._loop)
        self._threads = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="hubjobs-handler")
        if self._stop_requested.is_set():
            self._stopping = True
        await self._configure_queues()
        installed = self._install_signal_handlers()
        background = [asyncio.create_task(coro) for coro in (
            self._lease_loop(), self._stall_loop(), self._heartbeat_loop(), self._event_loop(),
            self.history.run(self._backend))]
        try:
            await self._recover_once()
            await self._main_loop(burst)
            await self._shutdown()
        finally:
            for t in background:
                t.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await self._flush_events()
            await self.history.flush(self._backend)
            try:
                await self._backend.remove_worker(self.id)
            except Exception:
                log.debug("could not remove worker record", exc_info=True)
            for sig in installed:
                self._loop.remove_signal_handler(sig)
            if self._procs is not None:
                self._procs.close()
            self._threads.shutdown(wait=False, cancel_futures=True)

    def _install_signal_handlers(self) -> list[int]:
        if not self.install_signals or threading.current_thread() is not threading.main_thread():
            return []
        assert self._loop is not None
        installed: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._loop.add_signal_handler(sig, self._begin_stop)
                installed.append(sig)
            except (NotImplementedError, RuntimeError):
                pass
        return installed

    async def _configure_queues(self) -> None:
        backend = self._backend_required()
        for name in self.queues:
            d = self.app.get_queue(name).defaults
            await backend.configure_queue(ConfigureQueue(
                name, d.rate_limit.max if d.rate_limit else None, d.rate_limit.period if d.rate_limit else None,
                d.concurrency))

    # ------------------------------------------------------------ the claim loop

    def _pending_count(self) -> int:
        return sum(len(v) for v in self._outcomes.values())

    async def _main_loop(self, burst: bool) -> None:
        """Keep up to MAX_INFLIGHT_CYCLES finish-and-claim round trips in flight, so the worker
        runs handlers while the backend applies the previous batch; wait for work when idle."""
        assert self._wake is not None
        inflight: dict[asyncio.Task[int | None], str] = {}
        drained: set[str] = set()  # queues whose last claim found nothing: wait before claiming again
        start = 0
        failures = 0
        try:
            while not self._stopping:
                self._wake.clear()
                self._start_held()
                order = self.queues[start:] + self.queues[:start]
                start = (start + 1) % len(self.queues)
                for queue in order:
                    while not self._stopping:
                        task = self._launch_cycle(queue, claim=queue not in drained, in_flight=len(inflight))
                        if task is None:
                            break
                        inflight[task] = queue
                try:
                    if inflight:
                        failures = await self._await_cycles(inflight, drained, failures)
                        continue
                    if burst and not self._running and not self._held and not self._pending_count() \
                            and await self._queues_empty():
                        return
                    await self._idle_wait()
                    drained.clear()
                    failures = 0
                    if not self._running and not self._held and not self._stopping:
                        await self._claim_after_wait(drained)
                except Exception as exc:  # a worker never dies of a storage error: it backs off and retries
                    failures = await self._backend_trouble(exc, failures)
        finally:
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)

    async def _await_cycles(self, inflight: dict[asyncio.Task[int | None], str], drained: set[str],
                            failures: int) -> int:
        """Wait for a round trip to finish (or for news: finished jobs, stop); returns the
        failure count for backoff."""
        assert self._wake is not None
        woken = self._wake.future()
        waiting: list[asyncio.Future[Any]] = [*inflight, woken]
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
        for task in [t for t in inflight if t.done()]:
            queue = inflight.pop(task)
            try:
                claimed = task.result()
            except Exception as exc:
                failures = await self._backend_trouble(exc, failures)
                continue
            failures = 0
            if claimed == 0:
                drained.add(queue)
            elif claimed:
                drained.discard(queue)
        return failures

    async def _backend_trouble(self, exc: Exception, failures: int) -> int:
        failures += 1
        delay = min(5.0, 0.1 * 2 ** min(failures, 6))
        if isinstance(exc, (BackendUnavailable, ConnectionError, OSError)):
            log.warning("backend unavailable (%s); retrying in %.1f s", exc, delay)
        else:
            log.error("storage error (%s: %s); retrying in %.1f s", type(exc).__name__, exc, delay,
                      exc_info=exc)
        await self._emit(JobEvent("error", "", None, None, {"error": str(exc)}))
        await self._sleep_or_wake(delay)
        return failures

    def _plan_cycle(self, queue: str, claim: bool, in_flight: int) -> Coroutine[Any, Any, int | None] | None:
        """The next round trip for `queue` if the pacer wants one now: it flushes outcomes and
        claims (claimed slots are reserved until the jobs are running or held)."""
        queued = self._outcomes.get(queue, [])
        occupied = len(self._running) + len(self._held) + self._reserved + self._pending_count() - len(queued)
        plan = self._pacer.plan(queued_outcomes=len(queued), occupied=occupied, in_flight=in_flight,
                                claiming=self._reserved > 0, claim=claim and not self._stopping,
                                may_hold=queue not in self._limited, finishing=self._finishing > 0)
        if plan is None:
            return None
        pending, queued[:] = queued[:plan.outcomes], queued[plan.outcomes:]
        if not queued:
            self._outcomes.pop(queue, None)
        return self._begin_cycle(queue, pending, plan.claim)

    def _begin_cycle(self, queue: str, pending: list[tuple[JobOutcome, RunningJob, JobEvent]],
                     limit: int) -> Coroutine[Any, Any, int | None]:
        """Count a round trip as in flight from now (its claimed slots are reserved, its
        outcomes being sent); `_cycle` counts it down when it ends."""
        self._reserved += limit
        if pending:
            self._finishing += 1
        return self._cycle(queue, pending, limit)

    def _launch_cycle(self, queue: str, claim: bool, in_flight: int) -> asyncio.Task[int | None] | None:
        """Start the next round trip for `queue` as a task (see `_plan_cycle`)."""
        cycle = self._plan_cycle(queue, claim, in_flight)
        return None if cycle is None else asyncio.create_task(cycle)

    async def _claim_after_wait(self, drained: set[str]) -> None:
        """Right after an idle wait, with nothing running: claim inline (no task, no hop through
        the loop), so a job added to an idle queue starts at once."""
        for queue in self.queues:
            cycle = self._plan_cycle(queue, True, 0)
            if cycle is None:
                continue
            claimed = await cycle
            self._start_held()
            if claimed:
                return
            drained.add(queue)

    async def _cycle(self, queue: str, pending: list[tuple[JobOutcome, RunningJob, JobEvent]],
                     limit: int) -> int | None:
        """Flush outcomes and claim up to `limit` jobs in one round trip; returns how many were
        claimed (None when no claim was made)."""
        backend = self._backend_required()
        claim_req = ClaimJobs(queue, self.id, limit, self.lease) if limit > 0 else None
        try:
            if pending:
                res = await backend.finish_jobs(FinishJobs(queue, [p[0] for p in pending], claim_req))
                claimed = res.claimed
                await self._after_finish(pending, set(res.refused))
            else:
                assert claim_req is not None
                claimed = await backend.claim_jobs(claim_req)
        except BaseException:
            if pending:  # keep outcomes to send again; fencing makes a repeat harmless
                self._outcomes.setdefault(queue, [])[:0] = pending
            raise
        finally:
            self._reserved -= limit
            if pending:
                self._finishing -= 1
        self._held.extend(claimed)  # started by the main loop, which plans the next trip first
        return None if claim_req is None else len(claimed)

    async def _after_finish(self, pending: list[tuple[JobOutcome, RunningJob, JobEvent]], refused: set[str]) -> None:
        for outcome, _rj, event in pending:
            if outcome.job_id in refused:
                if outcome.kind != "released":
                    log.warning("job %s: result refused, the lease was lost to another worker", outcome.job_id)
                    await self._emit(JobEvent("lease_lost", event.queue, outcome.job_id, event.job,
                                              {"outcome": outcome.kind}))
                continue
            self.history.note(outcome.kind, event.job or _rj.job, event.at)
            if outcome.kind == "completed":
                self.processed += 1
            elif outcome.kind == "failed":
                self.failed += 1
            await self._emit(event)

    async def _idle_wait(self) -> None:
        backend = self._backend_required()
        timeout = MAX_IDLE_WAIT
        now = await backend.now()
        for queue in self.queues:
            due = await backend.next_delayed_at(queue)
            if due is not None:
                timeout = min(timeout, max(0.0, due - now) + 0.001)
            rl = self.app.get_queue(queue).defaults.rate_limit
            if rl is not None:
                timeout = min(timeout, max(0.01, rl.period / rl.max))
        if timeout <= 0.001:
            return
        assert self._wake is not None
        if self._wake.is_set():
            return
        waiter = asyncio.ensure_future(backend.wait_for_jobs(
            WaitForJobs(self.queues, timeout, worker_id=self.id, receive=self._receive)))
        woken = self._wake.future()
        try:
            await asyncio.wait([waiter, woken], return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            if not waiter.done():  # the backend's blocking call outlives it (see its wait_for_jobs)
                waiter.cancel()
                await asyncio.gather(waiter, return_exceptions=True)
        if not waiter.cancelled() and waiter.exception() is not None:
            exc = waiter.exception()
            assert exc is not None
            raise exc

    async def _sleep_or_wake(self, delay: float) -> None:
        assert self._wake is not None
        try:
            await asyncio.wait_for(self._wake.wait(), delay)
        except TimeoutError:
            pass

    async def _queues_empty(self) -> bool:
        backend = self._backend_required()
        for queue in self.queues:
            counts = await backend.count_jobs(queue)
            if counts["waiting"] or counts["delayed"] or counts["active"]:
                return False
        return True

    # ------------------------------------------------------------ running one job

    def _start_held(self) -> None:
        """Start claimed jobs, in claim order, while slots are free (see pacing)."""
        while self._held and len(self._running) < self.concurrency and not self._stopping:
            self._start(self._held.popleft())

    def _receive(self, _queue: str, jobs: list[ClaimedJob]) -> bool:
        """Jobs the backend claimed for this worker while it waited (`WaitForJobs.receive`):
        started at once, straight from the backend's reply, unless the worker is stopping."""
        if self._stopping:
            return False
        self._held.extend(jobs)
        self._start_held()
        assert self._wake is not None
        self._wake.set()
        return True

    def _start(self, cj: ClaimedJob) -> None:
        job = cj.job.bind(self._reporter)
        spec = self.app.handlers.get((job.queue, job.name))
        rj = RunningJob(job, cj.token, spec)
        self._running[job.id] = rj
        rj.task = asyncio.create_task(self._execute(rj), name=f"hubjobs-job-{job.id}")

    async def _execute(self, rj: RunningJob) -> None:
        job = rj.job
        await self._emit_started(job)
        keep_done = job.options.remove_on_complete
        outcome: JobOutcome
        event: JobEvent
        try:
            if rj.spec is None:
                raise UnknownJobName(f"no handler for job {job.name!r} on queue {job.queue!r}; "
                                     "register it with @app.job")
            began = time.monotonic()
            result = await self._invoke(rj)
            self._pacer.record_run(time.monotonic() - began)
            try:
                result_json = encode_value(result, "the handler's return value")
            except Exception as exc:
                raise UnrecoverableError(str(exc)) from None
            outcome = JobOutcome(job.id, rj.token, "completed", result_json=result_json, keep=keep_done)
            job.result = result
            event = JobEvent("completed", job.queue, job.id, job, {"result": result})
        except asyncio.CancelledError:
            if rj.stop_reason == "shutdown":
                outcome = JobOutcome(job.id, rj.token, "released")
                event = JobEvent("waiting", job.queue, job.id, job, {"reason": "worker shutdown"})
            elif rj.stop_reason == "cancel":
                outcome, event = self._failure(rj, JobCancelled("job cancelled by an admin"), "", final=True)
            else:
                raise
        except BaseException as exc:  # every handler error becomes a failed try
            if isinstance(exc, (KeyboardInterrupt, SystemExit)) and not isinstance(exc, Exception):
                trace = "".join(traceback.format_exception(exc))
            else:
                trace = exc.trace if isinstance(exc, ChildProcessError_) and exc.trace else \
                    "".join(traceback.format_exception(exc))
            final = isinstance(exc, (UnrecoverableError, UnknownJobName, JobCancelled))
            outcome, event = self._failure(rj, exc, trace, final=final)
        finally:
            self._running.pop(job.id, None)
            self._start_held()
        self._outcomes.setdefault(job.queue, []).append((outcome, rj, event))
        assert self._wake is not None
        self._wake.set()

    def _failure(self, rj: RunningJob, exc: BaseException, trace: str, *, final: bool) -> tuple[JobOutcome, JobEvent]:
        job = rj.job
        message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ChildProcessError_) else str(exc)
        attempt = job.attempts_made + 1
        if not final and attempt < job.max_attempts:
            if isinstance(exc, RetryAfter):
                delay = exc.delay
            elif job.options.backoff is not None:
                delay = job.options.backoff.compute(attempt, self.app.backoff_strategies)
            else:
                delay = 0.0
            outcome = JobOutcome(job.id, rj.token, "retry", error=message, stacktrace=trace, retry_delay=delay)
            return outcome, JobEvent("retrying", job.queue, job.id, job,
                                     {"error": message, "attempt": attempt, "delay": delay})
        job.failed_reason = message
        outcome = JobOutcome(job.id, rj.token, "failed", error=message, stacktrace=trace,
                             keep=job.options.remove_on_fail)
        return outcome, JobEvent("failed", job.queue, job.id, job, {"error": message, "attempt": attempt})

    async def _invoke(self, rj: RunningJob) -> Any:
        spec = rj.spec
        assert spec is not None
        job = rj.job
        timeout = job.options.timeout
        if spec.process:
            return await self._invoke_process(rj, spec, timeout)
        if spec.is_async:
            if timeout is None:
                return await spec.fn(job)
            try:
                async with asyncio.timeout(timeout):  # no extra task (wait_for makes one)
                    return await spec.fn(job)
            except TimeoutError:
                raise JobTimeoutError(f"job timed out after {timeout:g} s; the handler was cancelled") from None
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        fut = loop.run_in_executor(self._threads, ctx.run, spec.fn, job)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            log.warning("job %s timed out after %ss; its thread cannot be stopped and was abandoned",
                        job.id, timeout)
            raise JobTimeoutError(f"job timed out after {timeout:g} s; its thread was abandoned") from None

    async def _invoke_process(self, rj: RunningJob, spec: HandlerSpec, timeout: float | None) -> Any:
        if self._procs is None:
            self._procs = ProcessPool(self.process_slots)
        job = rj.job

        async def on_message(kind: str, payload: Any) -> None:
            if kind == "progress":
                await job.aupdate_progress(payload)
            elif kind == "log":
                await job.alog(payload)

        payload = {"id": job.id, "name": job.name, "queue": job.queue, "data": job.data,
                   "attempts_made": job.attempts_made, "max_attempts": job.max_attempts}
        return await self._procs.run(spec.import_path, payload, timeout, on_message, rj.cancel_event)

    # ------------------------------------------------------------ background loops

    async def _lease_loop(self) -> None:
        backend = self._backend_required()
        while True:
            await asyncio.sleep(self.lease / 3)
            by_queue: dict[str, list[LeaseRef]] = {}
            for rj in list(self._running.values()):
                by_queue.setdefault(rj.job.queue, []).append(LeaseRef(rj.job.id, rj.token))
            for cj in list(self._held):
                by_queue.setdefault(cj.job.queue, []).append(LeaseRef(cj.job.id, cj.token))
            for queue, leases in by_queue.items():
                try:
                    status = await backend.extend_leases(ExtendLeases(queue, leases, self.lease))
                except Exception as exc:
                    log.warning("could not renew leases on %s: %s", queue, exc)
                    continue
                if status.lost and self._held:  # another worker owns these now: never start them
                    gone = set(status.lost)
                    self._held = collections.deque(cj for cj in self._held if cj.job.id not in gone)
                for job_id in status.lost:
                    lost = self._running.get(job_id)
                    if lost is not None and not lost.lease_lost:
                        lost.lease_lost = True
                        log.warning("job %s: lease lost (another worker may run it now)", job_id)
                for job_id in status.cancel_requested:
                    target = self._running.get(job_id)
                    if target is not None:
                        self._cancel(target, "cancel")

    def _cancel(self, rj: RunningJob, reason: str) -> None:
        rj.job.cancel_requested = True
        rj.cancel_event.set()
        if rj.stop_reason is None:
            rj.stop_reason = reason
        spec = rj.spec
        if rj.task is not None and (spec is None or spec.is_async or reason == "shutdown"):
            rj.task.cancel()

    async def _recover_once(self) -> None:
        backend = self._backend_required()
        for queue in self.queues:
            try:
                res = await backend.recover_stalled(RecoverStalled(queue))
            except Exception as exc:
                log.warning("stall recovery on %s failed: %s", queue, exc)
                continue
            for job_id in res.requeued:
                await self._emit(JobEvent("stalled", queue, job_id, None, {"requeued": True}))
            for job_id in res.failed:
                await self._emit(JobEvent("stalled", queue, job_id, None, {"requeued": False}))
                await self._emit(JobEvent("failed", queue, job_id, None,
                                          {"error": "job stalled more than max_stalled times"}))
            if res.requeued and self._wake is not None:
                self._wake.set()

    async def _stall_loop(self) -> None:
        while True:
            await asyncio.sleep(self.stall_interval)
            await self._recover_once()

    async def _heartbeat_loop(self) -> None:
        backend = self._backend_required()
        while True:
            try:
                await backend.record_heartbeat(Heartbeat(WorkerInfo(
                    worker_id=self.id, queues=self.queues, hostname=socket.gethostname(), pid=os.getpid(),
                    started_at=self._started_at, heartbeat_at=time.time(), running=len(self._running),
                    concurrency=self.concurrency, processed=self.processed, failed=self.failed),
                    ttl=self.heartbeat_interval * 3))
            except Exception as exc:
                log.warning("heartbeat failed: %s", exc)
            await asyncio.sleep(self.heartbeat_interval)

    async def _event_loop(self) -> None:
        while True:
            await asyncio.sleep(EVENT_FLUSH_SECONDS)
            try:
                await self._flush_events()
            except Exception as exc:
                log.warning("could not publish events: %s", exc)

    async def _flush_events(self) -> None:
        if not self._event_buffer or self._backend is None:
            return
        buffered, self._event_buffer = self._event_buffer, {}
        for queue, events in buffered.items():
            await self._backend.publish_events(PublishEvents(queue, events))

    def _publish(self, queue: str, name: str, job_id: str | None, at: float, data: dict[str, Any],
                 job: Job | None) -> None:
        """Buffer an event for the queue's cross-process stream (results stay out of it)."""
        if not self.publish or not queue or name == "error":
            return
        if data:
            data = {k: v for k, v in data.items() if k != "result"}
            if job is not None:
                data.setdefault("name", job.name)
        elif job is not None:
            data = {"name": job.name}
        self._event_buffer.setdefault(queue, []).append(NewEvent(name, job_id, at, data))

    async def _emit(self, event: JobEvent) -> None:
        self._publish(event.queue, event.name, event.job_id, event.at, event.data, event.job)
        if self.events.has_listeners(event.name):
            await self.events.emit(event)

    async def _emit_started(self, job: Job) -> None:
        """The `active` event of a job; a JobEvent is made only for local listeners."""
        if self.events.has_listeners("active"):
            await self._emit(JobEvent("active", job.queue, job.id, job))
        else:
            self._publish(job.queue, "active", job.id, time.time(), {}, job)

    # ------------------------------------------------------------ shutdown

    async def _shutdown(self) -> None:
        """Stop claiming; let running jobs finish within the grace period; hand the rest back."""
        deadline = time.monotonic() + self.grace
        assert self._wake is not None
        self._release_held()
        while self._running and not self._force and time.monotonic() < deadline:
            self._wake.clear()
            await self._flush_all()
            if not self._running:
                break
            await self._sleep_or_wake(min(0.5, max(0.0, deadline - time.monotonic())))
        if self._running:
            log.warning("grace period over: handing %d running job(s) back to waiting", len(self._running))
            for rj in list(self._running.values()):
                self._cancel(rj, "shutdown")
            tasks = [rj.task for rj in self._running.values() if rj.task is not None]
            if tasks:
                await asyncio.wait(tasks, timeout=5)
        await self._flush_all()

    def _release_held(self) -> None:
        """Hand jobs claimed but never started back to waiting (queued as outcomes)."""
        while self._held:
            cj = self._held.popleft()
            job = cj.job
            rj = RunningJob(job, cj.token, self.app.handlers.get((job.queue, job.name)))
            self._outcomes.setdefault(job.queue, []).append((
                JobOutcome(job.id, cj.token, "released"), rj,
                JobEvent("waiting", job.queue, job.id, job, {"reason": "worker shutdown"})))

    async def _flush_all(self) -> None:
        for queue in list(self._outcomes):
            for attempt in range(5):
                try:
                    pending = self._outcomes.pop(queue, [])
                    if pending:
                        await self._begin_cycle(queue, pending, 0)
                    break
                except (BackendUnavailable, ConnectionError, OSError) as exc:
                    log.warning("could not record outcomes on %s: %s", queue, exc)
                    await asyncio.sleep(0.2 * (attempt + 1))
