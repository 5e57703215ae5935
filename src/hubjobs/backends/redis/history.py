"""The throughput history on Redis: one hash per queue and day (see lua/record_history.lua),
expiring a day after the kept period, so the history stays bounded without a sweeper."""

from __future__ import annotations

from collections.abc import Sequence

from ..base import History, HistoryPoint, ReadHistory, RecordHistory
from ..history_rows import HOUR, MINUTE

DAY = 86_400


def day_key(base: str, day: int) -> str:
    """The history hash of a queue (key base `{prefix:queue}:`) for the day starting at `day`."""
    return f"{base}history:{day}"


def increments(req: RecordHistory) -> dict[tuple[str, int], dict[str, int]]:
    """Field increments per (queue, day start)."""
    out: dict[tuple[str, int], dict[str, int]] = {}
    for m in req.minutes:
        if m.minute % MINUTE:
            raise ValueError(f"QueueMinute.minute must be a multiple of 60, got {m.minute!r}")
        fields = out.setdefault((m.queue, m.minute - m.minute % DAY), {})
        hour = m.minute - m.minute % HOUR
        for name, n in ((f"c:{m.minute}", m.completed), (f"f:{m.minute}", m.failed)):
            if n:
                fields[name] = fields.get(name, 0) + n
        for kind, buckets in (("w", m.wait_buckets), ("r", m.run_buckets)):
            for bucket, n in buckets.items():
                name = f"{kind}:{hour}:{int(bucket)}"
                fields[name] = fields.get(name, 0) + int(n)
    return out


def days_between(since: int, until: int) -> list[int]:
    """Start of every day a range [since, until) touches."""
    first = since - since % DAY
    return list(range(first, max(until, first + 1), DAY))


def merge(req: ReadHistory, flats: Sequence[Sequence[bytes | str]]) -> History:
    """A `History` from the flat field/count lists returned by read_history.lua."""
    points: dict[int, list[int]] = {}
    waits: dict[int, int] = {}
    runs: dict[int, int] = {}
    for flat in flats:
        for i in range(0, len(flat), 2):
            raw = flat[i]
            field = raw.decode() if isinstance(raw, bytes) else raw
            n = int(flat[i + 1])
            kind, _, rest = field.partition(":")
            if kind in ("c", "f"):
                minute = int(rest)
                point = points.setdefault(minute - minute % req.step, [0, 0])
                point[0 if kind == "c" else 1] += n
            else:
                bucket = int(rest.rpartition(":")[2])
                target = waits if kind == "w" else runs
                target[bucket] = target.get(bucket, 0) + n
    return History([HistoryPoint(at, c, f) for at, (c, f) in sorted(points.items())], waits, runs)
