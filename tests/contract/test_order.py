"""Run order: priorities, FIFO, delays, promote."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from hubjobs import App, JobState
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
