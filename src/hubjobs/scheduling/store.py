"""Putting an App's declared schedules into its backend, and taking them out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from ..backends.base import Backend, PauseSchedule, ScheduleRef, UpsertSchedule
from .spec import ScheduleSpec
from .stored import new_stored_schedule

if TYPE_CHECKING:
    from ..app import App


def declared_specs(app: App) -> list[ScheduleSpec]:
    """The schedules declared on ``app`` (``app.schedule(...)``), in id order."""
    specs: Iterable[object] = app.schedules.values()
    return sorted((spec for spec in specs if isinstance(spec, ScheduleSpec)), key=lambda spec: spec.id)


async def store_declared(app: App, backend: Backend, now: datetime) -> list[str]:
    """Upsert every declared schedule as of ``now`` (the backend's clock); return their ids.

    An unchanged spec keeps its stored bookkeeping; a changed one replaces the stored spec in
    place (same id, so no duplicate) with its next run recomputed from ``now``.
    """
    specs = declared_specs(app)
    for spec in specs:
        await backend.upsert_schedule(UpsertSchedule(new_stored_schedule(spec, now)))
    return [spec.id for spec in specs]


async def remove_schedule(app: App, schedule_id: str) -> bool:
    """Forget ``schedule_id``: drop its declaration from ``app`` and delete it from the backend.

    Returns True if it was declared or stored. Running schedulers stop adding its jobs at their
    next step (they read the stored schedules at every step).
    """
    declared = app.schedules.pop(schedule_id, None) is not None
    backend = await app.backend()
    stored = await backend.remove_schedule(ScheduleRef(schedule_id))
    return declared or stored


async def set_schedule_paused(app: App, schedule_id: str, paused: bool) -> bool:
    """Pause (``paused=True``) or resume a stored schedule; False if no such schedule is stored.

    A paused schedule adds no jobs on its ticks; every scheduler process sees the flag at its
    next step. On resume the ticks missed while paused go by the schedule's catch-up policy, as
    after downtime ending at the resume (``one``: one job if the newest missed tick is recent
    enough, ``all``: each, ``none``: nothing).
    """
    backend = await app.backend()
    return await backend.set_schedule_paused(PauseSchedule(schedule_id, paused))
