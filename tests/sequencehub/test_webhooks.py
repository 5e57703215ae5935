"""Webhook delivery against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hubjobs import App, InvalidJobData
from sequencehub.jobs import MarketplaceJobs
from sequencehub.models import AuditLog, WebhookLog, WebhookStatus
from sequencehub.ssrf import OutboundGuard, OutboundURLRefused
from sequencehub.webhooks import (
    QUEUE,
    enqueue_webhook,
    parse_retry_after,
    record_webhook_event,
    sign,
    verify_signature,
    webhook_backoff,
)
from tests.helpers import running_worker, state_is, wait_until
from tests.sequencehub.marketplace_support import (
    HANG,
    WEBHOOK_SECRET,
    HttpReceiver,
    close_app,
    free_port,
    http_receiver,
    make_marketplace,
    settings_for,
)

PAYLOAD = {"orderId": "ord_1", "totalCents": 1999, "buyer": "Zoë"}


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as r:
        yield r


def marketplace(tmp_path: Path, **overrides: Any) -> tuple[App, MarketplaceJobs]:
    """Loopback allowed explicitly; tiny backoff so retries happen at once."""
    overrides.setdefault("outbound_allow", ("127.0.0.1",))
    overrides.setdefault("webhook_backoff_base", 0.01)
    return make_marketplace(tmp_path, settings=settings_for(tmp_path, **overrides))


def webhook_log(mj: MarketplaceJobs, webhook_id: str) -> WebhookLog:
    with mj.db.session() as s:
        row = s.get(WebhookLog, webhook_id)
        assert row is not None
        return row


def audit_actions(mj: MarketplaceJobs, webhook_id: str) -> list[tuple[str, int]]:
    with mj.db.session() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.entity_id == webhook_id).order_by(AuditLog.id))
        return [(str(r.action), (r.metadata_dict or {})["attempt"]) for r in rows]


async def deliver(app: App, job_id: str, *states: str) -> None:
    async with running_worker(app, QUEUE):
        await wait_until(state_is(app, QUEUE, job_id, *states), what=f"job {job_id} in {states}")


async def test_signature_headers_and_log(tmp_path: Path, receiver: HttpReceiver) -> None:
    app, mj = marketplace(tmp_path)
    url = receiver.script("/hook", 200)
    job = await enqueue_webhook(
        app.queue(QUEUE), webhook_id="wh1", event_type="order.paid", payload=PAYLOAD, url=url
    )
    assert job.id == "webhook-wh1-attempt-1"
    await deliver(app, job.id, "completed")

    [request] = receiver.received("/hook")
    timestamp, signature = request.headers["x-webhook-timestamp"], request.headers["x-webhook-signature"]
    assert signature.startswith("sha256=")
    assert verify_signature(WEBHOOK_SECRET, timestamp, request.body, signature)
    assert not verify_signature("another secret", timestamp, request.body, signature)
    assert not verify_signature(WEBHOOK_SECRET, timestamp, request.body + b" ", signature)
    assert not verify_signature(WEBHOOK_SECRET, str(int(timestamp) - 1), request.body, signature)
    assert json.loads(request.body) == PAYLOAD
    assert request.headers["x-webhook-retry"] == "1"
    assert request.headers["x-webhook-event"] == "order.paid"
    assert request.headers["x-webhook-id"] == "wh1"
    assert request.headers["content-type"] == "application/json"

    row = webhook_log(mj, "wh1")
    assert (row.status, row.attempts, row.last_status_code, row.error) == (
        WebhookStatus.SUCCESS,
        1,
        200,
        None,
    )
    assert row.completed_at is not None and row.payload == PAYLOAD
    assert audit_actions(mj, "wh1") == [("STRIPE_WEBHOOK_PROCESSED", 1)]
    await close_app(app)


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    import hashlib
    import hmac

    body = b'{"a":1}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k", "1700000000", body) == "sha256=" + expected
    assert verify_signature("k", "1700000000", body, "sha256=" + expected, now=1700000100)
    assert not verify_signature("k", "1700000000", body, "sha256=" + expected, now=1700009999)  # too old


async def test_500_twice_then_200_retries_with_counting_header(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    app, mj = marketplace(tmp_path)
    url = receiver.script("/flaky", 500, (500, {}, b"database down"), 200)
    job = await enqueue_webhook(
        app.queue(QUEUE), webhook_id="wh2", event_type="order.paid", payload=PAYLOAD, url=url
    )
    await deliver(app, job.id, "completed")

    requests = receiver.received("/flaky")
    assert [r.headers["x-webhook-retry"] for r in requests] == ["1", "2", "3"]
    done = await app.queue(QUEUE).aget(job.id)
    assert done is not None and done.attempts_made == 3
    assert [e.message for e in done.errors][1].endswith("HTTP 500: database down")
    row = webhook_log(mj, "wh2")
    assert (row.status, row.attempts, row.last_status_code) == (WebhookStatus.SUCCESS, 3, 200)
    assert audit_actions(mj, "wh2") == [
        ("STRIPE_WEBHOOK_FAILED", 1),
        ("STRIPE_WEBHOOK_FAILED", 2),
        ("STRIPE_WEBHOOK_PROCESSED", 3),
    ]
    await close_app(app)


async def test_retries_exhausted_leave_the_log_failed(tmp_path: Path, receiver: HttpReceiver) -> None:
    app, mj = marketplace(tmp_path)
    url = receiver.script("/down", 503)
    job = await enqueue_webhook(
        app.queue(QUEUE), webhook_id="wh3", event_type="e", payload={}, url=url, attempts=2
    )
    await deliver(app, job.id, "failed")
    assert len(receiver.received("/down")) == 2
    row = webhook_log(mj, "wh3")
    assert (row.status, row.attempts, row.error) == (WebhookStatus.FAILED, 2, "HTTP 503")
    await close_app(app)


async def test_410_gone_stops_at_once(tmp_path: Path, receiver: HttpReceiver) -> None:
    app, mj = marketplace(tmp_path)
    url = receiver.script("/gone", 410, 200)
    job = await enqueue_webhook(app.queue(QUEUE), webhook_id="wh4", event_type="e", payload={}, url=url)
    await deliver(app, job.id, "failed")
    assert len(receiver.received("/gone")) == 1
    failed = await app.queue(QUEUE).aget(job.id)
    assert failed is not None and failed.attempts_made == 1 and failed.max_attempts == 5
    assert "410 Gone" in (failed.failed_reason or "")
    row = webhook_log(mj, "wh4")
    assert (row.status, row.attempts, row.last_status_code) == (WebhookStatus.FAILED, 1, 410)
    assert audit_actions(mj, "wh4") == [("STRIPE_WEBHOOK_FAILED", 1)]
    await close_app(app)


async def test_429_waits_what_retry_after_says(tmp_path: Path, receiver: HttpReceiver) -> None:
    app, mj = marketplace(tmp_path)
    url = receiver.script("/busy", (429, {"Retry-After": "120"}), 200)
    q = app.queue(QUEUE)
    job = await enqueue_webhook(q, webhook_id="wh5", event_type="e", payload={}, url=url)
    async with running_worker(app, QUEUE):
        await wait_until(state_is(app, QUEUE, job.id, "delayed"), what="job delayed by Retry-After")
        delayed = await q.aget(job.id)
        assert delayed is not None and delayed.run_at_ts is not None
        wait = delayed.run_at_ts - delayed.errors[0].at
        assert 119.0 <= wait <= 121.0, wait  # 120 s, not the 0.01 s backoff
        assert webhook_log(mj, "wh5").status == WebhookStatus.RETRYING
        await q.apromote(job.id)
        await wait_until(state_is(app, QUEUE, job.id, "completed"), what="job completed after promote")
    assert [r.headers["x-webhook-retry"] for r in receiver.received("/busy")] == ["1", "2"]
    await close_app(app)


def test_retry_after_parsing() -> None:
    from datetime import UTC, datetime

    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_timeout_is_retried(tmp_path: Path, receiver: HttpReceiver) -> None:
    app, mj = marketplace(tmp_path, webhook_timeout=0.5)
    url = receiver.script("/slow", HANG, 200)
    job = await enqueue_webhook(app.queue(QUEUE), webhook_id="wh6", event_type="e", payload={}, url=url)
    await deliver(app, job.id, "completed")
    done = await app.queue(QUEUE).aget(job.id)
    assert done is not None and done.attempts_made == 2
    assert "timed out after 0.5 s" in done.errors[0].message
    assert [r.headers["x-webhook-retry"] for r in receiver.received("/slow")] == ["1", "2"]
    assert (webhook_log(mj, "wh6").status, webhook_log(mj, "wh6").attempts) == (WebhookStatus.SUCCESS, 2)
    await close_app(app)


async def test_network_error_is_retried(tmp_path: Path) -> None:
    app, mj = marketplace(tmp_path)
    url = f"http://127.0.0.1:{free_port()}/nobody"
    job = await enqueue_webhook(
        app.queue(QUEUE), webhook_id="wh7", event_type="e", payload={}, url=url, attempts=2
    )
    await deliver(app, job.id, "failed")
    failed = await app.queue(QUEUE).aget(job.id)
    assert failed is not None and failed.attempts_made == 2
    assert all("network error: ConnectError" in e.message for e in failed.errors)
    assert webhook_log(mj, "wh7").status == WebhookStatus.FAILED
    await close_app(app)


async def test_private_address_refused_unless_allowed(tmp_path: Path, receiver: HttpReceiver) -> None:
    url = receiver.script("/internal", 200)
    app, mj = marketplace(tmp_path / "refused", outbound_allow=())
    job = await enqueue_webhook(app.queue(QUEUE), webhook_id="wh8", event_type="e", payload={}, url=url)
    await deliver(app, job.id, "failed")
    failed = await app.queue(QUEUE).aget(job.id)
    assert failed is not None and failed.attempts_made == 1
    assert "loopback address 127.0.0.1" in (failed.failed_reason or "")
    assert receiver.received("/internal") == []
    row = webhook_log(mj, "wh8")
    assert row.status == WebhookStatus.FAILED and "SEQUENCEHUB_OUTBOUND_ALLOW" in (row.error or "")
    await close_app(app)

    allowed_app, allowed = marketplace(tmp_path / "allowed", outbound_allow=("127.0.0.0/8",))
    job = await enqueue_webhook(
        allowed_app.queue(QUEUE), webhook_id="wh8", event_type="e", payload={}, url=url
    )
    await deliver(allowed_app, job.id, "completed")
    assert len(receiver.received("/internal")) == 1
    assert webhook_log(allowed, "wh8").status == WebhookStatus.SUCCESS
    await close_app(allowed_app)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10/hook", "private"),
        ("http://172.16.5.4/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://localhost:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://100.64.0.1/hook", "shared address space"),
    ],
)
def test_guard_refuses_non_public_addresses(url: str, reason: str) -> None:
    with pytest.raises(OutboundURLRefused, match=reason):
        OutboundGuard().check(url)


def test_guard_allow_list_and_url_shape() -> None:
    assert OutboundGuard(("10.0.0.0/8",)).check("http://10.9.9.9/x") == ["10.9.9.9"]
    assert OutboundGuard(("localhost",)).check("http://localhost/x") == []
    assert OutboundGuard().check("http://93.184.216.34/x") == ["93.184.216.34"]  # public literal: no DNS
    for bad, message in [
        ("ftp://example.com/", "http or https"),
        ("http:///x", "no host"),
        ("http://user:pw@example.com/", "credentials"),
        ("", "non-empty"),
    ]:
        with pytest.raises(OutboundURLRefused, match=message):
            OutboundGuard().check(bad)


async def test_bad_payload_is_refused_at_enqueue(tmp_path: Path) -> None:
    app, _ = marketplace(tmp_path)
    with pytest.raises(InvalidJobData, match="url"):
        await enqueue_webhook(app.queue(QUEUE), webhook_id="x", event_type="e", payload={}, url="ftp://x/")
    with pytest.raises(InvalidJobData, match="webhookId"):
        await app.queue(QUEUE).aadd("retry-webhook", {"eventType": "e", "payload": {}, "url": "http://x/"})
    await close_app(app)


def test_backoff_is_5s_times_5_to_the_n_minus_1_capped_at_an_hour(tmp_path: Path) -> None:
    assert [webhook_backoff()(n) for n in range(1, 7)] == [5, 25, 125, 625, 3125, 3600]
    app, _ = make_marketplace(tmp_path)
    q = app.queue(QUEUE)
    options = q.options_for("retry-webhook")
    assert options.attempts == 5
    assert options.backoff is not None
    assert [options.backoff.compute(n, app.backoff_strategies) for n in range(1, 7)] == [
        5,
        25,
        125,
        625,
        3125,
        3600,
    ]
    assert q.defaults.concurrency == 5


async def test_event_recorded_before_delivery_is_updated_in_place(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    app, mj = marketplace(tmp_path)
    url = receiver.script("/hook", 200)
    webhook_id = record_webhook_event(
        mj.db, event_type="product.approved", url=url, payload={"productId": "p1"}
    )
    assert webhook_log(mj, webhook_id).status == WebhookStatus.PENDING
    job = await enqueue_webhook(
        app.queue(QUEUE),
        webhook_id=webhook_id,
        event_type="product.approved",
        payload={"productId": "p1"},
        url=url,
    )
    again = await enqueue_webhook(
        app.queue(QUEUE),
        webhook_id=webhook_id,
        event_type="product.approved",
        payload={"productId": "p1"},
        url=url,
    )
    assert again.id == job.id == f"webhook-{webhook_id}-attempt-1"
    await deliver(app, job.id, "completed")
    assert len(receiver.received("/hook")) == 1
    row = webhook_log(mj, webhook_id)
    assert (row.status, row.attempts, row.event_type) == (WebhookStatus.SUCCESS, 1, "product.approved")
    await close_app(app)
