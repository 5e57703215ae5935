"""Tick arithmetic on a ScheduleSpec: next and previous ticks, due ticks, job ids, descriptions.

Every function is pure: the same spec and instants give the same answer in every process, which
is what lets several scheduler processes run at once (the tick's job id makes the job unique).
All datetimes in and out are time-zone aware; results are in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .spec import EPOCH, ScheduleSpec

CATCH_UP_ALL_LIMIT = 1000
"""Policy ``all`` fires at most this many missed ticks per call: the newest ones."""

ON_TIME_WINDOW = timedelta(seconds=60)
"""Policy ``none`` fires a tick only if ``now`` is at most this long after it."""

_MICROSECOND = timedelta(microseconds=1)


def _as_utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be time-zone aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _interval_steps(spec: ScheduleSpec, moment: datetime) -> int:
    """Return how many whole intervals separate ``spec.anchor`` and ``moment`` (rounded down)."""
    assert spec.every is not None
    return (moment - spec.anchor) // spec.every


def next_tick(spec: ScheduleSpec, after: datetime) -> datetime:
    """Return the first tick of ``spec`` strictly after ``after``.

    Cron ticks follow the DST rules of :mod:`hubjobs.scheduling.local_time`: a daily time that
    falls in a spring-forward gap runs once at the end of the gap; one that occurs twice on a
    fall-back day runs once, at its first occurrence; an expression matching every hour runs at
    every real instant whose local time matches (gap times skipped, repeated hour run twice).
    Interval ticks are ``anchor + k * every``.
    """
    after = _as_utc(after, "after")
    if spec.cron_rule is not None:
        return spec.cron_rule.next_after(after)
    assert spec.every is not None
    return spec.anchor + (_interval_steps(spec, after) + 1) * spec.every


def previous_tick(spec: ScheduleSpec, at_or_before: datetime) -> datetime | None:
    """Return the newest tick of ``spec`` at or before ``at_or_before``, or None if there is none."""
    moment = _as_utc(at_or_before, "at_or_before")
    if spec.cron_rule is not None:
        return spec.cron_rule.latest_at_or_before(moment)
    assert spec.every is not None
    return spec.anchor + _interval_steps(spec, moment) * spec.every


def upcoming_ticks(spec: ScheduleSpec, after: datetime, count: int) -> list[datetime]:
    """Return the next ``count`` ticks strictly after ``after``, oldest first (for listings)."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    ticks: list[datetime] = []
    moment = after
    for _ in range(count):
        moment = next_tick(spec, moment)
        ticks.append(moment)
    return ticks


def due_ticks(spec: ScheduleSpec, last_tick: datetime | None, now: datetime) -> list[datetime]:
    """Return the ticks to fire at ``now``, oldest first, given the last tick already handled.

    ``last_tick`` is the newest tick that was fired. For a schedule that never fired, pass the
    moment the schedule was created: ticks at or before it never fire, so a new schedule waits
    for its first tick after creation. ``None`` means nothing is known and fires nothing (the
    caller should store ``now`` as the creation moment). Candidates are the ticks in
    ``(last_tick, now]``; ``spec.catch_up`` picks among them:

    * ``one`` (default): the newest candidate, if ``now`` is at most ``spec.max_lateness`` after
      it; otherwise nothing. Never more than one run, however long the downtime.
    * ``all``: every candidate, but at most the newest :data:`CATCH_UP_ALL_LIMIT` (1000).
    * ``none``: the newest candidate only if ``now`` is at most :data:`ON_TIME_WINDOW` (60 s)
      after it, i.e. it is due now rather than missed; missed ticks are skipped.

    After firing, store the newest returned tick as ``last_tick``. When nothing is returned, keep
    the stored value: the answer stays the same until the next tick.
    """
    now = _as_utc(now, "now")
    if last_tick is None:
        return []
    last = _as_utc(last_tick, "last_tick")
    newest = previous_tick(spec, now)
    if newest is None or newest <= last:
        return []
    if spec.catch_up == "one":
        return [newest] if now - newest <= spec.max_lateness else []
    if spec.catch_up == "none":
        return [newest] if now - newest <= ON_TIME_WINDOW else []
    ticks = [newest]
    while len(ticks) < CATCH_UP_ALL_LIMIT:
        earlier = previous_tick(spec, ticks[-1] - _MICROSECOND)
        if earlier is None or earlier <= last:
            break
        ticks.append(earlier)
    ticks.reverse()
    return ticks


def tick_job_id(spec: ScheduleSpec, tick: datetime) -> str:
    """Return the job id of ``spec``'s run at ``tick``: ``sched:<schedule id>:<YYYYMMDDTHHMMSSZ>``.

    The time is the tick in UTC, to the second (ticks are whole seconds), e.g.
    ``sched:daily-cleanup:20260329T000000Z``. The same in every process, so adding the job twice
    adds it once.
    """
    tick = _as_utc(tick, "tick")
    if tick.microsecond:
        raise ValueError(f"tick must be a whole second, got {tick.isoformat()}")
    return f"sched:{spec.id}:{tick:%Y%m%dT%H%M%SZ}"


def _format_interval(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def describe(spec: ScheduleSpec) -> str:
    """Return a short human description, e.g. ``cron 0 2 * * * (Europe/Berlin)`` or ``every 1h30m``."""
    if spec.cron is not None:
        return f"cron {' '.join(spec.cron.split())} ({spec.tz})"
    assert spec.every is not None
    text = f"every {_format_interval(spec.every)}"
    if spec.anchor != EPOCH:
        text += f" from {spec.anchor:%Y-%m-%dT%H:%M:%SZ}"
    return text
