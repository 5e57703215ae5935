"""The executor: starts claimed jobs in free slots and runs each one (invoke, timeout,
cancellation), then decides its outcome (completed, retry with backoff, failed, released)
and hands it to the completer."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import traceback
from typing import Any

from ..backends.base import ClaimedJob, JobOutcome
from ..errors import JobCancelled, JobTimeoutError, RetryAfter, UnknownJobName, UnrecoverableError
from ..events import JobEvent
from ..job import Job
from ..logs import JOB_LOGGER
from ..middleware import chain
from ..pacing import Pacer
from ..payload import encode_value
from ..process_pool import ChildProcessError_, ProcessPool
from ..registry import HandlerSpec
from .completer import Completer
from .metrics import WorkerMetrics
from .event_publisher import EventPublisher
from .ports import HandlerRegistry
from .reporter import Reporter
from .slots import RunningJob, Slots
from .sync_runner import SyncRunner

log = logging.getLogger("hubjobs.worker")
joblog = logging.getLogger(JOB_LOGGER)


class Executor:
    """Runs jobs in `slots`: async handlers on the loop, sync ones in `threads`, process
    handlers in a lazily started process pool of `process_slots`."""

    def __init__(self, slots: Slots, registry: HandlerRegistry, completer: Completer, events: EventPublisher,
                 reporter: Reporter, pacer: Pacer, threads: int, process_slots: int) -> None:
        self.slots = slots
        self.registry = registry
        self.completer = completer
        self.events = events
        self.reporter = reporter
        self.pacer = pacer
        self.threads = threads
        """How many threads run sync handlers (started with the first one)."""
        self.sync_runner: SyncRunner | None = None
        self.process_slots = process_slots
        self.procs: ProcessPool | None = None
        self.metrics: WorkerMetrics | None = None
        """Counts tries for Prometheus when the worker serves metrics."""

    def close(self) -> None:
        """Stop the process pool and the handler threads."""
        if self.procs is not None:
            self.procs.close()
        if self.sync_runner is not None:
            self.sync_runner.close()

    # ------------------------------------------------------------ starting

    def start_held(self) -> None:
        """Start held jobs, in claim order, while slots are free (see pacing); with per-queue
        slots, a job whose queue has none free waits and later jobs of other queues go first."""
        slots = self.slots
        if slots.caps is None:
            while slots.held and len(slots.running) < slots.concurrency and not slots.stopping:
                self.start(slots.held.popleft())
            return
        if not slots.held or slots.stopping or len(slots.running) >= slots.concurrency:
            return
        caps, running_in = slots.caps, slots.running_in
        waiting: collections.deque[ClaimedJob] = collections.deque()
        held = slots.held
        while held and len(slots.running) < slots.concurrency:
            cj = held.popleft()
            if running_in.get(cj.job.queue, 0) < caps[cj.job.queue]:
                self.start(cj)
            else:
                waiting.append(cj)
        if waiting:
            waiting.extend(held)
            slots.held = waiting

    def start(self, cj: ClaimedJob) -> None:
        """Run a claimed job as a task."""
        job = cj.job.bind(self.reporter)
        spec = self.registry.handlers.get((job.queue, job.name))
        rj = RunningJob(job, cj.token, spec)
        self.slots.begin(rj)
        rj.task = asyncio.create_task(self._execute(rj), name=f"hubjobs-job-{job.id}")

    def cancel(self, rj: RunningJob, reason: str) -> None:
        """Stop a running job: "cancel" (an admin asked; its outcome is a final failure) or
        "shutdown" (handed back to waiting). Sync handlers only see `job.cancel_requested`."""
        rj.job.cancel_requested = True
        rj.cancel_event.set()
        if rj.stop_reason is None:
            rj.stop_reason = reason
        spec = rj.spec
        if rj.task is not None and (spec is None or spec.is_async or reason == "shutdown"):
            rj.task.cancel()

    # ------------------------------------------------------------ running one job

    async def _execute(self, rj: RunningJob) -> None:
        job = rj.job
        began = time.monotonic()
        if joblog.isEnabledFor(logging.INFO):
            joblog.info("job started: %s %s %s try %d", job.queue, job.name, job.id, job.attempts_made + 1,
                        extra=_fields(job))
        metrics = self.metrics
        if metrics is not None:
            metrics.job_started(job)
        await self.events.emit_started(job)
        keep_done = job.options.remove_on_complete
        outcome: JobOutcome
        event: JobEvent
        try:
            if rj.spec is None:
                raise UnknownJobName(f"no handler for job {job.name!r} on queue {job.queue!r}; "
                                     "register it with @app.job")
            middlewares = self.registry.middlewares
            if middlewares:
                result = await chain(middlewares, lambda _job: self._invoke(rj))(job)
            else:
                result = await self._invoke(rj)
            self.pacer.record_run(time.monotonic() - began)
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
                outcome, event = self.failure(rj, JobCancelled("job cancelled by an admin"), "", final=True)
            else:
                raise
        except BaseException as exc:  # every handler error becomes a failed try
            if isinstance(exc, (KeyboardInterrupt, SystemExit)) and not isinstance(exc, Exception):
                trace = "".join(traceback.format_exception(exc))
            else:
                trace = exc.trace if isinstance(exc, ChildProcessError_) and exc.trace else \
                    "".join(traceback.format_exception(exc))
            final = isinstance(exc, (UnrecoverableError, UnknownJobName, JobCancelled))
            outcome, event = self.failure(rj, exc, trace, final=final)
        finally:
            self.slots.end(rj)
            self.start_held()
        ran = time.monotonic() - began
        _log_outcome(job, outcome, event, ran)
        if metrics is not None:
            metrics.job_ended(job, outcome.kind, ran)
        self.completer.add(job.queue, (outcome, rj, event))

    def failure(self, rj: RunningJob, exc: BaseException, trace: str, *,
                final: bool) -> tuple[JobOutcome, JobEvent]:
        """The retry decision for a failed try: a retry (after RetryAfter's delay or the job's
        backoff) while tries remain and the error is not final, else the final failure."""
        job = rj.job
        message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ChildProcessError_) else str(exc)
        attempt = job.attempts_made + 1
        if not final and attempt < job.max_attempts:
            if isinstance(exc, RetryAfter):
                delay = exc.delay
            elif job.options.backoff is not None:
                delay = job.options.backoff.compute(attempt, self.registry.backoff_strategies)
            else:
                delay = 0.0
            outcome = JobOutcome(job.id, rj.token, "retry", error=message, stacktrace=trace, retry_delay=delay)
            return outcome, JobEvent("retrying", job.queue, job.id, job,
                                     {"error": message, "attempt": attempt, "delay": delay,
                                      **_exception_data(exc, trace)})
        job.failed_reason = message
        outcome = JobOutcome(job.id, rj.token, "failed", error=message, stacktrace=trace,
                             keep=job.options.remove_on_fail)
        return outcome, JobEvent("failed", job.queue, job.id, job,
                                 {"error": message, "attempt": attempt, **_exception_data(exc, trace)})

    async def _invoke(self, rj: RunningJob) -> Any:
        spec = rj.spec
        assert spec is not None
        if spec.schema is None or spec.process:  # a process handler's Task validates in the child
            return await self._invoke_handler(rj, spec)
        with rj.job.validated(spec.schema):  # job.data is the model while the handler runs
            return await self._invoke_handler(rj, spec)

    async def _invoke_handler(self, rj: RunningJob, spec: HandlerSpec) -> Any:
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
        runner = self.sync_runner
        if runner is None:
            runner = self.sync_runner = SyncRunner(asyncio.get_running_loop(), self.threads)
        fut = runner.run(spec.fn, job)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            log.warning("job %s timed out after %ss; its thread cannot be stopped and was abandoned",
                        job.id, timeout)
            raise JobTimeoutError(f"job timed out after {timeout:g} s; its thread was abandoned") from None

    async def _invoke_process(self, rj: RunningJob, spec: HandlerSpec, timeout: float | None) -> Any:
        if self.procs is None:
            self.procs = ProcessPool(self.process_slots)
        job: Job = rj.job

        async def on_message(kind: str, payload: Any) -> None:
            if kind == "progress":
                await job.aupdate_progress(payload)
            elif kind == "log":
                await job.alog(payload)

        payload = {"id": job.id, "name": job.name, "queue": job.queue, "data": job.data,
                   "attempts_made": job.attempts_made, "max_attempts": job.max_attempts}
        return await self.procs.run(spec.import_path, payload, timeout, on_message, rj.cancel_event)


def _exception_data(exc: BaseException, trace: str) -> dict[str, Any]:
    """What `failed` and `retrying` listeners get about the error: its type name, message,
    formatted traceback and the exception itself (kept out of the cross-process stream)."""
    if isinstance(exc, ChildProcessError_):  # the child's own exception type and message
        kind, message = exc.type_name, str(exc).removeprefix(f"{exc.type_name}: ")
    else:
        kind, message = type(exc).__name__, str(exc)
    return {"error_type": kind, "error_message": message, "traceback": trace, "exception": exc}


def _fields(job: Job, duration: float | None = None, error_type: str | None = None,
            retry_in: float | None = None) -> dict[str, Any]:
    """The job line's fields (never the job's data)."""
    return {"queue": job.queue, "job_name": job.name, "job_id": job.id, "try": job.attempts_made + 1,
            "duration_s": None if duration is None else round(duration, 6), "error_type": error_type,
            "retry_in_s": retry_in}


def _log_outcome(job: Job, outcome: JobOutcome, event: JobEvent, duration: float) -> None:
    """One line for how a try ended: success (INFO), retry (WARNING), final failure (ERROR)."""
    kind = outcome.kind
    if kind == "completed":
        if joblog.isEnabledFor(logging.INFO):
            joblog.info("job completed: %s %s %s try %d in %.3f s", job.queue, job.name, job.id,
                        job.attempts_made + 1, duration, extra=_fields(job, duration))
    elif kind == "retry":
        error_type = event.data.get("error_type")
        joblog.warning("job failed, will retry in %.1f s: %s %s %s try %d in %.3f s: %s", outcome.retry_delay,
                       job.queue, job.name, job.id, job.attempts_made + 1, duration, error_type,
                       extra=_fields(job, duration, error_type, outcome.retry_delay))
    elif kind == "failed":
        error_type = event.data.get("error_type")
        joblog.error("job failed for good: %s %s %s try %d in %.3f s: %s", job.queue, job.name, job.id,
                     job.attempts_made + 1, duration, error_type, extra=_fields(job, duration, error_type))
