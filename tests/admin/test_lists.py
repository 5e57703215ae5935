"""Queue lists: select all N matching a filter (server-side, in batches, audited) on 5,000 jobs,
paging both ways with the right words, and search with paging of matches highlighted."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hubjobs import App
from hubjobs.admin import AdminSettings, create_admin_app

from .conftest import Tokens
from .support import Switch, make_app, run_burst, sign_in, token_store_path

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
async def signed(tmp_path: Path, tokens: Tokens) -> AsyncIterator[tuple[httpx.AsyncClient, str, App]]:
    app = make_app(f"sqlite:///{tmp_path / 'jobs.db'}", Switch(on=True))
    admin = create_admin_app(app, settings=AdminSettings(token_store=token_store_path(tmp_path)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://testserver") as c:
        yield c, await sign_in(c, tokens.admin), app
    await admin.state.admin.aclose()
    await app.aclose()


async def test_retry_all_matching_on_5000_failed_jobs(signed: tuple[httpx.AsyncClient, str, App]) -> None:
    client, csrf, app = signed
    flaky = app.queue("flaky")
    await flaky.aadd_bulk([{"name": "flaky", "data": {"order": i}} for i in range(5000)])
    await run_burst(app, ["flaky"])
    assert (await flaky.acounts())["failed"] == 5000
    page = await client.get("/queues/flaky?state=failed")
    assert "Retry all 5000" in page.text
    r = await client.post("/actions", headers=ORIGIN, data={
        "csrf_token": csrf, "action": "retry-matching", "queue": "flaky", "state": "failed", "q": "",
        "next": "/queues/flaky?state=failed"})
    assert r.status_code == 303 and "done=retry-matching&n=5000" in r.headers["location"]
    counts = await flaky.acounts()
    assert counts["failed"] == 0 and counts["waiting"] == 5000
    bad = await client.post("/actions", headers=ORIGIN, data={
        "csrf_token": csrf, "action": "retry-matching", "queue": "flaky", "state": "waiting", "next": "/"})
    assert bad.status_code == 400 and "state must be failed" in bad.text


async def test_paging_both_ways_and_search_highlight(signed: tuple[httpx.AsyncClient, str, App]) -> None:
    client, _csrf, app = signed
    email = app.queue("email")
    ids = [(await email.aadd("send-email", {"to": f"u{i:03d}@example.com", "template": "t"})).id for i in range(120)]
    first = await client.get("/queues/email?state=waiting")
    assert "1–50 of 120, next to run first" in first.text
    assert 'rel="next">later →' in first.text and 'rel="prev"' not in first.text
    assert first.text.index(ids[0]) < first.text.index(ids[49]) and ids[50] not in first.text
    second = await client.get("/queues/email?state=waiting&offset=50")
    assert "51–100 of 120" in second.text and ids[50] in second.text and ids[49] not in second.text
    assert 'rel="prev">← sooner' in second.text and 'rel="next">later →' in second.text
    back = re.search(r'href="([^"]+)" rel="prev"', second.text)
    assert back is not None
    again = await client.get(back.group(1).replace("&amp;", "&"))
    assert ids[0] in again.text and "1–50 of 120" in again.text
    found = await client.get("/search?q=u007")
    assert "<mark>u007</mark>" in found.text
    assert found.text.count("data-job-id=") == 1


async def test_search_pages_through_every_match(signed: tuple[httpx.AsyncClient, str, App]) -> None:
    client, _csrf, app = signed
    email = app.queue("email")
    for i in range(120):
        await email.aadd("send-email", {"to": f"u{i:03d}@example.com", "template": "t"})
    seen: set[str] = set()
    url = "/search?q=EXAMPLE.com&queue=email&state=waiting"
    pages = 0
    while url:
        page = await client.get(url)
        rows = re.findall(r'data-job-id="([^"]+)"', page.text)
        assert rows and not seen & set(rows)
        seen |= set(rows)
        assert page.text.count("<mark>example.com</mark>") == len(rows)
        pages += 1
        nxt = re.search(r'href="([^"]+)" rel="next"', page.text)
        url = nxt.group(1).replace("&amp;", "&").split("/search", 1)[1] if nxt else ""
        url = f"/search{url}" if url else ""
    assert pages == 3 and len(seen) == 120
    last = await client.get("/search?q=example.com&queue=email&state=waiting&offset=100")
    assert 'rel="prev">← previous' in last.text and 'rel="next"' not in last.text
