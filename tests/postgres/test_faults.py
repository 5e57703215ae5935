"""Faults only PostgreSQL has, each ending with the ledger check (executions recorded in a SQLite
file, a store separate from PostgreSQL): no acknowledged job lost, duplicates only where a lease
expired.

- the server cuts a worker's connections (`pg_terminate_backend`) while it holds a job;
- a worker process is SIGKILLed mid-load while another keeps going;
- the server crashes (`pg_ctl -m immediate stop`) and restarts mid-load (a cluster of the test's own).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg

from hubjobs import App, BackendUnavailable, JobState
from tests.apps import build_app, ledger_rows
from tests.backends.postgres import libpq_url
from tests.faults.support import WorkerProcesses, assert_ledger_consistent, events_of, has_event, kill_now
from tests.helpers import state_is, wait_until
from tests.postgres.cluster import Cluster


def _terminate(url: str, application_name: str) -> int:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE application_name = %s", [application_name]).fetchone()
    return int(row[0]) if row else 0


def _connected(url: str, application_name: str) -> bool:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                           [application_name]).fetchone()
    return bool(row and row[0])


async def _all_completed(app: App, ids: list[str]) -> bool:
    counts = await app.queue("q").acounts()
    if counts["completed"] < len(ids):
        return False
    jobs = [await app.queue("q").aget(i) for i in ids]
    return all(j is not None and j.state == JobState.COMPLETED for j in jobs)


async def test_terminated_connections_of_a_worker_holding_a_job(
        pg_app: App, pg_url: str, pg_workers: WorkerProcesses, ledger: str, release: Path) -> None:
    name = "hubjobs-test-A"
    pg_workers.url = f"{pg_url}&application_name={name}"
    a = pg_workers.start("A", "--lease", "30", "--concurrency", "4")
    q = pg_app.queue("q")
    held = await q.aadd("record_wait", {"ledger": ledger, "release": str(release)})
    await wait_until(lambda: has_event(ledger, held.id, "A", "start"), what="A started the held job")

    assert _terminate(pg_url, name) >= 2  # its pooled connection(s) and its LISTEN connection
    release.touch()  # the handler finishes now and reports through a connection that is gone
    await wait_until(state_is(pg_app, "q", held.id, "completed"), what="held job completed")
    more = [await q.aadd("record", {"ledger": ledger}) for _ in range(10)]
    await wait_until(lambda: _all_completed(pg_app, [j.id for j in more]), what="later jobs completed")

    assert a.proc.poll() is None, a.log_text()
    assert _connected(pg_url, name)
    done = await q.aget(held.id)
    assert done is not None and done.result == "A" and done.stalled_count == 0
    assert events_of(ledger_rows(ledger), held.id, "start") == ["A"]
    assert_ledger_consistent(ledger, [done, *[await q.aget(j.id) for j in more]])


async def test_a_worker_killed_mid_load_loses_no_job(
        pg_app: App, pg_url: str, pg_workers: WorkerProcesses, ledger: str) -> None:
    pg_workers.url = pg_url
    q = pg_app.queue("q")
    ids = await q.aadd_bulk([{"name": "record", "data": {"ledger": ledger, "seconds": 0.02}}
                             for _ in range(200)])
    a = pg_workers.start("A", "--lease", "1", "--concurrency", "8")
    b = pg_workers.start("B", "--lease", "1", "--concurrency", "8")
    await wait_until(lambda: len([r for r in ledger_rows(ledger) if r[1] == "A" and r[2] == "done"]) >= 20,
                     what="A well into the load")
    kill_now(a)
    await wait_until(lambda: _all_completed(pg_app, ids), timeout=90, what="every job completed")
    assert b.proc.poll() is None, b.log_text()
    jobs = [await q.aget(i) for i in ids]
    assert_ledger_consistent(ledger, jobs)


async def _add_until_acknowledged(app: App, batch: list[dict[str, object]]) -> list[str]:
    """Add a batch (fixed job ids), retrying while the server is down: a job counts as
    acknowledged only once an add returned."""
    while True:
        try:
            return await app.queue("q").aadd_bulk(batch)
        except BackendUnavailable:
            await asyncio.sleep(0.05)


async def test_server_crash_and_restart_mid_load(
        cluster: Cluster, pg_workers: WorkerProcesses, ledger: str) -> None:
    url = cluster.url()
    app = build_app(url)
    try:
        pg_workers.url = url
        acknowledged: list[str] = []
        batches = [[{"name": "record", "data": {"ledger": ledger, "seconds": 0.02}, "job_id": f"job-{b}-{i}"}
                    for i in range(20)] for b in range(20)]
        acknowledged += await _add_until_acknowledged(app, batches[0])  # creates the schema
        workers = [pg_workers.start(n, "--lease", "2", "--concurrency", "4") for n in ("A", "B")]

        async def produce() -> None:
            for batch in batches[1:]:
                acknowledged.extend(await _add_until_acknowledged(app, batch))

        producer = asyncio.create_task(produce())
        await wait_until(lambda: len([r for r in ledger_rows(ledger) if r[2] == "done"]) >= 60,
                         what="the load under way")
        await asyncio.to_thread(cluster.crash)
        await asyncio.to_thread(cluster.start)
        await asyncio.wait_for(producer, 120)
        await wait_until(lambda: _all_completed(app, acknowledged), timeout=120,
                         what="every acknowledged job completed after the restart")
        for wp in workers:
            assert wp.proc.poll() is None, f"worker {wp.name} died:\n{wp.log_text()}"
        assert len(acknowledged) == 400
        assert_ledger_consistent(ledger, [await app.queue("q").aget(i) for i in acknowledged])
    finally:
        await app.aclose()
        app.close()


def test_sync_producer_connections_cut_by_the_server_are_replaced(pg_url: str) -> None:
    """pg_terminate_backend of the sync twin's idle connections: the next sync call notices (the
    server's goodbye is read without a round trip) and opens a fresh one."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    name = "hubjobs-sync-cut"
    app = build_app(f"{pg_url}&application_name={name}")
    q = app.queue("q")
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: q.add("noop", {"i": i}), range(20)))
        assert _terminate(pg_url, name) >= 1
        deadline = time.monotonic() + 30
        while _connected(pg_url, name):  # the server ends them (a condition, polled: no fixed sleep)
            assert time.monotonic() < deadline, "terminated connections still listed"
            time.sleep(0.01)
        assert q.add("noop", {"after": "cut"}).id
        assert q.counts()["waiting"] == 21
    finally:
        app.close()
