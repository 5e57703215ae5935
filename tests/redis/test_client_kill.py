"""CLIENT KILL of a worker's connections: the blocking one while it idles, then every one while
jobs run. The worker logs it, reconnects and carries on; no acknowledged job is lost."""

from __future__ import annotations

from pathlib import Path

from hubjobs import App
from tests.apps import build_app, ledger_rows
from tests.faults.support import WorkerProcess, assert_ledger_consistent
from tests.helpers import state_is, wait_until
from tests.redis.conftest import start_workers
from tests.redis.servers import RedisServer


def _connections(server: RedisServer, name: str) -> list[dict[str, str]]:
    c = server.client()
    try:
        return [dict(cl) for cl in c.client_list() if cl.get("name") == name]
    finally:
        c.close()


def _blocked(server: RedisServer, wp: WorkerProcess) -> list[str]:
    """Ids of the worker's connections blocked in BZPOPMIN."""
    return [cl["id"] for cl in _connections(server, f"hubjobs-wait:{wp.pid}") if cl.get("cmd") == "bzpopmin"]


async def _all_completed(app: App, ids: list[str]) -> bool:
    for job_id in ids:
        job = await app.queue("q").aget(job_id)
        if job is None or job.state.value != "completed":
            return False
    return True


async def test_killed_connections_are_reopened_and_work_goes_on(
        redis_server: RedisServer, tmp_path: Path, ledger: str) -> None:
    url = f"{redis_server.url}?prefix=kill"
    app = build_app(url)
    workers = start_workers(url, tmp_path)
    q = app.queue("q")
    try:
        wp = workers.start("A", "--lease", "5", "--concurrency", "4")
        await wait_until(lambda: _blocked(redis_server, wp), timeout=60, what="worker idle in BZPOPMIN")

        # 1. the idle worker's blocking connection
        [victim] = _blocked(redis_server, wp)
        admin = redis_server.client()
        admin.client_kill_filter(_id=victim)
        await wait_until(lambda: "lost the blocking connection" in wp.log_text(), what="the worker logged it")
        await wait_until(lambda: [i for i in _blocked(redis_server, wp) if i != victim],
                         what="a new blocking connection")
        first = await q.aadd("record", {"ledger": ledger})
        await wait_until(state_is(app, "q", first.id, "completed"), what="a job after the reconnect")

        # 2. every connection of the worker while its jobs run
        ids = [(await q.aadd("record", {"ledger": ledger, "seconds": 0.2})).id for _ in range(12)]
        await wait_until(lambda: len(ledger_rows(ledger)) >= 4, what="jobs running")
        for name in (f"hubjobs:{wp.pid}", f"hubjobs-wait:{wp.pid}"):
            for cl in _connections(redis_server, name):
                admin.client_kill_filter(_id=cl["id"])
        admin.close()
        await wait_until(lambda: _all_completed(app, ids), timeout=60, what="every job completed")
        assert wp.proc.poll() is None
        assert_ledger_consistent(ledger, [await q.aget(j) for j in [first.id, *ids]])
    finally:
        workers.kill_all()
        await app.aclose()
        app.close()


def test_sync_producer_connections_killed_or_restarted_are_reopened(redis_server: RedisServer) -> None:
    """The sync twin's connections: CLIENT KILL of every one, then a server restart (which also
    drops the loaded scripts: NOSCRIPT loads them again). The next sync call reconnects; while
    Redis is down a sync add fails at once with BackendUnavailable."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pytest

    from hubjobs.errors import BackendUnavailable

    app = build_app(f"{redis_server.url}?prefix=killsync")
    q = app.queue("q")
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: q.add("noop", {"i": i}), range(40)))  # several idle connections
        mine = _connections(redis_server, f"hubjobs:{os.getpid()}")
        assert mine
        admin = redis_server.client()
        for cl in mine:
            admin.client_kill_filter(_id=cl["id"])
        admin.close()
        assert q.add("noop", {"after": "kill"}).id and q.counts()["waiting"] == 41
        redis_server.stop()
        with pytest.raises(BackendUnavailable):
            q.add("noop", {"while": "down"})
        redis_server.start()
        job = q.add("noop", {"after": "restart"})
        assert q.get(job.id) is not None
    finally:
        app.close()
