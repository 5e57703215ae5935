"""Waiting on LISTEN/NOTIFY: an idle waiter is woken by another process's add, retry, promote,
resume or stall recovery (not by its timeout), and event streams wake their readers and never
skip an event, however many processes publish at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from hubjobs.backends.base import (
    AddJobs,
    ClaimJobs,
    FinishJobs,
    JobIds,
    JobOutcome,
    NewEvent,
    NewJob,
    PublishEvents,
    QueueEvent,
    ReadEvents,
    SetPaused,
    WaitForJobs,
)
from hubjobs.backends.postgres import PostgresBackend
from hubjobs.job import JobOptions
from tests.helpers import wait_until

NEVER = 120.0
"""A wait timeout no test reaches: returning earlier proves the waiter was notified."""
DEADLINE = 30.0


@pytest.fixture
async def pair(pg_url: str) -> AsyncIterator[tuple[PostgresBackend, PostgresBackend]]:
    """Two backend instances on one schema, as two processes would have: a waiter and a producer."""
    a, b = PostgresBackend(pg_url), PostgresBackend(pg_url)
    await a.open()
    await b.open()
    yield a, b
    await a.close()
    await b.close()


def _job(job_id: str, delay: float = 0.0) -> NewJob:
    return NewJob(job_id, "noop", "{}", JobOptions(), delay=delay)


async def _settle(waiter: PostgresBackend, producer: PostgresBackend) -> None:
    """Wait until the waiter has received every notification sent so far: PostgreSQL delivers
    them in commit order, so once a fresh sentinel arrived, nothing older is still in flight."""
    from hubjobs.backends.postgres.listener import listen_key

    await waiter._listener.started(DEADLINE)
    channel = waiter.settings.jobs_channel
    sentinel = f"sentinel-{id(object())}"
    await producer._rows("test", "SELECT pg_notify(%(c)s, %(p)s)", {"c": channel, "p": sentinel})
    await wait_until(lambda: waiter._listener.version(listen_key(channel, sentinel))[1] > 0,
                     what="the sentinel notification")


async def _woken_by(waiter: PostgresBackend, producer: PostgresBackend,
                    act: Callable[[], Awaitable[object]], queue: str = "q") -> None:
    """Claim (as a worker does before idling), start waiting, act, and require a wake-up."""
    await _settle(waiter, producer)
    await waiter.claim_jobs(ClaimJobs(queue, "w", 1, 30))
    task = asyncio.create_task(waiter.wait_for_jobs(WaitForJobs([queue, "other"], NEVER)))
    await asyncio.sleep(0.01)  # let the waiter start waiting (not a synchronisation: see below)
    assert not task.done(), "the waiter returned before anything happened"
    await act()
    await asyncio.wait_for(task, DEADLINE)


async def test_an_add_from_another_process_wakes_the_waiter(pair: tuple[PostgresBackend, PostgresBackend]) -> None:
    waiter, producer = pair
    await _woken_by(waiter, producer, lambda: producer.add_jobs(AddJobs("q", [_job("a")])))


async def test_resume_promote_and_retry_wake_the_waiter(pair: tuple[PostgresBackend, PostgresBackend]) -> None:
    waiter, producer = pair
    await producer.set_paused(SetPaused("q", True))
    await producer.add_jobs(AddJobs("q", [_job("a"), _job("later", delay=3600)]))
    await _woken_by(waiter, producer, lambda: producer.set_paused(SetPaused("q", False)))
    await _woken_by(waiter, producer, lambda: producer.promote_jobs(JobIds("q", ["later"])))

    claimed = await producer.claim_jobs(ClaimJobs("q", "p", 10, 30))
    retry = JobOutcome(claimed[0].job.id, claimed[0].token, "retry", error="boom", retry_delay=0)
    await _woken_by(waiter, producer, lambda: producer.finish_jobs(FinishJobs("q", [retry])))


async def test_stall_recovery_wakes_the_waiter(pair: tuple[PostgresBackend, PostgresBackend]) -> None:
    from hubjobs.backends.base import RecoverStalled

    waiter, producer = pair
    await producer.add_jobs(AddJobs("q", [_job("a")]))
    assert await producer.claim_jobs(ClaimJobs("q", "p", 1, 0.001))  # its lease expires at once

    async def recover() -> None:
        while not (await producer.recover_stalled(RecoverStalled("q"))).requeued:
            await asyncio.sleep(0.001)

    await _woken_by(waiter, producer, recover)


async def test_events_wake_a_blocked_reader(pair: tuple[PostgresBackend, PostgresBackend]) -> None:
    reader, publisher = pair
    task = asyncio.create_task(reader.read_events(ReadEvents("q", "$", block=NEVER)))
    await asyncio.sleep(0)
    await reader._listener.started(DEADLINE)
    await publisher.publish_events(PublishEvents("q", [NewEvent("completed", "a", 1.0, {"x": 1})]))
    events = await asyncio.wait_for(task, DEADLINE)
    assert [(e.event, e.job_id, e.data) for e in events] == [("completed", "a", {"x": 1})]


async def test_a_follower_sees_every_event_of_concurrent_publishers(pg_url: str) -> None:
    publishers = [PostgresBackend(pg_url) for _ in range(4)]
    reader = PostgresBackend(pg_url)
    for b in (*publishers, reader):
        await b.open()
    batches, per_batch = 25, 4
    total = len(publishers) * batches * per_batch

    async def publish(n: int, b: PostgresBackend) -> None:
        for i in range(batches):
            await b.publish_events(PublishEvents("q", [
                NewEvent("progress", f"{n}-{i}-{k}", 1.0, {}) for k in range(per_batch)]))

    async def follow() -> list[QueueEvent]:
        seen: list[QueueEvent] = []
        after = "0"
        while len(seen) < total:
            got = await reader.read_events(ReadEvents("q", after, limit=50, block=DEADLINE))
            assert got, "a blocked read returned nothing although events were still coming"
            seen += got
            after = got[-1].id
        return seen

    try:
        follower = asyncio.create_task(follow())
        await asyncio.gather(*(publish(n, b) for n, b in enumerate(publishers)))
        seen = await asyncio.wait_for(follower, DEADLINE)
    finally:
        for b in (*publishers, reader):
            await b.close()
    assert [int(e.id) for e in seen] == list(range(1, total + 1))  # numbered without gaps, in order
    assert len({e.job_id for e in seen}) == total
