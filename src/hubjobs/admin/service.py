"""AdminService: what the API and the dashboard read and do, independent of HTTP.

It sees every queue the App declares and every queue the backend holds (so `hubjobs dashboard`
without an app module still shows them), and raises the engine's errors (UnknownQueue,
JobNotFound, InvalidJobOptions) for the HTTP layers to translate.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..backends.base import AppendLog, JobIds, LogLine, QueueSettings, RetryFailed, WorkerInfo
from ..errors import JobNotFound, UnknownQueue
from ..job import MAX_LOG_LINES, Job, JobState
from ..queue import Queue
from ..registry import QueueDefaults
from .job_history import RETRY_MARK

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger("hubjobs.admin")

LAST_RUN_SCAN = 50
"""Jobs of a schedule read to find its latest run."""
MAX_MARKED = 1000
"""Jobs of one retry that get a "retried by" log line."""
OLDEST_WAITING_SCAN = 100
"""Without a backend `oldest_waiting_at`, the oldest-waiting age looks at this many jobs in run order."""


@dataclass(frozen=True)
class QueueStatus:
    """A queue's counts per state, pause flag and limits."""

    name: str
    counts: dict[str, int]
    settings: QueueSettings
    declared: bool

    @property
    def paused(self) -> bool:
        """True while workers may not claim."""
        return self.settings.paused

    @property
    def total(self) -> int:
        """Jobs in every state."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class BulkResult:
    """Outcome of an action on several jobs: ids done, and why the others were not."""

    done: list[str]
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"done": self.done, "count": len(self.done), "skipped": self.skipped}


@dataclass(frozen=True)
class ScheduleView:
    """A stored schedule as the admin shows it."""

    id: str
    queue: str
    name: str
    description: str
    next_run: float | None
    last_run: float | None
    spec: dict[str, Any]
    problem: str | None = None
    paused: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"id": self.id, "queue": self.queue, "name": self.name, "description": self.description,
                "next_run": self.next_run, "last_run": self.last_run, "spec": self.spec, "problem": self.problem,
                "paused": self.paused}


class AdminService:
    """Reads and actions over every queue of an App."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._stored: dict[str, Queue] = {}

    # ------------------------------------------------------------ queues

    async def queue_names(self) -> list[str]:
        """Declared queues and queues present in storage, sorted."""
        stored = await (await self.app.backend()).list_queues()
        return sorted(set(self.app.queues) | set(stored))

    async def queue(self, name: str) -> Queue:
        """The queue `name` (declared, or found in storage), else UnknownQueue."""
        declared = self.app.queues.get(name)
        if declared is not None:
            return declared
        known = self._stored.get(name)
        if known is not None:
            return known
        if isinstance(name, str) and name in await (await self.app.backend()).list_queues():
            queue = Queue(self.app, name, QueueDefaults())
            self._stored[name] = queue
            return queue
        raise UnknownQueue(f"unknown queue {name!r}")

    async def status(self, name: str) -> QueueStatus:
        """Counts and settings of one queue."""
        queue = await self.queue(name)
        return QueueStatus(name, await queue.acounts(), await queue.asettings(), name in self.app.queues)

    async def overview(self) -> list[QueueStatus]:
        """Status of every queue."""
        return [await self.status(name) for name in await self.queue_names()]

    async def oldest_waiting_at(self, name: str) -> float | None:
        """When the oldest waiting job was added: exact if the backend offers
        `oldest_waiting_at(queue)`, else the oldest among the next jobs to run."""
        queue = await self.queue(name)
        backend = await self.app.backend()
        exact = getattr(backend, "oldest_waiting_at", None)
        if exact is not None:
            value = await exact(name)
            return None if value is None else float(value)
        jobs = await queue.ajobs(JobState.WAITING, 0, OLDEST_WAITING_SCAN)
        return min((j.created_ts for j in jobs), default=None)

    # ------------------------------------------------------------ jobs

    async def jobs(self, name: str, state: JobState, offset: int, limit: int) -> list[Job]:
        """Jobs of a state: run order for waiting/delayed/active, newest first for finished."""
        return await (await self.queue(name)).ajobs(state, offset, limit)

    async def job(self, name: str, job_id: str) -> Job:
        """One job, else JobNotFound."""
        job = await (await self.queue(name)).aget(job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id!r} in queue {name!r}")
        return job

    async def logs(self, name: str, job_id: str) -> list[LogLine]:
        """A job's log lines."""
        return await (await self.queue(name)).alogs(job_id)

    async def search(self, text: str, name: str | None = None, state: JobState | None = None,
                     limit: int = 50) -> list[Job]:
        """Jobs whose id, name, data or error contains `text`, in one queue or in all."""
        names = [name] if name is not None else await self.queue_names()
        found: list[Job] = []
        for queue_name in names:
            if len(found) >= limit:
                break
            found += await (await self.queue(queue_name)).asearch(text, state, limit - len(found))
        return found

    # ------------------------------------------------------------ job actions

    async def _explain(self, queue: Queue, ids: Sequence[str], done: Sequence[str], wanted: str) -> BulkResult:
        skipped: dict[str, str] = {}
        finished = set(done)
        for job_id in ids:
            if job_id in finished:
                continue
            job = await queue.aget(job_id)
            skipped[job_id] = "not found" if job is None else f"is {job.state.value}, not {wanted}"
        return BulkResult([i for i in ids if i in finished], skipped)

    async def retry_jobs(self, name: str, ids: Sequence[str]) -> BulkResult:
        """Send failed jobs back to waiting with fresh attempts."""
        queue = await self.queue(name)
        done = await (await self.app.backend()).retry_failed(RetryFailed(name, list(ids)))
        return await self._explain(queue, ids, done, "failed")

    async def mark_retried(self, name: str, ids: Sequence[str], who: str) -> None:
        """Add a log line "retried by <who>" to each retried job (the job page numbers its runs
        by them); at most MAX_MARKED jobs per call."""
        backend = await self.app.backend()
        for job_id in list(ids)[:MAX_MARKED]:
            await backend.append_log(AppendLog(name, job_id, f"{RETRY_MARK}{who}", MAX_LOG_LINES))

    async def retry_all_failed(self, name: str) -> int:
        """Send every failed job of a queue back to waiting."""
        return await (await self.queue(name)).aretry_all_failed()

    async def remove_jobs(self, name: str, ids: Sequence[str], *, only_state: JobState | None = None) -> list[str]:
        """Remove jobs that are not active (and, with `only_state`, are in that state)."""
        return (await self.remove_jobs_explained(name, ids, only_state=only_state)).done

    async def remove_jobs_explained(self, name: str, ids: Sequence[str], *,
                                    only_state: JobState | None = None) -> BulkResult:
        """Remove jobs, reporting those that could not be."""
        queue = await self.queue(name)
        done: list[str] = []
        skipped: dict[str, str] = {}
        for job_id in ids:
            job = await queue.aget(job_id)
            if job is None:
                skipped[job_id] = "not found"
            elif job.state == JobState.ACTIVE:
                skipped[job_id] = "is active; cancel it first"
            elif only_state is not None and job.state != only_state:
                skipped[job_id] = f"is {job.state.value}, not {only_state.value}"
            elif await queue.aremove(job_id):
                done.append(job_id)
            else:
                skipped[job_id] = "could not be removed"
        return BulkResult(done, skipped)

    async def promote_jobs(self, name: str, ids: Sequence[str]) -> BulkResult:
        """Run delayed jobs now."""
        queue = await self.queue(name)
        done = await (await self.app.backend()).promote_jobs(JobIds(name, list(ids)))
        return await self._explain(queue, ids, done, "delayed")

    async def cancel_jobs(self, name: str, ids: Sequence[str]) -> BulkResult:
        """Ask the workers running these jobs to cancel them."""
        queue = await self.queue(name)
        done = await (await self.app.backend()).cancel_jobs(JobIds(name, list(ids)))
        return await self._explain(queue, ids, done, "active")

    # ------------------------------------------------------------ queue actions

    async def pause(self, name: str) -> None:
        """Stop claims on a queue."""
        await (await self.queue(name)).apause()

    async def resume(self, name: str) -> None:
        """Allow claims again."""
        await (await self.queue(name)).aresume()

    async def drain(self, name: str, include_delayed: bool) -> int:
        """Remove waiting (and delayed) jobs."""
        return await (await self.queue(name)).adrain(include_delayed)

    async def clean(self, name: str, state: JobState, older_than: float, limit: int) -> int:
        """Remove jobs of a state older than `older_than` seconds."""
        return await (await self.queue(name)).aclean(state, older_than, limit)

    # ------------------------------------------------------------ schedules and workers

    async def schedules(self) -> list[ScheduleView]:
        """Stored schedules with their next and last runs."""
        from ..scheduling import ScheduleError, ScheduleSpec, describe

        views: list[ScheduleView] = []
        for stored in await (await self.app.backend()).list_schedules():
            try:
                raw = json.loads(stored.spec_json)
            except ValueError:
                raw = {}
            raw_dict: dict[str, Any] = raw if isinstance(raw, dict) else {}
            try:
                spec = ScheduleSpec.from_json(raw_dict)
                views.append(ScheduleView(stored.id, spec.queue, spec.name, describe(spec), stored.next_run,
                                          stored.last_run, spec.to_json(), paused=stored.paused))
            except (ScheduleError, TypeError, ValueError, KeyError) as exc:
                views.append(ScheduleView(stored.id, str(raw_dict.get("queue", "")), str(raw_dict.get("name", "")),
                                          "(unreadable)", stored.next_run, stored.last_run, raw_dict, str(exc),
                                          paused=stored.paused))
        return sorted(views, key=lambda v: v.id)

    async def run_schedule_now(self, schedule_id: str) -> Job:
        """Add one job of a stored schedule now (its own id, `sched:<id>:now-<ms>`, so it counts
        among the schedule's jobs); raises JobNotFound for an unknown or unreadable schedule."""
        from ..scheduling import ScheduleError, ScheduleSpec

        for stored in await (await self.app.backend()).list_schedules():
            if stored.id != schedule_id:
                continue
            try:
                spec = ScheduleSpec.from_json(json.loads(stored.spec_json))
            except (ScheduleError, TypeError, ValueError, KeyError) as exc:
                raise JobNotFound(f"schedule {schedule_id!r} cannot be read: {exc}") from None
            queue = await self.queue(spec.queue)
            options = dict(spec.job_options)
            options["job_id"] = f"sched:{spec.id}:now-{int(time.time() * 1000)}"
            return await queue.aadd(spec.name, spec.data, **options)
        raise JobNotFound(f"no schedule {schedule_id!r}")

    async def set_schedule_paused(self, schedule_id: str, paused: bool) -> None:
        """Pause or resume a stored schedule; raises JobNotFound for an unknown one."""
        from ..scheduling.store import set_schedule_paused

        if not await set_schedule_paused(self.app, schedule_id, paused):
            raise JobNotFound(f"no schedule {schedule_id!r}")

    async def last_schedule_job(self, view: ScheduleView) -> Job | None:
        """The newest job a schedule added (by its job ids, `sched:<id>:…`), if any is kept."""
        if not view.queue:
            return None
        try:
            found = await self.search(f"sched:{view.id}:", view.queue, None, LAST_RUN_SCAN)
        except UnknownQueue:
            return None
        mine = [j for j in found if j.id.startswith(f"sched:{view.id}:")]
        return max(mine, key=lambda j: j.started_ts or j.created_ts, default=None)

    async def workers(self) -> list[WorkerInfo]:
        """Workers with a live heartbeat."""
        workers = await (await self.app.backend()).list_workers()
        return sorted(workers, key=lambda w: (w.hostname, w.pid, w.worker_id))


def seconds_since(ts: float | None, now: float | None = None) -> float | None:
    """Age of an epoch time, or None."""
    if ts is None:
        return None
    return max(0.0, (now if now is not None else time.time()) - ts)
