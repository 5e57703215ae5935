"""Attempts, backoff, UnrecoverableError, RetryAfter and timeouts."""

from __future__ import annotations

import asyncio
from typing import Any

from hubjobs import App, Backoff, JobState, RetryAfter
from hubjobs.job import Job
from tests.helpers import running_worker, state_is, wait_until


async def test_attempts_exhausted_fails_with_each_tries_error(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("fail", {}, attempts=3)
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "failed"), what="job failed")
    failed = await q.aget(job.id)
    assert failed is not None
    assert failed.attempts_made == 3
    assert [e.message for e in failed.errors] == [
        "RuntimeError: failure 1", "RuntimeError: failure 2", "RuntimeError: failure 3"]
    assert [e.attempt for e in failed.errors] == [1, 2, 3]
    assert all("Traceback" in e.stacktrace and "RuntimeError" in e.stacktrace for e in failed.errors)
    assert failed.failed_reason == "RuntimeError: failure 3"
    assert failed.finished_at is not None


async def test_retry_then_success(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("retry_fast", {})
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "completed"))
    done = await q.aget(job.id)
    assert done is not None and done.result == "third time" and done.attempts_made == 3
    assert len(done.errors) == 2


async def test_unrecoverable_error_fails_at_once(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("fatal", {}, attempts=5)
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "failed"))
    failed = await q.aget(job.id)
    assert failed is not None and failed.attempts_made == 1
    assert failed.failed_reason == "UnrecoverableError: cannot ever work"


async def test_a_failed_try_waits_its_backoff_in_delayed(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("fail", {}, attempts=3, backoff=Backoff.exponential(30))
    retrying: list[dict[str, Any]] = []
    async with running_worker(tapp, "q") as w:
        w.on("retrying", lambda e: retrying.append(e.data))
        await wait_until(state_is(tapp, "q", job.id, "delayed"), what="job delayed after first failure")
    delayed = await q.aget(job.id)
    assert delayed is not None and delayed.attempts_made == 1 and delayed.run_at_ts is not None
    assert delayed.errors[0].at + 29 <= delayed.run_at_ts <= delayed.errors[0].at + 31
    assert retrying and retrying[0]["delay"] == 30


async def test_custom_backoff_strategy(backend_url: str) -> None:
    from tests.apps import build_app

    app = build_app(backend_url)
    seen: list[int] = []

    @app.backoff_strategy("webhook")
    def webhook_rule(attempt: int) -> float:
        seen.append(attempt)
        return min(5 * 5 ** (attempt - 1), 3600)

    q = app.queue("q")
    job = await q.aadd("fail", {}, attempts=2, backoff=Backoff.custom("webhook"))
    try:
        async with running_worker(app, "q"):
            await wait_until(state_is(app, "q", job.id, "delayed"))
        delayed = await q.aget(job.id)
        assert delayed is not None and delayed.run_at_ts is not None
        assert abs(delayed.run_at_ts - delayed.errors[0].at - 5) < 1
        assert seen == [1]
    finally:
        await app.aclose()
        app.close()


async def test_retry_after_overrides_backoff(backend_url: str) -> None:
    from tests.apps import build_app

    app = build_app(backend_url)

    @app.job("q", "limited", attempts=2, backoff=Backoff.fixed(1000))
    async def limited(job: Job) -> None:
        raise RetryAfter(42)

    job = await app.queue("q").aadd("limited", {})
    try:
        async with running_worker(app, "q"):
            await wait_until(state_is(app, "q", job.id, "delayed"))
        delayed = await app.queue("q").aget(job.id)
        assert delayed is not None and delayed.run_at_ts is not None
        assert abs(delayed.run_at_ts - delayed.errors[0].at - 42) < 1
    finally:
        await app.aclose()
        app.close()


async def test_async_handler_past_timeout_is_cancelled_and_retried(backend_url: str) -> None:
    from tests.apps import build_app

    app = build_app(backend_url)
    cancelled = asyncio.Event()

    @app.job("q", "slow", attempts=2, timeout=0.2)
    async def slow(job: Job) -> str:
        if job.attempts_made == 0:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                cancelled.set()
                raise
        return "fast enough"

    job = await app.queue("q").aadd("slow", {})
    try:
        async with running_worker(app, "q"):
            await wait_until(state_is(app, "q", job.id, "completed"))
        done = await app.queue("q").aget(job.id)
        assert done is not None and cancelled.is_set()
        assert done.attempts_made == 2 and "timed out after 0.2 s" in done.errors[0].message
        assert done.errors[0].message.startswith("JobTimeoutError")
    finally:
        await app.aclose()
        app.close()


async def test_worker_keeps_processing_after_failures(tapp: App) -> None:
    q = tapp.queue("q")
    bad = await q.aadd("fatal", {})
    good = [await q.aadd("noop", {"i": i}) for i in range(5)]
    async with running_worker(tapp, "q"):
        for j in good:
            await wait_until(state_is(tapp, "q", j.id, "completed"))
    assert (await q.aget(bad.id)).state == JobState.FAILED  # type: ignore[union-attr]
