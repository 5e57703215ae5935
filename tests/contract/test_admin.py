"""Queue controls: pause/resume, drain, clean, remove, retry, cancel, search."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hubjobs import App, InvalidJobOptions, JobNotFound, JobState
from hubjobs.job import Job
from tests.contract.producers import Producers
from tests.helpers import running_worker, state_is, wait_until


async def test_pause_stops_claims_and_resume_restarts_them(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    await producer(q).pause()
    assert await producer(q).is_paused()
    job = await producer(q).add("noop", {})
    started: list[str] = []
    async with running_worker(tapp, "q") as w:
        w.on("active", lambda e: started.append(e.job_id or ""))
        # give the worker real chances to claim: several idle cycles pass while paused
        backend = await tapp.backend()
        t0 = await backend.now()
        await wait_until(lambda: _later(backend, t0 + 0.5), what="half a second on the backend clock")
        assert started == [] and (await producer(q).get(job.id)).state == JobState.WAITING  # type: ignore[union-attr]
        await producer(q).resume()
        await wait_until(state_is(tapp, "q", job.id, "completed"), what="job runs after resume")
    assert not await producer(q).is_paused()


async def _later(backend, when: float) -> bool:  # type: ignore[no-untyped-def]
    return bool(await backend.now() >= when)


async def test_drain_removes_waiting_and_delayed(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    for i in range(3):
        await producer(q).add("noop", {"i": i})
    await producer(q).add("noop", {}, delay=100)
    assert await producer(q).drain() == 4
    counts = await producer(q).counts()
    assert counts["waiting"] == 0 and counts["delayed"] == 0


async def test_clean_by_state_and_age(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    ids = [(await producer(q).add("noop", {"i": i})).id for i in range(3)]
    async with running_worker(tapp, "q"):
        for j in ids:
            await wait_until(state_is(tapp, "q", j, "completed"))
    assert await producer(q).clean("completed", older_than=3600) == 0
    assert await producer(q).clean("completed", older_than=0) == 3
    assert (await producer(q).counts())["completed"] == 0
    with pytest.raises(InvalidJobOptions):
        await producer(q).clean("active")


async def test_remove_and_not_found(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    job = await producer(q).add("noop", {})
    assert await producer(q).remove(job.id)
    assert await producer(q).get(job.id) is None
    with pytest.raises(JobNotFound):
        await producer(q).remove(job.id)
    with pytest.raises(JobNotFound):
        await producer(q).retry("missing")


async def test_retry_one_and_all_failed(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    ids = [(await producer(q).add("fatal", {"i": i})).id for i in range(3)]
    async with running_worker(tapp, "q"):
        for j in ids:
            await wait_until(state_is(tapp, "q", j, "failed"))
    retried = await producer(q).retry(ids[0])
    assert retried.state == JobState.WAITING and retried.attempts_made == 0
    assert await producer(q).retry_all_failed() == 2
    assert (await producer(q).counts())["waiting"] == 3
    with pytest.raises(InvalidJobOptions, match="only failed"):
        await producer(q).retry(ids[0])


async def test_promote_needs_a_delayed_job(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    job = await producer(q).add("noop", {})
    with pytest.raises(InvalidJobOptions, match="only delayed"):
        await producer(q).promote(job.id)


async def test_cancel_an_active_async_job(backend_url: str, producer: Producers) -> None:
    from tests.apps import build_app

    app = build_app(backend_url)
    started = asyncio.Event()

    @app.job("q", "long", attempts=3)
    async def long(job: Job) -> None:
        started.set()
        await asyncio.sleep(60)

    q = app.queue("q")
    job = await producer(q).add("long", {})
    try:
        async with running_worker(app, "q", lease=1.5):  # cancel requests are seen at lease renewal
            await asyncio.wait_for(started.wait(), 20)
            assert await producer(q).cancel(job.id)
            await wait_until(state_is(app, "q", job.id, "failed"), what="cancelled job failed")
        failed = await producer(q).get(job.id)
        assert failed is not None and failed.attempts_made == 1
        assert failed.failed_reason is not None and "cancelled" in failed.failed_reason
    finally:
        await app.aclose()
        app.close()


async def test_search_by_data_text_and_error(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    await producer(q).add("noop", {"fileId": "abc-123", "storageKey": "uploads/show.fseq"}, job_id="file-abc")
    await producer(q).add("noop", {"fileId": "zzz"})
    bad = await producer(q).add("fatal", {"x": 1})
    found = await producer(q).search("show.fseq")
    assert [j.id for j in found] == ["file-abc"]
    assert [j.id for j in await producer(q).search("FILE-ABC")] == ["file-abc"]
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", bad.id, "failed"))
    assert [j.id for j in await producer(q).search("cannot ever", state="failed")] == [bad.id]
    assert await producer(q).search("100%_") == []


async def test_list_jobs_pages(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    for i in range(7):
        await producer(q).add("noop", {}, job_id=f"j{i}")
    page1 = await producer(q).jobs("waiting", 0, 3)
    page2 = await producer(q).jobs("waiting", 3, 3)
    page3 = await producer(q).jobs("waiting", 6, 3)
    assert [j.id for j in page1 + page2 + page3] == [f"j{i}" for i in range(7)]
    with pytest.raises(InvalidJobOptions, match="unknown state"):
        await producer(q).jobs("zombie")


async def test_list_queues_and_settings(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    await producer(q).add("noop", {})
    backend = await tapp.backend()
    assert "q" in await backend.list_queues()
    settings = await producer(q).settings()
    assert settings.paused is False


async def test_logs_and_removed_events(tapp: App, producer: Producers, tmp_path: Path) -> None:
    q = tapp.queue("q")
    release = tmp_path / "release"
    release.write_text("go")
    job = await producer(q).add("wait_file", {"path": str(release)})
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "completed"), what="job completed")
    lines = await producer(q).logs(job.id)
    assert [line.line for line in lines] == ["waiting for release"] and lines[0].at > 0
    assert await producer(q).logs("missing") == []
    removed: list[str | None] = []
    q.on("removed", lambda e: removed.append(e.job_id))
    assert await producer(q).remove(job.id)
    assert removed == [job.id] and await producer(q).get(job.id) is None


async def test_promote_a_delayed_job(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    job = await producer(q).add("noop", {}, delay=3600)
    assert job.state == JobState.DELAYED and job.run_at is not None
    assert [j.id for j in await producer(q).jobs("delayed")] == [job.id]
    promoted = await producer(q).promote(job.id)
    assert promoted.state == JobState.WAITING
    assert (await producer(q).counts())["delayed"] == 0
