"""Schedules without storage: what a schedule is and when it ticks.

Pure functions over :class:`ScheduleSpec`; the scheduler loop and the backends store specs and
last ticks and add one job per tick, using :func:`tick_job_id` as the job id so that several
scheduler processes add each tick's job exactly once.
"""

from .spec import DEFAULT_MAX_LATENESS, EPOCH, CatchUp, ScheduleError, ScheduleSpec
from .ticks import (
    CATCH_UP_ALL_LIMIT,
    ON_TIME_WINDOW,
    describe,
    due_ticks,
    next_tick,
    previous_tick,
    tick_job_id,
    upcoming_ticks,
)

__all__ = [
    "CATCH_UP_ALL_LIMIT",
    "DEFAULT_MAX_LATENESS",
    "EPOCH",
    "ON_TIME_WINDOW",
    "CatchUp",
    "ScheduleError",
    "ScheduleSpec",
    "describe",
    "due_ticks",
    "next_tick",
    "previous_tick",
    "tick_job_id",
    "upcoming_ticks",
]
