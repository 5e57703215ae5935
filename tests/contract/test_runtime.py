"""Handler kinds (async, thread, process), unknown names, corrupt data and graceful stop."""

from __future__ import annotations

import asyncio
import os

from hubjobs import App, JobState
from hubjobs.job import Job
from tests.helpers import running_worker, state_is, wait_until


async def test_sync_handlers_run_in_threads(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("sync_noop", {"t": 1})
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "completed"))
    assert (await q.aget(job.id)).result == {"t": 1}  # type: ignore[union-attr]


async def test_process_handlers_run_in_another_process(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("process_echo", {"p": 1})
    bad = await q.aadd("process_echo", {"fail": True})
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "completed"), timeout=60)
        await wait_until(state_is(tapp, "q", bad.id, "failed"), timeout=60)
    done = await q.aget(job.id)
    assert done is not None and done.result["echo"] == {"p": 1} and done.result["pid"] != os.getpid()
    assert done.progress == 50
    assert any(line.line.startswith("pid ") for line in await q.alogs(job.id))
    failed = await q.aget(bad.id)
    assert failed is not None and "process handler failed on purpose" in (failed.failed_reason or "")
    assert "ValueError" in failed.errors[0].stacktrace


async def test_process_handler_past_its_timeout_is_killed(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("cpu_spin", {"seconds": 30}, timeout=0.5)
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", job.id, "failed"), timeout=60)
    failed = await q.aget(job.id)
    assert failed is not None and "timed out after 0.5 s" in (failed.failed_reason or "")
    assert "killed" in (failed.failed_reason or "")


async def test_unknown_job_name_at_the_worker_fails_clearly_and_work_goes_on(backend_url: str, tapp: App) -> None:
    producer = App(backend_url)  # knows no handlers, so it may add any name
    try:
        stray = await producer.queue("q").aadd("not-registered", {"x": 1})
        good = await producer.queue("q").aadd("noop", {})
        async with running_worker(tapp, "q"):
            await wait_until(state_is(tapp, "q", stray.id, "failed"))
            await wait_until(state_is(tapp, "q", good.id, "completed"))
        failed = await tapp.queue("q").aget(stray.id)
        assert failed is not None and "no handler for job 'not-registered'" in (failed.failed_reason or "")
        assert failed.attempts_made == 1
    finally:
        await producer.aclose()
        producer.close()


async def test_graceful_stop_lets_a_running_job_finish(backend_url: str) -> None:
    from tests.apps import build_app

    app = build_app(backend_url)
    release = asyncio.Event()

    @app.job("q", "held")
    async def held(job: Job) -> str:
        await release.wait()
        return "finished"

    job = await app.queue("q").aadd("held", {})
    worker = app.worker("q", install_signals=False, grace=30, lease=5)
    task = asyncio.create_task(worker.arun())
    try:
        await wait_until(state_is(app, "q", job.id, "active"))
        worker.stop()
        release.set()
        await asyncio.wait_for(task, 30)
        done = await app.queue("q").aget(job.id)
        assert done is not None and done.state == JobState.COMPLETED and done.result == "finished"
    finally:
        await app.aclose()
        app.close()


async def test_past_the_grace_period_jobs_go_back_to_waiting(backend_url: str) -> None:
    from tests.apps import build_app

    app = build_app(backend_url)

    @app.job("q", "stuck")
    async def stuck(job: Job) -> None:
        await asyncio.sleep(60)

    job = await app.queue("q").aadd("stuck", {})
    worker = app.worker("q", install_signals=False, grace=0.3, lease=5)
    task = asyncio.create_task(worker.arun())
    try:
        await wait_until(state_is(app, "q", job.id, "active"))
        worker.stop()
        await asyncio.wait_for(task, 30)
        back = await app.queue("q").aget(job.id)
        assert back is not None and back.state == JobState.WAITING and back.attempts_made == 0
    finally:
        await app.aclose()
        app.close()


async def test_jobs_claimed_ahead_go_back_to_waiting_when_the_worker_stops(backend_url: str) -> None:
    from tests.apps import build_app

    app = build_app(backend_url)
    ran: list[str] = []
    gate = asyncio.Event()

    @app.job("q", "quick")
    async def quick(job: Job) -> None:
        ran.append(job.id)
        if len(ran) > 40:  # from here on handlers wait, while the worker holds jobs claimed ahead
            await gate.wait()

    q = app.queue("q")
    await q.aadd_bulk([{"name": "quick", "data": {"n": i}} for i in range(200)])
    worker = app.worker("q", concurrency=4, install_signals=False, grace=0.2, lease=5)
    task = asyncio.create_task(worker.arun())
    try:
        await wait_until(lambda: len(ran) >= 44, what="four handlers blocked after 40 quick ones")

        async def holding_more_than_it_runs() -> bool:
            return (await q.acounts())["active"] > 4

        await wait_until(holding_more_than_it_runs, what="jobs claimed ahead of free slots")
        worker.stop()
        await asyncio.wait_for(task, 30)
        counts = await q.acounts()
        assert counts["active"] == 0, counts  # nothing claimed ahead stays leased to a stopped worker
        assert counts["waiting"] + counts["completed"] == 200, counts
        assert counts["completed"] == 40
        back = await q.aget(ran[-1])
        assert back is not None and back.state == JobState.WAITING and back.attempts_made == 0
    finally:
        gate.set()
        await app.aclose()
        app.close()
