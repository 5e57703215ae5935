"""Declaring schedules on an App: build a validated ScheduleSpec from user arguments.

`App.schedule(...)` is a thin wrapper over :func:`build_schedule` and :func:`check_redeclaration`;
everything that can be wrong with a schedule is refused here, at declaration, with a
:class:`ScheduleError` naming the schedule and the bad value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from ..backoff import Backoff
from ..errors import InvalidJobOptions
from ..job import JobOptions
from ..retention import Retention
from .spec import DEFAULT_MAX_LATENESS, ScheduleError, ScheduleSpec

SCHEDULE_JOB_OPTIONS = frozenset(
    {"priority", "attempts", "backoff", "timeout", "remove_on_complete", "remove_on_fail", "max_stalled"}
)
"""Job options a schedule may pass to each job it adds."""

_OPTIONS_SET_BY_THE_SCHEDULER = MappingProxyType(
    {
        "job_id": "the scheduler derives each job's id from the schedule and the tick",
        "delay": "a scheduled job runs at its tick",
        "run_at": "a scheduled job runs at its tick",
        "connection": "the scheduler adds jobs in its own transaction",
    }
)


def _seconds_or_timedelta(schedule_id: str, label: str, value: Any) -> Any:
    """Turn a number of seconds into a timedelta; leave anything else for the spec to judge."""
    if isinstance(value, bool):
        raise ScheduleError(f"schedule {schedule_id!r}: {label} must be a timedelta or seconds, got {value!r}")
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    return value


def _json_ready_options(schedule_id: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Validate job options and return them in their JSON form (stored with the schedule)."""
    for key in options:
        if key in _OPTIONS_SET_BY_THE_SCHEDULER:
            raise ScheduleError(
                f"schedule {schedule_id!r}: option {key!r} cannot be given: {_OPTIONS_SET_BY_THE_SCHEDULER[key]}"
            )
    unknown = sorted(set(options) - SCHEDULE_JOB_OPTIONS)
    if unknown:
        raise ScheduleError(
            f"schedule {schedule_id!r}: unknown job option(s) {unknown}; "
            f"use {', '.join(sorted(SCHEDULE_JOB_OPTIONS))}"
        )
    given = {key: value for key, value in options.items() if value is not None}
    try:
        JobOptions().merged(**given)  # raises InvalidJobOptions naming the bad value
        ready: dict[str, Any] = {}
        for key, value in given.items():
            if key == "backoff":
                backoff = Backoff.from_value(value)
                ready[key] = None if backoff is None else backoff.to_dict()
            elif key in ("remove_on_complete", "remove_on_fail"):
                ready[key] = Retention.from_value(value).to_dict()
            else:
                ready[key] = value
    except (InvalidJobOptions, TypeError, ValueError) as error:
        raise ScheduleError(f"schedule {schedule_id!r}: bad job option: {error}") from None
    return ready


def build_schedule(
    schedule_id: str,
    *,
    queue: str,
    name: str,
    data: Any = None,
    cron: str | None = None,
    every: timedelta | float | None = None,
    tz: str = "UTC",
    catch_up: str = "one",
    max_lateness: timedelta | float = DEFAULT_MAX_LATENESS,
    job_options: Mapping[str, Any] | None = None,
) -> ScheduleSpec:
    """Return the validated spec of a schedule; raise :class:`ScheduleError` naming what is wrong.

    ``every`` and ``max_lateness`` take a timedelta or a number of seconds. ``job_options`` are
    those of :data:`SCHEDULE_JOB_OPTIONS` (a Backoff or Retention is stored in its JSON form);
    ``job_id``, ``delay`` and ``run_at`` are refused: the scheduler sets them.
    """
    label = schedule_id if isinstance(schedule_id, str) else repr(schedule_id)
    return ScheduleSpec(
        id=schedule_id,
        queue=queue,
        name=name,
        data=data,
        cron=cron,
        every=None if every is None else _seconds_or_timedelta(label, "every", every),
        tz=tz,
        catch_up=catch_up,  # type: ignore[arg-type]  # the spec refuses anything but one/all/none
        max_lateness=_seconds_or_timedelta(label, "max_lateness", max_lateness),
        job_options=_json_ready_options(label, job_options or {}),
    )


def check_redeclaration(declared: Mapping[str, Any], spec: ScheduleSpec) -> None:
    """Refuse declaring an id again with a different definition (the same one is accepted)."""
    existing = declared.get(spec.id)
    if existing is not None and existing != spec:
        raise ScheduleError(
            f"schedule {spec.id!r} is already declared with a different definition; "
            "remove it first (app.remove_schedule) to change it"
        )
