"""The ``send-email`` job: render a template, hand it to the transport, write the email log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hubjobs import Job, Queue, RetryAfter, UnrecoverableError

from ..config import Settings
from ..db import Database
from ..models import EmailLog, EmailStatus, utcnow
from .message import build_message
from .schemas import SendEmailJob
from .templates import TemplateRenderer, UnknownTemplate, template_spec
from .transports import EmailSendError, EmailTransport, make_transport

log = logging.getLogger("sequencehub.email")

QUEUE = "email"
JOB_NAME = "send-email"


@dataclass(frozen=True)
class SentEmail:
    """What a successful send returns."""

    to: str
    template: str
    subject: str
    provider_id: str


def email_options(data: Any) -> Mapping[str, Any]:
    """The ``send-email`` job's priority from its template (order-confirmation CRITICAL 1, others
    NORMAL 5), for every add of the job: Python, CLI or HTTP."""
    template = data.get("template") if isinstance(data, Mapping) else None
    try:
        return {"priority": template_spec(str(template)).priority}
    except UnknownTemplate:  # the schema check names the bad template
        return {}


def email_job_data(to: str, template: str, data: dict[str, Any]) -> dict[str, Any]:
    """The ``send-email`` payload, checked now (a missing field raises naming it)."""
    payload = {"to": to, "template": template, "data": data}
    SendEmailJob.model_validate(payload)
    return payload


async def enqueue_email(queue: Queue, to: str, template: str, data: dict[str, Any], **options: Any) -> Job:
    """Add a ``send-email`` job at its template's priority (order-confirmation 1, others 5)."""
    options.setdefault("priority", template_spec(template).priority)
    return await queue.aadd(JOB_NAME, {"to": to, "template": template, "data": data}, **options)


def enqueue_email_sync(queue: Queue, to: str, template: str, data: dict[str, Any], **options: Any) -> Job:
    """Blocking twin of :func:`enqueue_email`."""
    options.setdefault("priority", template_spec(template).priority)
    return queue.add(JOB_NAME, {"to": to, "template": template, "data": data}, **options)


class EmailDelivery:
    """Renders and sends emails through one transport, recording each in the email log."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        transport: EmailTransport | None = None,
        renderer: TemplateRenderer | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.transport = transport or make_transport(settings)
        self.renderer = renderer or TemplateRenderer()

    def already_sent(self, job_id: str) -> EmailLog | None:
        """The SENT log row of a job, if an earlier try already delivered it."""
        with self.db.session() as session:
            return session.scalar(
                select(EmailLog).where(EmailLog.job_id == job_id, EmailLog.status == EmailStatus.SENT)
            )

    def send(self, to: str, template: str, data: dict[str, Any], *, job_id: str | None = None,
             attempt: int = 1) -> SentEmail:
        """Render, send and log one email (one email-log row per call: try `attempt` of `job_id`);
        raises EmailSendError (logged as FAILED) on failure."""
        rendered = self.renderer.render(template, data)
        message = build_message(rendered, to=to, sender=self.settings.email_from)
        try:
            provider_id = self.transport.send(message)
        except EmailSendError as exc:
            self._log(job_id, attempt, to, template, rendered.subject, EmailStatus.FAILED, None, str(exc))
            raise
        self._log(job_id, attempt, to, template, rendered.subject, EmailStatus.SENT, provider_id, None)
        log.info("email %s to %s sent via %s (%s)", template, to, self.transport.name, provider_id)
        return SentEmail(to, template, rendered.subject, provider_id)

    def _log(
        self,
        job_id: str | None,
        attempt: int,
        to: str,
        template: str,
        subject: str,
        status: EmailStatus,
        provider_id: str | None,
        error: str | None,
    ) -> None:
        now = utcnow()
        with self.db.session() as session:
            session.add(EmailLog(
                job_id=job_id, attempt=attempt, to_address=to, template=template, subject=subject,
                status=status, provider_id=provider_id, error=error, created_at=now,
                sent_at=now if status == EmailStatus.SENT else None,
            ))


class EmailSender:
    """The ``send-email`` handler (a plain callable, run in the worker's thread pool)."""

    def __init__(self, delivery: EmailDelivery) -> None:
        self.delivery = delivery

    def handle(self, job: Job) -> dict[str, Any]:
        """Render the template and send the email through the configured transport.

        Writes: email log, one row per try (SENT with the provider's id in ``externalId``, or
        FAILED with the error); an .eml file in the outbox folder with the default transport.
        Failure: transport errors retry (3 tries, 10 s apart); a permanent refusal (SMTP 5xx,
        recipient refused, HTTP 4xx) fails at once. A job whose email was already sent by an
        earlier try is not sent again.
        Priority: order-confirmation 1, dead-letter-alert 3, every other template 5 (set by
        enqueue_email from the template; a producer adding the job directly passes `priority`).
        Returns: ``{"success": true, "emailId": <provider id>}`` (the app's handler's shape).
        """
        payload = SendEmailJob.model_validate(job.data).root
        done = self.delivery.already_sent(job.id)
        if done is not None:
            return {"success": True, "emailId": done.provider_id, "alreadySent": True}
        try:
            sent = self.delivery.send(
                payload.to, payload.template, payload.data.model_dump(mode="json"), job_id=job.id,
                attempt=job.attempts_made + 1,
            )
        except EmailSendError as exc:
            if exc.permanent:
                raise UnrecoverableError(str(exc)) from None
            if exc.retry_after is not None:
                raise RetryAfter(exc.retry_after, str(exc)) from None
            raise
        return {"success": True, "emailId": sent.provider_id}
