"""What the demo did, read back from the marketplace database and the job engine."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hubjobs import App

from ..db import Database
from ..models import AlertBatch, DeadLetter, EmailLog, Payout, ProductFile, UploadSession, WebhookLog


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
    summary.webhook_retry_headers = list(retry_headers)
    summary.outbox_files = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    for name in sorted(app.queues):
        summary.jobs[name] = await app.queue(name).acounts()
    return summary
