"""The ``daily-analytics`` job: yesterday's sales and buyer engagement, every day.

For the UTC day before the run: the ``"DailySales"`` row (PAID orders by payment time) and the
``"UserEngagement"`` row — downloads, active buyers (paid an order or downloaded that day; a
download counts for its user, else for its order's buyer),
repeat purchases (paid orders by a buyer with an earlier paid order) and new buyers (first paid
order that day). Buyers are told apart by ``buyerId``, else by ``buyerEmail``. Re-running a day
replaces its rows, so the job is idempotent. The weekly job still recomputes whole weeks.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hubjobs import Job

from .db import Database
from .models import DailySales, Download, Order, OrderItem, OrderStatus, UserEngagement, utcnow
from .scheduled import ScheduledRun

log = logging.getLogger("sequencehub.analytics")


@dataclass
class DailyReport:
    """What one daily run computed (the job's result)."""

    day: str
    orders: int = 0
    items: int = 0
    gross_cents: int = 0
    downloads: int = 0
    active_buyers: int = 0
    repeat_purchases: int = 0
    new_buyers: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def run_daily_analytics(db: Database, now: datetime) -> DailyReport:
    """Compute and store the sales and engagement of the UTC day before `now`."""
    day = now.astimezone(UTC).date() - timedelta(days=1)
    start, end = _bounds(day)
    report = DailyReport(day=day.isoformat())
    with db.session() as session:
        orders = session.execute(
            select(Order.id, Order.buyer_id, Order.buyer_email)
            .where(Order.status == OrderStatus.PAID, Order.paid_at >= start, Order.paid_at < end)).all()
        items = session.execute(
            select(OrderItem.price_cents, OrderItem.platform_fee_cents).join(Order, OrderItem.order_id == Order.id)
            .where(Order.status == OrderStatus.PAID, Order.paid_at >= start, Order.paid_at < end)).all()
        downloaders = {
            f"user:{user}" if user else _buyer(buyer_id, email or "")
            for user, buyer_id, email in session.execute(
                select(Download.user_id, Order.buyer_id, Order.buyer_email)
                .outerjoin(Order, Download.order_id == Order.id)
                .where(Download.created_at >= start, Download.created_at < end))
            if user or buyer_id or email
        }
        report.downloads = len(session.execute(
            select(Download.id).where(Download.created_at >= start, Download.created_at < end)).all())
        buyers = {_buyer(buyer_id, email) for _, buyer_id, email in orders}
        earlier = _earlier_buyers(session, start)
        report.orders, report.items = len(orders), len(items)
        report.gross_cents = sum(price for price, _ in items)
        report.repeat_purchases = sum(1 for _, b, e in orders if _buyer(b, e) in earlier)
        report.new_buyers = len(buyers - earlier)
        report.active_buyers = len(buyers | downloaders)
        session.execute(delete(DailySales).where(DailySales.day == day))
        session.execute(delete(UserEngagement).where(UserEngagement.day == day))
        computed_at = utcnow()
        session.add(DailySales(day=day, order_count=report.orders, item_count=report.items,
                               gross_cents=report.gross_cents, fee_cents=sum(fee for _, fee in items),
                               computed_at=computed_at))
        session.add(UserEngagement(day=day, downloads=report.downloads, active_buyers=report.active_buyers,
                                   repeat_purchases=report.repeat_purchases, new_buyers=report.new_buyers,
                                   computed_at=computed_at))
    log.info("daily analytics: %s", report.to_dict())
    return report


def _buyer(buyer_id: str | None, email: str) -> str:
    return f"user:{buyer_id}" if buyer_id else f"email:{email.lower()}"


def _earlier_buyers(session: Session, before: datetime) -> set[str]:
    rows = session.execute(select(Order.buyer_id, Order.buyer_email)
                           .where(Order.status == OrderStatus.PAID, Order.paid_at < before)).all()
    return {_buyer(buyer_id, email) for buyer_id, email in rows}


class DailyAnalytics:
    """The ``daily-analytics`` handler."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle(self, job: Job) -> dict[str, Any]:
        """Aggregate yesterday (UTC): sales and buyer engagement (downloads, active buyers,
        repeat purchases, new buyers).

        Writes: "DailySales" and "UserEngagement" rows of that day (replaced, so re-running is safe).
        Failure: one transaction; retried.
        """
        run = ScheduledRun.model_validate(job.data or {})
        report = await asyncio.to_thread(run_daily_analytics, self.db, run.asOf or utcnow())
        await job.alog(f"{report.day}: {report.orders} orders, {report.downloads} downloads, "
                       f"{report.active_buyers} active buyers, {report.repeat_purchases} repeat purchases")
        return report.to_dict()
