"""Priorities per kind (the app's JobPriority), applied whichever way a job is added: Python,
`hubjobs enqueue` and the HTTP API; and the delay of a webhook retry enqueued with attempt = n."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from hubjobs import Priority
from hubjobs.admin import TokenStore
from hubjobs.admin.application import create_standalone_app
from hubjobs.cli import main as hubjobs_cli
from sequencehub.admin_integration import marketplace_admin_settings
from sequencehub.app import Marketplace, create_marketplace
from sequencehub.email.sender import enqueue_email
from sequencehub.processing import FileProcessingSettings, enqueue_file_processing
from sequencehub.webhooks import enqueue_webhook
from tests.admin.support import bearer
from tests.sequencehub.marketplace_support import close_app, settings_for

FILE = {"fileId": "f1", "storageKey": "uploads/f1.fseq", "tasks": ["checksum"]}
ORDER = {"orderId": "o1", "customerName": "Ann", "items": [{"title": "Show", "priceCents": 100}],
         "totalCents": 100, "currency": "USD"}


@pytest.fixture
async def market(tmp_path: Path) -> AsyncIterator[Marketplace]:
    settings = settings_for(tmp_path)
    files = FileProcessingSettings(database_url=settings.database_url, storage_root=tmp_path / "storage")
    marketplace = create_marketplace(settings, files, url=f"sqlite:///{tmp_path / 'jobs.db'}", schedules=False)
    yield marketplace
    await close_app(marketplace.app)


async def test_priorities_from_python(market: Marketplace) -> None:
    app = market.app
    upload = await app.queue("file-processing").aadd("process-file", dict(FILE, priority=3), job_id="a")
    plain = await app.queue("file-processing").aadd("process-file", dict(FILE, fileId="f2"), job_id="b")
    chosen = await app.queue("file-processing").aadd("process-file", dict(FILE, fileId="f3", priority=2))
    explicit = await app.queue("file-processing").aadd("process-file", dict(FILE, fileId="f4", priority=2),
                                                       priority=9)
    helper = enqueue_file_processing(app, "f5", "uploads/f5.fseq")
    assert (upload.priority, plain.priority, chosen.priority, explicit.priority) == (3, 5, 2, 9)
    assert helper.priority == Priority.HIGH and helper.data["priority"] == 3  # a new upload
    confirmation = await app.queue("email").aadd(
        "send-email", {"to": "a@example.com", "template": "order-confirmation", "data": ORDER})
    other = await enqueue_email(app.queue("email"), "a@example.com", "download-ready",
                                {"customerName": "Ann", "productTitle": "Show", "downloadUrl": "https://x.test/d"})
    hook = await enqueue_webhook(app.queue("webhook-retry"), webhook_id="w1", event_type="order.paid",
                                 payload={}, url="http://127.0.0.1:9/hook")
    assert (confirmation.priority, other.priority, hook.priority) == (1, 5, 1)
    scheduled = app.queue("scheduled-jobs")
    assert scheduled.options_for("daily-cleanup").priority == Priority.LOW
    assert scheduled.options_for("weekly-analytics").priority == Priority.LOW


async def test_webhook_retry_enqueued_with_attempt_n_waits_calculate_backoff_n(market: Marketplace) -> None:
    queue = market.app.queue("webhook-retry")
    before = time.time()
    first = await enqueue_webhook(queue, webhook_id="w1", event_type="e", payload={}, url="http://127.0.0.1:9/")
    third = await enqueue_webhook(queue, webhook_id="w1", event_type="e", payload={}, url="http://127.0.0.1:9/",
                                  attempt=3)
    late = await enqueue_webhook(queue, webhook_id="w1", event_type="e", payload={}, url="http://127.0.0.1:9/",
                                 attempt=7)
    assert first.state.value == "waiting" and first.run_at is None
    assert third.run_at is not None and late.run_at is not None
    assert third.run_at.timestamp() - before == pytest.approx(125.0, abs=30)  # 5 s * 5**2
    assert late.run_at.timestamp() - before == pytest.approx(3600.0, abs=30)  # capped at 1 h


def test_priorities_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(tmp_path)
    monkeypatch.setenv("SEQUENCEHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SEQUENCEHUB_STORAGE_ROOT", str(tmp_path / "storage"))
    monkeypatch.setenv("SEQUENCEHUB_OUTBOX_DIR", str(tmp_path / "outbox"))
    args = ["--app", "sequencehub.app:create_app", "--url", f"sqlite:///{tmp_path / 'jobs.db'}", "enqueue"]
    runner = CliRunner()
    for data, expected in [(FILE, 5), (dict(FILE, fileId="f2", priority=3), 3)]:
        done = runner.invoke(hubjobs_cli, [*args, "file-processing", "process-file", "--data", json.dumps(data),
                                           "--json"])
        assert done.exit_code == 0, done.output
        assert json.loads(done.output)["priority"] == expected
    done = runner.invoke(hubjobs_cli, [*args, "email", "send-email", "--json", "--data", json.dumps(
        {"to": "a@example.com", "template": "order-confirmation", "data": ORDER})])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["priority"] == 1


async def test_priorities_from_the_http_api(market: Marketplace, tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.db")
    token = store.create("admin", "alice").token
    server = create_standalone_app(
        market.app, settings=marketplace_admin_settings(market, token_store=tmp_path / "tokens.db"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(server), base_url="http://testserver") as client:
        for data, expected in [(FILE, 5), (dict(FILE, fileId="f2", priority=3), 3)]:
            answer = await client.post("/api/queues/file-processing/jobs", headers=bearer(token),
                                       json={"name": "process-file", "data": data})
            assert answer.status_code in (200, 201), answer.text
            job = await market.app.queue("file-processing").aget(answer.json()["id"])
            assert job is not None and job.priority == expected
    await server.state.admin.aclose()
