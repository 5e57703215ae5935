"""Waiting for results: `job.wait()` / `await job.await_result()` on the Job that add and enqueue
return, fed by the queue's event stream, on every backend."""

from __future__ import annotations

import asyncio

import pytest

from hubjobs import App, JobFailed, ResultTimeout
from tests.helpers import running_worker


async def test_await_result_returns_the_result_of_a_completed_job(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {"answer": 42})
    async with running_worker(tapp, "q"):
        assert await job.await_result(timeout=60) == {"answer": 42}
        assert await job.await_result(timeout=0) == {"answer": 42}  # already finished: at once
        later = await q.aadd("sync_noop", [1, 2])  # added while the worker runs, waited from the stream
        assert await later.await_result(timeout=60) == [1, 2]


async def test_await_result_raises_job_failed_carrying_the_error(tapp: App) -> None:
    job = await tapp.queue("q").aadd("fail", {}, attempts=2)
    async with running_worker(tapp, "q"):
        with pytest.raises(JobFailed) as info:
            await job.await_result(timeout=60)
    assert info.value.error == "RuntimeError: failure 2"  # the last try's error, after every try
    assert info.value.job.state.value == "failed" and len(info.value.job.errors) == 2


async def test_a_timeout_raises_and_leaves_the_job_untouched(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {"n": 1})
    with pytest.raises(ResultTimeout, match="did not finish within 0.2 s"):
        await job.await_result(timeout=0.2)
    stored = await q.aget(job.id)
    assert stored is not None and stored.state.value == "waiting" and stored.attempts_made == 0
    async with running_worker(tapp, "q"):
        assert await job.await_result(timeout=60) == {"n": 1}


async def test_sync_wait_from_a_thread(tapp: App) -> None:
    q = tapp.queue("q")
    job = await asyncio.to_thread(q.add, "noop", {"sync": True})
    with pytest.raises(ResultTimeout):
        await asyncio.to_thread(job.wait, 0.1)
    async with running_worker(tapp, "q"):
        assert await asyncio.to_thread(job.wait, 60) == {"sync": True}
    failing = await asyncio.to_thread(q.add, "fatal", {})
    async with running_worker(tapp, "q"):
        with pytest.raises(JobFailed, match="cannot ever work"):
            await asyncio.to_thread(failing.wait, 60)
