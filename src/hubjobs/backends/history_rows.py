"""Rows of the throughput history for the SQL backends: what `RecordHistory` adds, and the
bounds `ReadHistory` reads between."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import History, HistoryPoint, ReadHistory, RecordHistory

HOUR = 3600
MINUTE = 60


@dataclass(frozen=True)
class HistoryRows:
    """Parameters of the inserts and prunes for one `RecordHistory`."""

    minutes: list[dict[str, Any]]
    durations: list[dict[str, Any]]
    prunes: list[dict[str, Any]]


def check_read(req: ReadHistory) -> None:
    """Refuse a read whose step is not a positive multiple of a minute."""
    if req.step <= 0 or req.step % MINUTE:
        raise ValueError(f"ReadHistory.step must be a positive multiple of 60 seconds, got {req.step!r}")


def record_rows(req: RecordHistory, now: float) -> HistoryRows:
    """Insert parameters (one per queue and minute, one per queue/hour/kind/bucket, in key order
    so concurrent writers lock rows in the same order) and a prune per queue."""
    counts: dict[tuple[str, int], tuple[int, int]] = {}
    durations: dict[tuple[str, int, str, int], int] = {}
    queues: set[str] = set()
    for m in req.minutes:
        if m.minute % MINUTE:
            raise ValueError(f"QueueMinute.minute must be a multiple of 60, got {m.minute!r}")
        queues.add(m.queue)
        if m.completed or m.failed:
            c, f = counts.get((m.queue, m.minute), (0, 0))
            counts[(m.queue, m.minute)] = (c + m.completed, f + m.failed)
        hour = m.minute - m.minute % HOUR
        for kind, buckets in (("wait", m.wait_buckets), ("run", m.run_buckets)):
            for bucket, n in buckets.items():
                key = (m.queue, hour, kind, int(bucket))
                durations[key] = durations.get(key, 0) + int(n)
    cutoff = int(now) - req.keep_seconds
    return HistoryRows(
        [{"queue": q, "minute": m, "completed": c, "failed": f} for (q, m), (c, f) in sorted(counts.items())],
        [{"queue": q, "hour": h, "kind": k, "bucket": b, "n": n} for (q, h, k, b), n in sorted(durations.items())],
        [{"queue": q, "cutoff": cutoff} for q in sorted(queues)])


def read_params(req: ReadHistory) -> dict[str, Any]:
    """Parameters of the two reads."""
    since = int(req.since) - int(req.since) % MINUTE
    return {"queue": req.queue, "since": since, "until": int(req.until), "step": req.step,
            "since_hour": since - since % HOUR}


def history_from_rows(points: list[tuple[Any, Any, Any]], durations: list[tuple[Any, Any, Any]]) -> History:
    """A `History` from (at, completed, failed) and (kind, bucket, n) rows."""
    waits: dict[int, int] = {}
    runs: dict[int, int] = {}
    for kind, bucket, n in durations:
        (waits if kind == "wait" else runs)[int(bucket)] = int(n)
    return History([HistoryPoint(int(at), int(c), int(f)) for at, c, f in points], waits, runs)
