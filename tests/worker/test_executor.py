"""Executor: runs a claimed job in a free slot (async and sync handlers), times it out, and
decides its outcome: completed, a retry after the backoff or RetryAfter's delay, or final."""

from __future__ import annotations

import asyncio
import threading

from hubjobs import Backoff, UnrecoverableError
from hubjobs.backends.base import ClaimJobs
from hubjobs.errors import RetryAfter
from hubjobs.job import Job
from hubjobs.worker.slots import RunningJob
from tests.helpers import wait_until
from tests.worker.conftest import Parts, build_executor


async def test_async_and_sync_handlers_complete_and_hand_their_outcome_over(parts: Parts) -> None:
    threads: list[str] = []

    @parts.app.job("q")
    async def double(job: Job) -> int:
        return int(job.data) * 2

    @parts.app.job("q")
    def triple(job: Job) -> int:
        threads.append(threading.current_thread().name)
        return int(job.data) * 3

    q = parts.app.queue("q")
    await q.aadd("double", 2, job_id="d")
    await q.aadd("triple", 2, job_id="t")
    executor, _pacer = build_executor(parts)
    parts.slots.hold(await parts.claim(2))
    executor.start_held()
    assert set(parts.slots.running) == {"d", "t"}
    await wait_until(lambda: parts.completer.queued("q") == 2, what="both outcomes")
    outcomes = {p[0].job_id: p[0] for p in parts.completer.take("q", 2)}
    assert (outcomes["d"].kind, outcomes["d"].result_json) == ("completed", "4")
    assert (outcomes["t"].kind, outcomes["t"].result_json) == ("completed", "6")
    assert threads and threads[0] != threading.current_thread().name
    assert not parts.slots.running
    executor.close()


async def test_no_more_jobs_start_than_slots(parts: Parts) -> None:
    release = asyncio.Event()

    @parts.app.job("q")
    async def wait(job: Job) -> None:
        await release.wait()

    for i in range(3):
        await parts.app.queue("q").aadd("wait", job_id=str(i))
    parts.slots.concurrency = 2
    executor, _pacer = build_executor(parts)
    parts.slots.hold(await parts.claim(3))
    executor.start_held()
    assert len(parts.slots.running) == 2 and len(parts.slots.held) == 1
    release.set()
    await wait_until(lambda: parts.completer.queued("q") == 3, what="all three ran")
    executor.close()


async def test_retry_decision(parts: Parts) -> None:
    await parts.app.queue("q").aadd("x", job_id="j", attempts=3, backoff=Backoff("fixed", 7.0))
    cj = (await parts.claim())[0]
    rj = RunningJob(cj.job, cj.token, None)
    executor, _pacer = build_executor(parts)
    outcome, event = executor.failure(rj, ValueError("boom"), "trace", final=False)
    assert (outcome.kind, outcome.retry_delay, event.name) == ("retry", 7.0, "retrying")
    assert outcome.error == "ValueError: boom"
    outcome, _ = executor.failure(rj, RetryAfter(2.5), "", final=False)
    assert (outcome.kind, outcome.retry_delay) == ("retry", 2.5)
    outcome, event = executor.failure(rj, UnrecoverableError("no"), "", final=True)
    assert (outcome.kind, event.name) == ("failed", "failed")
    executor.close()


async def test_a_timeout_fails_the_try(parts: Parts) -> None:
    @parts.app.job("q")
    async def sleepy(job: Job) -> None:
        await asyncio.sleep(3600)

    await parts.app.queue("q").aadd("sleepy", job_id="s", timeout=0.05)
    executor, _pacer = build_executor(parts)
    parts.slots.hold(await parts.claim())
    executor.start_held()
    await wait_until(lambda: parts.completer.queued("q") == 1, what="the timed-out outcome")
    outcome = parts.completer.take("q", 1)[0][0]
    assert outcome.kind == "failed" and "timed out" in (outcome.error or "")
    executor.close()


async def test_per_queue_slots_hold_back_only_the_full_queue(parts: Parts) -> None:
    release = asyncio.Event()

    async def wait(job: Job) -> None:
        await release.wait()

    parts.app.job("q", "wait")(wait)
    parts.app.job("q2", "wait")(wait)
    for i in range(3):
        await parts.app.queue("q").aadd("wait", job_id=f"q-{i}")
    for i in range(2):
        await parts.app.queue("q2").aadd("wait", job_id=f"q2-{i}")
    parts.slots.concurrency, parts.slots.caps = 3, {"q": 1, "q2": 2}
    executor, _pacer = build_executor(parts)
    parts.slots.hold(await parts.claim(3))
    parts.slots.hold(await parts.backend.claim_jobs(ClaimJobs("q2", "w", 2, 30.0)))
    executor.start_held()
    assert sorted(parts.slots.running) == ["q-0", "q2-0", "q2-1"]
    assert [cj.job.id for cj in parts.slots.held] == ["q-1", "q-2"]
    assert parts.slots.room("q", 0) == -2 and parts.slots.room("q2", 0) == 0
    release.set()
    await wait_until(lambda: parts.completer.queued("q") == 3, what="the q jobs, one at a time")
    executor.close()
