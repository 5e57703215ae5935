"""One scheduler step for one stored schedule: add the jobs of its due ticks, then move it on.

Exactly once per tick, with any number of scheduler processes and no leader:

1. the due ticks come from ``due_ticks(spec, handled_through(stored), now)``, the same answer in
   every process for the same stored row and clock;
2. each tick's job has the id ``tick_job_id(spec, tick)``, and the backend adds a job whose id
   exists as nothing (the duplicate guard), so racing processes add it once;
3. the bookkeeping moves forward by compare-and-set on ``last_run``; a process that loses the
   race changes nothing (the winner already moved it).

Jobs are added before the bookkeeping moves, so a process that dies between the two leaves
the tick to the next process (which finds the job there): no tick is lost, none doubled while
the tick's job is kept by retention. A process frozen between reading the row and adding
(SIGSTOP, a long GC pause) re-reads instead of acting on a stale row (see ``fresh``).
A paused schedule (``StoredSchedule.paused``) is skipped: pausing takes effect at each
scheduler's next step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..backends.base import AddJobs, Backend, NewJob, RecordScheduleRun, StoredSchedule
from ..errors import HubJobsError
from ..events import JobEvent
from .spec import ScheduleError, ScheduleSpec
from .stored import as_epoch, as_instant, first_run_after, handled_through, spec_of
from .ticks import due_ticks, tick_job_id

if TYPE_CHECKING:
    from ..app import App


@dataclass(frozen=True)
class FiredTick:
    """A tick handled by a scheduler: the job it stands for and whether this process created it
    (``created=False``: another process had already added it)."""

    schedule_id: str
    tick: datetime
    queue: str
    job_id: str
    created: bool


@dataclass(frozen=True)
class FireOutcome:
    """What one step did for one schedule.

    ``wake_at``: when this schedule next needs a step (None: unknown, poll). ``stale``: the row
    was read too long ago to act on; read it again at once. ``error``: why no job could be built
    (the tick stays pending, so another process or a fixed App can still add it).
    """

    schedule_id: str
    fired: list[FiredTick] = field(default_factory=list)
    wake_at: datetime | None = None
    stale: bool = False
    error: str | None = None


def _build_jobs(app: App, spec: ScheduleSpec, ticks: list[datetime]) -> list[NewJob]:
    queue = app.queue(spec.queue)
    return [
        queue.build_job(spec.name, spec.data, job_id=tick_job_id(spec, tick), **spec.job_options)
        for tick in ticks
    ]


async def _move_past_skipped(backend: Backend, stored: StoredSchedule, upcoming: datetime | None) -> None:
    """Store the real next run after the catch-up policy skipped a missed tick.

    Only possible once the schedule has a ``last_run`` (the compare-and-set keeps it as it is);
    before its first run the stale ``next_run`` stays, and listings show the effective one.
    """
    if stored.last_run is None or upcoming is None:
        return
    await backend.record_schedule_run(
        RecordScheduleRun(stored.id, stored.last_run, stored.last_run, as_epoch(upcoming))
    )


async def fire_due(
    app: App,
    backend: Backend,
    stored: StoredSchedule,
    now: datetime,
    *,
    fresh: Callable[[], bool] = lambda: True,
) -> FireOutcome:
    """Add the jobs of ``stored``'s due ticks at ``now`` (the backend's clock) and record the run.

    ``fresh()`` is asked just before adding: False means the row may be outdated (this process
    was frozen since it read it) and nothing is done (``stale=True``). Backend errors propagate;
    a spec or job that cannot be built is reported in ``error``. A paused schedule adds nothing
    and keeps its bookkeeping: once resumed, the ticks it missed are handled by its catch-up
    policy like those missed while no scheduler ran.
    """
    if stored.paused:
        return FireOutcome(stored.id)
    try:
        spec = spec_of(stored)
    except ScheduleError as error:
        return FireOutcome(stored.id, error=str(error))
    ticks = due_ticks(spec, handled_through(stored), now)
    if not ticks:
        upcoming = first_run_after(spec, now)
        if stored.next_run is not None and as_instant(stored.next_run) <= now:
            await _move_past_skipped(backend, stored, upcoming)
        return FireOutcome(stored.id, wake_at=upcoming)
    try:
        jobs = _build_jobs(app, spec, ticks)
    except (HubJobsError, ValueError, TypeError) as error:
        return FireOutcome(stored.id, error=f"schedule {spec.id!r}: cannot add job {spec.name!r}: {error}")
    if not fresh():
        return FireOutcome(stored.id, stale=True)
    added = await backend.add_jobs(AddJobs(spec.queue, jobs))
    queue = app.queue(spec.queue)
    for result in added:
        if result.created and queue.events.has_listeners(result.state.value):
            await queue.events.emit(JobEvent(result.state.value, spec.queue, result.id))
    upcoming = first_run_after(spec, ticks[-1])
    await backend.record_schedule_run(
        RecordScheduleRun(
            schedule_id=stored.id,
            expected_last_run=stored.last_run,
            last_run=as_epoch(ticks[-1]),
            next_run=None if upcoming is None else as_epoch(upcoming),
        )
    )
    created = {result.id for result in added if result.created}
    fired = [FiredTick(spec.id, tick, spec.queue, job.id, job.id in created) for tick, job in zip(ticks, jobs)]
    return FireOutcome(stored.id, fired=fired, wake_at=upcoming)
