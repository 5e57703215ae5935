"""The seed's two endpoints return exactly its shapes and status codes."""

from __future__ import annotations

import httpx

from hubjobs import App

from .conftest import Tokens
from .support import XSS, bearer, seed

STATES = {"waiting", "delayed", "active", "completed", "failed"}


async def test_admin_jobs_has_exactly_the_seed_shape(client: httpx.AsyncClient, tokens: Tokens,
                                                     jobs_app: App) -> None:
    ids = await seed(jobs_app)
    r = await client.get("/api/admin/jobs", headers=bearer(tokens.admin))
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"queues", "recentFailures"}
    assert set(body["queues"]) == {"email", "files", "flaky"}
    for counts in body["queues"].values():
        assert set(counts) == STATES and all(isinstance(v, int) for v in counts.values())
    assert body["queues"]["files"] == {"waiting": 0, "delayed": 0, "active": 0, "completed": 3, "failed": 2}
    assert body["queues"]["email"]["waiting"] == 1 and body["queues"]["email"]["delayed"] == 1
    failures = body["recentFailures"]
    assert {f["id"] for f in failures} == set(ids["failed"])
    for f in failures:
        assert set(f) == {"id", "queue", "data", "error", "attempts", "timestamp"}
        assert f["queue"] == "files" and f["data"]["fail"] is True and f["data"]["note"] == XSS
        assert f["error"].endswith(f"cannot process {XSS}") and f["attempts"] == 1
        assert isinstance(f["timestamp"], int) and f["timestamp"] > 1_600_000_000_000


async def test_recent_failures_keep_the_ten_newest_per_queue(client: httpx.AsyncClient, tokens: Tokens,
                                                             jobs_app: App) -> None:
    files = jobs_app.queue("files")
    for i in range(12):
        await files.aadd("process-file", {"fileId": f"f{i}", "fail": True})
    from .support import run_burst
    await run_burst(jobs_app, ["files"])
    body = (await client.get("/api/admin/jobs", headers=bearer(tokens.viewer))).json()
    assert len(body["recentFailures"]) == 10
    stamps = [f["timestamp"] for f in body["recentFailures"]]
    assert stamps == sorted(stamps, reverse=True)


async def test_retry_has_exactly_the_seed_shape(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    ids = await seed(jobs_app)
    job_id = ids["failed"][0]
    r = await client.post("/api/admin/jobs/retry", json={"jobId": job_id, "queueName": "files"},
                          headers=bearer(tokens.admin))
    assert r.status_code == 200
    assert r.json() == {"success": True, "jobId": job_id}
    job = await jobs_app.queue("files").aget(job_id)
    assert job is not None and job.state.value == "waiting" and job.attempts_made == 0


async def test_retry_status_codes(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    ids = await seed(jobs_app)
    url = "/api/admin/jobs/retry"
    body = {"jobId": ids["failed"][0], "queueName": "files"}
    assert (await client.post(url, json=body)).status_code == 401
    assert (await client.post(url, json=body, headers=bearer(tokens.viewer))).status_code == 403
    admin = bearer(tokens.admin)
    r = await client.post(url, json={"jobId": "nope", "queueName": "files"}, headers=admin)
    assert r.status_code == 404 and "nope" in r.json()["error"]
    r = await client.post(url, json={"jobId": ids["failed"][0], "queueName": "no-such-queue"}, headers=admin)
    assert r.status_code == 404 and "no-such-queue" in r.json()["error"]
    for bad in (b"{", b"[]", b'"x"', b"", b'{"jobId": 1, "queueName": "files"}', b'{"queueName": "files"}',
                b'{"jobId": "a"}', b'{"jobId": "", "queueName": "files"}', b"\xff\xfe",
                b'{"jobId": NaN, "queueName": "files"}'):
        r = await client.post(url, content=bad, headers={**admin, "Content-Type": "application/json"})
        assert r.status_code == 400, bad
        assert "error" in r.json()
    r = await client.post(url, json={"jobId": ids["completed"][0], "queueName": "files"}, headers=admin)
    assert r.status_code == 409 and "completed" in r.json()["error"]
