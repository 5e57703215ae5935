"""Queue controls: pause/resume, drain, clean, remove, retry, cancel, search."""

from __future__ import annotations

import asyncio

import pytest

from hubjobs import App, InvalidJobOptions, JobNotFound, JobState
from hubjobs.job import Job
from tests.helpers import running_worker, state_is, wait_until


async def test_pause_stops_claims_and_resume_restarts_them(tapp: App) -> None:
    q = tapp.queue("q")
    await q.apause()
    assert await q.ais_paused()
    job = await q.aadd("noop", {})
    started: list[str] = []
    async with running_worker(tapp, "q") as w:
        w.on("active", lambda e: started.append(e.job_id or ""))
        # give the worker real chances to claim: several idle cycles pass while paused
        backend = await tapp.backend()
        t0 = await backend.now()
        await wait_until(lambda: _later(backend, t0 + 0.5), what="half a second on the backend clock")
        assert started == [] and (await q.aget(job.id)).state == JobState.WAITING  # type: ignore[union-attr]
        await q.aresume()
        await wait_until(state_is(tapp, "q", job.id, "completed"), what="job runs after resume")
    assert not await q.ais_paused()


async def _later(backend, when: float) -> bool:  # type: ignore[no-untyped-def]
    return bool(await backend.now() >= when)


async def test_drain_removes_waiting_and_delayed(tapp: App) -> None:
    q = tapp.queue("q")
    for i in range(3):
        await q.aadd("noop", {"i": i})
    await q.aadd("noop", {}, delay=100)
    assert await q.adrain() == 4
    counts = await q.acounts()
    assert counts["waiting"] == 0 and counts["delayed"] == 0


async def test_clean_by_state_and_age(tapp: App) -> None:
    q = tapp.queue("q")
    ids = [(await q.aadd("noop", {"i": i})).id for i in range(3)]
    async with running_worker(tapp, "q"):
        for j in ids:
            await wait_until(state_is(tapp, "q", j, "completed"))
    assert await q.aclean("completed", older_than=3600) == 0
    assert await q.aclean("completed", older_than=0) == 3
    assert (await q.acounts())["completed"] == 0
    with pytest.raises(InvalidJobOptions):
        await q.aclean("active")


async def test_remove_and_not_found(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {})
    assert await q.aremove(job.id)
    assert await q.aget(job.id) is None
    with pytest.raises(JobNotFound):
        await q.aremove(job.id)
    with pytest.raises(JobNotFound):
        await q.aretry("missing")


async def test_retry_one_and_all_failed(tapp: App) -> None:
    q = tapp.queue("q")
    ids = [(await q.aadd("fatal", {"i": i})).id for i in range(3)]
    async with running_worker(tapp, "q"):
        for j in ids:
            await wait_until(state_is(tapp, "q", j, "failed"))
    retried = await q.aretry(ids[0])
    assert retried.state == JobState.WAITING and retried.attempts_made == 0
    assert await q.aretry_all_failed() == 2
    assert (await q.acounts())["waiting"] == 3
    with pytest.raises(InvalidJobOptions, match="only failed"):
        await q.aretry(ids[0])


async def test_promote_needs_a_delayed_job(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {})
    with pytest.raises(InvalidJobOptions, match="only delayed"):
        await q.apromote(job.id)


async def test_cancel_an_active_async_job(backend_url: str) -> None:
    from tests.apps import build_app

    app = build_app(backend_url)
    started = asyncio.Event()

    @app.job("q", "long", attempts=3)
    async def long(job: Job) -> None:
        started.set()
        await asyncio.sleep(60)

    q = app.queue("q")
    job = await q.aadd("long", {})
    try:
        async with running_worker(app, "q", lease=1.5):  # cancel requests are seen at lease renewal
            await asyncio.wait_for(started.wait(), 20)
            assert await q.acancel(job.id)
            await wait_until(state_is(app, "q", job.id, "failed"), what="cancelled job failed")
        failed = await q.aget(job.id)
        assert failed is not None and failed.attempts_made == 1
        assert failed.failed_reason is not None and "cancelled" in failed.failed_reason
    finally:
        await app.aclose()
        app.close()


async def test_search_by_data_text_and_error(tapp: App) -> None:
    q = tapp.queue("q")
    await q.aadd("noop", {"fileId": "abc-123", "storageKey": "uploads/show.fseq"}, job_id="file-abc")
    await q.aadd("noop", {"fileId": "zzz"})
    bad = await q.aadd("fatal", {"x": 1})
    found = await q.asearch("show.fseq")
    assert [j.id for j in found] == ["file-abc"]
    assert [j.id for j in await q.asearch("FILE-ABC")] == ["file-abc"]
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", bad.id, "failed"))
    assert [j.id for j in await q.asearch("cannot ever", state="failed")] == [bad.id]
    assert await q.asearch("100%_") == []


async def test_list_jobs_pages(tapp: App) -> None:
    q = tapp.queue("q")
    for i in range(7):
        await q.aadd("noop", {}, job_id=f"j{i}")
    page1 = await q.ajobs("waiting", 0, 3)
    page2 = await q.ajobs("waiting", 3, 3)
    page3 = await q.ajobs("waiting", 6, 3)
    assert [j.id for j in page1 + page2 + page3] == [f"j{i}" for i in range(7)]
    with pytest.raises(InvalidJobOptions, match="unknown state"):
        await q.ajobs("zombie")


async def test_list_queues_and_settings(tapp: App) -> None:
    q = tapp.queue("q")
    await q.aadd("noop", {})
    backend = await tapp.backend()
    assert "q" in await backend.list_queues()
    settings = await q.asettings()
    assert settings.paused is False
