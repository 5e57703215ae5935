"""The ``weekly-analytics`` job: daily sales, creator revenue and popular products of one week.

The week is the seven whole UTC days before the day of the run (a run on Monday covers Monday to
Sunday of the previous week). Only PAID orders count, by their payment time. Re-running a week
replaces its rows, so the job is idempotent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select

from .db import Database
from .models import CreatorRevenue, DailySales, Order, OrderItem, OrderStatus, ProductPopularity

log = logging.getLogger("sequencehub.analytics")

WEEK_DAYS = 7


@dataclass
class AnalyticsReport:
    """What one analytics run computed."""

    week_start: str
    week_end: str
    days: int = 0
    orders: int = 0
    items: int = 0
    gross_cents: int = 0
    creators: int = 0
    popular_products: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the job's result)."""
        return asdict(self)


def week_for(now: datetime) -> date:
    """First day of the week a run at `now` reports on (seven days before `now`'s UTC date)."""
    return now.astimezone(UTC).date() - timedelta(days=WEEK_DAYS)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class _Sale:
    order_id: str
    paid_at: datetime
    product_id: str | None
    creator_id: str | None
    price_cents: int
    fee_cents: int


def run_weekly_analytics(db: Database, now: datetime, *, top_products: int = 10) -> AnalyticsReport:
    """Compute and store the analytics of the week before `now`; returns the totals."""
    week_start = week_for(now)
    days = [week_start + timedelta(days=i) for i in range(WEEK_DAYS)]
    start, end = _start_of(days[0]), _start_of(days[-1] + timedelta(days=1))
    report = AnalyticsReport(week_start=week_start.isoformat(), week_end=days[-1].isoformat(), days=WEEK_DAYS)
    computed_at = datetime.now(UTC)
    with db.session() as session:
        rows = session.execute(
            select(
                Order.id,
                Order.paid_at,
                OrderItem.product_id,
                OrderItem.creator_id,
                OrderItem.price_cents,
                OrderItem.platform_fee_cents,
            )
            .join(OrderItem, OrderItem.order_id == Order.id)
            .where(Order.status == OrderStatus.PAID, Order.paid_at >= start, Order.paid_at < end)
        )
        sales = [
            _Sale(order_id, paid_at, product_id, creator_id, price, fee)
            for order_id, paid_at, product_id, creator_id, price, fee in rows
            if paid_at is not None
        ]

        per_day: dict[date, list[_Sale]] = defaultdict(list)
        for sale in sales:
            per_day[sale.paid_at.astimezone(UTC).date()].append(sale)
        session.execute(delete(DailySales).where(DailySales.day >= days[0], DailySales.day <= days[-1]))
        for day in days:
            day_sales = per_day.get(day, [])
            session.add(
                DailySales(
                    day=day,
                    order_count=len({s.order_id for s in day_sales}),
                    item_count=len(day_sales),
                    gross_cents=sum(s.price_cents for s in day_sales),
                    fee_cents=sum(s.fee_cents for s in day_sales),
                    computed_at=computed_at,
                )
            )

        per_creator: dict[str, list[_Sale]] = defaultdict(list)
        for sale in sales:
            if sale.creator_id is not None:
                per_creator[sale.creator_id].append(sale)
        session.execute(delete(CreatorRevenue).where(CreatorRevenue.week_start == week_start))
        for creator_id in sorted(per_creator):
            items = per_creator[creator_id]
            gross = sum(s.price_cents for s in items)
            session.add(
                CreatorRevenue(
                    creator_id=creator_id,
                    week_start=week_start,
                    item_count=len(items),
                    gross_cents=gross,
                    net_cents=gross - sum(s.fee_cents for s in items),
                    computed_at=computed_at,
                )
            )

        per_product: dict[str, list[_Sale]] = defaultdict(list)
        for sale in sales:
            if sale.product_id is not None:
                per_product[sale.product_id].append(sale)
        ranking = sorted(
            per_product.items(), key=lambda kv: (-len(kv[1]), -sum(s.price_cents for s in kv[1]), kv[0])
        )[:top_products]
        session.execute(delete(ProductPopularity).where(ProductPopularity.week_start == week_start))
        for rank, (product_id, items) in enumerate(ranking, start=1):
            session.add(
                ProductPopularity(
                    product_id=product_id,
                    week_start=week_start,
                    rank=rank,
                    units_sold=len(items),
                    revenue_cents=sum(s.price_cents for s in items),
                    computed_at=computed_at,
                )
            )

    report.orders = len({s.order_id for s in sales})
    report.items = len(sales)
    report.gross_cents = sum(s.price_cents for s in sales)
    report.creators = len(per_creator)
    report.popular_products = len(ranking)
    log.info("weekly analytics: %s", report.to_dict())
    return report
