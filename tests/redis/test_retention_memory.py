"""Retention holds Redis memory flat: 100,000 tiny jobs kept 1,000 when completed leave exactly
the newest 1,000 completed jobs, no key or hash field of a removed job, and memory where it
was after the first 10,000."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hubjobs import App
from tests.helpers import ROOT
from tests.redis.servers import RedisServer

PREFIX = "keep"
KEEP = 1000
FIELDS_PER_COMPLETED_JOB = 3  # pack, meta, result (see lua/lib/queue.lua)


def _burst_worker(url: str, log: Path) -> None:
    """Run a worker process until the queue is empty."""
    with open(log, "ab") as out:
        subprocess.run([sys.executable, "-m", "tests.worker_main", url, "--burst", "--concurrency", "50"],
                       cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=600)


def _memory_without_events(admin: Any) -> int:
    """used_memory less the event stream (bounded on its own by MAXLEN ~, in entries that hold
    a varying number of events, so its size wobbles)."""
    stream = admin.memory_usage(f"{{{PREFIX}:q}}:events", samples=0) or 0
    return int(admin.info("memory")["used_memory"]) - int(stream)


async def _add(app: App, count: int, start: int) -> None:
    q = app.queue("q")
    for base in range(start, start + count, 5000):
        await q.aadd_bulk([{"name": "noop", "data": {"i": i}, "remove_on_complete": KEEP}
                           for i in range(base, min(base + 5000, start + count))])


@pytest.mark.slow
async def test_keep_1000_completed_holds_memory_flat(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", extra=("--appendonly", "no")).start()
    url = f"{server.url}?prefix={PREFIX}"
    app = App(url)
    app.queue("q")
    admin = server.client()
    try:
        await _add(app, 10_000, 0)
        _burst_worker(url, tmp_path / "worker.log")
        after_first = _memory_without_events(admin)

        await _add(app, 90_000, 10_000)
        _burst_worker(url, tmp_path / "worker.log")
        after_all = _memory_without_events(admin)

        counts = await app.queue("q").acounts()
        assert counts == {"waiting": 0, "delayed": 0, "active": 0, "completed": KEEP, "failed": 0}
        newest = await app.queue("q").ajobs("completed", 0, 1)
        assert newest[0].result["i"] >= 100_000 - 100  # the newest kept are the last ones run
        base = f"{{{PREFIX}:q}}:"
        assert admin.zcard(base + "completed") <= KEEP
        assert admin.hlen(base + "jobs") == KEEP * FIELDS_PER_COMPLETED_JOB
        keys = set(admin.scan_iter(count=1000))
        per_job = [k for k in keys if k.startswith((base + "l:", base + "w:"))]
        assert per_job == [], f"keys left for removed jobs: {per_job[:5]}"
        assert len(keys) <= 12, f"unexpected keys: {sorted(keys)}"
        assert after_all - after_first < 256 * 1024, (
            f"memory grew from {after_first} to {after_all} bytes between 10,000 and 100,000 jobs")
        assert (admin.memory_usage(base + "events", samples=0) or 0) < 4 * 1024 * 1024  # bounded by MAXLEN ~
    finally:
        admin.close()
        await app.aclose()
        app.close()
        server.stop()
