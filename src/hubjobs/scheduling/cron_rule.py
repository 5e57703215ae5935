"""Cron expressions evaluated in a time zone, with the DST rules of :mod:`.local_time`.

croniter walks matching wall-clock times on naive datetimes (pure calendar arithmetic, the same
on every machine whatever its local zone); :func:`.local_time.instants_for_wall_time` turns each
into real UTC instants. croniter's own time-zone handling is not used: given an aware start it
runs a daily 02:30 twice on a fall-back day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, CroniterError, croniter

from .local_time import instants_for_wall_time, utc_offset

# Largest change of UTC offset assumed at one DST (or other) transition. Real-world changes are
# 30 minutes to 2 hours; the search starts this far from the reference instant.
_MAX_OFFSET_CHANGE = timedelta(hours=3)
# Guard against a search that never ends (wall times matching only inside gaps, forever).
_MAX_STEPS = 500_000
_ONE_SECOND = timedelta(seconds=1)
_HOUR_FIELD = 1  # index of the hour field in croniter.expand() output, 5 or 6 fields alike
# The classic cron aliases, expanded here: croniter would turn them into hashed ("H") times.
_ALIASES = MappingProxyType(
    {
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    }
)
# croniter's "R" field picks a random value: processes would disagree on the tick times.
_RANDOM_FIELD = re.compile(r"(?<![a-z])r(?![a-z])", re.IGNORECASE)


class CronSyntaxError(ValueError):
    """A cron expression that cannot be used; the message says why."""


def _floor_second(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _ceil_second(value: datetime) -> datetime:
    floor = value.replace(microsecond=0)
    return floor if floor == value else floor + _ONE_SECOND


@dataclass(frozen=True)
class CronRule:
    """A validated cron expression bound to a time zone.

    Fields: 5 (``minute hour day-of-month month day-of-week``) or 6 with **seconds first**
    (``second minute hour day-of-month month day-of-week``), as in BullMQ / cron-parser and
    Quartz, so a BullMQ repeat pattern means the same here. The aliases ``@yearly``/``@annually``,
    ``@monthly``, ``@weekly``, ``@daily``/``@midnight`` and ``@hourly`` have their classic meaning
    (at minute 0 of hour 0 ...); croniter's ``L``/``#``/``W`` forms are accepted; ``H`` fields are
    hashed from ``hash_id`` (stable in every process); ``R`` (random) fields are refused. When both
    day-of-month and day-of-week are restricted, either may match (classic cron).
    """

    expression: str
    zone: ZoneInfo
    hash_id: bytes
    keep_wall_times: bool
    """True when the hour field names hours (``2``, ``1-5``, ``*/2``): each matching wall time runs
    once per day. False when it matches every hour: the expression is a real-time rhythm.
    See :mod:`.local_time` for what each means across DST changes."""

    @classmethod
    def compile(cls, expression: str, zone: ZoneInfo, hash_id: bytes) -> CronRule:
        """Validate ``expression`` and return the rule; raise :class:`CronSyntaxError` if unusable."""
        fields = expression.split()
        if len(fields) == 1 and fields[0].lower() in _ALIASES:
            fields = _ALIASES[fields[0].lower()].split()
        if len(fields) == 1 and fields[0].startswith("@"):
            raise CronSyntaxError(f"unknown alias, use one of {', '.join(_ALIASES)}")
        if len(fields) not in (5, 6):
            raise CronSyntaxError(f"expected 5 or 6 fields (seconds first), got {len(fields)}")
        if _RANDOM_FIELD.search(expression):
            raise CronSyntaxError("random 'R' fields are not allowed (every process must agree)")
        normalised = " ".join(fields)
        try:
            expanded, _ = croniter.expand(normalised, hash_id=hash_id, second_at_beginning=True)
            croniter(normalised, datetime(2000, 1, 1), hash_id=hash_id, second_at_beginning=True).get_next(
                datetime
            )
        except CroniterBadDateError:
            raise CronSyntaxError("it never matches a real date") from None
        except (CroniterError, TypeError) as error:
            raise CronSyntaxError(str(error)) from None
        hours = expanded[_HOUR_FIELD]
        every_hour = hours == ["*"] or set(hours) >= set(range(24))
        return cls(normalised, zone, hash_id, keep_wall_times=not every_hour)

    def _walls(self, start: datetime, *, backwards: bool) -> croniter[datetime]:
        return croniter(
            self.expression,
            start,
            ret_type=datetime,
            hash_id=self.hash_id,
            second_at_beginning=True,
            is_prev=backwards,
        )

    def next_after(self, after: datetime) -> datetime:
        """Return the first tick strictly after ``after`` (an aware datetime in UTC)."""
        # Every wall time before `start` maps only to instants <= after (a fall-back transition
        # within _MAX_OFFSET_CHANGE is covered by taking the smaller offset).
        offset = min(utc_offset(after, self.zone), utc_offset(after + _MAX_OFFSET_CHANGE, self.zone))
        start = _ceil_second(after.replace(tzinfo=None) + offset)
        walls = self._walls(start - _ONE_SECOND, backwards=False)
        best: datetime | None = None
        for _ in range(_MAX_STEPS):
            instants = instants_for_wall_time(
                walls.get_next(datetime), self.zone, keep_wall_times=self.keep_wall_times
            )
            if not instants:
                continue
            later = [instant for instant in instants if instant > after]
            if later and (best is None or later[0] < best):
                best = later[0]
            # Later wall times only give instants >= instants[0]: nothing can beat `best` now.
            if best is not None and instants[0] >= best:
                return best
        raise RuntimeError(f"cron {self.expression!r}: no tick found after {after.isoformat()}")

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """Return the newest tick at or before ``moment`` (aware, UTC), or None if there is none."""
        offset = max(utc_offset(moment, self.zone), utc_offset(moment - _MAX_OFFSET_CHANGE, self.zone))
        start = _floor_second(moment.replace(tzinfo=None) + offset)
        walls = self._walls(start + _ONE_SECOND, backwards=True)
        best: datetime | None = None
        try:
            for _ in range(_MAX_STEPS):
                instants = instants_for_wall_time(
                    walls.get_prev(datetime), self.zone, keep_wall_times=self.keep_wall_times
                )
                if not instants:
                    continue
                earlier = [instant for instant in instants if instant <= moment]
                if earlier and (best is None or earlier[-1] > best):
                    best = earlier[-1]
                # Earlier wall times only give instants <= instants[-1].
                if best is not None and instants[-1] <= best:
                    return best
        except CroniterBadDateError:  # ran out of matching dates going backwards
            return best
        raise RuntimeError(f"cron {self.expression!r}: no tick found before {moment.isoformat()}")
