"""Schedules as the backends store them: spec JSON text and run bookkeeping in epoch seconds.

A stored schedule has ``next_run`` (its first tick not yet handled) and ``last_run`` (the newest
tick that added a job, None until one did). The scheduler treats every tick before ``next_run``
as handled: a new schedule is stored with ``next_run`` = its first tick after creation, so
nothing before creation fires, and a changed spec gets a ``next_run`` recomputed from the
moment of the change, so ticks of the old definition are not caught up under the new one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from ..backends.base import StoredSchedule
from .spec import ScheduleError, ScheduleSpec
from .ticks import due_ticks, next_tick

_ONE_SECOND = timedelta(seconds=1)


def as_epoch(instant: datetime) -> float:
    """Epoch seconds of an aware datetime."""
    return instant.timestamp()


def as_instant(epoch: float) -> datetime:
    """Aware UTC datetime of epoch seconds."""
    return datetime.fromtimestamp(epoch, UTC)


def spec_text(spec: ScheduleSpec) -> str:
    """The canonical JSON text of a spec: equal specs give equal text (backends compare it)."""
    return json.dumps(spec.to_json(), sort_keys=True, separators=(",", ":"), allow_nan=False)


def spec_of(stored: StoredSchedule) -> ScheduleSpec:
    """The spec of a stored schedule; :class:`ScheduleError` naming it if the text is unusable."""
    try:
        fields = json.loads(stored.spec_json)
    except (TypeError, ValueError) as error:
        raise ScheduleError(f"schedule {stored.id!r}: stored spec is not JSON: {error}") from None
    return ScheduleSpec.from_json(fields)


def first_run_after(spec: ScheduleSpec, moment: datetime) -> datetime | None:
    """The first tick strictly after ``moment``, or None when the expression never ticks again."""
    try:
        return next_tick(spec, moment)
    except RuntimeError:  # a cron expression with no further match
        return None


def new_stored_schedule(spec: ScheduleSpec, now: datetime) -> StoredSchedule:
    """What to upsert for ``spec`` declared at ``now``: next run is the first tick after now.

    The backend keeps the stored ``next_run`` when the spec text is unchanged and takes this one
    when it changed; ``last_run`` (None) only matters for a brand-new schedule.
    """
    upcoming = first_run_after(spec, now)
    return StoredSchedule(
        id=spec.id,
        spec_json=spec_text(spec),
        next_run=None if upcoming is None else as_epoch(upcoming),
        last_run=None,
    )


def handled_through(stored: StoredSchedule) -> datetime | None:
    """The instant up to which every tick is handled (the ``last_tick`` for ``due_ticks``).

    One second before ``next_run`` (ticks are whole seconds, so the ticks still to handle are
    exactly those at or after ``next_run``); ``last_run`` when there is no next run; None when
    neither is known (nothing fires).
    """
    if stored.next_run is not None:
        return as_instant(stored.next_run) - _ONE_SECOND
    if stored.last_run is not None:
        return as_instant(stored.last_run)
    return None


def effective_next_run(spec: ScheduleSpec, stored: StoredSchedule, now: datetime) -> datetime | None:
    """When the schedule will really run next, as a listing should show it.

    The stored ``next_run`` when it is in the future. When it is past (no scheduler ran since),
    the oldest tick the catch-up policy will still run (a past time: due as soon as a scheduler
    runs), or the first tick after ``now`` when the policy skips every missed one.
    """
    if stored.next_run is None:
        return None
    stored_next = as_instant(stored.next_run)
    if stored_next > now:
        return stored_next
    due = due_ticks(spec, handled_through(stored), now)
    return due[0] if due else first_run_after(spec, now)
