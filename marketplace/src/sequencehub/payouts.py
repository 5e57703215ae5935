"""The ``monthly-payouts`` job: one payout row per creator for the previous month, then an email.

A creator's payout is the sum over their items in PAID orders paid during the month (UTC) of the
price minus the platform fee fixed at purchase time. Creators without sales get no row. A row is
unique per creator and month, so running the job twice (or in two workers at once) creates one
set of rows; each payout's ``creator-payout`` email is enqueued once (job id
``payout-email-<payoutId>``), remembered in ``email_job_id``.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .audit import record_audit
from .db import Database
from .models import AuditAction, Creator, Order, OrderItem, OrderStatus, Payout

log = logging.getLogger("sequencehub.payouts")

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PayoutPeriodError(ValueError):
    """A payout period that is not YYYY-MM."""


@dataclass
class PayoutReport:
    """What one payout run did."""

    period: str
    created: int = 0
    existing: int = 0
    total_amount_cents: int = 0
    emails_enqueued: int = 0
    payout_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the job's result)."""
        return asdict(self)


@dataclass(frozen=True)
class PayoutEmail:
    """A payout still waiting for its email."""

    payout_id: str
    to: str
    data: dict[str, Any]

    @property
    def job_id(self) -> str:
        """The email job's id: adding it twice adds it once."""
        return f"payout-email-{self.payout_id}"


def previous_period(now: datetime) -> str:
    """The month before `now` (UTC) as YYYY-MM."""
    utc = now.astimezone(UTC)
    year, month = (utc.year, utc.month - 1) if utc.month > 1 else (utc.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a YYYY-MM month in UTC."""
    match = PERIOD_PATTERN.match(period or "")
    if match is None:
        raise PayoutPeriodError(f"payout period must be YYYY-MM, got {period!r}")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def compute_payouts(db: Database, period: str) -> PayoutReport:
    """Create the missing payout rows of `period`; existing ones are left as they are."""
    start, end = period_bounds(period)
    report = PayoutReport(period=period)
    with db.session() as session:
        rows = session.execute(
            select(
                OrderItem.creator_id,
                OrderItem.order_id,
                OrderItem.price_cents,
                OrderItem.platform_fee_cents,
                Order.currency,
            )
            .join(Order, Order.id == OrderItem.order_id)
            .where(
                Order.status == OrderStatus.PAID,
                Order.paid_at >= start,
                Order.paid_at < end,
                OrderItem.creator_id.is_not(None),
            )
        )
        totals: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"gross": 0, "fee": 0, "items": 0, "orders": set(), "currencies": set()}
        )
        for creator_id, order_id, price, fee, currency in rows:
            if creator_id is None:
                continue
            entry = totals[creator_id]
            entry["gross"] += price
            entry["fee"] += fee
            entry["items"] += 1
            entry["orders"].add(order_id)
            entry["currencies"].add(currency)
    for creator_id in sorted(totals):
        entry = totals[creator_id]
        if len(entry["currencies"]) != 1:
            raise ValueError(
                f"creator {creator_id} sold in several currencies in {period}: "
                f"{sorted(entry['currencies'])}; payouts need one currency per creator"
            )
        payout = Payout(
            creator_id=creator_id,
            period=period,
            gross_cents=entry["gross"],
            fee_cents=entry["fee"],
            amount_cents=entry["gross"] - entry["fee"],
            currency=next(iter(entry["currencies"])),
            item_count=entry["items"],
            order_count=len(entry["orders"]),
        )
        try:
            with db.session() as session:
                if (
                    session.scalar(
                        select(Payout.id).where(Payout.creator_id == creator_id, Payout.period == period)
                    )
                    is not None
                ):
                    report.existing += 1
                    continue
                session.add(payout)
                session.flush()
                record_audit(
                    session,
                    AuditAction.PAYOUT_CREATED,
                    entity_type="payout",
                    entity_id=payout.id,
                    details={"creatorId": creator_id, "period": period, "amountCents": payout.amount_cents},
                )
            report.created += 1
        except IntegrityError:  # another run created it between our check and insert
            report.existing += 1
    with db.session() as session:
        for payout_row in session.scalars(
            select(Payout).where(Payout.period == period).order_by(Payout.creator_id)
        ):
            report.payout_ids.append(payout_row.id)
            report.total_amount_cents += payout_row.amount_cents
    log.info("payouts for %s: %d created, %d already there", period, report.created, report.existing)
    return report


def pending_payout_emails(db: Database, period: str) -> list[PayoutEmail]:
    """Payouts of `period` whose creator-payout email has not been enqueued yet."""
    with db.session() as session:
        rows = session.execute(
            select(Payout, Creator)
            .join(Creator, Creator.id == Payout.creator_id)
            .where(Payout.period == period, Payout.email_job_id.is_(None))
            .order_by(Payout.creator_id)
        )
        return [
            PayoutEmail(
                payout.id,
                creator.email,
                {
                    "creatorName": creator.display_name,
                    "period": period,
                    "amountCents": payout.amount_cents,
                    "currency": payout.currency,
                    "itemCount": payout.item_count,
                },
            )
            for payout, creator in rows
        ]


def mark_email_enqueued(db: Database, payout_id: str, job_id: str) -> None:
    """Remember that a payout's email job exists."""
    with db.session() as session:
        payout = session.get(Payout, payout_id)
        if payout is not None:
            payout.email_job_id = job_id
