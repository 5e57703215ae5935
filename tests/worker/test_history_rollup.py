"""The history roll-up service: counts per queue and minute, a failed write keeps its counts,
stopping writes what is left."""

from __future__ import annotations

import time
from pathlib import Path

from hubjobs.backends.base import ReadHistory
from hubjobs.backends.registry import create_backend
from hubjobs.history.buckets import bucket_of
from hubjobs.job import Job, JobState, TryError
from hubjobs.worker.history_rollup import HistoryRollup, ready_at


def job(queue: str, created: float, started: float) -> Job:
    return Job(id="j", queue=queue, name="n", data={}, state=JobState.ACTIVE, created_ts=created, started_ts=started)


def test_wait_counts_from_the_latest_failed_try() -> None:
    j = job("q", 100.0, 500.0)
    assert ready_at(j) == 100.0
    j.errors.append(TryError(1, "boom", "", 400.0))
    assert ready_at(j) == 400.0


async def test_counts_flush_at_stop_and_survive_a_failed_write(tmp_path: Path) -> None:
    backend = create_backend(f"sqlite:///{tmp_path / 'h.db'}")
    await backend.open()
    try:
        t0 = int(time.time()) // 3600 * 3600 - 3600  # a minute start in the past hour
        rollup = HistoryRollup(backend, interval=3600)
        rollup.note("completed", job("a", t0 + 0.0, t0 + 2.0), t0 + 3.5)
        rollup.note("failed", job("a", t0 + 0.0, t0 + 2.0), t0 + 10.0)
        rollup.note("retry", job("a", t0 + 0.0, t0 + 2.0), t0 + 10.0)  # not a final outcome
        rollup.note("completed", job("b", t0 + 0.0, t0 + 0.5), t0 + 70.0)
        minutes = rollup.take()
        assert sorted((m.queue, m.minute, m.completed, m.failed) for m in minutes) == [
            ("a", t0, 1, 1), ("b", t0 + 60, 1, 0)]
        rollup.give_back(minutes)  # as after a failed write
        rollup.start()
        await rollup.stop()
        got = await backend.read_history(ReadHistory("a", t0, t0 + 3600))
        assert [(p.at, p.completed, p.failed) for p in got.points] == [(t0, 1, 1)]
        assert got.wait_buckets == {bucket_of(2.0): 2}
        assert got.run_buckets == {bucket_of(1.5): 1, bucket_of(8.0): 1}
        assert rollup.take() == []
    finally:
        await backend.close()
