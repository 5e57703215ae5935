"""Retention of finished jobs by count and age."""

from __future__ import annotations

import asyncio

from hubjobs import App
from tests.helpers import running_worker, state_is, wait_until


async def _run_all(app: App, ids: list[str], state: str = "completed") -> None:
    async with running_worker(app, "q", concurrency=1):
        for job_id in ids:
            await wait_until(lambda j=job_id: _gone_or(app, j, state), what=f"{job_id} {state}")


async def _gone_or(app: App, job_id: str, state: str) -> bool:
    job = await app.queue("q").aget(job_id)
    return job is None or job.state.value == state


async def test_keep_by_count(tapp: App) -> None:
    q = tapp.queue("q", remove_on_complete=3)
    ids = [(await q.aadd("noop", {"i": i}, priority=1)).id for i in range(10)]
    await _run_all(tapp, ids)
    remaining = await q.ajobs("completed")
    assert (await q.acounts())["completed"] == 3
    assert [j.id for j in remaining] == list(reversed(ids[-3:]))


async def test_keep_none_removes_at_once(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {}, remove_on_complete=True)
    await _run_all(tapp, [job.id])
    assert await q.aget(job.id) is None
    assert (await q.acounts())["completed"] == 0
    assert await q.alogs(job.id) == []


async def test_keep_by_age(tapp: App) -> None:
    q = tapp.queue("q", remove_on_complete={"age": 0.3})
    old = await q.aadd("noop", {})
    await _run_all(tapp, [old.id])
    backend = await tapp.backend()
    done = await q.aget(old.id)
    assert done is not None and done.finished_ts is not None
    start = await backend.now()
    while await backend.now() < done.finished_ts + 0.35 and await backend.now() < start + 5:
        await asyncio.sleep(0.02)
    new = await q.aadd("noop", {})
    await _run_all(tapp, [new.id])
    assert await q.aget(old.id) is None
    assert await q.aget(new.id) is not None


async def test_failed_retention_by_count(tapp: App) -> None:
    q = tapp.queue("q", remove_on_fail=2)
    ids = [(await q.aadd("fatal", {"i": i})).id for i in range(5)]
    async with running_worker(tapp, "q", concurrency=1):
        for job_id in ids:
            await wait_until(lambda j=job_id: _gone_or(tapp, j, "failed"))
    assert (await q.acounts())["failed"] == 2


async def test_default_retention_is_bounded(tapp: App) -> None:
    job = await tapp.queue("q").aadd("noop", {})
    assert job.options.remove_on_complete.count == 1000
    assert job.options.remove_on_complete.age == 24 * 3600
    assert job.options.remove_on_fail.count is not None
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "completed"))
