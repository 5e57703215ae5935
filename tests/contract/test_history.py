"""Throughput history on every backend: counts add up across writers, reads sum them into
steps per queue or across queues, duration buckets come back summed, old counts go."""

from __future__ import annotations

import time

import pytest

from hubjobs import App
from hubjobs.backends.base import QueueMinute, ReadHistory, RecordHistory
from hubjobs.history.buckets import bucket_of, percentile, upper_bound

HOUR = 3600


def this_hour() -> int:
    now = int(time.time())
    return now - now % HOUR - HOUR  # a whole past hour, so the range is complete


async def test_counts_add_up_and_sum_into_steps(tapp: App) -> None:
    backend = await tapp.backend()
    h = this_hour()
    await backend.record_history(RecordHistory([
        QueueMinute("mail", h, completed=3, failed=1, wait_buckets={2: 3}, run_buckets={10: 4}),
        QueueMinute("mail", h + 60, completed=2),
        QueueMinute("video", h + 60, completed=5, failed=2, run_buckets={20: 7}),
    ]))
    # a second writer (another worker) adds to the same minute
    await backend.record_history(RecordHistory([QueueMinute("mail", h, completed=1, wait_buckets={2: 1})]))

    mail = await backend.read_history(ReadHistory("mail", h, h + HOUR))
    assert [(p.at, p.completed, p.failed) for p in mail.points] == [(h, 4, 1), (h + 60, 2, 0)]
    assert mail.wait_buckets == {2: 4}
    assert mail.run_buckets == {10: 4}

    every = await backend.read_history(ReadHistory(None, h, h + HOUR, step=300))
    assert [(p.at, p.completed, p.failed) for p in every.points] == [(h, 11, 3)]
    assert every.run_buckets == {10: 4, 20: 7}

    later = await backend.read_history(ReadHistory("mail", h + 120, h + HOUR))
    assert later.points == []


async def test_counts_older_than_kept_are_dropped(tapp: App) -> None:
    backend = await tapp.backend()
    h = this_hour()
    old = h - 10 * 86_400
    await backend.record_history(RecordHistory([QueueMinute("mail", old, completed=9)], keep_seconds=7 * 86_400))
    await backend.record_history(RecordHistory([QueueMinute("mail", h, completed=1)], keep_seconds=7 * 86_400))
    got = await backend.read_history(ReadHistory("mail", old - HOUR, h + HOUR))
    assert [(p.at, p.completed) for p in got.points] == [(h, 1)]


async def test_bad_steps_and_minutes_are_refused(tapp: App) -> None:
    backend = await tapp.backend()
    assert (await backend.read_history(ReadHistory("mail", 0, 60))).points == []
    with pytest.raises(ValueError, match="step"):
        await backend.read_history(ReadHistory("mail", 0, 60, step=90))
    with pytest.raises(ValueError, match="minute"):
        await backend.record_history(RecordHistory([QueueMinute("mail", 61, completed=1)]))


def test_buckets_and_percentiles() -> None:
    assert bucket_of(0) == 0 and bucket_of(-1) == 0
    for seconds in (0.002, 0.5, 3.0, 700.0):
        b = bucket_of(seconds)
        assert upper_bound(b - 1) < seconds <= upper_bound(b) * (1 + 1e-9)
    assert percentile({}, 0.5) is None
    counts = {bucket_of(0.01): 90, bucket_of(2.0): 10}
    assert percentile(counts, 0.5) == upper_bound(bucket_of(0.01))
    assert percentile(counts, 0.95) == upper_bound(bucket_of(2.0))
