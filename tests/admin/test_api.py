"""The fuller REST API: queues, jobs, detail, search, actions, schedules, workers, dead letters,
throughput, and the audit trail of every action."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from hubjobs import App
from hubjobs.admin import AuditEntry
from hubjobs.backends.base import Heartbeat, ReadEvents, StoredSchedule, UpsertSchedule, WorkerInfo
from hubjobs.scheduling import ScheduleSpec

from .conftest import Tokens
from .support import XSS, bearer, run_burst, seed


async def test_queues_list_counts_and_paused_state(client: httpx.AsyncClient, tokens: Tokens,
                                                   jobs_app: App) -> None:
    await seed(jobs_app)
    await jobs_app.queue("email").apause()
    body = (await client.get("/api/queues", headers=bearer(tokens.viewer))).json()
    by_name = {q["name"]: q for q in body["queues"]}
    assert by_name["files"]["counts"]["completed"] == 3 and by_name["files"]["paused"] is False
    assert by_name["email"]["paused"] is True and by_name["email"]["counts"]["delayed"] == 1
    assert len(by_name["files"]["throughput"]) == 60
    one = (await client.get("/api/queues/email", headers=bearer(tokens.viewer))).json()
    assert one["name"] == "email" and one["oldest_waiting_at"] is not None
    assert (await client.get("/api/queues/nope", headers=bearer(tokens.viewer))).status_code == 404


async def test_queues_found_only_in_storage_are_listed(client: httpx.AsyncClient, tokens: Tokens,
                                                       jobs_app: App, tmp_path: Path) -> None:
    other = App(jobs_app.url)
    try:
        await other.queue("legacy").aadd("old-job", {"x": 1})
    finally:
        await other.aclose()
    names = [q["name"] for q in (await client.get("/api/queues", headers=bearer(tokens.viewer))).json()["queues"]]
    assert "legacy" in names
    r = await client.get("/api/queues/legacy/jobs", headers=bearer(tokens.viewer))
    assert r.json()["total"] == 1


async def test_jobs_by_state_are_paginated_and_truncated(client: httpx.AsyncClient, tokens: Tokens,
                                                         jobs_app: App) -> None:
    q = jobs_app.queue("email")
    for i in range(7):
        await q.aadd("send-email", {"to": f"user{i}@example.com", "template": "x" * 5000}, priority=1 + i % 3)
    h = bearer(tokens.viewer)
    first = (await client.get("/api/queues/email/jobs?state=waiting&limit=3", headers=h)).json()
    second = (await client.get("/api/queues/email/jobs?state=waiting&limit=3&offset=3", headers=h)).json()
    assert first["total"] == 7 and len(first["jobs"]) == 3 and len(second["jobs"]) == 3
    assert not {j["id"] for j in first["jobs"]} & {j["id"] for j in second["jobs"]}
    assert [j["priority"] for j in first["jobs"]] == sorted(j["priority"] for j in first["jobs"])
    item = first["jobs"][0]
    assert item["data_truncated"] is True and len(item["data_preview"]) <= 201 and "data" not in item
    for bad in ("state=nope", "limit=0", "limit=501", "offset=-1", "limit=abc"):
        r = await client.get(f"/api/queues/email/jobs?{bad}", headers=h)
        assert r.status_code == 400, bad


async def test_job_detail_has_data_logs_errors_and_timings(client: httpx.AsyncClient, tokens: Tokens,
                                                           jobs_app: App) -> None:
    ids = await seed(jobs_app)
    r = await client.get(f"/api/queues/files/jobs/{ids['failed'][0]}", headers=bearer(tokens.viewer))
    assert r.status_code == 200
    job = r.json()
    assert job["state"] == "failed" and job["data"]["note"] == XSS
    assert [line["line"] for line in job["logs"]] == ["processing bad-0", f"note: {XSS}"]
    assert len(job["errors"]) == 1 and "Traceback" in job["errors"][0]["stacktrace"]
    assert job["timings"]["ran_seconds"] is not None and job["options"]["attempts"] == 1
    done = (await client.get(f"/api/queues/files/jobs/{ids['completed'][0]}", headers=bearer(tokens.viewer))).json()
    assert done["result"] == {"ok": True}
    assert (await client.get("/api/queues/files/jobs/missing", headers=bearer(tokens.viewer))).status_code == 404


async def test_job_meta_is_shown_in_the_api_and_the_job_page(client: httpx.AsyncClient, tokens: Tokens,
                                                              jobs_app: App) -> None:
    await jobs_app.queue("email").aadd("send-email", {"to": "x@example.com", "template": "t"}, job_id="m",
                                       meta={"tenant": "acme", "note": XSS})
    detail = (await client.get("/api/queues/email/jobs/m", headers=bearer(tokens.viewer))).json()
    assert detail["meta"] == {"tenant": "acme", "note": XSS}
    page = (await client.get("/queues/email/jobs/m", headers=bearer(tokens.viewer))).text
    assert "tenant" in page and "acme" in page and XSS not in page


async def test_meta_round_trip_through_tries_an_admin_retry_and_the_api(client: httpx.AsyncClient, tokens: Tokens,
                                                                          jobs_app: App) -> None:
    """Meta set at add is what the handler sees on every try, survives the final failure and an
    admin's retry from the API, and is what the API and the job page show afterwards."""
    seen: list[dict[str, str]] = []

    @jobs_app.job("meta-q", "flaky", attempts=2)
    async def flaky(job: Any) -> str:
        seen.append(dict(job.meta))
        if len(seen) < 3:
            raise RuntimeError(f"try {len(seen)} fails")
        return "ok"

    meta = {"tenant": "acme", "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    await jobs_app.queue("meta-q").aadd("flaky", {}, job_id="mr", meta=meta)
    await run_burst(jobs_app, ["meta-q"])
    failed = (await client.get("/api/queues/meta-q/jobs/mr", headers=bearer(tokens.viewer))).json()
    assert failed["state"] == "failed" and failed["meta"] == meta and seen == [meta, meta]
    r = await client.post("/api/queues/meta-q/actions/retry", json={"job_ids": ["mr"]}, headers=bearer(tokens.admin))
    assert r.status_code == 200
    await run_burst(jobs_app, ["meta-q"])
    done = (await client.get("/api/queues/meta-q/jobs/mr", headers=bearer(tokens.viewer))).json()
    assert done["state"] == "completed" and done["meta"] == meta and seen == [meta, meta, meta]
    page = (await client.get("/queues/meta-q/jobs/mr", headers=bearer(tokens.viewer))).text
    assert "tenant" in page and "acme" in page


async def test_job_ids_with_slashes_work(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    await jobs_app.queue("email").aadd("send-email", {"to": "x@example.com", "template": "t"}, job_id="order/42/mail")
    r = await client.get("/api/queues/email/jobs/order/42/mail", headers=bearer(tokens.viewer))
    assert r.status_code == 200 and r.json()["id"] == "order/42/mail"
    r = await client.get("/queues/email/jobs/order/42/mail", headers=bearer(tokens.viewer))
    assert r.status_code == 200 and "order/42/mail" in r.text


async def test_search_by_data_name_id_and_error(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    ids = await seed(jobs_app)
    h = bearer(tokens.viewer)
    by_data = (await client.get("/api/search?q=b@example.com", headers=h)).json()["jobs"]
    assert [j["id"] for j in by_data] == ids["delayed"]
    by_error = (await client.get("/api/search?q=cannot process&queue=files", headers=h)).json()["jobs"]
    assert {j["id"] for j in by_error} == set(ids["failed"])
    by_id = (await client.get(f"/api/search?q={ids['completed'][1]}", headers=h)).json()["jobs"]
    assert [j["id"] for j in by_id] == [ids["completed"][1]]
    in_state = (await client.get("/api/search?q=process&state=completed", headers=h)).json()["jobs"]
    assert {j["id"] for j in in_state} == set(ids["completed"])
    assert (await client.get("/api/search?q=%25", headers=h)).json()["jobs"] == []
    assert (await client.get("/api/search", headers=h)).status_code == 400
    assert (await client.get("/api/search?q=x&queue=nope", headers=h)).status_code == 404


async def test_retry_selected_and_all_failed(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    ids = await seed(jobs_app)
    h = bearer(tokens.admin)
    r = await client.post("/api/queues/files/actions/retry",
                          json={"job_ids": [ids["failed"][0], ids["completed"][0], "ghost"]}, headers=h)
    body = r.json()
    assert r.status_code == 200 and body["done"] == [ids["failed"][0]] and body["count"] == 1
    assert body["skipped"] == {ids["completed"][0]: "is completed, not failed", "ghost": "not found"}
    r = await client.post("/api/queues/files/actions/retry", json={"all": True}, headers=h)
    assert r.json()["count"] == 1
    assert (await jobs_app.queue("files").acounts())["waiting"] == 2
    bad_bodies: list[dict[str, Any]] = [{}, {"job_ids": []}, {"job_ids": "x"}, {"job_ids": [1]}, {"all": "yes"}]
    for bad in bad_bodies:
        assert (await client.post("/api/queues/files/actions/retry", json=bad, headers=h)).status_code == 400


async def test_remove_promote_cancel(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    ids = await seed(jobs_app)
    h = bearer(tokens.admin)
    r = await client.post("/api/queues/email/actions/promote", json={"job_ids": ids["delayed"] + ids["waiting"]},
                          headers=h)
    assert r.json()["done"] == ids["delayed"] and ids["waiting"][0] in r.json()["skipped"]
    assert (await jobs_app.queue("email").acounts())["waiting"] == 2
    r = await client.post("/api/queues/files/actions/remove", json={"job_ids": ids["completed"][:2]}, headers=h)
    assert r.json()["count"] == 2 and (await jobs_app.queue("files").acounts())["completed"] == 1
    r = await client.post("/api/queues/email/actions/cancel", json={"job_ids": ids["waiting"]}, headers=h)
    assert r.json()["count"] == 0 and "not active" in r.json()["skipped"][ids["waiting"][0]]


async def test_pause_resume_drain_clean(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    await seed(jobs_app)
    h = bearer(tokens.admin)
    assert (await client.post("/api/queues/email/actions/pause", headers=h)).json() == {"queue": "email",
                                                                                        "paused": True}
    assert await jobs_app.queue("email").ais_paused()
    assert (await client.post("/api/queues/email/actions/resume", json={}, headers=h)).json()["paused"] is False
    assert not await jobs_app.queue("email").ais_paused()
    r = await client.post("/api/queues/email/actions/drain", json={"include_delayed": False}, headers=h)
    assert r.json() == {"queue": "email", "removed": 1}
    assert (await jobs_app.queue("email").acounts())["delayed"] == 1
    r = await client.post("/api/queues/files/actions/clean", json={"state": "completed"}, headers=h)
    assert r.json() == {"queue": "files", "removed": 3}
    bad_bodies: list[dict[str, Any]] = [{}, {"state": "active"}, {"state": "nope"},
                                        {"state": "failed", "older_than": -1}, {"state": "failed", "limit": 0}]
    for bad in bad_bodies:
        r = await client.post("/api/queues/files/actions/clean", json=bad, headers=h)
        assert r.status_code == 400, bad
    assert (await client.post("/api/queues/files/actions/drain", json={"include_delayed": "no"},
                              headers=h)).status_code == 400


async def test_schedules_with_next_runs(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    spec = ScheduleSpec(id="daily-cleanup", queue="email", name="send-email", cron="0 2 * * *", tz="Europe/Berlin",
                        data={"to": "ops@example.com", "template": "report"})
    every = ScheduleSpec(id="heartbeat", queue="files", name="process-file", every=timedelta(minutes=5))
    backend = await jobs_app.backend()
    nxt = time.time() + 3600
    await backend.upsert_schedule(UpsertSchedule(StoredSchedule(spec.id, json.dumps(spec.to_json()), nxt, None)))
    await backend.upsert_schedule(UpsertSchedule(StoredSchedule(every.id, json.dumps(every.to_json()), nxt, nxt - 300)))
    await backend.upsert_schedule(UpsertSchedule(StoredSchedule("broken", "{not json", None, None)))
    body = (await client.get("/api/schedules", headers=bearer(tokens.viewer))).json()
    by_id = {s["id"]: s for s in body["schedules"]}
    assert by_id["daily-cleanup"]["description"] == "cron 0 2 * * * (Europe/Berlin)"
    assert by_id["daily-cleanup"]["next_run"] == nxt and by_id["daily-cleanup"]["queue"] == "email"
    assert by_id["heartbeat"]["description"].startswith("every 5m")
    assert by_id["broken"]["problem"]
    page = await client.get("/schedules", headers=bearer(tokens.viewer))
    assert "daily-cleanup" in page.text and "Europe/Berlin" in page.text


async def test_workers_with_heartbeats(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    backend = await jobs_app.backend()
    now = time.time()
    await backend.record_heartbeat(Heartbeat(WorkerInfo("w-1", ["files"], "host-a", 123, now - 60, now, 1, 4, 10, 2),
                                             ttl=30))
    body = (await client.get("/api/workers", headers=bearer(tokens.viewer))).json()
    assert [w["worker_id"] for w in body["workers"]] == ["w-1"]
    assert body["workers"][0]["processed"] == 10 and body["workers"][0]["heartbeat_age"] < 30
    page = await client.get("/workers", headers=bearer(tokens.viewer))
    assert "host-a" in page.text and "w-1" in page.text


async def test_dead_letters_list_replay_and_resolve(client: httpx.AsyncClient, tokens: Tokens,
                                                    jobs_app: App) -> None:
    ids = await seed(jobs_app)
    h = bearer(tokens.admin)
    body = (await client.get("/api/dead-letters", headers=h)).json()
    assert body["total"] == 2 and {d["job_id"] for d in body["items"]} == set(ids["failed"])
    assert body["items"][0]["error"].endswith(f"cannot process {XSS}")
    r = await client.post("/api/dead-letters/replay", json={"items": [{"queue": "files", "id": ids["failed"][0]}]},
                          headers=h)
    assert r.json() == {"count": 1, "done": [{"queue": "files", "id": ids["failed"][0]}]}
    r = await client.post("/api/dead-letters/resolve", json={"items": [{"queue": "files", "id": ids["failed"][1]}]},
                          headers=h)
    assert r.json()["count"] == 1 and await jobs_app.queue("files").aget(ids["failed"][1]) is None
    await run_burst(jobs_app, ["files"])
    r = await client.post("/api/dead-letters/replay", json={"all": True, "queue": "files"}, headers=h)
    assert r.json()["count"] == 1
    bad_bodies: list[dict[str, Any]] = [{}, {"items": []}, {"items": [{"queue": "files"}]}, {"all": True, "queue": 5}]
    for bad in bad_bodies:
        assert (await client.post("/api/dead-letters/replay", json=bad, headers=h)).status_code == 400, bad
    r = await client.post("/api/dead-letters/replay", json={"items": [{"queue": "nope", "id": "x"}]}, headers=h)
    assert r.status_code == 404


async def test_throughput_per_minute(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App,
                                     admin_app: Starlette) -> None:
    await seed(jobs_app)
    hub = admin_app.state.admin.hub
    assert await hub.wait_ready(10)
    body = (await client.get("/api/queues/files/throughput?minutes=5", headers=bearer(tokens.viewer))).json()
    assert len(body["minutes"]) == 5
    assert sum(m["completed"] for m in body["minutes"]) == 3 and sum(m["failed"] for m in body["minutes"]) == 2
    assert sum(m["started"] for m in body["minutes"]) == 5
    last = [m for m in body["minutes"] if m["completed"] or m["failed"]]
    assert last and all(0 <= m["failure_rate"] <= 1 for m in last)


async def test_every_action_is_audited(jobs_app: App, tokens: Tokens, tmp_path: Path) -> None:
    from hubjobs.admin import AdminSettings, create_admin_app

    from .support import token_store_path

    entries: list[AuditEntry] = []
    admin = create_admin_app(jobs_app, settings=AdminSettings(token_store=token_store_path(tmp_path),
                                                              audit_hooks=[entries.append]))
    ids = await seed(jobs_app)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://testserver") as c:
            h = bearer(tokens.admin)
            await c.post("/api/queues/files/actions/retry", json={"job_ids": [ids["failed"][0]]}, headers=h)
            await c.post("/api/queues/email/actions/pause", headers=h)
            await c.post("/api/admin/jobs/retry", json={"jobId": ids["failed"][1], "queueName": "files"}, headers=h)
    finally:
        await admin.state.admin.aclose()
    assert [(e.action, e.actor, e.role, e.queue, e.job_ids) for e in entries] == [
        ("retry", "alice", "admin", "files", (ids["failed"][0],)),
        ("pause", "alice", "admin", "email", ()),
        ("retry", "alice", "admin", "files", (ids["failed"][1],)),
    ]
    events = await (await jobs_app.backend()).read_events(ReadEvents("files", "0", 1000))
    admin_events = [e for e in events if e.event == "admin"]
    assert [e.job_id for e in admin_events] == ids["failed"]
    assert admin_events[0].data["actor"] == "alice" and admin_events[0].data["action"] == "retry"
