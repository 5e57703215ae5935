"""Run order: priorities, FIFO, delays, promote."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from typing import Any

from hubjobs import App, JobState
from hubjobs.backends.base import JobIds
from hubjobs.job import Job
from tests.helpers import running_worker, state_is, wait_until


async def _run_in_order(app: App, count: int) -> list[str]:
    order: list[str] = []
    async with running_worker(app, "q", concurrency=1) as w:
        w.on("active", lambda e: order.append(e.job_id or ""))
        await wait_until(lambda: len(order) >= count, what=f"{count} jobs started")
    return order


async def test_priorities_run_lowest_number_first(tapp: App) -> None:
    q = tapp.queue("q")
    for prio in (10, 7, 5, 3, 1):
        await q.aadd("noop", {}, job_id=f"p{prio}", priority=prio)
    assert await _run_in_order(tapp, 5) == ["p1", "p3", "p5", "p7", "p10"]


async def test_fifo_among_equal_priorities(tapp: App) -> None:
    q = tapp.queue("q")
    for i in range(8):
        await q.aadd("noop", {}, job_id=f"j{i}", priority=5)
    await q.aadd("noop", {}, job_id="urgent", priority=1)
    assert await _run_in_order(tapp, 9) == ["urgent"] + [f"j{i}" for i in range(8)]


async def test_jobs_without_priority_take_the_queue_default(tapp: App) -> None:
    q = tapp.queue("q", priority=7)
    job = await q.aadd("noop", {})
    assert job.priority == 7
    assert (await q.aadd("noop", {}, priority=2)).priority == 2


async def test_a_delayed_job_never_starts_early_and_starts_promptly(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {}, delay=0.6)
    assert job.state == JobState.DELAYED and job.run_at is not None
    assert (await q.acounts())["delayed"] == 1
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "completed"), what="delayed job done")
    done = await q.aget(job.id)
    assert done is not None and done.started_ts is not None and done.run_at_ts is not None
    assert done.started_ts >= done.run_at_ts


async def test_run_at_schedules_a_job(tapp: App) -> None:
    q = tapp.queue("q")
    await q.acounts()  # open the backend first: a new schema's migration must not eat the 0.4 s
    when = datetime.now(timezone.utc) + timedelta(seconds=0.4)
    job = await q.aadd("noop", {}, run_at=when)
    assert job.state == JobState.DELAYED
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "completed"))
    done = await q.aget(job.id)
    assert done is not None and done.started_ts is not None
    assert done.started_ts >= when.timestamp() - 0.001


async def test_promote_runs_a_delayed_job_now(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {}, delay=3600)
    promoted = await q.apromote(job.id)
    assert promoted.state == JobState.WAITING
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "completed"))


async def test_delayed_jobs_listed_in_due_order(tapp: App) -> None:
    q = tapp.queue("q")
    await q.aadd("noop", {}, job_id="late", delay=300)
    await q.aadd("noop", {}, job_id="soon", delay=100)
    jobs: list[Job] = await q.ajobs("delayed")
    assert [j.id for j in jobs] == ["soon", "late"]
    assert time.time() < jobs[0].run_at_ts  # type: ignore[operator]


# -- one order everywhere: priority, then the time the job became due, then the order added ----

async def _fail_all(app: App, ids: list[str]) -> None:
    async with running_worker(app, "q", concurrency=1):
        for job_id in ids:
            await wait_until(state_is(app, "q", job_id, "failed"), what=f"{job_id} failed")


async def test_retry_all_failed_runs_the_jobs_in_the_order_they_were_added(tapp: App) -> None:
    q = tapp.queue("q")
    ids = ["c", "a", "b", "e", "d"]  # neither id order nor the failure order below
    for job_id in ids:
        await q.aadd("fail", {}, job_id=job_id)
    await _fail_all(tapp, ids)
    for job_id in ("a", "c"):  # fail again: the failure order is now b, e, d, a, c
        await q.aretry(job_id)
        await _fail_all(tapp, [job_id])
    assert await q.aretry_all_failed() == 5
    assert [j.id for j in await q.ajobs("waiting")] == ids
    assert await _run_in_order(tapp, 5) == ids


async def test_delayed_jobs_due_together_run_in_the_order_they_were_added(tapp: App) -> None:
    q = tapp.queue("q")
    ids = ["z", "m", "a", "q", "b"]
    await q.aadd_bulk([{"name": "noop", "data": {}, "job_id": i, "delay": 0.3} for i in ids])
    when = datetime.now(timezone.utc) + timedelta(seconds=0.3)
    for job_id in ("y2", "c2"):  # single adds sharing one run_at
        await q.aadd("noop", {}, job_id=job_id, run_at=when)
    assert [j.id for j in await q.ajobs("delayed")][:5] == ids
    assert [j.id for j in await q.ajobs("delayed", offset=3, limit=3)] == ["q", "b", "y2"]
    backend = await tapp.backend()
    last = max(j.run_at_ts or 0.0 for j in await q.ajobs("delayed"))
    await wait_until(lambda: _after(backend, last), what="the delayed jobs are due")
    await q.aadd("noop", {}, job_id="added-after")  # became due after all of them
    assert await _run_in_order(tapp, 8) == [*ids, "y2", "c2", "added-after"]


async def _after(backend: Any, ts: float) -> bool:
    return bool(await backend.now() > ts)


async def test_promoting_many_keeps_the_order_they_were_added(tapp: App) -> None:
    q = tapp.queue("q")
    ids = ["p3", "p1", "p2"]
    for job_id in ids:
        await q.aadd("noop", {}, job_id=job_id, delay=3600)
    backend = await tapp.backend()
    assert sorted(await backend.promote_jobs(JobIds("q", ["p2", "p1", "p3"]))) == sorted(ids)
    await q.aadd("noop", {}, job_id="later")
    assert [j.id for j in await q.ajobs("waiting")] == [*ids, "later"]
    assert await _run_in_order(tapp, 4) == [*ids, "later"]


async def _server_clock(backend: Any) -> float:
    """The backend's clock read now (Redis: TIME itself; `now()` there is an estimate that may
    trail the server by a round trip)."""
    if backend.url.startswith("redis"):
        seconds, micros = await backend.client.time()
        return float(seconds) + micros / 1_000_000 + 0.0000005  # float rounding of the exact text
    return float(await backend.now())


async def test_a_job_is_never_created_after_the_backends_clock(tapp: App) -> None:
    q = tapp.queue("q")
    backend = await tapp.backend()
    for i in range(100):
        job = await q.aadd("noop", {}, job_id=f"c{i}", delay=3600 if i % 2 else None)
        assert job.created_ts <= await _server_clock(backend), i
        stored = await q.aget(job.id)
        assert stored is not None and stored.created_ts == job.created_ts
        state = "delayed" if i % 2 else "waiting"
        assert await q.aclean(state) == 1, f"clean right after add {i} missed the job"
