"""process-stripe-event: Stripe-Signature v1 verification (valid, tampered, too old), idempotency
by event id, checkout.session.completed marking the order paid with its two emails, unknown types
recorded, bad signatures unrecoverable and audited. Checked with SQL on the Prisma names."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sequencehub.models import AuditLog, OrderStatus
from sequencehub.sample_data import add_creator, add_order, add_product
from sequencehub.stripe_events import (
    JOB_NAME,
    QUEUE,
    StripeSignatureError,
    store_stripe_event,
    stripe_signature_header,
    verify_stripe_signature,
)
from sqlalchemy import select, text

from hubjobs import JobState
from tests.helpers import running_worker
from tests.sequencehub.marketplace_support import close_app, make_marketplace, settings_for

SECRET = "whsec_test_secret"


def test_signature_valid_tampered_and_too_old() -> None:
    body = b'{"id":"evt_1","type":"checkout.session.completed"}'
    now = int(time.time())
    header = stripe_signature_header(SECRET, body, now)
    assert verify_stripe_signature(body, header, SECRET, now=now) == now
    assert verify_stripe_signature(body, f"{header},v1=ffff,v0=abc", SECRET, now=now) == now  # any v1 will do
    for bad_body, bad_header, bad_now, message in [
        (body.replace(b"evt_1", b"evt_2"), header, now, "no v1 signature matches"),
        (body, stripe_signature_header("whsec_other", body, now), now, "no v1 signature matches"),
        (body, header, now + 301, "tolerance 300 s"),
        (body, f"t={now}", now, "no v1 signature"),
        (body, "v1=abc", now, "no valid t= timestamp"),
    ]:
        with pytest.raises(StripeSignatureError, match=message):
            verify_stripe_signature(bad_body, bad_header, SECRET, now=bad_now)


def _event(event_id: str, event_type: str, order_id: str) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": event_type, "data": {"object": {
        "id": "cs_test_1", "object": "checkout.session", "payment_intent": "pi_1", "amount_total": 2499,
        "metadata": {"orderId": order_id}, "customer_details": {"name": "Ann Buyer"}}}}).encode()


async def test_stored_events_are_verified_applied_once_and_recorded(tmp_path: Path) -> None:
    app, mj = make_marketplace(tmp_path, settings=settings_for(tmp_path, stripe_webhook_secret=SECRET))
    with mj.db.session() as s:
        creator = add_creator(s, "C", "c@example.com")
        order = add_order(s, "ann@example.com", [add_product(s, creator, "Winter Show", 2499)],
                          status=OrderStatus.PENDING)
        order_id = order.id
    paid = _event("evt_paid", "checkout.session.completed", order_id)
    rows = {
        "paid": store_stripe_event(mj.db, paid, stripe_signature_header(SECRET, paid)),
        "again": store_stripe_event(mj.db, paid, stripe_signature_header(SECRET, paid)),  # Stripe resent it
        "unknown": store_stripe_event(mj.db, _event("evt_x", "customer.created", order_id),
                                      stripe_signature_header(SECRET, _event("evt_x", "customer.created", order_id))),
        "forged": store_stripe_event(mj.db, paid.replace(b"2499", b"1"), stripe_signature_header(SECRET, paid)),
    }
    queue = app.queue(QUEUE)
    jobs = {}
    for name in ("paid", "again", "unknown", "forged"):
        jobs[name] = await queue.aadd(JOB_NAME, {"storedEventId": rows[name]})
        assert jobs[name].priority == 1  # a payment webhook: CRITICAL
        async with running_worker(app, [QUEUE]):
            await _settled(app, jobs[name].id)
    results = {n: await queue.aget(j.id) for n, j in jobs.items()}
    assert results["paid"] is not None and results["paid"].result["outcome"] == "processed"
    assert results["again"] is not None and results["again"].result["outcome"] == "duplicate"
    assert results["unknown"] is not None and results["unknown"].state is JobState.COMPLETED
    forged = results["forged"]
    assert forged is not None and forged.state is JobState.FAILED and forged.attempts_made == 1  # unrecoverable

    with mj.db.engine.connect() as c:
        stored = dict(c.execute(text('SELECT id, CAST(status AS TEXT) FROM "StripeEvent"')).all())
        assert [stored[rows[n]] for n in ("paid", "again", "unknown", "forged")] == [
            "PROCESSED", "IGNORED", "IGNORED", "FAILED"]
        assert c.execute(text('SELECT CAST(status AS TEXT), "stripeSessionId", "paidAt" IS NOT NULL FROM "Order" '
                              "WHERE id = :id"), {"id": order_id}).one() == ("PAID", "cs_test_1", True)
    with mj.db.session() as s:
        actions = [(a.action, a.entity_type, list(a.metadata_dict or {}))
                   for a in s.scalars(select(AuditLog).order_by(AuditLog.created_at, AuditLog.id))]
    assert ("PAYMENT_RECEIVED", "order", ["stripeEventId", "sessionId", "amountTotal"]) in actions
    assert actions.count(("STRIPE_WEBHOOK_PROCESSED", "webhook", ["eventType", "attempt", "success"])) == 2
    assert actions.count(("STRIPE_WEBHOOK_FAILED", "webhook", ["eventType", "attempt", "error"])) == 1
    emails = {j.id: j for j in await app.queue("email").ajobs(JobState.WAITING)}
    assert set(emails) == {f"order-confirmation-{order_id}", f"download-ready-{order_id}"}
    assert emails[f"order-confirmation-{order_id}"].priority == 1
    assert emails[f"download-ready-{order_id}"].data["to"] == "ann@example.com"
    await close_app(app)


async def _settled(app: object, job_id: str) -> None:
    from tests.helpers import wait_until

    async def done() -> bool:
        job = await app.queue(QUEUE).aget(job_id)  # type: ignore[attr-defined]
        return job is not None and job.state in (JobState.COMPLETED, JobState.FAILED)

    await wait_until(done, what=f"Stripe job {job_id} settled")
