"""Queue: the producer and admin operations of one queue, async (`a*`) and sync twins."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .backends.base import (
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
from .payload import encode_data, validate_schema
from .registry import QueueDefaults

if TYPE_CHECKING:
    from .app import App

MAX_JOB_ID_LENGTH = 256


def _seconds(value: float | timedelta | None, what: str) -> float:
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidJobOptions(f"{what} must be >= 0 seconds or a timedelta, got {value!r}")
    return float(value)


def _epoch(run_at: datetime | None) -> float | None:
    if run_at is None:
        return None
    if not isinstance(run_at, datetime) or run_at.tzinfo is None:
        raise InvalidJobOptions(f"run_at must be a timezone-aware datetime, got {run_at!r}")
    return run_at.astimezone(timezone.utc).timestamp()


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

    def __repr__(self) -> str:
        return f"Queue({self.name!r})"

    def on(self, event: str, fn: Listener) -> Listener:
        """Listen to waiting / delayed / removed events of jobs added here, in this process."""
        return self.events.on(event, fn)

    # ------------------------------------------------------------ building jobs

    def options_for(self, name: str, **overrides: Any) -> JobOptions:
        """Effective options of a job: queue defaults, then handler options, then the call's."""
        options = self.defaults.options
        spec = self.app.handlers.get((self.name, name))
        if spec is not None and spec.overrides:
            options = options.merged(**spec.overrides)
        if all(v is None for v in overrides.values()):
            return options
        return options.merged(**overrides)

    def build_job(self, name: str, data: Any = None, *, priority: int | None = None,
                  job_id: str | None = None, delay: float | timedelta | None = None,
                  run_at: datetime | None = None, attempts: int | None = None, backoff: Any = None,
                  timeout: float | None = None, remove_on_complete: Any = None, remove_on_fail: Any = None,
                  max_stalled: int | None = None) -> NewJob:
        """Validate a job (name, data, schema, options) and return what the backend stores."""
        if not isinstance(name, str) or not name:
            raise InvalidJobOptions(f"job name must be a non-empty string, got {name!r}")
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
        if job_id is not None:
            if not isinstance(job_id, str) or not job_id or len(job_id) > MAX_JOB_ID_LENGTH:
                raise InvalidJobOptions(f"job_id must be a non-empty string of at most "
                                        f"{MAX_JOB_ID_LENGTH} characters, got {job_id!r}")
        options = self.options_for(name, priority=priority, attempts=attempts, backoff=backoff,
                                   timeout=timeout, remove_on_complete=remove_on_complete,
                                   remove_on_fail=remove_on_fail, max_stalled=max_stalled)
        return NewJob(id=job_id or os.urandom(16).hex(), name=name, data_json=data_json, options=options,
                      delay=_seconds(delay, "delay"), run_at=_epoch(run_at))

    # ------------------------------------------------------------ async API

    async def aadd(self, name: str, data: Any = None, *, connection: Any = None, **options: Any) -> Job:
        """Add a job; returns it (or the existing job when `job_id` already exists).

        Options: priority, job_id, delay, run_at, attempts, backoff, timeout, remove_on_complete,
        remove_on_fail, max_stalled. `connection` enqueues inside a caller's open transaction."""
        new = self.build_job(name, data, **options)
        added = await self._add([new], connection)
        if added[0].created:
            return self._job_from_new(new, added[0].state, added[0].created_at)
        job = await self.aget(new.id)
        if job is None:  # removed at once by a racing admin; report what was added
            return self._job_from_new(new, added[0].state)
        return job

    async def aadd_bulk(self, jobs: Iterable[Mapping[str, Any]], *, connection: Any = None) -> list[str]:
        """Add many jobs in one round trip; each item is {"name", "data", **options}. Returns ids."""
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
        if not built:
            return []
        added = await self._add(built, connection)
        return [a.id for a in added]

    async def _add(self, jobs: list[NewJob], connection: Any) -> list[Any]:
        backend = await self.app.backend()
        added = await backend.add_jobs(AddJobs(self.name, jobs, connection))
        if self.events.has_listeners("waiting") or self.events.has_listeners("delayed"):
            for a in added:
                if a.created:
                    await self.events.emit(JobEvent(a.state.value, self.name, a.id))
        return added

    def _job_from_new(self, new: NewJob, state: JobState, created_at: float | None = None) -> Job:
        created = created_at if created_at is not None else time.time()
        run_at = new.run_at
        if run_at is None and state == JobState.DELAYED:
            run_at = created + new.delay
        return Job(id=new.id, queue=self.name, name=new.name, data=json.loads(new.data_json), state=state,
                   options=new.options, created_ts=created, run_at_ts=run_at)

    async def aget(self, job_id: str) -> Job | None:
        """The job with that id, or None."""
        return await (await self.app.backend()).get_job(JobRef(self.name, job_id))

    async def _require(self, job_id: str) -> Job:
        job = await self.aget(job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id!r} in queue {self.name!r}")
        return job

    async def acounts(self) -> dict[str, int]:
        """Counts per state: waiting delayed active completed failed."""
        return await (await self.app.backend()).count_jobs(self.name)

    async def ajobs(self, state: JobState | str = JobState.WAITING, offset: int = 0, limit: int = 100) -> list[Job]:
        """Jobs in a state: run order for waiting/delayed/active, newest first for finished."""
        if offset < 0 or limit < 0:
            raise InvalidJobOptions("offset and limit must be >= 0")
        return await (await self.app.backend()).list_jobs(ListJobs(self.name, _state(state), offset, limit))

    async def asearch(self, text: str, state: JobState | str | None = None, limit: int = 50) -> list[Job]:
        """Jobs whose id, name, data or failure reason contains `text`."""
        st = None if state is None else _state(state)
        return await (await self.app.backend()).search_jobs(SearchJobs(self.name, text, st, limit))

    async def alogs(self, job_id: str) -> list[LogLine]:
        """A job's log lines, oldest first."""
        return await (await self.app.backend()).get_logs(JobRef(self.name, job_id))

    async def aretry(self, job_id: str) -> Job:
        """Send one failed job back to waiting with fresh attempts."""
        job = await self._require(job_id)
        done = await (await self.app.backend()).retry_failed(RetryFailed(self.name, [job_id]))
        if not done:
            raise InvalidJobOptions(f"job {job_id!r} is {job.state.value}, only failed jobs can be retried")
        return await self._require(job_id)

    async def aretry_all_failed(self, limit: int = 100_000) -> int:
        """Send every failed job back to waiting; returns how many."""
        return len(await (await self.app.backend()).retry_failed(RetryFailed(self.name, None, limit)))

    async def aremove(self, job_id: str) -> bool:
        """Remove a job that is not active (True if removed)."""
        job = await self._require(job_id)
        if job.state == JobState.ACTIVE:
            raise InvalidJobOptions(f"job {job_id!r} is active; cancel it first, then remove it")
        removed = bool(await (await self.app.backend()).remove_jobs(JobIds(self.name, [job_id])))
        if removed:
            await self.events.emit(JobEvent("removed", self.name, job_id))
        return removed

    async def apromote(self, job_id: str) -> Job:
        """Run a delayed job now."""
        job = await self._require(job_id)
        if not await (await self.app.backend()).promote_jobs(JobIds(self.name, [job_id])):
            raise InvalidJobOptions(f"job {job_id!r} is {job.state.value}, only delayed jobs can be promoted")
        return await self._require(job_id)

    async def acancel(self, job_id: str) -> bool:
        """Ask the worker running this job to cancel it (cooperative)."""
        job = await self._require(job_id)
        if job.state != JobState.ACTIVE:
            raise InvalidJobOptions(f"job {job_id!r} is {job.state.value}, only active jobs can be cancelled")
        return bool(await (await self.app.backend()).cancel_jobs(JobIds(self.name, [job_id])))

    async def apause(self) -> None:
        """Stop every worker from claiming jobs of this queue (running ones finish)."""
        await (await self.app.backend()).set_paused(SetPaused(self.name, True))

    async def aresume(self) -> None:
        """Let workers claim again."""
        await (await self.app.backend()).set_paused(SetPaused(self.name, False))

    async def ais_paused(self) -> bool:
        """True while paused."""
        return (await self.asettings()).paused

    async def asettings(self) -> QueueSettings:
        """Paused flag, rate limit and global concurrency as stored."""
        return await (await self.app.backend()).get_queue_settings(self.name)

    async def adrain(self, include_delayed: bool = True) -> int:
        """Remove every waiting (and delayed) job; returns how many."""
        return await (await self.app.backend()).drain_queue(DrainQueue(self.name, include_delayed))

    async def aclean(self, state: JobState | str, older_than: float | timedelta = 0.0,
                     limit: int = 100_000) -> int:
        """Remove jobs of a state older than `older_than`; returns how many."""
        st = _state(state)
        if st == JobState.ACTIVE:
            raise InvalidJobOptions("active jobs cannot be cleaned; cancel them first")
        return await (await self.app.backend()).clean_jobs(
            CleanJobs(self.name, st, _seconds(older_than, "older_than"), limit))

    # ------------------------------------------------------------ sync twins

    def add(self, name: str, data: Any = None, *, connection: Any = None, **options: Any) -> Job:
        """Sync twin of `aadd` (usable without an event loop)."""
        if connection is not None:
            return self._add_in_connection(name, data, connection, options)
        return self.app.portal.call(self.aadd(name, data, **options))

    def _add_in_connection(self, name: str, data: Any, connection: Any, options: dict[str, Any]) -> Job:
        backend = self.app.sync_backend()
        new = self.build_job(name, data, **options)
        add_in = getattr(backend, "add_jobs_in", None)
        if add_in is None or not backend.capabilities.transactional_enqueue:
            raise InvalidJobOptions(f"backend {backend.url} cannot enqueue inside a caller's transaction")
        added = add_in(connection, AddJobs(self.name, [new], connection))
        return self._job_from_new(new, added[0].state)

    def add_bulk(self, jobs: Iterable[Mapping[str, Any]]) -> list[str]:
        """Sync twin of `aadd_bulk`."""
        return self.app.portal.call(self.aadd_bulk(list(jobs)))

    def get(self, job_id: str) -> Job | None:
        """Sync twin of `aget`."""
        return self.app.portal.call(self.aget(job_id))

    def counts(self) -> dict[str, int]:
        """Sync twin of `acounts`."""
        return self.app.portal.call(self.acounts())

    def jobs(self, state: JobState | str = JobState.WAITING, offset: int = 0, limit: int = 100) -> list[Job]:
        """Sync twin of `ajobs`."""
        return self.app.portal.call(self.ajobs(state, offset, limit))

    def search(self, text: str, state: JobState | str | None = None, limit: int = 50) -> list[Job]:
        """Sync twin of `asearch`."""
        return self.app.portal.call(self.asearch(text, state, limit))

    def logs(self, job_id: str) -> list[LogLine]:
        """Sync twin of `alogs`."""
        return self.app.portal.call(self.alogs(job_id))

    def retry(self, job_id: str) -> Job:
        """Sync twin of `aretry`."""
        return self.app.portal.call(self.aretry(job_id))

    def retry_all_failed(self, limit: int = 100_000) -> int:
        """Sync twin of `aretry_all_failed`."""
        return self.app.portal.call(self.aretry_all_failed(limit))

    def remove(self, job_id: str) -> bool:
        """Sync twin of `aremove`."""
        return self.app.portal.call(self.aremove(job_id))

    def promote(self, job_id: str) -> Job:
        """Sync twin of `apromote`."""
        return self.app.portal.call(self.apromote(job_id))

    def cancel(self, job_id: str) -> bool:
        """Sync twin of `acancel`."""
        return self.app.portal.call(self.acancel(job_id))

    def pause(self) -> None:
        """Sync twin of `apause`."""
        self.app.portal.call(self.apause())

    def resume(self) -> None:
        """Sync twin of `aresume`."""
        self.app.portal.call(self.aresume())

    def is_paused(self) -> bool:
        """Sync twin of `ais_paused`."""
        return self.app.portal.call(self.ais_paused())

    def drain(self, include_delayed: bool = True) -> int:
        """Sync twin of `adrain`."""
        return self.app.portal.call(self.adrain(include_delayed))

    def clean(self, state: JobState | str, older_than: float | timedelta = 0.0, limit: int = 100_000) -> int:
        """Sync twin of `aclean`."""
        return self.app.portal.call(self.aclean(state, older_than, limit))
