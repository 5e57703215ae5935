"""The encoding of a batch of queue events stored as one value: one Redis stream entry, one
PostgreSQL `event_batches` row. A worker publishes its events in batches, so this runs for every
job twice (active, completed) and is kept cheap.

A batch is a compact JSON array holding one array per event: `[event, job_id, at_us, data]`,
where `at_us` is the event's time in whole microseconds since the epoch (an integer encodes at
about half the cost of a float). Batches written by earlier versions still decode: a float in
that place is seconds, and an object per event (`{"event", "job_id", "at", "data"}`) is read
by its keys.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .base import NewEvent

_COMPACT = json.JSONEncoder(separators=(",", ":"))


def encode_events(events: Sequence[NewEvent]) -> str:
    """One batch of events as JSON text."""
    return _COMPACT.encode([[e.event, e.job_id, round(e.at * 1_000_000), e.data] for e in events])


def decode_events(text: str | bytes) -> list[NewEvent | None]:
    """The events of a stored batch, in order; an item that cannot be read is None (it keeps
    its place, since an event's position numbers it). Raises ValueError for text that is not
    a JSON array."""
    items = json.loads(text)
    if not isinstance(items, list):
        raise ValueError("an event batch is not a JSON array")
    return [_decode_item(item) for item in items]


def _decode_item(item: Any) -> NewEvent | None:
    try:
        if isinstance(item, dict):
            name, job_id, at, data = item["event"], item.get("job_id"), float(item["at"]), item.get("data")
        else:
            name, job_id, raw_at, data = item
            at = raw_at / 1_000_000 if isinstance(raw_at, int) else float(raw_at)
    except (TypeError, ValueError, KeyError):
        return None
    return NewEvent(str(name), None if job_id is None else str(job_id), at,
                    data if isinstance(data, dict) else {})
