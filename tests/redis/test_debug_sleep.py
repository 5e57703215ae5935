"""Redis frozen (DEBUG SLEEP) for longer than the workers' lease while jobs run. A stall
recovery pipelined behind the DEBUG SLEEP runs the moment Redis wakes, before any worker's
queued lease renewal: the running jobs' leases have expired on Redis's clock, so they go back
to waiting and run again; the first runs' late results are refused. Every job completes, and
a job ran twice only where its lease expired."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hubjobs import App
from hubjobs.backends.redis.keys import queue_keys
from hubjobs.backends.redis.scripts import load_sources
from tests.apps import build_app, ledger_rows
from tests.faults.support import assert_ledger_consistent
from tests.helpers import wait_until
from tests.redis.conftest import start_workers
from tests.redis.servers import RedisServer

LEASE = 1.0
SLEEP = 2.5


async def _all_completed(app: App, ids: list[str]) -> bool:
    for job_id in ids:
        job = await app.queue("q").aget(job_id)
        if job is None or job.state.value != "completed":
            return False
    return True


def _sleep_then_recover(server: RedisServer, prefix: str, seconds: float) -> list[str]:
    """DEBUG SLEEP, with the recover_stalled script pipelined behind it on the same connection."""
    keys = queue_keys(prefix, "q")
    c = server.client()
    try:
        recover = c.register_script(load_sources()["recover_stalled"])
        pipe = c.pipeline(transaction=False)
        pipe.execute_command("DEBUG", "SLEEP", str(seconds))
        recover(keys=keys.script_keys, args=[keys.base, 1000], client=pipe)
        _ok, (requeued, _failed) = pipe.execute()
        return list(requeued)
    finally:
        c.close()


async def test_a_redis_freeze_longer_than_the_lease(redis_server: RedisServer, tmp_path: Path, ledger: str) -> None:
    url = f"{redis_server.url}?prefix=sleepy"
    app = build_app(url)
    workers = start_workers(url, tmp_path)
    q = app.queue("q")
    try:
        workers.start("A", "--lease", str(LEASE), "--concurrency", "4")
        workers.start("B", "--lease", str(LEASE), "--concurrency", "4")
        ids = [(await q.aadd("record", {"ledger": ledger, "seconds": 2.0})).id for _ in range(8)]
        await wait_until(lambda: len([r for r in ledger_rows(ledger) if r[2] == "start"]) >= 8, timeout=60,
                         what="every job running")
        requeued = await asyncio.to_thread(_sleep_then_recover, redis_server, "sleepy", SLEEP)
        assert requeued, "the leases expired during the freeze"
        await wait_until(lambda: _all_completed(app, ids), timeout=90, what="every job completed")
        jobs = [await q.aget(j) for j in ids]
        assert all(j is not None and j.stalled_count == 1 for j in jobs if j is not None and j.id in requeued)
        assert_ledger_consistent(ledger, jobs)
        assert any("result refused" in wp.log_text() for wp in workers.started)
        assert all(wp.proc.poll() is None for wp in workers.started)
    finally:
        workers.kill_all()
        await app.aclose()
        app.close()
