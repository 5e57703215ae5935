"""Webhook delivery: the ``retry-webhook`` job of the ``webhook-retry`` queue.

Each try POSTs the event's JSON payload to the subscriber with a 30 s timeout and these headers:

* ``X-Webhook-Retry: <n>`` - the try number, counting from the job's ``attempt`` field;
* ``X-Webhook-Timestamp: <unix seconds>`` and ``X-Webhook-Signature: sha256=<hex>``, the
  HMAC-SHA256 (key: ``SEQUENCEHUB_WEBHOOK_SECRET``) of ``"<timestamp>." + body``; receivers
  check it with :func:`verify_signature`;
* ``X-Webhook-Id`` and ``X-Webhook-Event``.

A 2xx answer is success; 410 Gone stops at once; 429 waits what ``Retry-After`` says; any other
status, a timeout or a network error is retried with the backoff ``5 s * 5**(n-1)``, capped at 1 h,
for 5 tries in all. URLs resolving to private, loopback or link-local addresses are refused
unless allowed (see :mod:`sequencehub.ssrf`). Every try updates the webhook log and writes an
audit entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hubjobs import Job, Queue, RetryAfter, UnrecoverableError

from .audit import record_audit
from .config import Settings
from .db import Database
from .models import AuditAction, WebhookLog, WebhookStatus, utcnow
from .ssrf import OutboundGuard, OutboundURLRefused, split_url

log = logging.getLogger("sequencehub.webhooks")

QUEUE = "webhook-retry"
JOB_NAME = "retry-webhook"
BACKOFF_STRATEGY = "webhook"
RETRY_HEADER = "X-Webhook-Retry"
SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
ID_HEADER = "X-Webhook-Id"
EVENT_HEADER = "X-Webhook-Event"
USER_AGENT = "SequenceHUB-Webhooks/1"
SIGNATURE_TOLERANCE_SECONDS = 300
ERROR_BODY_EXCERPT = 500


class WebhookJob(BaseModel):
    """Payload of ``retry-webhook``: the event to deliver and where."""

    model_config = ConfigDict(extra="forbid")

    webhookId: str = Field(min_length=1, max_length=64, description="Id of the webhook log row.")
    eventType: str = Field(min_length=1, max_length=100, description="Event name, e.g. order.paid.")
    payload: Any = Field(description="JSON body POSTed to the subscriber.")
    url: str = Field(max_length=2000, description="Subscriber URL (http or https).")
    attempt: int = Field(default=1, ge=1, description="Number of the first try this job makes.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            split_url(value)
        except OutboundURLRefused as exc:
            raise ValueError(str(exc)) from None
        return value


def webhook_backoff(base: float = 5.0, cap: float = 3600.0) -> Callable[[int], float]:
    """The retry delay after failed try n: ``base * 5**(n-1)`` seconds, at most `cap`."""

    def delay(attempt: int) -> float:
        return float(min(base * 5 ** (attempt - 1), cap))

    return delay


def webhook_add_options(base: float = 5.0, cap: float = 3600.0) -> Callable[[Any], Mapping[str, Any]]:
    """The ``retry-webhook`` add options read from the data: a retry enqueued with ``attempt = n``
    (n > 1) waits the app's ``calculateBackoff(n)`` = ``base * 5**(n-1)`` s (capped) before it
    runs, however it is added (Python, CLI, HTTP); an explicit delay or run_at wins."""
    backoff = webhook_backoff(base, cap)

    def options(data: Any) -> Mapping[str, Any]:
        attempt = data.get("attempt") if isinstance(data, Mapping) else None
        if isinstance(attempt, int) and not isinstance(attempt, bool) and attempt > 1:
            return {"delay": backoff(attempt)}
        return {}

    return options


def webhook_job_id(webhook_id: str, attempt: int) -> str:
    """The job id of a delivery: ``webhook-<id>-attempt-<n>`` (adding it twice adds it once)."""
    return f"webhook-{webhook_id}-attempt-{attempt}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>." + body``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: float = SIGNATURE_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `signature` is ours for this timestamp and body, and the timestamp is recent."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def encode_body(payload: Any) -> bytes:
    """The exact bytes POSTed (compact JSON, UTF-8)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def record_webhook_event(
    db: Database,
    *,
    event_type: str,
    url: str,
    payload: Any,
    endpoint_id: str | None = None,
    webhook_id: str | None = None,
) -> str:
    """Write a PENDING webhook log row for an event about to be delivered; returns its id (the
    job's ``webhookId``). Optional: the first try creates the row when it is missing."""
    with db.session() as session:
        row = WebhookLog(
            event_type=event_type,
            url=url,
            payload=payload,
            endpoint_id=endpoint_id,
            status=WebhookStatus.PENDING,
            attempts=0,
        )
        if webhook_id is not None:
            row.id = webhook_id
        session.add(row)
        session.flush()
        return row.id


def webhook_job_data(*, webhook_id: str, event_type: str, payload: Any, url: str, attempt: int = 1) -> dict[str, Any]:
    """The data of a ``retry-webhook`` job."""
    return {"webhookId": webhook_id, "eventType": event_type, "payload": payload, "url": url, "attempt": attempt}


async def enqueue_webhook(
    queue: Queue,
    *,
    webhook_id: str,
    event_type: str,
    payload: Any,
    url: str,
    attempt: int = 1,
    **options: Any,
) -> Job:
    """Add a ``retry-webhook`` job with its conventional id; `options` go to ``Queue.aadd``."""
    options.setdefault("job_id", webhook_job_id(webhook_id, attempt))
    data = webhook_job_data(webhook_id=webhook_id, event_type=event_type, payload=payload, url=url, attempt=attempt)
    return await queue.aadd(JOB_NAME, data, **options)


def enqueue_webhook_sync(
    queue: Queue,
    *,
    webhook_id: str,
    event_type: str,
    payload: Any,
    url: str,
    attempt: int = 1,
    **options: Any,
) -> Job:
    """Blocking twin of :func:`enqueue_webhook` (for code without an event loop)."""
    options.setdefault("job_id", webhook_job_id(webhook_id, attempt))
    data = webhook_job_data(webhook_id=webhook_id, event_type=event_type, payload=payload, url=url, attempt=attempt)
    return queue.add(JOB_NAME, data, **options)


class WebhookRetryable(Exception):
    """A try failed in a way worth retrying (5xx, other 4xx, timeout, network error)."""


@dataclass(frozen=True)
class TryOutcome:
    """What one POST did."""

    status: WebhookStatus
    status_code: int | None
    error: str | None
    retry_after: float | None = None
    stop: bool = False


def classify(
    status_code: int, headers: httpx.Headers, body_excerpt: str, *, max_retry_after: float, final: bool
) -> TryOutcome:
    """Turn an HTTP answer into an outcome: success, stop (410), wait (429) or retry."""
    if 200 <= status_code < 300:
        return TryOutcome(WebhookStatus.SUCCESS, status_code, None)
    excerpt = f": {body_excerpt}" if body_excerpt else ""
    if status_code == 410:
        return TryOutcome(
            WebhookStatus.FAILED,
            status_code,
            f"HTTP 410 Gone: the subscriber asked us to stop sending{excerpt}",
            stop=True,
        )
    status = WebhookStatus.FAILED if final else WebhookStatus.RETRYING
    if status_code == 429:
        wait = parse_retry_after(headers.get("retry-after"))
        if wait is not None:
            wait = min(wait, max_retry_after)
            return TryOutcome(
                status, status_code, f"HTTP 429 Too Many Requests; Retry-After {wait:g} s", retry_after=wait
            )
    return TryOutcome(status, status_code, f"HTTP {status_code}{excerpt}")


class WebhookSender:
    """The ``retry-webhook`` handler (a plain callable, run in the worker's thread pool)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        guard: OutboundGuard | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.guard = guard or OutboundGuard(settings.outbound_allow)
        self.transport = transport

    def handle(self, job: Job) -> dict[str, Any]:
        """POST the event's JSON payload to the subscriber once, signed, with X-Webhook-Retry set to
        the number of this try.

        Writes: webhook log (status PENDING→RETRYING/SUCCESS/FAILED, attempts, last attempt, last
        status code, error); one audit entry per try (STRIPE_WEBHOOK_PROCESSED with metadata
        ``{"eventType", "attempt", "success"}`` or STRIPE_WEBHOOK_FAILED with ``{"eventType",
        "attempt", "error"}``, entityType ``webhook``). Returns ``{"success": true, "attempt": n}``.
        Failure: 2xx succeeds; 410 Gone fails at once; 429 retries after Retry-After (capped at
        SEQUENCEHUB_WEBHOOK_MAX_RETRY_AFTER); other 4xx/5xx, timeouts and network errors retry
        with backoff; a URL resolving to a private, loopback or link-local address (not allowed
        in SEQUENCEHUB_OUTBOUND_ALLOW) or a missing SEQUENCEHUB_WEBHOOK_SECRET fails at once.
        """
        data = WebhookJob.model_validate(job.data)
        attempt = data.attempt + job.attempts_made
        final = job.attempts_made + 1 >= job.max_attempts
        outcome = self._try(data, attempt, final)
        self._record(data, attempt, outcome, job.id)
        if outcome.status == WebhookStatus.SUCCESS:
            log.info("webhook %s delivered to %s on try %d", data.webhookId, data.url, attempt)
            return {"success": True, "attempt": attempt}
        message = f"webhook {data.webhookId} try {attempt}: {outcome.error}"
        log.warning("%s", message)
        if outcome.stop:
            raise UnrecoverableError(message)
        if outcome.retry_after is not None:
            raise RetryAfter(outcome.retry_after, message)
        raise WebhookRetryable(message)

    def _try(self, data: WebhookJob, attempt: int, final: bool) -> TryOutcome:
        secret = self.settings.webhook_secret
        if not secret:
            return TryOutcome(
                WebhookStatus.FAILED,
                None,
                "no webhook secret configured: set SEQUENCEHUB_WEBHOOK_SECRET",
                stop=True,
            )
        try:
            self.guard.check(data.url)
        except OutboundURLRefused as exc:
            return TryOutcome(WebhookStatus.FAILED, None, str(exc), stop=True)
        body = encode_body(data.payload)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            RETRY_HEADER: str(attempt),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            ID_HEADER: data.webhookId,
            EVENT_HEADER: data.eventType,
        }
        retry_status = WebhookStatus.FAILED if final else WebhookStatus.RETRYING
        timeout = self.settings.webhook_timeout
        try:
            with (
                httpx.Client(
                    timeout=timeout, follow_redirects=False, trust_env=False, transport=self.transport
                ) as client,
                client.stream("POST", data.url, content=body, headers=headers) as response,
            ):
                excerpt = _read_excerpt(response)
                return classify(
                    response.status_code,
                    response.headers,
                    excerpt,
                    max_retry_after=self.settings.webhook_max_retry_after,
                    final=final,
                )
        except httpx.TimeoutException as exc:
            return TryOutcome(retry_status, None, f"timed out after {timeout:g} s ({type(exc).__name__})")
        except httpx.HTTPError as exc:
            return TryOutcome(retry_status, None, f"network error: {type(exc).__name__}: {exc}")

    def _record(self, data: WebhookJob, attempt: int, outcome: TryOutcome, job_id: str) -> None:
        now = utcnow()
        with self.db.session() as session:
            row = session.get(WebhookLog, data.webhookId)
            if row is None:
                row = WebhookLog(
                    id=data.webhookId,
                    event_type=data.eventType,
                    url=data.url,
                    payload=data.payload,
                    attempts=0,
                    created_at=now,
                )
                session.add(row)
            row.attempts = (row.attempts or 0) + 1
            row.status = outcome.status
            row.last_attempt_at = now
            row.last_status_code = outcome.status_code
            row.error = outcome.error
            if outcome.status in (WebhookStatus.SUCCESS, WebhookStatus.FAILED):
                row.completed_at = now
            success = outcome.status == WebhookStatus.SUCCESS
            record_audit(
                session,
                AuditAction.STRIPE_WEBHOOK_PROCESSED if success else AuditAction.STRIPE_WEBHOOK_FAILED,
                entity_type="webhook",
                entity_id=data.webhookId,
                at=now,
                details=(
                    {"eventType": data.eventType, "attempt": attempt, "success": True}
                    if success
                    else {"eventType": data.eventType, "attempt": attempt, "error": outcome.error}
                ),
            )


def _read_excerpt(response: httpx.Response) -> str:
    if 200 <= response.status_code < 300:
        return ""
    chunks = bytearray()
    for chunk in response.iter_bytes():
        chunks.extend(chunk)
        if len(chunks) >= ERROR_BODY_EXCERPT:
            break
    return chunks[:ERROR_BODY_EXCERPT].decode("utf-8", errors="replace").strip()
