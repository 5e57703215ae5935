"""/metrics parses with prometheus_client's parser and its numbers match the queues."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hubjobs import App

from ..helpers import wait_until
from .conftest import Tokens
from .support import bearer, run_burst, seed


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample as {(name, sorted labels): value}."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def test_metrics_match_the_queues(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    await seed(jobs_app)
    await jobs_app.queue("flaky").apause()
    r = await client.get("/metrics", headers=bearer(tokens.viewer))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = parse(r.text)
    for name in ("email", "files", "flaky"):
        counts = await jobs_app.queue(name).acounts()
        for state, n in counts.items():
            assert value(samples, "hubjobs_queue_jobs", queue=name, state=state) == n, (name, state)
    assert value(samples, "hubjobs_queue_paused", queue="flaky") == 1
    assert value(samples, "hubjobs_queue_paused", queue="files") == 0
    assert value(samples, "hubjobs_jobs_started_total", queue="files") == 5
    assert value(samples, "hubjobs_jobs_completed_total", queue="files") == 3
    assert value(samples, "hubjobs_jobs_failed_total", queue="files") == 2
    assert value(samples, "hubjobs_jobs_completed_total", queue="email") == 0
    assert value(samples, "hubjobs_job_duration_seconds_count", queue="files", outcome="completed") == 3
    assert value(samples, "hubjobs_job_duration_seconds_count", queue="files", outcome="failed") == 2
    assert 0 <= value(samples, "hubjobs_queue_oldest_waiting_age_seconds", queue="email") < 600
    assert value(samples, "hubjobs_queue_oldest_waiting_age_seconds", queue="files") == 0
    assert value(samples, "hubjobs_workers") == 0


async def test_counters_follow_new_work(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    assert (await client.get("/metrics", headers=bearer(tokens.viewer))).status_code == 200  # starts following
    email = jobs_app.queue("email")
    for i in range(4):
        await email.aadd("send-email", {"to": f"u{i}@example.com", "template": "t"})
    await run_burst(jobs_app, ["email"])

    async def caught_up() -> bool:
        samples = parse((await client.get("/metrics", headers=bearer(tokens.viewer))).text)
        return (value(samples, "hubjobs_jobs_completed_total", queue="email") == 4
                and value(samples, "hubjobs_queue_jobs", queue="email", state="completed") == 4)

    await wait_until(caught_up, what="metrics to count the new jobs", interval=0.05)


async def test_metrics_need_a_token_unless_public(client: httpx.AsyncClient, jobs_app: App, tmp_path: Path) -> None:
    assert (await client.get("/metrics")).status_code == 401
    from hubjobs.admin import AdminSettings, create_admin_app

    from .support import token_store_path

    admin = create_admin_app(jobs_app, settings=AdminSettings(token_store=token_store_path(tmp_path),
                                                              public_metrics=True))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://testserver") as c:
            r = await c.get("/metrics")
            assert r.status_code == 200 and "hubjobs_queue_jobs" in r.text
    finally:
        await admin.state.admin.aclose()
