"""Queue: the producer and admin operations of one queue, async (`a*`) and sync twins.

Each operation is written once, as a plan (`_Plan`): a generator that yields the backend calls
it needs (`_Call`, named like the `Backend`/`SyncBackend` methods) and the events it emits, and
returns the result. The async twin runs a plan on the loop's `Backend`; the sync twin runs the
same plan on the App's `SyncBackend` from the caller's thread (no event loop involved), so
validation, checks and results are the same both ways."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from .backends.base import (
    AddedJob,
    AddJobs,
    CleanJobs,
    DrainQueue,
    JobIds,
    JobRef,
    ListJobs,
    LogLine,
    NewJob,
    QueueSettings,
    RetryFailed,
    SearchJobs,
    SetPaused,
)
from .errors import InvalidJobData, InvalidJobOptions, JobNotFound, UnknownJobName
from .events import EventEmitter, JobEvent, Listener
from .job import Job, JobOptions, JobState
from .limits import check_data_text, check_epoch, check_identifier, check_seconds
from .meta import normalize_meta
from .middleware import AddContext, after_add, before_add
from .payload import encode_data, model_to_data, validate_schema
from .registry import QueueDefaults

if TYPE_CHECKING:
    from .app import App

J = TypeVar("J", bound="Job | None")

MAX_JOB_ID_LENGTH = 256


class _Call(NamedTuple):
    """A backend operation a plan needs: the method of `Backend` / `SyncBackend` and its argument."""

    method: str
    arg: Any


class _Emit(NamedTuple):
    """An in-process event a plan emits."""

    event: JobEvent


_Plan = Generator["_Call | _Emit", Any, Any]


def _seconds(value: float | timedelta | None, what: str) -> float:
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        value = value.total_seconds()
    return check_seconds(value, what)


def _epoch(run_at: datetime | None) -> float | None:
    if run_at is None:
        return None
    if not isinstance(run_at, datetime) or run_at.tzinfo is None:
        raise InvalidJobOptions(f"run_at must be a timezone-aware datetime, got {run_at!r}", field="run_at")
    try:
        return check_epoch(run_at.astimezone(timezone.utc).timestamp(), "run_at")
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, InvalidJobOptions):
            raise
        raise InvalidJobOptions(f"run_at is out of range: {exc}", field="run_at") from None


def _with_meta(job: NewJob, meta: dict[str, str]) -> NewJob:
    """`job` with `meta` (as middleware left it), checked like a producer's."""
    if meta == dict(job.options.meta):
        return job
    return replace(job, options=replace(job.options, meta=normalize_meta(meta)))


def _state(state: JobState | str) -> JobState:
    try:
        return JobState(state)
    except ValueError:
        raise InvalidJobOptions(
            f"unknown state {state!r}; use one of {', '.join(s.value for s in JobState)}") from None


_DATA_OPTIONS = frozenset({"priority", "attempts", "timeout", "delay"})


def _options_from_data(fn: Callable[[Any], Mapping[str, Any]], data: Any, name: str) -> Mapping[str, Any]:
    """A handler's options read from a job's data; only the options it may set."""
    derived = fn(data) or {}
    unknown = set(derived) - _DATA_OPTIONS
    if unknown:
        raise InvalidJobOptions(f"options_from_data of job {name!r} returned options it may not set: "
                                f"{sorted(unknown)} (allowed: {sorted(_DATA_OPTIONS)})")
    return derived


class Queue:
    """Add jobs to a queue and manage them. Obtain one with `app.queue(name)`."""

    def __init__(self, app: App, name: str, defaults: QueueDefaults) -> None:
        self.app = app
        self.name = name
        self.defaults = defaults
        self.events = EventEmitter()
        self._handler_options: dict[str, tuple[JobOptions, Any, JobOptions]] = {}

    def __repr__(self) -> str:
        return f"Queue({self.name!r})"

    def on(self, event: str, fn: Listener) -> Listener:
        """Listen to waiting / delayed / removed events of jobs added here, in this process."""
        return self.events.on(event, fn)

    # ------------------------------------------------------------ building jobs

    def options_for(self, name: str, **overrides: Any) -> JobOptions:
        """Effective options of a job: queue defaults, then handler options, then the call's."""
        base = self.defaults.options
        spec = self.app.handlers.get((self.name, name))
        options = base
        if spec is not None and spec.overrides:
            known = self._handler_options.get(name)
            if known is not None and known[0] is base and known[1] is spec:
                options = known[2]
            else:  # merged once per (queue defaults, handler) pair: jobs then share one options value
                options = base.merged(**spec.overrides)
                self._handler_options[name] = (base, spec, options)
        for value in overrides.values():
            if value is not None:
                return options.merged(**overrides)
        return options

    def build_job(self, name: str, data: Any = None, *, priority: int | None = None,
                  job_id: str | None = None, delay: float | timedelta | None = None,
                  run_at: datetime | None = None, attempts: int | None = None, backoff: Any = None,
                  timeout: float | None = None, remove_on_complete: Any = None, remove_on_fail: Any = None,
                  max_stalled: int | None = None, meta: Mapping[str, str] | None = None) -> NewJob:
        """Validate a job (name, data, schema, options) and return what the backend stores."""
        if not isinstance(name, str) or not name:
            raise InvalidJobOptions(f"job name must be a non-empty string, got {name!r}", field="name")
        check_identifier(name, "name", "job name")
        data = model_to_data(data)
        spec = self.app.handlers.get((self.name, name))
        known = self.app.job_names(self.name) if spec is None else None
        if known and name not in known:
            raise UnknownJobName(f"queue {self.name!r} has no handler for job {name!r}; "
                                 f"known: {', '.join(sorted(known))}")
        if spec is not None and spec.schema is not None:
            validate_schema(spec.schema, data, job_name=name)
        if spec is not None and spec.options_from_data is not None:
            derived = _options_from_data(spec.options_from_data, data, name)
            priority = derived.get("priority") if priority is None else priority
            attempts = derived.get("attempts") if attempts is None else attempts
            timeout = derived.get("timeout") if timeout is None else timeout
            delay = derived.get("delay") if delay is None and run_at is None else delay
        data_json = encode_data(data, self.app.payload_limits)
        check_data_text(data, data_json)
        if job_id is not None:
            if not isinstance(job_id, str) or not job_id or len(job_id) > MAX_JOB_ID_LENGTH:
                raise InvalidJobOptions(f"job_id must be a non-empty string of at most "
                                        f"{MAX_JOB_ID_LENGTH} characters, got {job_id!r}", field="job_id")
            check_identifier(job_id, "job_id")
        options = self.options_for(name, priority=priority, attempts=attempts, backoff=backoff,
                                   timeout=timeout, remove_on_complete=remove_on_complete,
                                   remove_on_fail=remove_on_fail, max_stalled=max_stalled, meta=meta)
        return NewJob(id=job_id or os.urandom(16).hex(), name=name, data_json=data_json, options=options,
                      delay=_seconds(delay, "delay"), run_at=_epoch(run_at))

    def build_jobs(self, jobs: Iterable[Mapping[str, Any]]) -> list[NewJob]:
        """`build_job` for each item of an add_bulk ({"name", "data", **options}); errors name the item."""
        built = []
        for i, item in enumerate(jobs):
            spec = dict(item)
            try:
                name = spec.pop("name")
            except KeyError:
                raise InvalidJobOptions(f"add_bulk item {i} has no 'name'") from None
            data = spec.pop("data", None)
            try:
                built.append(self.build_job(name, data, **spec))
            except InvalidJobData as exc:
                raise InvalidJobData(f"add_bulk item {i}: {exc}", field=exc.field) from None
            except (InvalidJobOptions, UnknownJobName) as exc:
                raise type(exc)(f"add_bulk item {i}: {exc}") from None
        return built

    # ------------------------------------------------------------ running plans

    async def _arun(self, plan: _Plan) -> Any:
        """Run a plan on this event loop's backend."""
        backend = await self.app.backend()
        try:
            step = next(plan)
            while True:
                if isinstance(step, _Call):
                    try:
                        answer = await getattr(backend, step.method)(step.arg)
                    except Exception as exc:  # the plan sees the failure (and may clean up)
                        step = plan.throw(exc)
                        continue
                    step = plan.send(answer)
                else:
                    await self.events.emit(step.event)
                    step = plan.send(None)
        except StopIteration as done:
            return done.value

    def _run(self, plan: _Plan) -> Any:
        """Run a plan from the caller's thread on the App's sync backend (a backend without a
        sync twin runs it on the App's background loop instead)."""
        backend = self.app.sync_backend()
        if backend is None:
            return self.app.portal.call(self._arun(plan))
        try:
            step = next(plan)
            while True:
                if isinstance(step, _Call):
                    try:
                        answer = getattr(backend, step.method)(step.arg)
                    except Exception as exc:  # the plan sees the failure (and may clean up)
                        step = plan.throw(exc)
                        continue
                    step = plan.send(answer)
                else:
                    self.events.emit_sync(step.event, self.app.portal.call)
                    step = plan.send(None)
        except StopIteration as done:
            return done.value

    # ------------------------------------------------------------ plans (one per operation)

    def _plan_add(self, name: str, data: Any, connection: Any, options: dict[str, Any]) -> _Plan:
        new = self.build_job(name, data, **options)
        stored, added = yield from self._plan_store([new], connection)
        new = stored[0]
        if added[0].created or connection is not None:
            return self._job_from_new(new, added[0].state, added[0].created_at)
        job = yield _Call("get_job", JobRef(self.name, new.id))
        if job is None:  # removed at once by a racing admin; report what was added
            return self._job_from_new(new, added[0].state)
        return job

    def _plan_add_bulk(self, jobs: Iterable[Mapping[str, Any]], connection: Any) -> _Plan:
        built = self.build_jobs(jobs)
        if not built:
            return []
        _stored, added = yield from self._plan_store(built, connection)
        return [a.id for a in added]

    def _plan_store(self, jobs: list[NewJob],
                    connection: Any) -> Generator[_Call | _Emit, Any, tuple[list[NewJob], list[AddedJob]]]:
        """Store built jobs: the one step every add (single, bulk, sync and async) goes
        through, where producer-side middleware runs. Returns the jobs as stored (with the meta
        middleware set) and the backend's answers."""
        middlewares = self.app.middlewares
        if not middlewares:
            added: list[AddedJob] = yield _Call("add_jobs", AddJobs(self.name, jobs, connection))
        else:
            adds = [AddContext(self.name, j.name, j.id, dict(j.options.meta)) for j in jobs]
            before_add(middlewares, adds)
            jobs = [_with_meta(j, a.meta) for j, a in zip(jobs, adds, strict=True)]
            try:
                added = yield _Call("add_jobs", AddJobs(self.name, jobs, connection))
            except BaseException as exc:
                after_add(middlewares, adds, exc)
                raise
            for add, answer in zip(adds, added, strict=True):
                add.added = answer
            after_add(middlewares, adds, None)
        if self.events.has_listeners("waiting") or self.events.has_listeners("delayed"):
            for a in added:
                if a.created:
                    yield _Emit(JobEvent(a.state.value, self.name, a.id))
        return jobs, added

    def _plan_require(self, job_id: str) -> Generator[_Call | _Emit, Any, Job]:
        job: Job | None = yield _Call("get_job", JobRef(self.name, job_id))
        if job is None:
            raise JobNotFound(f"no job {job_id!r} in queue {self.name!r}")
        return job

    def _plan_get(self, job_id: str) -> _Plan:
        return (yield _Call("get_job", JobRef(self.name, job_id)))

    def _plan_call(self, method: str, arg: Any) -> _Plan:
        return (yield _Call(method, arg))

    def _plan_retry(self, job_id: str) -> _Plan:
        job = yield from self._plan_require(job_id)
        done = yield _Call("retry_failed", RetryFailed(self.name, [job_id]))
        if not done:
            raise InvalidJobOptions(f"job {job_id!r} is {job.state.value}, only failed jobs can be retried")
        return (yield from self._plan_require(job_id))

    def _plan_retry_all(self, limit: int) -> _Plan:
        return len((yield _Call("retry_failed", RetryFailed(self.name, None, limit))))

    def _plan_remove(self, job_id: str) -> _Plan:
        job = yield from self._plan_require(job_id)
        if job.state == JobState.ACTIVE:
            raise InvalidJobOptions(f"job {job_id!r} is active; cancel it first, then remove it")
        removed = bool((yield _Call("remove_jobs", JobIds(self.name, [job_id]))))
        if removed:
            yield _Emit(JobEvent("removed", self.name, job_id))
        return removed

    def _plan_promote(self, job_id: str) -> _Plan:
        job = yield from self._plan_require(job_id)
        if not (yield _Call("promote_jobs", JobIds(self.name, [job_id]))):
            raise InvalidJobOptions(f"job {job_id!r} is {job.state.value}, only delayed jobs can be promoted")
        return (yield from self._plan_require(job_id))

    def _plan_cancel(self, job_id: str) -> _Plan:
        job = yield from self._plan_require(job_id)
        if job.state != JobState.ACTIVE:
            raise InvalidJobOptions(f"job {job_id!r} is {job.state.value}, only active jobs can be cancelled")
        return bool((yield _Call("cancel_jobs", JobIds(self.name, [job_id]))))

    def _plan_jobs(self, state: JobState | str, offset: int, limit: int) -> _Plan:
        if offset < 0 or limit < 0:
            raise InvalidJobOptions("offset and limit must be >= 0")
        return (yield _Call("list_jobs", ListJobs(self.name, _state(state), offset, limit)))

    def _plan_search(self, text: str, state: JobState | str | None, limit: int) -> _Plan:
        st = None if state is None else _state(state)
        return (yield _Call("search_jobs", SearchJobs(self.name, text, st, limit)))

    def _plan_is_paused(self) -> _Plan:
        settings: QueueSettings = yield _Call("get_queue_settings", self.name)
        return settings.paused

    def _plan_clean(self, state: JobState | str, older_than: float | timedelta, limit: int) -> _Plan:
        st = _state(state)
        if st == JobState.ACTIVE:
            raise InvalidJobOptions("active jobs cannot be cleaned; cancel them first")
        return (yield _Call("clean_jobs", CleanJobs(self.name, st, _seconds(older_than, "older_than"), limit)))

    def _mine(self, job: J) -> J:
        """`job` able to `wait` for its outcome through this queue."""
        if job is not None:
            job._source = self
        return job

    def _job_from_new(self, new: NewJob, state: JobState, created_at: float | None = None) -> Job:
        created = created_at if created_at is not None else time.time()
        run_at = new.run_at
        if run_at is None and state == JobState.DELAYED:
            run_at = created + new.delay
        return Job(id=new.id, queue=self.name, name=new.name, data=json.loads(new.data_json), state=state,
                   options=new.options, created_ts=created, run_at_ts=run_at)

    # ------------------------------------------------------------ async API

    async def aadd(self, name: str, data: Any = None, *, connection: Any = None, **options: Any) -> Job:
        """Add a job; returns it (or the existing job when `job_id` already exists).

        Options: priority, job_id, delay, run_at, attempts, backoff, timeout, remove_on_complete,
        remove_on_fail, max_stalled. `connection` enqueues inside a caller's open transaction."""
        job: Job = await self._arun(self._plan_add(name, data, connection, options))
        return self._mine(job)

    async def aadd_bulk(self, jobs: Iterable[Mapping[str, Any]], *, connection: Any = None) -> list[str]:
        """Add many jobs in one round trip; each item is {"name", "data", **options}. Returns ids."""
        ids: list[str] = await self._arun(self._plan_add_bulk(jobs, connection))
        return ids

    async def aget(self, job_id: str) -> Job | None:
        """The job with that id, or None."""
        job: Job | None = await self._arun(self._plan_get(job_id))
        return self._mine(job)

    async def acounts(self) -> dict[str, int]:
        """Counts per state: waiting delayed active completed failed."""
        counts: dict[str, int] = await self._arun(self._plan_call("count_jobs", self.name))
        return counts

    async def ajobs(self, state: JobState | str = JobState.WAITING, offset: int = 0, limit: int = 100) -> list[Job]:
        """Jobs in a state: run order for waiting/delayed/active, newest first for finished."""
        jobs: list[Job] = await self._arun(self._plan_jobs(state, offset, limit))
        return jobs

    async def asearch(self, text: str, state: JobState | str | None = None, limit: int = 50) -> list[Job]:
        """Jobs whose id, name, data or failure reason contains `text`."""
        jobs: list[Job] = await self._arun(self._plan_search(text, state, limit))
        return jobs

    async def alogs(self, job_id: str) -> list[LogLine]:
        """A job's log lines, oldest first."""
        lines: list[LogLine] = await self._arun(self._plan_call("get_logs", JobRef(self.name, job_id)))
        return lines

    async def aretry(self, job_id: str) -> Job:
        """Send one failed job back to waiting with fresh attempts."""
        job: Job = await self._arun(self._plan_retry(job_id))
        return job

    async def aretry_all_failed(self, limit: int = 100_000) -> int:
        """Send every failed job back to waiting; returns how many."""
        n: int = await self._arun(self._plan_retry_all(limit))
        return n

    async def aremove(self, job_id: str) -> bool:
        """Remove a job that is not active (True if removed)."""
        removed: bool = await self._arun(self._plan_remove(job_id))
        return removed

    async def apromote(self, job_id: str) -> Job:
        """Run a delayed job now."""
        job: Job = await self._arun(self._plan_promote(job_id))
        return job

    async def acancel(self, job_id: str) -> bool:
        """Ask the worker running this job to cancel it (cooperative)."""
        asked: bool = await self._arun(self._plan_cancel(job_id))
        return asked

    async def apause(self) -> None:
        """Stop every worker from claiming jobs of this queue (running ones finish)."""
        await self._arun(self._plan_call("set_paused", SetPaused(self.name, True)))

    async def aresume(self) -> None:
        """Let workers claim again."""
        await self._arun(self._plan_call("set_paused", SetPaused(self.name, False)))

    async def ais_paused(self) -> bool:
        """True while paused."""
        paused: bool = await self._arun(self._plan_is_paused())
        return paused

    async def asettings(self) -> QueueSettings:
        """Paused flag, rate limit and global concurrency as stored."""
        settings: QueueSettings = await self._arun(self._plan_call("get_queue_settings", self.name))
        return settings

    async def adrain(self, include_delayed: bool = True) -> int:
        """Remove every waiting (and delayed) job; returns how many."""
        n: int = await self._arun(self._plan_call("drain_queue", DrainQueue(self.name, include_delayed)))
        return n

    async def aclean(self, state: JobState | str, older_than: float | timedelta = 0.0,
                     limit: int = 100_000) -> int:
        """Remove jobs of a state older than `older_than`; returns how many."""
        n: int = await self._arun(self._plan_clean(state, older_than, limit))
        return n

    # ------------------------------------------------------------ sync twins (caller's thread)

    def add(self, name: str, data: Any = None, *, connection: Any = None, **options: Any) -> Job:
        """Sync twin of `aadd`: talks to storage from the calling thread (thread-safe)."""
        job: Job = self._run(self._plan_add(name, data, connection, options))
        return self._mine(job)

    def add_bulk(self, jobs: Iterable[Mapping[str, Any]], *, connection: Any = None) -> list[str]:
        """Sync twin of `aadd_bulk`."""
        ids: list[str] = self._run(self._plan_add_bulk(jobs, connection))
        return ids

    def get(self, job_id: str) -> Job | None:
        """Sync twin of `aget`."""
        job: Job | None = self._run(self._plan_get(job_id))
        return self._mine(job)

    def counts(self) -> dict[str, int]:
        """Sync twin of `acounts`."""
        counts: dict[str, int] = self._run(self._plan_call("count_jobs", self.name))
        return counts

    def jobs(self, state: JobState | str = JobState.WAITING, offset: int = 0, limit: int = 100) -> list[Job]:
        """Sync twin of `ajobs`."""
        jobs: list[Job] = self._run(self._plan_jobs(state, offset, limit))
        return jobs

    def search(self, text: str, state: JobState | str | None = None, limit: int = 50) -> list[Job]:
        """Sync twin of `asearch`."""
        jobs: list[Job] = self._run(self._plan_search(text, state, limit))
        return jobs

    def logs(self, job_id: str) -> list[LogLine]:
        """Sync twin of `alogs`."""
        lines: list[LogLine] = self._run(self._plan_call("get_logs", JobRef(self.name, job_id)))
        return lines

    def retry(self, job_id: str) -> Job:
        """Sync twin of `aretry`."""
        job: Job = self._run(self._plan_retry(job_id))
        return job

    def retry_all_failed(self, limit: int = 100_000) -> int:
        """Sync twin of `aretry_all_failed`."""
        n: int = self._run(self._plan_retry_all(limit))
        return n

    def remove(self, job_id: str) -> bool:
        """Sync twin of `aremove`."""
        removed: bool = self._run(self._plan_remove(job_id))
        return removed

    def promote(self, job_id: str) -> Job:
        """Sync twin of `apromote`."""
        job: Job = self._run(self._plan_promote(job_id))
        return job

    def cancel(self, job_id: str) -> bool:
        """Sync twin of `acancel`."""
        asked: bool = self._run(self._plan_cancel(job_id))
        return asked

    def pause(self) -> None:
        """Sync twin of `apause`."""
        self._run(self._plan_call("set_paused", SetPaused(self.name, True)))

    def resume(self) -> None:
        """Sync twin of `aresume`."""
        self._run(self._plan_call("set_paused", SetPaused(self.name, False)))

    def is_paused(self) -> bool:
        """Sync twin of `ais_paused`."""
        paused: bool = self._run(self._plan_is_paused())
        return paused

    def settings(self) -> QueueSettings:
        """Sync twin of `asettings`."""
        settings: QueueSettings = self._run(self._plan_call("get_queue_settings", self.name))
        return settings

    def drain(self, include_delayed: bool = True) -> int:
        """Sync twin of `adrain`."""
        n: int = self._run(self._plan_call("drain_queue", DrainQueue(self.name, include_delayed)))
        return n

    def clean(self, state: JobState | str, older_than: float | timedelta = 0.0, limit: int = 100_000) -> int:
        """Sync twin of `aclean`."""
        n: int = self._run(self._plan_clean(state, older_than, limit))
        return n
