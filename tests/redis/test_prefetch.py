"""Prefetch on wake-up (backends/redis/prefetch.py): an idle worker's blocking wait claims the
new job as it wakes, within the slots the worker has free; what its worker does not collect is
handed back to waiting without using an attempt; a stopped worker's waits claim nothing."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hubjobs import App, JobState
from hubjobs.backends.base import ClaimedJob, ClaimJobs, WaitForJobs
from hubjobs.backends.redis import RedisBackend
from tests.backends.redis import cleanup, make_url
from tests.helpers import running_worker, state_is, wait_until


@pytest.fixture(params=["wake connection", "client connections"])
async def pair(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[RedisBackend, App]]:
    """A backend used as a worker would use it, and a producer App on the same prefix. Its
    waits run on its own wake connection, or (as for a TLS URL) on the blocking client's."""
    url = make_url(tmp_path, "prefetch")
    backend = RedisBackend(url)
    await backend.open()
    if request.param == "client connections":
        assert backend._waiter is not None
        backend._waiter._address = None
    producer = App(url)
    producer.queue("q")
    yield backend, producer
    await backend.close()
    await producer.aclose()
    producer.close()
    cleanup(url)


async def _blocked_here(backend: RedisBackend) -> bool:
    clients = await backend.client.client_list()
    return any(c.get("name") == f"hubjobs-wait:{os.getpid()}" and c.get("cmd") == "bzpopmin" for c in clients)


async def _wake_with_a_job(backend: RedisBackend, producer: App) -> str:
    waiting = asyncio.create_task(backend.wait_for_jobs(WaitForJobs(["q"], 10)))
    await asyncio.sleep(0)
    job = await producer.queue("q").aadd("noop", {})
    await asyncio.wait_for(waiting, 10)
    return job.id


async def test_a_woken_wait_claims_for_its_worker(pair: tuple[RedisBackend, App]) -> None:
    backend, producer = pair
    assert await backend.claim_jobs(ClaimJobs("q", "w1", 2, 30)) == []  # w1 has 2 free slots
    job_id = await _wake_with_a_job(backend, producer)
    assert (await producer.queue("q").aget(job_id)).state == JobState.ACTIVE  # type: ignore[union-attr]
    [claimed] = await backend.claim_jobs(ClaimJobs("q", "w1", 2, 30))
    assert claimed.job.id == job_id and claimed.job.worker_id == "w1"


async def test_uncollected_prefetched_jobs_go_back_to_waiting(pair: tuple[RedisBackend, App]) -> None:
    backend, producer = pair
    await backend.claim_jobs(ClaimJobs("q", "w1", 2, 30))
    job_id = await _wake_with_a_job(backend, producer)
    await wait_until(state_is(producer, "q", job_id, "waiting"), what="prefetched job handed back")
    job = await producer.queue("q").aget(job_id)
    assert job is not None and job.attempts_made == 0 and job.stalled_count == 0


async def test_no_prefetch_without_free_slots_or_after_the_worker_stopped(pair: tuple[RedisBackend, App]) -> None:
    backend, producer = pair
    await producer.queue("q").aadd("noop", {})
    assert len(await backend.claim_jobs(ClaimJobs("q", "w1", 1, 30))) == 1  # w1 is now full
    job_id = await _wake_with_a_job(backend, producer)
    assert (await producer.queue("q").aget(job_id)).state == JobState.WAITING  # type: ignore[union-attr]

    assert len(await backend.claim_jobs(ClaimJobs("q", "w2", 3, 30))) == 1  # w2 takes it, 2 slots left
    waiting = asyncio.create_task(backend.wait_for_jobs(WaitForJobs(["q"], 10)))
    await wait_until(lambda: _blocked_here(backend), what="the wait blocked in Redis")
    await backend.remove_worker("w2")
    later = await producer.queue("q").aadd("noop", {})
    assert (await producer.queue("q").aget(later.id)).state == JobState.WAITING  # type: ignore[union-attr]
    waiting.cancel()


async def test_a_busy_worker_does_not_prefetch(tmp_path: Path) -> None:
    url = make_url(tmp_path, "busy")
    from tests.apps import build_app

    app = build_app(url)
    q = app.queue("q")
    release = tmp_path / "release"
    try:
        first = await q.aadd("wait_file", {"path": str(release)})
        async with running_worker(app, "q", concurrency=1):
            await wait_until(state_is(app, "q", first.id, "active"), what="first job running")
            second = await q.aadd("noop", {})
            assert (await q.aget(second.id)).state == JobState.WAITING  # type: ignore[union-attr]
            release.write_text("go")
            await wait_until(state_is(app, "q", second.id, "completed"), what="second job after the first")
    finally:
        await app.aclose()
        app.close()
        cleanup(url)


async def test_a_waiting_worker_receives_the_claimed_jobs_at_once(pair: tuple[RedisBackend, App]) -> None:
    backend, producer = pair
    await backend.claim_jobs(ClaimJobs("q", "w1", 2, 30))  # w1 has 2 free slots
    received: list[tuple[str, list[str]]] = []

    def receive(queue: str, jobs: list[ClaimedJob]) -> bool:
        received.append((queue, [cj.job.id for cj in jobs]))
        return True

    waiting = asyncio.create_task(backend.wait_for_jobs(WaitForJobs(["q"], 10, worker_id="w1", receive=receive)))
    await wait_until(lambda: _blocked_here(backend), what="the wait blocked in Redis")
    job = await producer.queue("q").aadd("noop", {})
    await asyncio.wait_for(waiting, 10)
    assert received == [("q", [job.id])]
    assert await backend.claim_jobs(ClaimJobs("q", "w1", 2, 30)) == []  # nothing held back as well
    stored = await producer.queue("q").aget(job.id)
    assert stored is not None and stored.state == JobState.ACTIVE and stored.worker_id == "w1"


async def test_jobs_a_receiver_declines_wait_for_the_next_claim(pair: tuple[RedisBackend, App]) -> None:
    backend, producer = pair
    await backend.claim_jobs(ClaimJobs("q", "w1", 2, 30))
    waiting = asyncio.create_task(backend.wait_for_jobs(
        WaitForJobs(["q"], 10, worker_id="w1", receive=lambda _q, _jobs: False)))
    await wait_until(lambda: _blocked_here(backend), what="the wait blocked in Redis")
    job = await producer.queue("q").aadd("noop", {})
    await asyncio.wait_for(waiting, 10)
    [claimed] = await backend.claim_jobs(ClaimJobs("q", "w1", 2, 30))
    assert claimed.job.id == job.id


async def test_a_claim_that_leaves_jobs_of_another_priority_wakes_another_worker(
        pair: tuple[RedisBackend, App]) -> None:
    backend, producer = pair
    await producer.queue("q").aadd("noop", {}, priority=1)
    await producer.queue("q").aadd("noop", {}, priority=5)
    wake = backend._keys("q").wake
    await backend.client.delete(wake)  # as if an idle worker had taken the add's wake-up
    [claimed] = await backend.claim_jobs(ClaimJobs("q", "w1", 1, 30))
    assert claimed.job.options.priority == 1
    assert await backend.client.exists(wake)  # the priority-5 job is left: another worker is woken
