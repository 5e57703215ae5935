"""Dead letters: jobs that failed for the last time, on any queue, and the admin alerts about them.

How it fits together:

* :class:`DeadLetterHook` listens to a worker's ``failed`` event (emitted once per job, after
  its last try has been recorded as failed; also for jobs that stalled too often). It writes one
  ``DeadLetterJob`` row per failed job (a second event for a job that already has an OPEN row
  updates that row instead) and puts the row into the open :class:`~sequencehub.models.AlertBatch`.
* The first dead letter of a quiet period opens a batch and adds one ``dead-letter-alert`` job
  (queue ``scheduled-jobs``, job id ``dead-letter-alert-<batchId>``) that runs
  ``alert_window`` seconds later. Every failure until then joins the same batch, so a burst of
  failures sends one digest instead of thousands of alerts.
* :class:`DeadLetterAlerter` (the alert job) closes the batch and sends one email to each admin in
  ``admin_alert_emails`` and/or one signed JSON POST to ``admin_alert_webhook_url``.
* :func:`areplay_dead_letter` puts the job back on its queue; :func:`resolve_dead_letter` closes
  the row without running anything.

Attach the hook to every worker that runs marketplace queues::

    marketplace = register_marketplace_jobs(app, settings)
    worker = app.worker()
    marketplace.attach_dead_letter_hook(worker)      # == worker.on("failed", hook.on_failed)
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hubjobs import App, Job, JobEvent, JobState, Worker

from .audit import record_audit
from .config import Settings
from .db import Database
from .email.sender import EmailDelivery
from .models import AlertBatch, AlertStatus, AuditAction, DeadLetter, DeadLetterStatus, utcnow
from .ssrf import OutboundGuard
from .webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, USER_AGENT, sign

log = logging.getLogger("sequencehub.dead_letter")

ALERT_QUEUE = "scheduled-jobs"
ALERT_JOB = "dead-letter-alert"
ALERT_ITEMS_LISTED = 50
RECORD_RETRIES = 5


class AlertJob(BaseModel):
    """Payload of ``dead-letter-alert``."""

    model_config = ConfigDict(extra="forbid")

    batchId: str = Field(min_length=1, description="The alert batch to send.")


class DeadLetterError(Exception):
    """A dead-letter operation that cannot be done (unknown id, wrong state)."""


@dataclass(frozen=True)
class RecordedDeadLetter:
    """The outcome of recording one failure."""

    dead_letter_id: str
    created: bool
    """False when an OPEN row for the same job already existed and was updated."""
    batch_id: str | None
    send_after: datetime | None


def alert_job_id(batch_id: str) -> str:
    """The id of a batch's alert job: adding it again adds nothing."""
    return f"{ALERT_JOB}-{batch_id}"


def _open_key(queue: str, job_id: str) -> str:
    return f"{queue}/{job_id}"


def failure_key(queue: str, job_id: str, attempts: int, failed_at: datetime) -> str:
    """One failure of one job, from the engine's durable state: ``queue/id/tries/finished ms``.
    Every recorder (the worker's listener, any reconciler) derives the same key, so a failure is
    recorded once however many see it."""
    return f"{queue}/{job_id}/{attempts}/{round(failed_at.timestamp() * 1000)}"


def record_dead_letter(
    db: Database,
    *,
    queue: str,
    job_id: str,
    job_name: str,
    data: Any,
    error: str,
    attempts: int,
    failed_at: datetime,
    alert: bool = True,
    window: float = 60.0,
) -> RecordedDeadLetter:
    """Write (or update) the dead letter of a failed job and put it into the open alert batch.
    Idempotent per failure (:func:`failure_key`): recording the same failure again changes nothing."""
    last_error: Exception | None = None
    for _ in range(RECORD_RETRIES):
        try:
            return _record_once(db, queue, job_id, job_name, data, error, attempts, failed_at, alert, window)
        except IntegrityError as exc:  # a concurrent writer won a unique slot; read again
            last_error = exc
    raise DeadLetterError(f"could not record dead letter for {queue}/{job_id}: {last_error}")


def _record_once(
    db: Database,
    queue: str,
    job_id: str,
    job_name: str,
    data: Any,
    error: str,
    attempts: int,
    failed_at: datetime,
    alert: bool,
    window: float,
) -> RecordedDeadLetter:
    key = _open_key(queue, job_id)
    this_failure = failure_key(queue, job_id, attempts, failed_at)
    with db.session() as session:
        seen = session.scalar(select(DeadLetter.id).where(DeadLetter.failure_key == this_failure))
        if seen is not None:
            return RecordedDeadLetter(seen, False, None, None)
        existing = session.scalar(select(DeadLetter).where(DeadLetter.open_key == key))
        if existing is not None:
            existing.error, existing.attempts, existing.failed_at = error, attempts, failed_at
            existing.data, existing.job_name = data, job_name
            existing.failure_key = this_failure
            return RecordedDeadLetter(existing.id, False, None, None)
        letter = DeadLetter(
            queue=queue,
            job_id=job_id,
            job_name=job_name,
            data=data,
            error=error,
            attempts=attempts,
            failed_at=failed_at,
            status=DeadLetterStatus.OPEN,
            open_key=key,
            failure_key=this_failure,
        )
        batch = None
        if alert:
            batch = session.scalar(select(AlertBatch).where(AlertBatch.open_slot == 1))
            if batch is None:
                now = utcnow()
                batch = AlertBatch(
                    open_slot=1,
                    status=AlertStatus.PENDING,
                    created_at=now,
                    send_after=now + timedelta(seconds=window),
                )
                session.add(batch)
                session.flush()
            # counted in SQL: concurrent recorders must not overwrite each other's increment
            session.execute(
                update(AlertBatch)
                .where(AlertBatch.id == batch.id)
                .values(dead_letter_count=AlertBatch.dead_letter_count + 1)
                .execution_options(synchronize_session=False)
            )
            letter.alert_batch_id = batch.id
        session.add(letter)
        session.flush()
        return RecordedDeadLetter(
            letter.id, True, batch.id if batch else None, batch.send_after if batch else None
        )


class DeadLetterHook:
    """The worker ``failed`` listener that records dead letters and schedules their alert."""

    def __init__(self, app: App, db: Database, settings: Settings) -> None:
        self.app = app
        self.db = db
        self.settings = settings

    def attach(self, worker: Worker) -> None:
        """Listen to `worker`'s final failures."""
        worker.on("failed", self.on_failed)

    async def on_failed(self, event: JobEvent) -> None:
        """Record the failed job of `event` (as the engine stored it) and make sure its batch's
        alert job exists."""
        if event.job_id is None:
            return
        job: Job | None = None
        if event.queue in self.app.queues:
            job = await self.app.queue(event.queue).aget(event.job_id)
        if job is not None and job.state is JobState.FAILED and job.finished_ts:
            await self.record_job(job)
            return
        job = job or event.job
        error = str(event.data.get("error") or (job.failed_reason if job else "") or "unknown error")
        attempts = int(event.data.get("attempt") or (job.attempts_made if job else 0) or 0)
        failed_at = datetime.fromtimestamp(event.at, tz=UTC) if event.at else utcnow()
        await self._record(event.queue, event.job_id, job.name if job else "", job.data if job else None,
                           error, attempts, failed_at)

    async def record_job(self, job: Job) -> None:
        """Record a job in the engine's ``failed`` state (its tries and finish time key the failure)."""
        failed_at = datetime.fromtimestamp(job.finished_ts or time.time(), tz=UTC)
        await self._record(job.queue, job.id, job.name, job.data, job.failed_reason or "unknown error",
                           job.attempts_made, failed_at)

    async def _record(self, queue: str, job_id: str, name: str, data: Any, error: str, attempts: int,
                      failed_at: datetime) -> None:
        is_alert_job = queue == ALERT_QUEUE and name == ALERT_JOB
        recorded = await asyncio.to_thread(
            record_dead_letter,
            self.db,
            queue=queue,
            job_id=job_id,
            job_name=name,
            data=data,
            error=error,
            attempts=attempts,
            failed_at=failed_at,
            alert=not is_alert_job,
            window=self.settings.alert_window,
        )
        if not recorded.created:
            return
        log.warning(
            "job %s/%s (%s) failed permanently after %d tries: %s; dead letter %s",
            queue,
            job_id,
            name,
            attempts,
            error,
            recorded.dead_letter_id,
        )
        if is_alert_job:
            log.error("the dead-letter alert job itself failed; no alert is sent for it")
            return
        if recorded.batch_id is not None and recorded.send_after is not None:
            await self.app.queue(ALERT_QUEUE).aadd(
                ALERT_JOB,
                {"batchId": recorded.batch_id},
                job_id=alert_job_id(recorded.batch_id),
                run_at=recorded.send_after,
            )


class DeadLetterAlerter:
    """The ``dead-letter-alert`` handler: one email per admin and/or one webhook per batch."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        delivery: EmailDelivery,
        *,
        guard: OutboundGuard | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.delivery = delivery
        self.guard = guard or OutboundGuard(settings.outbound_allow)
        self.transport = transport

    def handle(self, job: Job) -> dict[str, Any]:
        """Close the alert batch and send one alert (or digest) about its dead letters.

        Writes: alert_batches (status SENT with channels and subject, or FAILED with the error);
        email log rows for the admin emails.
        Failure: retried like any scheduled job; channels already served are not repeated.
        Its own permanent failure is recorded as a dead letter without another alert.
        """
        return self.send_batch(AlertJob.model_validate(job.data).batchId)

    def send_batch(self, batch_id: str) -> dict[str, Any]:
        """Send the alert of one batch (idempotent: a SENT batch is not sent again)."""
        with self.db.session() as session:
            batch = session.get(AlertBatch, batch_id)
            if batch is None:
                raise DeadLetterError(f"no alert batch {batch_id!r}")
            batch.open_slot = None  # later failures start a new batch
            if batch.status == AlertStatus.SENT:
                return {"batchId": batch_id, "alreadySent": True}
            letters = list(
                session.scalars(
                    select(DeadLetter)
                    .where(DeadLetter.alert_batch_id == batch_id)
                    .order_by(DeadLetter.failed_at, DeadLetter.id)
                )
            )
            done = set(batch.channels or [])
        data = self._alert_data(letters)
        subject = self.delivery.renderer.render("dead-letter-alert", data).subject
        errors: list[str] = []
        for address in self.settings.admin_alert_emails:
            channel = f"email:{address}"
            if channel in done:
                continue
            try:
                self.delivery.send(address, "dead-letter-alert", data)
                done.add(channel)
            except Exception as exc:  # noqa: BLE001 - one channel failing must not stop the others
                errors.append(f"{channel}: {exc}")
        if self.settings.admin_alert_webhook_url and "webhook" not in done:
            try:
                self._post_webhook(self.settings.admin_alert_webhook_url, batch_id, data)
                done.add("webhook")
            except Exception as exc:  # noqa: BLE001 - reported in the batch and raised below
                errors.append(f"webhook: {exc}")
        if not self.settings.admin_alert_emails and not self.settings.admin_alert_webhook_url:
            log.warning(
                "dead-letter alert %s: no admin channel configured (SEQUENCEHUB_ADMIN_ALERT_EMAILS, "
                "SEQUENCEHUB_ADMIN_ALERT_WEBHOOK_URL); %s",
                batch_id,
                subject,
            )
        with self.db.session() as session:
            batch = session.get(AlertBatch, batch_id)
            assert batch is not None
            batch.channels = sorted(done)
            batch.subject = subject
            batch.dead_letter_count = len(letters)
            batch.error = "; ".join(errors) or None
            batch.status = AlertStatus.FAILED if errors else AlertStatus.SENT
            if not errors:
                batch.sent_at = utcnow()
        if errors:
            raise DeadLetterError(f"alert {batch_id} not fully sent: {'; '.join(errors)}")
        return {
            "batchId": batch_id,
            "deadLetters": len(letters),
            "channels": sorted(done),
            "subject": subject,
        }

    def _alert_data(self, letters: list[DeadLetter]) -> dict[str, Any]:
        listed = letters[:ALERT_ITEMS_LISTED]
        return {
            "count": max(1, len(letters)),
            "items": [
                {
                    "queue": d.queue,
                    "jobId": d.job_id,
                    "jobName": d.job_name or "?",
                    "error": d.error[:500],
                    "attempts": d.attempts,
                    "failedAt": d.failed_at.isoformat(timespec="seconds"),
                }
                for d in listed
            ],
            "omitted": max(0, len(letters) - len(listed)),
            "dashboardUrl": self.settings.public_base_url.rstrip("/") + "/admin/queues",
        }

    def _post_webhook(self, url: str, batch_id: str, data: dict[str, Any]) -> None:
        self.guard.check(url)
        body = json.dumps(
            {"type": "dead-letters", "batchId": batch_id, **data}, separators=(",", ":")
        ).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, TIMESTAMP_HEADER: timestamp}
        if self.settings.webhook_secret:
            headers[SIGNATURE_HEADER] = sign(self.settings.webhook_secret, timestamp, body)
        with httpx.Client(
            timeout=self.settings.webhook_timeout,
            follow_redirects=False,
            trust_env=False,
            transport=self.transport,
        ) as client:
            response = client.post(url, content=body, headers=headers)
        if not response.is_success:
            raise DeadLetterError(f"admin alert webhook answered HTTP {response.status_code}")


# --------------------------------------------------------------------- admin operations


def list_dead_letters(
    db: Database,
    *,
    status: DeadLetterStatus | str | None = DeadLetterStatus.OPEN,
    queue: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[DeadLetter]:
    """Dead letters, newest first, filtered by status (None: all) and queue."""
    query = (
        select(DeadLetter).order_by(DeadLetter.failed_at.desc(), DeadLetter.id).limit(limit).offset(offset)
    )
    if status is not None:
        query = query.where(DeadLetter.status == DeadLetterStatus(status))
    if queue is not None:
        query = query.where(DeadLetter.queue == queue)
    with db.session() as session:
        return list(session.scalars(query))


def _require_open(session: Session, dead_letter_id: str) -> DeadLetter:
    letter = session.get(DeadLetter, dead_letter_id)
    if letter is None:
        raise DeadLetterError(f"no dead letter {dead_letter_id!r}")
    if letter.status != DeadLetterStatus.OPEN:
        raise DeadLetterError(
            f"dead letter {dead_letter_id} is {letter.status}; only OPEN ones can be changed"
        )
    return letter


def _set_status(db: Database, dead_letter_id: str, status: DeadLetterStatus, **fields: Any) -> DeadLetter:
    with db.session() as session:
        letter = _require_open(session, dead_letter_id)
        letter.status = status
        letter.open_key = None
        for name, value in fields.items():
            setattr(letter, name, value)
        action = (
            AuditAction.DEAD_LETTER_REPLAYED
            if status == DeadLetterStatus.REPLAYED
            else AuditAction.DEAD_LETTER_RESOLVED
        )
        record_audit(
            session,
            action,
            entity_type="dead_letter",
            entity_id=letter.id,
            details={
                "queue": letter.queue,
                "jobId": letter.job_id,
                **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()},
            },
        )
        return letter


def _reopen(db: Database, dead_letter_id: str) -> None:
    with db.session() as session:
        letter = session.get(DeadLetter, dead_letter_id)
        if letter is not None:
            letter.status = DeadLetterStatus.OPEN
            letter.open_key = _open_key(letter.queue, letter.job_id)
            letter.replayed_at = None
            letter.replay_job_id = None


async def areplay_dead_letter(app: App, db: Database, dead_letter_id: str, *, by: str | None = None) -> Job:
    """Put a dead letter's job back on its queue; returns the job that will run.

    The failed job itself is retried when the engine still has it; otherwise a copy is added as
    ``<jobId>-replay-<random>``. The row becomes REPLAYED; a new failure makes a new row."""
    letter = await asyncio.to_thread(_load, db, dead_letter_id)
    queue = app.get_queue(letter.queue)
    existing = await queue.aget(letter.job_id)
    if (
        existing is not None
        and existing.state in (JobState.WAITING, JobState.DELAYED, JobState.ACTIVE)
        or existing is not None
        and existing.state == JobState.FAILED
    ):
        target_id = existing.id
    else:
        target_id = f"{letter.job_id}-replay-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(
        _set_status,
        db,
        dead_letter_id,
        DeadLetterStatus.REPLAYED,
        replayed_at=utcnow(),
        replay_job_id=target_id,
        resolved_by=by,
    )
    try:
        if existing is not None and existing.state == JobState.FAILED:
            return await queue.aretry(existing.id)
        if existing is not None and target_id == existing.id:
            return existing
        return await queue.aadd(letter.job_name, letter.data, job_id=target_id)
    except BaseException:
        await asyncio.to_thread(_reopen, db, dead_letter_id)
        raise


def replay_dead_letter(app: App, db: Database, dead_letter_id: str, *, by: str | None = None) -> Job:
    """Blocking twin of :func:`areplay_dead_letter`."""
    return app.portal.call(areplay_dead_letter(app, db, dead_letter_id, by=by))


def resolve_dead_letter(
    db: Database, dead_letter_id: str, *, by: str | None = None, note: str | None = None
) -> DeadLetter:
    """Mark a dead letter handled without running it again."""
    return _set_status(
        db, dead_letter_id, DeadLetterStatus.RESOLVED, resolved_at=utcnow(), resolved_by=by, note=note
    )


def _load(db: Database, dead_letter_id: str) -> DeadLetter:
    with db.session() as session:
        letter: DeadLetter = _require_open(session, dead_letter_id)
        return letter
