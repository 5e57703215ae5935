"""Stored XSS through job data: a job whose data, error, logs, schedule and even queue name hold
`<script>` and `<img onerror>` comes back escaped in every HTML page."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import httpx

from hubjobs import App
from hubjobs.backends.base import Heartbeat, StoredSchedule, UpsertSchedule, WorkerInfo
from hubjobs.scheduling import ScheduleSpec

from .conftest import Tokens
from .support import XSS, XSS_IMG, XSS_SCRIPT, bearer, seed

EVIL_QUEUE = "<svg\x0conload=alert(3)>"
"""A queue name is free text (no spaces, braces or slashes): form feed is HTML whitespace."""


async def _evil_world(jobs_app: App) -> dict[str, list[str]]:
    ids = await seed(jobs_app)
    other = App(jobs_app.url)
    try:
        await other.queue(EVIL_QUEUE).aadd(XSS_SCRIPT, {"x": XSS}, job_id=f"id-{XSS_IMG}")
    finally:
        await other.aclose()
    spec = ScheduleSpec(id="evil", queue="files", name="process-file", every=__import__("datetime").timedelta(hours=1),
                        data={"note": XSS})
    backend = await jobs_app.backend()
    await backend.upsert_schedule(UpsertSchedule(StoredSchedule("evil", json.dumps(spec.to_json()), time.time(), None)))
    now = time.time()
    await backend.record_heartbeat(Heartbeat(WorkerInfo(f"w-{XSS_IMG}", ["files", EVIL_QUEUE], XSS_SCRIPT, 1, now, now,
                                                        0, 1), ttl=60))
    return ids


def _assert_escaped(html: str, where: str) -> None:
    for raw in (XSS_SCRIPT, XSS_IMG, EVIL_QUEUE, "<img src=x", "onerror=alert(2)>", "onload=alert(3)>"):
        assert raw not in html, f"{where}: unescaped {raw!r}"
    lowered = html.lower()
    # the only script elements are the dashboard's own files (theme.js, dashboard.js)
    assert lowered.count("<script") == lowered.count('<script src="') == 2, where
    assert lowered.count('/static/theme.js"></script>') == lowered.count('/static/dashboard.js" defer></script>') == 1


async def test_job_data_and_errors_are_escaped_in_every_page(client: httpx.AsyncClient, tokens: Tokens,
                                                            jobs_app: App) -> None:
    ids = await _evil_world(jobs_app)
    failed = ids["failed"][0]
    pages = ["/", "/queues/files?state=failed", "/queues/files?state=completed", "/queues/files?q=bad",
             f"/queues/files/jobs/{failed}", f"/queues/files/jobs/{ids['completed'][0]}",
             f"/search?q={quote('<script>')}", f"/search?q={quote(XSS_SCRIPT)}", "/dead-letters",
             "/dead-letters?queue=files", "/schedules", "/workers", f"/queues/{quote(EVIL_QUEUE, safe='')}",
             f"/queues/{quote(EVIL_QUEUE, safe='')}/jobs/{quote('id-' + XSS_IMG)}",
             f"/queues/files/jobs/{quote(XSS_SCRIPT)}", f"/queues/{quote(XSS_IMG, safe='')}"]
    seen_escaped = 0
    for path in pages:
        r = await client.get(path, headers=bearer(tokens.admin))
        assert r.status_code in (200, 404), (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html"), path
        _assert_escaped(r.text, path)
        if "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text:
            seen_escaped += 1
    assert seen_escaped >= 8
    job_page = (await client.get(f"/queues/files/jobs/{failed}", headers=bearer(tokens.admin))).text
    assert "&lt;img src=x onerror=alert(2)&gt;" in job_page
    assert "note: &lt;script&gt;alert(1)&lt;/script&gt;" in job_page  # the log line
    assert "Traceback" in job_page  # the stack trace, escaped like the rest


async def test_login_and_error_pages_escape_what_they_echo(client: httpx.AsyncClient) -> None:
    for path in (f"/login?next={quote('/' + XSS)}", f"/queues/{quote(XSS_IMG, safe='')}",
                 f"/search?q={quote(XSS)}"):
        r = await client.get(path)
        _assert_escaped(r.text, path)


async def test_large_data_is_truncated_in_lists(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    await jobs_app.queue("files").aadd("process-file", {"fileId": "big", "blob": "y" * 100_000})
    page = await client.get("/queues/files?state=waiting", headers=bearer(tokens.viewer))
    assert "y" * 300 not in page.text and "y" * 150 in page.text
    search = await client.get("/search?q=big", headers=bearer(tokens.viewer))
    assert "y" * 300 not in search.text
