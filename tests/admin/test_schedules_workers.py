"""Schedules and workers from the dashboard: "run now" adds one job of a schedule (audited) and
the schedule's last run is read from its own jobs; a worker told to quiet stops claiming (it
says so in its heartbeat) and one told to stop stops, both carried out by the worker itself."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hubjobs import App
from hubjobs.admin import AdminSettings, create_admin_app
from hubjobs.scheduling.store import store_declared

from .conftest import Tokens
from .support import bearer, make_app, sign_in, token_store_path

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
async def signed(tmp_path: Path, tokens: Tokens) -> AsyncIterator[tuple[httpx.AsyncClient, str, App, str]]:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    app = make_app(url)
    app.schedule("nightly-report", queue="files", name="process-file", data={"fileId": "report"}, cron="0 3 * * *")
    admin = create_admin_app(app, settings=AdminSettings(token_store=token_store_path(tmp_path)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://testserver") as c:
        yield c, await sign_in(c, tokens.admin), app, url
    await admin.state.admin.aclose()
    await app.aclose()


async def wait_for(check: object, what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_schedule_run_now(signed: tuple[httpx.AsyncClient, str, App, str],
                                caplog: pytest.LogCaptureFixture) -> None:
    client, csrf, app, _url = signed
    await store_declared(app, await app.backend(), datetime.now(UTC))
    caplog.set_level(logging.INFO, logger="hubjobs.admin")
    r = await client.post("/actions", headers=ORIGIN, data={
        "csrf_token": csrf, "action": "schedule-run-now", "schedule_id": "nightly-report", "next": "/schedules"})
    assert r.status_code == 303 and "done=schedule-run-now&n=1" in r.headers["location"]
    counts = await app.queue("files").acounts()
    assert counts["waiting"] == 1
    page = await client.get("/schedules")
    assert "/queues/files/jobs/sched%3Anightly-report%3Anow-" in page.text  # the last run: the job just added
    assert any("schedule-run-now" in rec.getMessage() and "alice" in rec.getMessage() for rec in caplog.records)
    missing = await client.post("/actions", headers=ORIGIN, data={
        "csrf_token": csrf, "action": "schedule-run-now", "schedule_id": "nope", "next": "/schedules"})
    assert missing.status_code == 404


async def test_schedule_pause_and_resume_from_the_dashboard_and_the_api(
        signed: tuple[httpx.AsyncClient, str, App, str], tokens: Tokens, caplog: pytest.LogCaptureFixture) -> None:
    client, csrf, app, _url = signed
    await store_declared(app, await app.backend(), datetime.now(UTC))
    caplog.set_level(logging.INFO, logger="hubjobs.admin")
    r = await client.post("/actions", headers=ORIGIN, data={
        "csrf_token": csrf, "action": "schedule-pause", "schedule_id": "nightly-report", "next": "/schedules"})
    assert r.status_code == 303 and "done=schedule-pause&n=1" in r.headers["location"]
    [stored] = await (await app.backend()).list_schedules()
    assert stored.paused is True
    page = await client.get("/schedules")
    assert '<span class="badge paused">paused</span>' in page.text
    assert 'value="schedule-resume" aria-label="Resume schedule nightly-report"' in page.text
    assert any("schedule-pause" in rec.getMessage() and "alice" in rec.getMessage() for rec in caplog.records)
    listed = (await client.get("/api/schedules", headers=bearer(tokens.viewer))).json()["schedules"]
    assert [s["paused"] for s in listed] == [True]

    assert (await client.post("/api/schedules/nightly-report/resume",
                              headers=bearer(tokens.viewer))).status_code == 403
    r = await client.post("/api/schedules/nightly-report/resume", headers=bearer(tokens.admin))
    assert r.status_code == 200 and r.json() == {"schedule": "nightly-report", "paused": False}
    [stored] = await (await app.backend()).list_schedules()
    assert stored.paused is False
    assert any("schedule-resume" in rec.getMessage() and "api" in rec.getMessage() for rec in caplog.records)
    page = await client.get("/schedules")
    assert 'value="schedule-pause" aria-label="Pause schedule nightly-report"' in page.text
    missing = await client.post("/api/schedules/nope/pause", headers=bearer(tokens.admin))
    assert missing.status_code == 404 and "nope" in missing.text


async def test_worker_quiet_then_stop(signed: tuple[httpx.AsyncClient, str, App, str]) -> None:
    client, csrf, app, url = signed
    worker_app = make_app(url)
    worker = worker_app.worker(["email"], install_signals=False, heartbeat=0.2)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    backend = await app.backend()
    try:
        async def listed() -> bool:
            return any(w.worker_id == worker.id for w in await backend.list_workers())
        await wait_for(listed, "the worker's heartbeat")
        page = await client.get("/workers")
        assert f'aria-label="Quiet worker {worker.id}: stop claiming jobs"' in page.text
        r = await client.post("/actions", headers=ORIGIN, data={
            "csrf_token": csrf, "action": "worker-quiet", "worker_id": worker.id, "next": "/workers"})
        assert r.status_code == 303

        async def quiet() -> bool:
            return any(w.worker_id == worker.id and w.state == "quiet" for w in await backend.list_workers())
        await wait_for(quiet, "the worker to report itself quiet")
        job = await app.queue("email").aadd("send-email", {"to": "q@example.com", "template": "t"})
        beats = [w.heartbeat_at for w in await backend.list_workers() if w.worker_id == worker.id]

        async def two_more_beats() -> bool:
            now = [w.heartbeat_at for w in await backend.list_workers() if w.worker_id == worker.id]
            return bool(now) and now[0] > beats[0] + 0.3
        await wait_for(two_more_beats, "two more heartbeats")
        assert (await app.queue("email").aget(job.id)).state.value == "waiting"  # type: ignore[union-attr]
        assert "worker-stop" in (await client.get("/workers")).text
        r = await client.post("/actions", headers=ORIGIN, data={
            "csrf_token": csrf, "action": "worker-stop", "worker_id": worker.id, "next": "/workers"})
        assert r.status_code == 303
        await asyncio.to_thread(thread.join, 30)
        assert not thread.is_alive()
        assert not await listed()
    finally:
        worker.stop()
        thread.join(30)
        worker_app.close()
