"""A 3-master Redis Cluster on loopback: every queue's keys live in one slot (hash tag
`{prefix:queue}`); queues in different slots work side by side; an idle worker on several
queues (one blocking call per queue's slot) wakes for a job on any of them; the keys shared
by all queues (workers, schedules) live in their own slot."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hubjobs import App, JobState
from hubjobs.backends.base import (
    ReadEvents,
    RecordScheduleRun,
    StoredSchedule,
    UpsertSchedule,
    WaitForJobs,
)
from hubjobs.backends.redis import RedisBackend
from tests.apps import build_app, ledger_rows
from tests.faults.support import assert_ledger_consistent
from tests.helpers import state_is, wait_until
from tests.redis.conftest import start_workers
from tests.redis.servers import RedisCluster

PREFIX = "clu"


async def _all_in(app: App, queue: str, ids: list[str], state: str) -> bool:
    for job_id in ids:
        job = await app.queue(queue).aget(job_id)
        if job is None or job.state.value != state:
            return False
    return True


async def test_queues_work_on_a_three_master_cluster(redis_cluster: RedisCluster, tmp_path: Path,
                                                     ledger: str) -> None:
    prefix = next(p for p in (f"{PREFIX}{i}" for i in range(100))
                  if len({redis_cluster.node_of(f"{{{p}:{q}}}:jobs").port for q in ("q", "q2")}) == 2)
    url = f"{redis_cluster.url}?prefix={prefix}"  # queues q and q2 on two different masters
    app = build_app(url)
    q, q2 = app.queue("q"), app.queue("q2")
    workers = start_workers(url, tmp_path)
    try:
        on_q = [(await q.aadd("record", {"ledger": ledger, "i": i})).id for i in range(20)]
        on_q2 = [(await q2.aadd("noop", {"i": i})).id for i in range(20)]
        bad = await q.aadd("fatal", {})
        later = await q.aadd("noop", {"late": True}, delay=0.3)
        assert (await q.acounts())["waiting"] == 21 and (await q2.acounts())["waiting"] == 20

        workers.start("A", "--queue", "q", "--queue", "q2", "--concurrency", "5", "--lease", "5")
        await wait_until(lambda: _all_in(app, "q", on_q, "completed"), timeout=60, what="queue q done")
        await wait_until(lambda: _all_in(app, "q2", on_q2, "completed"), timeout=60, what="queue q2 done")
        await wait_until(state_is(app, "q", bad.id, "failed"), what="failing job failed")
        await wait_until(state_is(app, "q", later.id, "completed"), what="delayed job done")
        assert_ledger_consistent(ledger, [await q.aget(j) for j in on_q])
        assert len(ledger_rows(ledger)) == 40

        # workers, events, admin operations and schedules on the cluster
        backend = await app.backend()
        assert len(await backend.list_workers()) == 1

        async def stream_has_completions() -> bool:
            events = await backend.read_events(ReadEvents("q2", "0", 1000))
            return {"active", "completed"} <= {e.event for e in events}

        await wait_until(stream_has_completions, what="the worker's events on q2's stream")
        workers.kill_all()
        assert (await q.aretry(bad.id)).state == JobState.WAITING
        assert [j.id for j in await q2.ajobs("completed", 0, 3)] == list(reversed(on_q2))[:3]
        assert {"q", "q2"} <= set(await backend.list_queues())
        await backend.upsert_schedule(UpsertSchedule(StoredSchedule("nightly", "{}", 100.0, None)))
        assert await backend.record_schedule_run(RecordScheduleRun("nightly", None, 100.0, 200.0))
        assert not await backend.record_schedule_run(RecordScheduleRun("nightly", None, 100.0, 200.0))
        assert [s.next_run for s in await backend.list_schedules()] == [200.0]
    finally:
        workers.kill_all()
        await app.aclose()
        app.close()


async def test_an_idle_wait_on_several_queues_wakes_for_any_of_them(redis_cluster: RedisCluster) -> None:
    backend = RedisBackend(f"{redis_cluster.url}?prefix={PREFIX}w")
    producer = build_app(f"{redis_cluster.url}?prefix={PREFIX}w")
    await backend.open()
    try:
        for queue in ("q", "q2"):  # consume start-up markers
            await backend.wait_for_jobs(WaitForJobs([queue], 0.01))
        waiting = asyncio.create_task(backend.wait_for_jobs(WaitForJobs(["q", "q2"], 30)))
        await asyncio.sleep(0)
        await producer.queue("q2").aadd("noop", {})
        await asyncio.wait_for(waiting, 20)  # returns on the marker, long before its 30 s timeout
    finally:
        await backend.close()
        await producer.aclose()
        producer.close()


def test_sync_producer_operations_on_a_cluster(redis_cluster: RedisCluster) -> None:
    """The sync twin routes each script and command to its key's node (queues in two slots)."""
    app = build_app(f"{redis_cluster.url}?prefix={PREFIX}s")
    try:
        for queue in ("q", "q2"):
            q = app.queue(queue)
            job = q.add("noop", {"n": 1}, job_id=f"{queue}-1")
            q.add("noop", {}, delay=60)
            assert q.add_bulk([{"name": "noop", "data": {"i": i}} for i in range(3)])
            assert q.get(job.id) is not None and q.counts()["waiting"] == 4
            assert [j.id for j in q.search(f"{queue}-1")] == [job.id]
            q.pause()
            assert q.is_paused()
            assert q.drain() == 5
    finally:
        app.close()
