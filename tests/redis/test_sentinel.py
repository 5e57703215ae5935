"""Redis with Sentinel: URLs, and a failover during a run. A worker process and this producer
use `redis+sentinel://` and follow the failover without restarting. With
`durability=replicated` every acknowledged add and completion reached the replica before its
reply, so no acknowledged job is lost and every one runs; without it, the test reports (in
its output and `sentinel-window.json` under the test's directory) what the window cost."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubjobs import App, BackendUnavailable, ConfigurationError
from hubjobs.backends.redis.settings import parse_redis_url
from tests.apps import build_app, ledger_rows
from tests.faults.support import WorkerProcesses
from tests.helpers import wait_until

from .sentinel import SentinelSetup
from .servers import RedisServer

JOBS = 240
KILL_AFTER = 80
ADD_DEADLINE = 60.0


def test_sentinel_urls() -> None:
    s = parse_redis_url("redis+sentinel://u:p%40ss@10.0.0.1:26379,[::1]:26380,h3/mymaster/2"
                        "?prefix=x&durability=replicated&replicas=2&wait_timeout=1.5")
    assert s.sentinels == (("10.0.0.1", 26379), ("::1", 26380), ("h3", 26379))
    assert (s.service, s.db, s.username, s.password) == ("mymaster", 2, "u", "p@ss")
    assert (s.durability, s.replicas, s.wait_timeout, s.prefix) == ("replicated", 2, 1.5, "x")
    assert "p@ss" not in s.display and "***" in s.display
    assert parse_redis_url("redis://127.0.0.1:6379/0?durability=replicated").durability == "replicated"
    for bad, says in [("redis+sentinel://h:1", "service"), ("redis+sentinel://h:x/m", "Sentinel address"),
                      ("redis+sentinel://h:1/m?durability=maybe", "durability"),
                      ("redis+sentinel://h:1/m?replicas=0", "replicas"), ("redis+sentinel://h:1/m?db=1", "db")]:
        with pytest.raises(ConfigurationError, match=says):
            parse_redis_url(bad)


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[SentinelSetup]:
    setup = SentinelSetup(tmp_path / "redis")
    try:
        yield setup.start()
    finally:
        setup.stop()


async def _add_until_acknowledged(app: App, job_id: str, ledger: str) -> int:
    """Add one job, retrying the same id (idempotent) while the store is unavailable; returns
    how many tries failed."""
    deadline = time.monotonic() + ADD_DEADLINE
    failures = 0
    while True:
        try:
            await app.queue("q").aadd("record", {"ledger": ledger}, job_id=job_id)
            return failures
        except BackendUnavailable as exc:
            failures += 1
            if time.monotonic() > deadline:
                raise AssertionError(f"adding {job_id} failed for {ADD_DEADLINE} s: {exc}") from None
            await asyncio.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("durability", ["replicated", "primary"])
async def test_a_failover_during_a_run(sentinels: SentinelSetup, tmp_path: Path, durability: str) -> None:
    url = sentinels.url(f"hjs-{uuid.uuid4().hex[:8]}", durability=durability, wait_timeout="2")
    ledger = str(tmp_path / "ledger.db")
    workers = WorkerProcesses(url, tmp_path)
    app = build_app(url)
    acknowledged: list[str] = []
    refused = 0
    try:
        worker = workers.start("W", "--concurrency", "4")
        old_port = sentinels.primary_port()

        def done_ids() -> set[str]:
            return {row[0] for row in ledger_rows(ledger) if row[2] == "done"} if Path(ledger).exists() else set()

        for i in range(JOBS):
            if i == KILL_AFTER:  # the worker is running (it has finished jobs) when the primary dies
                await wait_until(lambda: len(done_ids()) >= KILL_AFTER // 4, timeout=60, what="the worker's first jobs")
                sentinels.kill_primary()
            refused += await _add_until_acknowledged(app, f"j{i}", ledger)
            acknowledged.append(f"j{i}")
        sentinels.wait_failover(old_port)

        async def settled() -> bool:
            counts = await app.queue("q").acounts()
            return counts["waiting"] + counts["active"] + counts["delayed"] == 0
        await wait_until(lambda: {f"j{i}" for i in range(KILL_AFTER, JOBS)} <= done_ids(), timeout=120,
                         what="the jobs added after the failover ran")
        await wait_until(settled, timeout=60, what="the queue to settle")
        assert worker.proc.poll() is None, "the worker process kept running through the failover"
        ran = done_ids()
        lost = [job_id for job_id in acknowledged if job_id not in ran]
        report = {"durability": durability, "acknowledged": len(acknowledged), "ran": len(ran & set(acknowledged)),
                  "lost": len(lost), "lost_ids": lost[:20], "adds_refused_during_the_window": refused}
        print(f"\nSentinel failover with durability={durability}: {json.dumps(report)}")
        (tmp_path / "sentinel-window.json").write_text(json.dumps(report))
        if durability == "replicated":
            assert lost == [], f"acknowledged jobs lost in the failover: {lost}"
    finally:
        workers.kill_all()
        await app.aclose()
        app.close()


async def test_replicated_durability_refuses_an_add_no_replica_acknowledged(redis_server: RedisServer) -> None:
    url = f"{redis_server.url}?prefix=rep&durability=replicated&wait_timeout=0.05"
    app = build_app(url)  # a server without replicas: WAIT answers 0
    try:
        with pytest.raises(BackendUnavailable, match="did not replicate adding jobs"):
            await app.queue("q").aadd("noop", {})
        with pytest.raises(BackendUnavailable, match="did not replicate adding jobs"):
            await asyncio.to_thread(app.queue("q").add, "noop", {})  # the sync twin waits the same way
    finally:
        await app.aclose()
        app.close()
