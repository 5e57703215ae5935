"""The per-queue event stream. One XADD carries every event of one `publish_events` call (a
worker publishes its events in batches), as a JSON array in field `e`: one stream entry per
batch keeps Redis commands and memory per job low (encoding: `event_batches`). An event's id is `<entry id>/<index>`, so
a reader can resume in the middle of an entry."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..base import QueueEvent
from ..event_batches import decode_events

FIELD = "e"


def entries_to_keep(max_len: int, batch: int) -> int:
    """Stream length (entries) that keeps roughly `max_len` events when entries hold `batch`."""
    return max(1, math.ceil(max_len / max(1, batch)))


def parse_cursor(after_id: str) -> tuple[str, int]:
    """(stream entry id, index of the last event read in it; -1 = the whole entry was read)."""
    entry, sep, index = after_id.partition("/")
    if not _is_stream_id(entry) or (sep and not index.isdigit()):
        raise ValueError(f"event id {after_id!r} is not an id returned by read_events "
                         "(expected <ms>-<seq>/<n>, '0' or '')")
    return entry, int(index) if sep else -1


def _is_stream_id(text: str) -> bool:
    ms, sep, seq = text.partition("-")
    return ms.isdigit() and (not sep or seq.isdigit())


def decode_entries(queue: str, entries: Sequence[Any], skip_through: tuple[str, int] | None,
                   limit: int) -> list[QueueEvent]:
    """Events of XRANGE/XREAD entries, skipping those at or before a cursor, up to `limit`."""
    out: list[QueueEvent] = []
    for entry_id, fields in entries:
        raw = fields.get(FIELD) if isinstance(fields, dict) else None
        if raw is None:
            continue
        try:
            items = decode_events(raw)
        except ValueError:
            continue
        for i, item in enumerate(items):
            if skip_through is not None and entry_id == skip_through[0] and i <= skip_through[1]:
                continue
            if item is None:
                continue
            out.append(QueueEvent(f"{entry_id}/{i}", queue, item.event, item.job_id, item.at, item.data))
            if len(out) >= limit:
                return out
    return out
