"""Map local wall-clock times to UTC instants under the schedule DST rules.

A cron expression names wall-clock times ("02:30 every day"). Around a daylight-saving change
such a time may not exist (spring forward) or may exist twice (fall back). This module decides
which real instants a wall-clock time stands for; :mod:`hubjobs.scheduling.cron_rule` applies it.

Two readings, chosen per expression by :class:`~hubjobs.scheduling.cron_rule.CronRule`:

* **named hours** (``keep_wall_times=True``, e.g. ``30 2 * * *``): each matching wall time runs
  exactly once per day. A time inside a spring-forward gap runs once, at the first instant after
  the gap (02:30 Europe/Berlin on the last Sunday of March runs at 03:00 CEST). A time that occurs
  twice runs once, at its first occurrence (``fold=0``; 02:30 on the last Sunday of October runs
  at 02:30 CEST, not again at 02:30 CET).
* **every hour** (``keep_wall_times=False``, e.g. ``30 * * * *``): the expression is a rhythm
  in real time. A wall time inside a gap names no instant and is skipped (the instants before and
  after the gap still run, so no real instant is lost); a repeated wall time names two real
  instants an hour apart and both run (an hourly job stays hourly through the extra hour).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def wall_clock(instant: datetime, zone: ZoneInfo) -> datetime:
    """Return the naive local wall-clock reading of the aware ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def utc_offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    """Return the UTC offset that ``zone`` has at the aware ``instant``."""
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset for an aware datetime
    return offset


def _as_instant(wall: datetime, zone: ZoneInfo, fold: int) -> datetime:
    return wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """Return the first real instant after the spring-forward gap that contains ``wall``.

    For a wall time in a gap, ``fold=1`` maps with the offset after the change (an instant before
    the change) and ``fold=0`` with the offset before it (an instant after the change); the change
    itself lies between and is found by bisection on whole seconds.
    """
    before = int(_as_instant(wall, zone, 1).timestamp())
    after = int(_as_instant(wall, zone, 0).timestamp())
    offset_before = utc_offset(datetime.fromtimestamp(before, UTC), zone)
    while after - before > 1:
        middle = (before + after) // 2
        if utc_offset(datetime.fromtimestamp(middle, UTC), zone) == offset_before:
            before = middle
        else:
            after = middle
    return datetime.fromtimestamp(after, UTC)


def instants_for_wall_time(wall: datetime, zone: ZoneInfo, *, keep_wall_times: bool) -> tuple[datetime, ...]:
    """Return the UTC instants (ascending, possibly none) at which the naive ``wall`` time runs.

    ``keep_wall_times`` selects the reading described in the module docstring. Two properties the
    tick search relies on: the first element, taken over ascending wall times, never decreases,
    and neither does the last element.
    """
    first = _as_instant(wall, zone, 0)
    if wall_clock(first, zone) != wall:  # the wall time falls in a spring-forward gap
        return (_end_of_gap(wall, zone),) if keep_wall_times else ()
    second = _as_instant(wall, zone, 1)
    if keep_wall_times or second == first:
        return (first,)
    return (first, second)
