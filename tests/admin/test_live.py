"""Live updates over Server-Sent Events from the cross-process event stream, on a real server;
and the standalone server's layout (dashboard at /admin/queues, seed API at /api)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from hubjobs.admin import AdminSettings, create_standalone_app

from .conftest import Tokens
from .support import bearer, make_app, run_burst, served, token_store_path


async def _events(lines: AsyncIterator[str], until: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Read SSE `job` messages until `until(messages)` is true."""
    messages: list[dict[str, Any]] = []
    event_name = ""

    async def read() -> None:
        nonlocal event_name
        async for line in lines:
            if line.startswith("event: "):
                event_name = line[len("event: "):]
            elif line.startswith("data: ") and event_name == "job":
                messages.append(json.loads(line[len("data: "):]))
                if until(messages):
                    return

    await asyncio.wait_for(read(), timeout)
    return messages


async def test_events_stream_live_job_changes_and_admin_actions(tmp_path: Path, tokens: Tokens) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    server_app, app = make_app(url), make_app(url)
    standalone = create_standalone_app(server_app, settings=AdminSettings(token_store=token_store_path(tmp_path)))
    try:
        with served(standalone, server_app) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client, \
                    client.stream("GET", "/admin/queues/api/events?queue=files",
                                  headers=bearer(tokens.viewer)) as stream:
                    assert stream.status_code == 200
                    assert stream.headers["content-type"].startswith("text/event-stream")
                    lines = stream.aiter_lines()
                    first = await lines.__anext__()
                    assert first.startswith("retry:")
                    job = await app.queue("files").aadd("process-file", {"fileId": "live", "fail": True})
                    await app.queue("email").aadd("send-email", {"to": "x@example.com", "template": "t"})
                    await run_burst(app, ["files", "email"])
                    got = await _events(lines, lambda m: any(e["event"] == "failed" for e in m))
                    mine = [e for e in got if e["job_id"] == job.id]
                    assert [e["event"] for e in mine][-2:] == ["active", "failed"]
                    assert all(e["queue"] == "files" for e in got)  # the email queue is filtered out
                    r = await client.post("/api/admin/jobs/retry", json={"jobId": job.id, "queueName": "files"},
                                          headers=bearer(tokens.admin))
                    assert r.json() == {"success": True, "jobId": job.id}
                    got = await _events(lines, lambda m: any(e["event"] == "admin" for e in m))
                    admin_event = next(e for e in got if e["event"] == "admin")
                    assert admin_event["job_id"] == job.id and admin_event["data"]["action"] == "retry"
                    assert admin_event["data"]["actor"] == "alice"
    finally:
        app.close()
        await app.aclose()


async def test_standalone_layout(tmp_path: Path, tokens: Tokens) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    server_app = make_app(url)
    standalone = create_standalone_app(server_app, settings=AdminSettings(token_store=token_store_path(tmp_path)))
    with served(standalone, server_app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            home = await client.get("/")
            assert home.status_code == 307 and home.headers["location"] == "/admin/queues/"
            assert (await client.get("/admin/queues/")).status_code == 401
            assert (await client.get("/admin/queues/", headers=bearer(tokens.viewer))).status_code == 200
            for path in ("/api/admin/jobs", "/admin/queues/api/admin/jobs"):
                r = await client.get(path, headers=bearer(tokens.viewer))
                assert r.status_code == 200 and set(r.json()) == {"queues", "recentFailures"}
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            assert (await client.get("/admin/queues/healthz")).json() == {"status": "ok"}
            assert (await client.get("/metrics")).status_code == 401
            doc = (await client.get("/api/openapi.json", headers=bearer(tokens.producer))).json()
            assert doc["servers"] == [{"url": "/"}]
            doc = (await client.get("/admin/queues/api/openapi.json", headers=bearer(tokens.producer))).json()
            assert doc["servers"] == [{"url": "/admin/queues"}]
            r = await client.post("/api/queues/email/jobs", json={"name": "send-email",
                                                                  "data": {"to": "a@b.c", "template": "t"}},
                                  headers=bearer(tokens.producer))
            assert r.status_code == 201 and r.headers["location"].startswith("/api/queues/email/jobs/")
