"""The worker writes throughput history: finished jobs show up per minute, with their wait and
run durations, after the worker stops (its last flush) on every backend."""

from __future__ import annotations

import time

from hubjobs import App
from hubjobs.backends.base import ReadHistory
from hubjobs.worker import Worker


async def test_worker_records_completed_and_failed_per_minute(tapp: App) -> None:
    q = tapp.queue("q")
    for i in range(3):
        await q.aadd("noop", {"i": i})
    await q.aadd("fatal", {})
    await q.aadd("fail", {}, attempts=2)  # one retry, then failed: counted once
    began = time.time()
    await Worker(tapp, ["q"], install_signals=False).arun(burst=True)
    backend = await tapp.backend()
    got = await backend.read_history(ReadHistory("q", began - 120, time.time() + 60, step=3600))
    assert sum(p.completed for p in got.points) == 3
    assert sum(p.failed for p in got.points) == 2
    assert sum(got.run_buckets.values()) == 5
    assert sum(got.wait_buckets.values()) == 5
