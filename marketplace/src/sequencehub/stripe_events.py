"""The ``process-stripe-event`` job: inbound Stripe events the app stored but could not handle
(its "retry failed Stripe webhooks" / "process delayed webhook events").

The app stores the request as Stripe sent it in ``"StripeEvent"`` (raw ``payload`` and the
``Stripe-Signature`` header) and adds ``process-stripe-event`` with ``{"storedEventId": <row id>}``.
The job:

1. verifies the signature as Stripe documents it: the header's ``t=`` timestamp and ``v1=``
   signatures; HMAC-SHA256 (key: ``SEQUENCEHUB_STRIPE_WEBHOOK_SECRET``, the endpoint's ``whsec_...``)
   of ``"<t>.<payload>"``; any ``v1`` matching is enough; ``t`` must lie within
   ``SEQUENCEHUB_STRIPE_TOLERANCE`` seconds (default 300) of the time the app received the event.
   A bad or stale signature fails the job at once (unrecoverable), marks the row FAILED and writes
   ``STRIPE_WEBHOOK_FAILED``;
2. is idempotent by Stripe's event id (``"StripeEvent"."eventId"`` is unique): a second delivery
   of an event is marked IGNORED as a duplicate;
3. ``checkout.session.completed``: marks the order (``metadata.orderId`` or
   ``client_reference_id``) PAID with the session and payment intent ids, writes
   ``PAYMENT_RECEIVED`` and adds the order-confirmation and download-ready emails with fixed job
   ids — inside the same database transaction when the job engine is the same PostgreSQL
   database, otherwise right after it (a retry adds them again; the ids make that a no-op);
4. any other type is recorded (IGNORED), not failed.

Returns ``{"success": true, "eventId", "type", "outcome"}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hubjobs import App, Job, UnrecoverableError

from .audit import record_audit
from .config import Settings
from .db import Database
from .email.sender import JOB_NAME as SEND_EMAIL
from .email.sender import QUEUE as EMAIL_QUEUE
from .email.templates import template_spec
from .models import AuditAction, Order, OrderStatus, StripeEvent, StripeEventStatus, utcnow

log = logging.getLogger("sequencehub.stripe")

QUEUE = "webhook-retry"
JOB_NAME = "process-stripe-event"
SIGNATURE_HEADER = "Stripe-Signature"
DEFAULT_TOLERANCE = 300.0


class StripeEventJob(BaseModel):
    """Payload of ``process-stripe-event``."""

    model_config = ConfigDict(extra="forbid")

    storedEventId: str = Field(min_length=1, max_length=64, description='Id of the "StripeEvent" row.')


class StripeSignatureError(ValueError):
    """The ``Stripe-Signature`` header does not vouch for this payload (the message says why)."""


def stripe_signature(secret: str, timestamp: int, payload: bytes) -> str:
    """The ``v1`` signature Stripe computes: hex HMAC-SHA256 of ``"<timestamp>.<payload>"``."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + payload, hashlib.sha256).hexdigest()


def stripe_signature_header(secret: str, payload: bytes, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value for `payload` (what Stripe sends; for tests and tools)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={stripe_signature(secret, t, payload)}"


def verify_stripe_signature(payload: bytes, header: str, secret: str, *,
                            tolerance: float = DEFAULT_TOLERANCE, now: float | None = None) -> int:
    """Check `header` against `payload` as Stripe documents it; returns the signed timestamp.
    Raises StripeSignatureError naming what is wrong (never echoing the secret)."""
    if not secret:
        raise StripeSignatureError("no Stripe endpoint secret configured: set SEQUENCEHUB_STRIPE_WEBHOOK_SECRET")
    timestamps, signatures = [], []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        raise StripeSignatureError("Stripe-Signature has no valid t= timestamp")
    if not signatures:
        raise StripeSignatureError("Stripe-Signature has no v1 signature")
    signed_at = int(timestamps[0])
    expected = stripe_signature(secret, signed_at, payload)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise StripeSignatureError("no v1 signature matches the payload (wrong secret or altered body)")
    reference = time.time() if now is None else now
    if abs(reference - signed_at) > tolerance:
        raise StripeSignatureError(f"signature timestamp is {abs(reference - signed_at):.0f} s away from the "
                                   f"receipt time (tolerance {tolerance:g} s)")
    return signed_at


@dataclass(frozen=True)
class _Stored:
    row_id: str
    payload: str
    signature: str
    status: str
    received_at: float
    attempts: int


class StripeEventProcessor:
    """The ``process-stripe-event`` handler (a plain callable, run in the worker's thread pool)."""

    def __init__(self, app: App, db: Database, settings: Settings) -> None:
        self.app = app
        self.db = db
        self.settings = settings

    def handle(self, job: Job) -> dict[str, Any]:
        """Verify, deduplicate and apply one stored Stripe event (see the module docstring).

        Writes: "StripeEvent" (eventId, type, status PROCESSED/IGNORED/FAILED, attempts, error);
        for checkout.session.completed the "Order" (PAID, paidAt, stripeSessionId) and a
        PAYMENT_RECEIVED audit entry; STRIPE_WEBHOOK_PROCESSED / STRIPE_WEBHOOK_FAILED audit entries.
        Failure: a bad or stale signature or an unparsable body fails at once (unrecoverable);
        database errors retry.
        """
        stored_id = StripeEventJob.model_validate(job.data).storedEventId
        attempt = job.attempts_made + 1
        stored = self._load(stored_id)
        if stored.status in (StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED):
            event = json.loads(stored.payload)
            self._after_commit(event)  # a retry after a crash re-adds the emails (fixed ids)
            return {"success": True, "eventId": event.get("id"), "type": event.get("type"),
                    "outcome": "already processed"}
        try:
            verify_stripe_signature(stored.payload.encode("utf-8"), stored.signature,
                                    self.settings.stripe_webhook_secret, tolerance=self.settings.stripe_tolerance,
                                    now=stored.received_at)
            event = json.loads(stored.payload)
            if not isinstance(event, dict) or not isinstance(event.get("id"), str):
                raise StripeSignatureError("the payload is not a Stripe event object")
        except (StripeSignatureError, ValueError) as exc:
            self._fail(stored_id, attempt, str(exc))
            raise UnrecoverableError(f"Stripe event {stored_id}: {exc}") from None
        outcome = self._apply(stored_id, event, attempt)
        if outcome == "processed":
            self._after_commit(event)
        log.info("Stripe event %s (%s): %s", event["id"], event.get("type"), outcome)
        return {"success": True, "eventId": event["id"], "type": event.get("type"), "outcome": outcome}

    # ------------------------------------------------------------ steps

    def _load(self, stored_id: str) -> _Stored:
        with self.db.session() as session:
            row = session.get(StripeEvent, stored_id)
            if row is None:
                raise UnrecoverableError(f'no "StripeEvent" row {stored_id!r}')
            row.attempts = (row.attempts or 0) + 1
            return _Stored(row.id, row.payload, row.signature, str(row.status), row.received_at.timestamp(),
                           row.attempts)

    def _fail(self, stored_id: str, attempt: int, error: str) -> None:
        with self.db.session() as session:
            row = session.get(StripeEvent, stored_id)
            if row is not None:
                row.status, row.error = StripeEventStatus.FAILED, error
            record_audit(session, AuditAction.STRIPE_WEBHOOK_FAILED, entity_type="webhook", entity_id=stored_id,
                         details={"eventType": row.type if row else None, "attempt": attempt, "error": error})

    def _apply(self, stored_id: str, event: dict[str, Any], attempt: int) -> str:
        event_type = str(event.get("type") or "")
        with self.db.session() as session:
            row = session.get(StripeEvent, stored_id)
            assert row is not None
            row.type = event_type
            duplicate = session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event["id"],
                                                                    StripeEvent.id != stored_id))
            if duplicate is not None:
                row.status, row.error = StripeEventStatus.IGNORED, f"duplicate of stored event {duplicate}"
                row.processed_at = utcnow()
                return "duplicate"
            row.event_id = event["id"]
            if event_type == "checkout.session.completed":
                self._checkout_completed(session, event)
                row.status = StripeEventStatus.PROCESSED
                outcome = "processed"
            else:
                row.status = StripeEventStatus.IGNORED
                row.error = f"event type {event_type!r} is not handled by the jobs; recorded"
                outcome = "ignored"
            row.processed_at = utcnow()
            record_audit(session, AuditAction.STRIPE_WEBHOOK_PROCESSED, entity_type="webhook", entity_id=stored_id,
                         details={"eventType": event_type, "attempt": attempt, "success": True})
            if outcome == "processed" and self._same_database():
                self._add_emails(event, connection=session)  # committed with the order, or not at all
            return outcome

    def _checkout_completed(self, session: Session, event: dict[str, Any]) -> None:
        checkout = _object(event)
        order = session.get(Order, _order_id(checkout))
        if order is None:
            raise UnrecoverableError(f"checkout.session.completed {event['id']}: no order {_order_id(checkout)!r}")
        if order.status != OrderStatus.PAID:
            order.status = OrderStatus.PAID
            order.paid_at = utcnow()
            order.stripe_session_id = checkout.get("id")
            order.stripe_payment_intent_id = checkout.get("payment_intent")
            record_audit(session, AuditAction.PAYMENT_RECEIVED, entity_type="order", entity_id=order.id,
                         details={"stripeEventId": event["id"], "sessionId": checkout.get("id"),
                                  "amountTotal": checkout.get("amount_total")})

    def _after_commit(self, event: dict[str, Any]) -> None:
        if event.get("type") == "checkout.session.completed" and not self._same_database():
            self._add_emails(event)

    def _add_emails(self, event: dict[str, Any], connection: Any = None) -> None:
        checkout = _object(event)
        order_id = _order_id(checkout)
        with self.db.session() as session:
            order = session.get(Order, order_id)
            if order is None:
                return
            items = [{"title": i.product_title, "priceCents": i.price_cents} for i in order.items]
            email, total, currency = order.buyer_email, order.total_cents, order.currency
        name = (checkout.get("customer_details") or {}).get("name") or email
        base = self.settings.public_base_url.rstrip("/")
        queue = self.app.queue(EMAIL_QUEUE)
        options: dict[str, Any] = {} if connection is None else {"connection": connection}
        for template, data in (
            ("order-confirmation", {"customerName": name, "orderId": order_id, "items": items or
                                    [{"title": "Order", "priceCents": total}], "totalCents": total,
                                    "currency": currency}),
            ("download-ready", {"customerName": name, "productTitle": items[0]["title"] if items else "Your order",
                                "downloadUrl": f"{base}/orders/{order_id}/downloads"}),
        ):
            queue.add(SEND_EMAIL, {"to": email, "template": template, "data": data},
                      job_id=f"{template}-{order_id}", priority=template_spec(template).priority, **options)

    def _same_database(self) -> bool:
        return same_postgres_database(self.app.url, self.settings.database_url)


def same_postgres_database(engine_url: str, database_url: str) -> bool:
    """True when the job engine and the marketplace share one PostgreSQL database (then jobs can be
    added inside the marketplace's transaction)."""
    def where(url: str) -> tuple[str, str] | None:
        parts = urlsplit(url)
        if not parts.scheme.startswith("postgres"):
            return None
        return parts.netloc.rsplit("@", 1)[-1], parts.path

    engine, market = where(engine_url), where(database_url)
    return engine is not None and engine == market


def _object(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def _order_id(checkout: dict[str, Any]) -> str:
    metadata = checkout.get("metadata") if isinstance(checkout.get("metadata"), dict) else {}
    order_id = (metadata or {}).get("orderId") or checkout.get("client_reference_id")
    if not isinstance(order_id, str) or not order_id:
        raise UnrecoverableError("checkout session has neither metadata.orderId nor client_reference_id")
    return order_id


def store_stripe_event(db: Database, payload: bytes | str, signature: str) -> str:
    """Store an inbound Stripe request as the app does (for tests, tools and the demo); returns
    the row id to put into ``process-stripe-event``'s ``storedEventId``."""
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    with db.session() as session:
        row = StripeEvent(payload=text, signature=signature, status=StripeEventStatus.RECEIVED, attempts=0)
        session.add(row)
        session.flush()
        return row.id
