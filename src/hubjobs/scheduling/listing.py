"""Rows for `hubjobs schedules list` and the dashboard: stored schedules with their next runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .spec import ScheduleError
from .store import declared_specs
from .stored import as_instant, effective_next_run, first_run_after, spec_of
from .ticks import describe

if TYPE_CHECKING:
    from ..app import App


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class ScheduleRow:
    """One schedule as listed. Times are aware UTC datetimes.

    ``stored`` is False for a schedule declared on the App that no scheduler has stored yet
    (its next run is then computed from now). ``error`` explains a stored spec that cannot be
    read (other fields are then best effort).
    """

    id: str
    expression: str
    tz: str
    queue: str
    name: str
    catch_up: str
    next_run: datetime | None
    last_run: datetime | None
    stored: bool = True
    error: str | None = None
    paused: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (times in ISO 8601 UTC with a trailing Z)."""
        return {
            "id": self.id,
            "expression": self.expression,
            "tz": self.tz,
            "queue": self.queue,
            "name": self.name,
            "catch_up": self.catch_up,
            "next_run": _iso(self.next_run),
            "last_run": _iso(self.last_run),
            "stored": self.stored,
            "error": self.error,
            "paused": self.paused,
        }


async def list_schedule_rows(app: App) -> list[ScheduleRow]:
    """Every stored schedule, plus declared ones not stored yet, in id order.

    "Next run" is when the schedule will really run next on the backend's clock: the stored
    next run, or the next tick after now when the catch-up policy will skip an overdue one.
    """
    backend = await app.backend()
    now = as_instant(await backend.now())
    rows: dict[str, ScheduleRow] = {}
    for stored in await backend.list_schedules():
        last_run = None if stored.last_run is None else as_instant(stored.last_run)
        try:
            spec = spec_of(stored)
        except ScheduleError as error:
            next_run = None if stored.next_run is None else as_instant(stored.next_run)
            rows[stored.id] = ScheduleRow(stored.id, "?", "?", "?", "?", "?", next_run, last_run, error=str(error),
                                          paused=stored.paused)
            continue
        rows[stored.id] = ScheduleRow(
            id=spec.id,
            expression=describe(spec),
            tz=spec.tz,
            queue=spec.queue,
            name=spec.name,
            catch_up=spec.catch_up,
            next_run=effective_next_run(spec, stored, now),
            last_run=last_run,
            paused=stored.paused,
        )
    for spec in declared_specs(app):
        if spec.id not in rows:
            rows[spec.id] = ScheduleRow(
                id=spec.id,
                expression=describe(spec),
                tz=spec.tz,
                queue=spec.queue,
                name=spec.name,
                catch_up=spec.catch_up,
                next_run=first_run_after(spec, now),
                last_run=None,
                stored=False,
            )
    return [rows[key] for key in sorted(rows)]
