"""What the demo did, read back from the marketplace database and the job engine."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hubjobs import App

from ..db import Database
from ..models import (
    AlertBatch,
    DailySales,
    DeadLetter,
    EmailLog,
    Order,
    Payout,
    ProductFile,
    StripeEvent,
    UploadSession,
    UserEngagement,
    WebhookLog,
)


@dataclass
class DemoSummary:
    """Counts the demo reports; every number is read from storage, not from the demo's memory."""

    files_by_status: dict[str, int] = field(default_factory=dict)
    webhook_status: str = ""
    webhook_attempts: int = 0
    webhook_retry_headers: list[str] = field(default_factory=list)
    emails_sent: int = 0
    emails_failed: int = 0
    outbox_files: int = 0
    payouts: int = 0
    upload_sessions_left: int = 0
    dead_letters: int = 0
    alerts_sent: int = 0
    resend_ids: list[str] = field(default_factory=list)
    """Provider ids of the sent emails ("EmailLog"."externalId"), from the local Resend API."""
    stripe_event: str = ""
    stripe_order_status: str = ""
    engagement: dict[str, Any] = field(default_factory=dict)
    """The daily analytics of yesterday ("DailySales" + "UserEngagement")."""
    jobs: dict[str, dict[str, int]] = field(default_factory=dict)
    dashboard_url: str | None = None
    outbox_dir: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


async def collect_summary(app: App, db: Database, outbox: Path, webhook_id: str,
                          retry_headers: list[str]) -> DemoSummary:
    """Read the demo's outcome from the databases and the outbox folder."""
    summary = DemoSummary(outbox_dir=str(outbox))
    with db.session() as s:
        statuses = s.scalars(select(ProductFile.processing_status).where(ProductFile.deleted_at.is_(None))).all()
        summary.files_by_status = dict(sorted(Counter(str(v) for v in statuses).items()))
        hook = s.get(WebhookLog, webhook_id)
        if hook is not None:
            summary.webhook_status = str(hook.status)
            summary.webhook_attempts = hook.attempts
        summary.emails_sent = s.scalar(select(func.count()).select_from(EmailLog).where(EmailLog.status == "SENT")) or 0
        summary.emails_failed = s.scalar(select(func.count()).select_from(EmailLog)
                                         .where(EmailLog.status != "SENT")) or 0
        summary.payouts = s.scalar(select(func.count()).select_from(Payout)) or 0
        summary.upload_sessions_left = s.scalar(select(func.count()).select_from(UploadSession)) or 0
        summary.dead_letters = s.scalar(select(func.count()).select_from(DeadLetter)) or 0
        summary.alerts_sent = s.scalar(select(func.count()).select_from(AlertBatch)
                                       .where(AlertBatch.status == "SENT")) or 0
        summary.resend_ids = sorted(i for i in s.scalars(select(EmailLog.provider_id)
                                                         .where(EmailLog.status == "SENT")) if i)
        event = s.scalars(select(StripeEvent).order_by(StripeEvent.received_at.desc())).first()
        if event is not None:
            summary.stripe_event = f"{event.type} {event.event_id}: {event.status}"
            order = s.scalars(select(Order).where(Order.stripe_session_id.is_not(None))).first()
            summary.stripe_order_status = str(order.status) if order is not None else "not paid"
        engagement = s.scalars(select(UserEngagement).order_by(UserEngagement.day.desc())).first()
        sales = s.get(DailySales, engagement.day) if engagement is not None else None
        if engagement is not None:
            summary.engagement = {"day": engagement.day.isoformat(), "orders": sales.order_count if sales else 0,
                                  "downloads": engagement.downloads, "active buyers": engagement.active_buyers,
                                  "repeat purchases": engagement.repeat_purchases,
                                  "new buyers": engagement.new_buyers}
    summary.webhook_retry_headers = list(retry_headers)
    summary.outbox_files = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    for name in sorted(app.queues):
        summary.jobs[name] = await app.queue(name).acounts()
    return summary
