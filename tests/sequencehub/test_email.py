"""Email jobs against a real SMTP server (aiosmtpd) on loopback, the outbox folder and an HTTP API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hubjobs import App, InvalidJobData
from sequencehub.email import TEMPLATES, enqueue_email
from sequencehub.jobs import MarketplaceJobs
from sequencehub.models import EmailLog, EmailStatus
from tests.helpers import running_worker, state_is, wait_until
from tests.sequencehub.marketplace_support import (
    SmtpSink,
    close_app,
    eml_files,
    free_port,
    http_receiver,
    make_marketplace,
    read_eml,
    settings_for,
    smtp_server,
)

QUEUE = "email"
EVIL = "<script>alert('x')</script> Mega Tree"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Mega Tree"

SAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "order-confirmation": (
        {
            "customerName": "Ann",
            "orderId": "ord_42",
            "items": [{"title": EVIL, "priceCents": 1999}, {"title": "Arches", "priceCents": 500}],
            "totalCents": 2499,
            "orderUrl": "https://sequencehub.example/orders/ord_42",
        },
        "Your SequenceHUB order ord_42 is confirmed",
    ),
    "download-ready": (
        {"customerName": "Ann", "productTitle": EVIL, "downloadUrl": "https://sequencehub.example/d/abc"},
        f"Your download is ready: {EVIL}",
    ),
    "creator-payout": (
        {"creatorName": EVIL, "period": "2025-01", "amountCents": 123456, "itemCount": 80},
        "Your SequenceHUB payout for 2025-01",
    ),
    "product-approved": (
        {"creatorName": "Bo", "productTitle": EVIL, "productUrl": "https://sequencehub.example/p/mega"},
        f"Approved: {EVIL} is live on SequenceHUB",
    ),
    "product-rejected": (
        {"creatorName": "Bo", "productTitle": EVIL, "reason": "Audio missing"},
        f"Changes needed: {EVIL}",
    ),
    "announcement": (
        {
            "subject": "New: FSEQ v2.2 support",
            "headline": EVIL,
            "message": "First paragraph.\n\nSecond paragraph.",
            "actionUrl": "javascript:alert(1)",
        },
        "New: FSEQ v2.2 support",
    ),
}


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        yield sink


def smtp_marketplace(tmp_path: Path, smtp: SmtpSink, **overrides: Any) -> tuple[App, MarketplaceJobs]:
    settings = settings_for(
        tmp_path, email_transport="smtp", smtp_host=smtp.host, smtp_port=smtp.port, **overrides
    )
    return make_marketplace(tmp_path, settings=settings)


def email_logs(mj: MarketplaceJobs) -> list[EmailLog]:
    with mj.db.session() as s:
        return list(s.scalars(select(EmailLog).order_by(EmailLog.id)))


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def all_done(app: App, ids: list[str], state: str = "completed") -> None:
    for job_id in ids:
        await wait_until(state_is(app, QUEUE, job_id, state), what=f"email job {job_id} {state}")


def test_every_documented_template_has_a_sample() -> None:
    assert {t.name for t in TEMPLATES} - {"dead-letter-alert"} == set(SAMPLES)


async def test_each_template_arrives_escaped_with_subject_and_recipient(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app, mj = smtp_marketplace(tmp_path, smtp)
    q = app.queue(QUEUE)
    ids = {}
    for n, (template, (data, _)) in enumerate(SAMPLES.items()):
        ids[template] = (await enqueue_email(q, f"user{n}@example.com", template, data)).id
    async with running_worker(app, QUEUE):
        await all_done(app, list(ids.values()))

    assert len(smtp.messages) == len(SAMPLES)
    by_template = {m["X-SequenceHUB-Template"]: m for m in smtp.messages}
    for n, (template, (_, subject)) in enumerate(SAMPLES.items()):
        message = by_template[template]
        assert message["Subject"] == subject
        assert message["To"] == f"user{n}@example.com"
        assert message["From"] == "SequenceHUB <noreply@sequencehub.com>"
        html = html_of(message)
        assert "<script>" not in html, template
        assert ESCAPED in html, template
        assert EVIL in text_of(message)  # plain text stays plain
    assert ['<a href="#">' in html_of(by_template["announcement"])] == [True]  # javascript: link dropped
    assert "24.99 USD" in text_of(by_template["order-confirmation"])
    assert "1,234.56 USD" in html_of(by_template["creator-payout"])
    assert [e[1] for e in smtp.envelopes] == [[m["To"]] for m in smtp.messages]

    logs = email_logs(mj)
    assert len(logs) == len(SAMPLES)
    assert {(row.status, row.attempt) for row in logs} == {(EmailStatus.SENT, 1)}
    message_ids = {m["Message-ID"] for m in smtp.messages}
    assert {row.provider_id for row in logs} == message_ids
    assert {row.job_id for row in logs} == set(ids.values())
    await close_app(app)


async def test_order_confirmation_goes_first(tmp_path: Path, smtp: SmtpSink) -> None:
    app, _ = smtp_marketplace(tmp_path, smtp)
    q = app.queue(QUEUE)
    jobs = [
        await enqueue_email(q, "a@example.com", "product-approved", SAMPLES["product-approved"][0])
        for _ in range(3)
    ]
    confirmation = await enqueue_email(
        q, "b@example.com", "order-confirmation", SAMPLES["order-confirmation"][0]
    )
    assert [j.priority for j in jobs] == [5, 5, 5] and confirmation.priority == 1
    async with running_worker(app, QUEUE, concurrency=1):
        await all_done(app, [j.id for j in [*jobs, confirmation]])
    assert smtp.messages[0]["X-SequenceHUB-Template"] == "order-confirmation"
    await close_app(app)


async def test_rate_limit_holds(tmp_path: Path, smtp: SmtpSink) -> None:
    app, _ = smtp_marketplace(tmp_path, smtp, email_rate_limit=(2, 0.5))
    q = app.queue(QUEUE)
    ids = [
        (await enqueue_email(q, f"r{i}@example.com", "announcement", SAMPLES["announcement"][0])).id
        for i in range(6)
    ]
    async with running_worker(app, QUEUE):
        await all_done(app, ids)
    starts = sorted([(await q.aget(i)).started_ts for i in ids])  # type: ignore[union-attr,type-var]
    for i, t in enumerate(starts):
        in_window = [s for s in starts[i:] if s < t + 0.5]  # type: ignore[operator]
        assert len(in_window) <= 2, f"{len(in_window)} sends within 0.5 s: {starts}"
    assert len(smtp.messages) == 6
    await close_app(app)


async def test_missing_field_fails_at_enqueue_naming_it(tmp_path: Path) -> None:
    app, _ = make_marketplace(tmp_path)
    q = app.queue(QUEUE)
    data = dict(SAMPLES["order-confirmation"][0])
    del data["orderId"]
    with pytest.raises(InvalidJobData, match="orderId") as info:
        await enqueue_email(q, "a@example.com", "order-confirmation", data)
    assert info.value.field == "order-confirmation.data.orderId"
    with pytest.raises(InvalidJobData, match="reason"):  # the API layer adding directly gets the same check
        await q.aadd(
            "send-email",
            {
                "to": "a@example.com",
                "template": "product-rejected",
                "data": {"creatorName": "Bo", "productTitle": "T"},
            },
        )
    with pytest.raises(InvalidJobData, match="not an email address"):
        await q.aadd(
            "send-email", {"to": "nobody", "template": "announcement", "data": SAMPLES["announcement"][0]}
        )
    with pytest.raises(InvalidJobData, match=r"is .welcome., not a known value \(one of: .*order-confirmation"):
        await q.aadd("send-email", {"to": "a@example.com", "template": "welcome", "data": {}})
    with pytest.raises(InvalidJobData, match="unknown field"):
        await q.aadd(
            "send-email",
            {
                "to": "a@example.com",
                "template": "product-rejected",
                "data": {"creatorName": "Bo", "productTitle": "T", "reason": "r", "x": 1},
            },
        )
    assert await q.acounts() == {"waiting": 0, "delayed": 0, "active": 0, "completed": 0, "failed": 0}
    await close_app(app)


async def test_outbox_is_the_default_transport(tmp_path: Path) -> None:
    app, mj = make_marketplace(tmp_path)
    job = await enqueue_email(
        app.queue(QUEUE), "ann@example.com", "download-ready", SAMPLES["download-ready"][0]
    )
    async with running_worker(app, QUEUE):
        await all_done(app, [job.id])
    [path] = eml_files(tmp_path / "outbox")
    message = read_eml(path)
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == SAMPLES["download-ready"][1]
    assert ESCAPED in html_of(message)
    [row] = email_logs(mj)
    assert row.status == EmailStatus.SENT and row.provider_id == message["Message-ID"]
    await close_app(app)


async def test_http_provider_transport(tmp_path: Path) -> None:
    with http_receiver() as api:
        url = api.script("/send", (200, {"Content-Type": "application/json"}, b'{"id": "prov-123"}'))
        settings = settings_for(tmp_path, email_transport="http", email_api_url=url, email_api_key="k3y")
        app, mj = make_marketplace(tmp_path, settings=settings)
        job = await enqueue_email(
            app.queue(QUEUE), "ann@example.com", "product-rejected", SAMPLES["product-rejected"][0]
        )
        async with running_worker(app, QUEUE):
            await all_done(app, [job.id])
        [request] = api.received("/send")
        assert request.headers["authorization"] == "Bearer k3y"
        body = json.loads(request.body)
        assert body["to"] == ["ann@example.com"] and body["subject"] == SAMPLES["product-rejected"][1]
        assert ESCAPED in body["html"] and "Audio missing" in body["text"]
        [row] = email_logs(mj)
        assert (row.status, row.provider_id) == (EmailStatus.SENT, "prov-123")

        api.script("/send", (422, {}, b"bad sender"))
        rejected = await enqueue_email(
            app.queue(QUEUE), "ann@example.com", "product-rejected", SAMPLES["product-rejected"][0]
        )
        async with running_worker(app, QUEUE):
            await all_done(app, [rejected.id], "failed")
        failed = await app.queue(QUEUE).aget(rejected.id)
        assert failed is not None and failed.attempts_made == 1  # permanent: no retry
        assert "HTTP 422" in (failed.failed_reason or "")
        row = email_logs(mj)[-1]
        assert row.status == EmailStatus.FAILED and "bad sender" in (row.error or "")
        await close_app(app)


async def test_unreachable_smtp_logs_failed_after_retries(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, email_transport="smtp", smtp_host="127.0.0.1", smtp_port=free_port())
    app, mj = make_marketplace(tmp_path, settings=settings)
    job = await enqueue_email(
        app.queue(QUEUE), "ann@example.com", "announcement", SAMPLES["announcement"][0], attempts=2, backoff=0
    )
    async with running_worker(app, QUEUE):
        await all_done(app, [job.id], "failed")
    failed = await app.queue(QUEUE).aget(job.id)
    assert failed is not None and failed.attempts_made == 2
    rows = email_logs(mj)  # one row per try, as the app's emailLog
    assert [(row.status, row.attempt, row.job_id) for row in rows] == [
        (EmailStatus.FAILED, 1, job.id), (EmailStatus.FAILED, 2, job.id)]
    assert all("cannot send through SMTP server 127.0.0.1" in (row.error or "") for row in rows)
    await close_app(app)


async def test_resend_transport_against_a_local_resend(tmp_path: Path) -> None:
    """A local server answering like Resend's POST /emails: ids recorded, 4xx validation not
    retried, 429 Retry-After honoured through the engine, 5xx retried, one emailLog row per try."""
    ok = (200, {"Content-Type": "application/json"}, b'{"id": "re_123"}')
    limited = (429, {"Retry-After": "1", "Content-Type": "application/json"},
               b'{"name": "rate_limit_exceeded", "message": "Too many requests"}')
    invalid = (422, {"Content-Type": "application/json"},
               b'{"name": "validation_error", "message": "Invalid `to` field"}')
    with http_receiver() as api:
        api.script("/emails", limited, 500, ok, invalid)
        settings = settings_for(tmp_path, email_transport="resend", resend_api_key="re_key",
                                resend_api_url=api.url(""))
        app, mj = make_marketplace(tmp_path, settings=settings)
        queue = app.queue(QUEUE)
        job = await enqueue_email(queue, "ann@example.com", "product-rejected", SAMPLES["product-rejected"][0],
                                  backoff=0)
        async with running_worker(app, QUEUE):
            await all_done(app, [job.id])
        requests = api.received("/emails")
        assert len(requests) == 3 and requests[0].headers["authorization"] == "Bearer re_key"
        assert requests[1].at - requests[0].at >= 0.9  # waited what Retry-After said
        body = json.loads(requests[0].body)
        assert body["from"] == "SequenceHUB <noreply@sequencehub.com>" and body["to"] == ["ann@example.com"]
        done = await queue.aget(job.id)
        assert done is not None and done.result == {"success": True, "emailId": "re_123"}
        rows = email_logs(mj)
        assert [(r.attempt, r.status, r.provider_id) for r in rows] == [
            (1, EmailStatus.FAILED, None), (2, EmailStatus.FAILED, None), (3, EmailStatus.SENT, "re_123")]
        assert "429" in (rows[0].error or "") and "500" in (rows[1].error or "")

        rejected = await enqueue_email(queue, "ann@example.com", "product-rejected", SAMPLES["product-rejected"][0])
        async with running_worker(app, QUEUE):
            await all_done(app, [rejected.id], "failed")
        failed = await queue.aget(rejected.id)
        assert failed is not None and failed.attempts_made == 1  # a validation error is not retried
        row = email_logs(mj)[-1]
        assert row.status == EmailStatus.FAILED and "validation_error" in (row.error or "")
        await close_app(app)
