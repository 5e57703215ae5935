"""Redis at `maxmemory 2mb` under `noeviction`: producers get the typed BackendFull (never a
silent loss), while jobs already running still finish (the worker's scripts may run under OOM),
and once workers have drained the queue producers can add again."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubjobs import App, BackendFull
from tests.apps import build_app
from tests.faults.support import assert_ledger_consistent, has_event
from tests.helpers import state_is, wait_until
from tests.redis.conftest import start_workers
from tests.redis.servers import RedisServer

FILLER = {"blob": "x" * 2000}


async def _fill_until_full(app: App) -> tuple[int, BackendFull]:
    """Add filler jobs (removed once done) until Redis refuses: (how many were added, the error)."""
    q = app.queue("q")
    added = 0
    for _ in range(5000):
        try:
            await q.aadd_bulk([{"name": "noop", "data": FILLER, "remove_on_complete": True}] * 20)
        except BackendFull as exc:
            return added, exc
        added += 20
    raise AssertionError("Redis never refused a write at maxmemory 2mb")


async def _can_add(app: App) -> bool:
    try:
        await app.queue("q").aadd("noop", {"after": "drain"}, remove_on_complete=True)
    except BackendFull:
        return False
    return True


async def test_producers_get_backend_full_and_running_jobs_finish(tmp_path: Path, ledger: str) -> None:
    server = RedisServer(tmp_path / "redis", extra=("--maxmemory", "2mb", "--maxmemory-policy", "noeviction",
                                                    "--appendonly", "no")).start()
    url = f"{server.url}?prefix=full"
    app = build_app(url)
    workers = start_workers(url, tmp_path)
    q = app.queue("q")
    release = tmp_path / "release"
    try:
        workers.start("A", "--lease", "5", "--concurrency", "3")
        running = [await q.aadd("record_wait", {"ledger": ledger, "release": str(release)}) for _ in range(3)]
        for job in running:
            await wait_until(lambda j=job.id: has_event(ledger, j, "A", "start"), timeout=60, what="jobs running")

        added, error = await _fill_until_full(app)
        assert added > 0 and "out of memory" in str(error) and "maxmemory" in str(error)
        with pytest.raises(BackendFull):  # refused again: nothing was buffered
            await q.aadd_bulk([{"name": "noop", "data": FILLER, "remove_on_complete": True}] * 20)

        release.touch()
        for job in running:
            await wait_until(state_is(app, "q", job.id, "completed"), timeout=60, what="in-flight job finished")
        assert_ledger_consistent(ledger, [await q.aget(j.id) for j in running])

        await wait_until(lambda: _can_add(app), timeout=60, what="adds accepted again after the drain")
    finally:
        workers.kill_all()
        await app.aclose()
        app.close()
        server.stop()
