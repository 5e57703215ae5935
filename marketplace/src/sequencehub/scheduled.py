"""Handlers of the ``scheduled-jobs`` queue: daily cleanup, weekly analytics, monthly payouts.

Each takes optional data so an admin can re-run a past period (``asOf`` time, ``period`` month);
the schedules add them with empty data, meaning "now".
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hubjobs import Job, Queue

from .analytics import run_weekly_analytics
from .config import Settings
from .db import Database
from .email.sender import enqueue_email
from .files.storage import FileStorage
from .maintenance import run_daily_cleanup
from .models import utcnow
from .payouts import compute_payouts, mark_email_enqueued, pending_payout_emails, previous_period


class ScheduledRun(BaseModel):
    """Data of ``daily-cleanup`` and ``weekly-analytics``."""

    model_config = ConfigDict(extra="forbid")

    asOf: AwareDatetime | None = Field(
        default=None, description="Run as if it were this time (default: now)."
    )


class PayoutRun(ScheduledRun):
    """Data of ``monthly-payouts``."""

    period: str | None = Field(
        default=None,
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="Month to pay, YYYY-MM (default: the month before asOf).",
    )


class DailyCleanup:
    """The ``daily-cleanup`` handler."""

    def __init__(self, db: Database, settings: Settings, storage: FileStorage | None = None) -> None:
        self.db = db
        self.settings = settings
        self.storage = storage

    async def handle(self, job: Job) -> dict[str, Any]:
        """Delete expired unfinished upload sessions, audit entries older than 90 days (except
        ORDER_CREATED, PAYMENT_RECEIVED, REFUND_INITIATED) and every soft-deleted model (users,
        creators, products, files) past its retention.

        Writes: deletes from "UploadSession", "AuditLog", "User", "Creator", "Product" and
        "ProductFile" (and stored objects); the result and job log give each count.
        Failure: one transaction, so a failed try changes nothing; retried.
        """
        run = ScheduledRun.model_validate(job.data or {})
        report = await asyncio.to_thread(
            run_daily_cleanup, self.db, self.settings, run.asOf or utcnow(), storage=self.storage
        )
        await job.alog(
            f"deleted {report.upload_sessions_deleted} expired upload sessions, "
            f"{report.audit_entries_deleted} audit entries; purged {report.users_purged} users, "
            f"{report.creators_purged} creators, {report.products_purged} products and "
            f"{report.product_files_purged} files"
        )
        return report.to_dict()


class WeeklyAnalytics:
    """The ``weekly-analytics`` handler."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def handle(self, job: Job) -> dict[str, Any]:
        """Aggregate the previous seven days of PAID orders: sales per day, revenue per creator and
        the most popular products.

        Writes: analytics_daily_sales (7 rows), analytics_creator_revenue, analytics_product_popularity
        (rows of that week replaced, so re-running is safe).
        Failure: one transaction; retried.
        """
        run = ScheduledRun.model_validate(job.data or {})
        report = await asyncio.to_thread(
            run_weekly_analytics,
            self.db,
            run.asOf or utcnow(),
            top_products=self.settings.popular_products_limit,
        )
        await job.alog(
            f"week {report.week_start}..{report.week_end}: {report.orders} orders, "
            f"{report.items} items, {report.gross_cents} cents, {report.creators} creators"
        )
        return report.to_dict()


class MonthlyPayouts:
    """The ``monthly-payouts`` handler."""

    def __init__(self, db: Database, email_queue: Queue) -> None:
        self.db = db
        self.email_queue = email_queue

    async def handle(self, job: Job) -> dict[str, Any]:
        """Create one payout per creator with sales in the previous month, then enqueue each
        payout's creator-payout email.

        Writes: payouts (unique per creator and month: a re-run adds nothing), an audit entry
        PAYOUT_CREATED per new payout, and one send-email job per payout (job id
        payout-email-<payoutId>).
        Failure: retried; rows and emails already made are not made again.
        """
        run = PayoutRun.model_validate(job.data or {})
        period = run.period or previous_period(run.asOf or utcnow())
        report = await asyncio.to_thread(compute_payouts, self.db, period)
        for pending in await asyncio.to_thread(pending_payout_emails, self.db, period):
            await enqueue_email(
                self.email_queue, pending.to, "creator-payout", pending.data, job_id=pending.job_id
            )
            await asyncio.to_thread(mark_email_enqueued, self.db, pending.payout_id, pending.job_id)
            report.emails_enqueued += 1
        await job.alog(
            f"payouts {period}: {report.created} created, {report.existing} existing, "
            f"{report.emails_enqueued} emails enqueued, total {report.total_amount_cents} cents"
        )
        return report.to_dict()
