"""Scheduled jobs on seeded data: daily cleanup, weekly analytics and monthly payouts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hubjobs import App
from sequencehub.analytics import run_weekly_analytics
from sequencehub.audit import record_audit
from sequencehub.db import Database
from sequencehub.files.storage import LocalFileStorage
from sequencehub.models import (
    AuditLog,
    CreatorRevenue,
    DailySales,
    Order,
    OrderItem,
    OrderStatus,
    Payout,
    Product,
    ProductFile,
    ProductPopularity,
    UploadSession,
    UploadStatus,
)
from sequencehub.payouts import period_bounds, previous_period
from sequencehub.sample_data import (
    add_creator,
    add_order,
    add_product,
    add_product_file,
    add_upload_session,
    seed_sample_marketplace,
)
from tests.helpers import running_worker, state_is, wait_until
from tests.sequencehub.marketplace_support import close_app, eml_files, make_marketplace, read_eml

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # a Monday
QUEUE = "scheduled-jobs"


async def run_job(
    app: App, name: str, data: Mapping[str, object], job_id: str | None = None
) -> dict[str, Any]:
    q = app.queue(QUEUE)
    job = await q.aadd(name, data, job_id=job_id)
    async with running_worker(app, QUEUE):
        await wait_until(state_is(app, QUEUE, job.id, "completed", "failed"), what=f"{name} finished")
    done = await q.aget(job.id)
    assert done is not None and done.state.value == "completed", done and done.errors
    assert isinstance(done.result, dict)
    return done.result


def ids(db: Database, model: Any) -> set[str]:
    with db.session() as s:
        return {str(r) for r in s.scalars(select(model.id))}


# --------------------------------------------------------------------- daily cleanup


async def test_daily_cleanup_deletes_exactly_what_is_due(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path / "files")
    app, mj = make_marketplace(tmp_path, storage=storage)
    db = mj.db
    day = timedelta(days=1)
    with db.session() as s:
        creator = add_creator(s, "C", "c@example.com")
        doomed_uploads = [
            add_upload_session(s, creator, "a.fseq", status=UploadStatus.INITIATED, expires_at=NOW - day),
            add_upload_session(
                s, creator, "b.fseq", status=UploadStatus.UPLOADING, expires_at=NOW - timedelta(minutes=1)
            ),
        ]
        kept_uploads = [
            add_upload_session(
                s, creator, "c.fseq", status=UploadStatus.UPLOADING, expires_at=NOW + timedelta(hours=1)
            ),
            add_upload_session(s, creator, "d.fseq", status=UploadStatus.COMPLETED, expires_at=NOW - day),
            add_upload_session(s, creator, "e.fseq", status=UploadStatus.FAILED, expires_at=NOW - day),
            add_upload_session(s, creator, "f.fseq", status=UploadStatus.INITIATED, expires_at=NOW + day),
        ]
        doomed_audit = [
            record_audit(s, a, at=NOW - timedelta(days=d))
            for a, d in [("PRODUCT_VIEWED", 100), ("WEBHOOK_PROCESSED", 365), ("LOGIN", 91)]
        ]
        kept_audit = [
            record_audit(s, a, at=NOW - timedelta(days=d))
            for a, d in [
                ("ORDER_CREATED", 400),
                ("PAYMENT_RECEIVED", 200),
                ("REFUND_INITIATED", 91),
                ("PRODUCT_VIEWED", 89),
                ("LOGIN", 1),
            ]
        ]
        purged = add_product(
            s, creator, "Purged", 500, deleted_at=NOW - timedelta(days=31), files=["p1.fseq", "p2.mp4"]
        )
        recent = add_product(
            s, creator, "Recently deleted", 500, deleted_at=NOW - timedelta(days=29), files=["r.fseq"]
        )
        live = add_product(s, creator, "Live", 700, files=["live.fseq"])
        old_file = add_product_file(s, live, "old-version.fseq", deleted_at=NOW - timedelta(days=40))
        old_file.thumbnail_key = f"thumbs/{old_file.id}.png"
        young_file = add_product_file(s, live, "young.fseq", deleted_at=NOW - timedelta(days=10))
        sold = add_order(s, "b@example.com", [purged, live], paid_at=NOW - timedelta(days=50))
        s.flush()
        doomed_files = {f.id for f in purged.files} | {old_file.id}
        kept_files = {f.id for f in recent.files} | {f.id for f in live.files} - {old_file.id}
        assert young_file.id in kept_files
        keys = (
            [u.storage_key for u in doomed_uploads + kept_uploads]
            + [old_file.thumbnail_key]
            + [f.storage_key for p in (purged, recent, live) for f in p.files]
        )
        ids_of = {"purged": purged.id, "recent": recent.id, "live": live.id, "order": sold.id}
        doomed_audit_ids = {str(a.id) for a in doomed_audit}
        kept_audit_ids = {str(a.id) for a in kept_audit}
    for key in keys:
        storage.write(key, b"x")

    result = await run_job(app, "daily-cleanup", {"asOf": NOW.isoformat()})

    assert result == {
        "upload_sessions_deleted": 2,
        "audit_entries_deleted": 3,
        "products_purged": 1,
        "product_files_purged": 3,
        "creators_purged": 0,
        "users_purged": 0,
        "storage_objects_deleted": 6,
        "storage_errors": [],
    }
    assert ids(db, UploadSession) == {u.id for u in kept_uploads}
    assert ids(db, AuditLog) == kept_audit_ids and not doomed_audit_ids & ids(db, AuditLog)
    assert ids(db, Product) == {ids_of["recent"], ids_of["live"]}
    assert ids(db, ProductFile) == kept_files and not doomed_files & ids(db, ProductFile)
    with db.session() as s:
        items = s.scalars(select(OrderItem).where(OrderItem.order_id == ids_of["order"])).all()
        assert sorted((i.product_title, i.product_id) for i in items) == [
            ("Live", ids_of["live"]),
            ("Purged", None),
        ]  # the sale stays, without the product
    assert [k for k in keys if storage.exists(k)] == [
        k
        for k in keys
        if any(
            k.endswith(n)
            for n in ("c.fseq", "d.fseq", "e.fseq", "f.fseq", "r.fseq", "live.fseq", "young.fseq")
        )
    ]
    logs = await app.queue(QUEUE).alogs((await app.queue(QUEUE).ajobs("completed"))[0].id)
    assert "deleted 2 expired upload sessions, 3 audit entries" in logs[0].line

    again = await run_job(app, "daily-cleanup", {"asOf": NOW.isoformat()})
    assert (
        again["upload_sessions_deleted"],
        again["audit_entries_deleted"],
        again["products_purged"],
        again["product_files_purged"],
    ) == (0, 0, 0, 0)
    await close_app(app)


# --------------------------------------------------------------------- weekly analytics


def seed_week(db: Database) -> dict[str, str]:
    with db.session() as s:
        x = add_creator(s, "X", "x@example.com", fee_bps=1000)
        y = add_creator(s, "Y", "y@example.com", fee_bps=1500)
        a = add_product(s, x, "A", 1000)
        b = add_product(s, y, "B", 2000)
        c = add_product(s, y, "C", 500)

        def at(d: int, h: int = 0, m: int = 0, sec: int = 0) -> datetime:
            return datetime(2025, 3, d, h, m, sec, tzinfo=UTC)

        add_order(s, "1@example.com", [a, b], paid_at=at(3, 10))
        add_order(s, "2@example.com", [a], paid_at=at(5, 23, 59))
        add_order(s, "3@example.com", [c], paid_at=at(9, 23, 59, 59))
        add_order(s, "4@example.com", [b], status=OrderStatus.REFUNDED, paid_at=at(4))
        add_order(s, "5@example.com", [b], status=OrderStatus.PENDING, created_at=at(6))
        add_order(s, "6@example.com", [b, c], paid_at=at(2, 23, 59))  # the week before
        add_order(s, "7@example.com", [b, c], paid_at=at(10, 0))  # the day of the run
        return {"x": x.id, "y": y.id, "a": a.id, "b": b.id, "c": c.id}


async def test_weekly_analytics_computes_days_creators_and_products(tmp_path: Path) -> None:
    app, mj = make_marketplace(tmp_path)
    made = seed_week(mj.db)
    result = await run_job(app, "weekly-analytics", {"asOf": NOW.isoformat()})
    assert result == {
        "week_start": "2025-03-03",
        "week_end": "2025-03-09",
        "days": 7,
        "orders": 3,
        "items": 4,
        "gross_cents": 4500,
        "creators": 2,
        "popular_products": 3,
    }
    with mj.db.session() as s:
        days = [
            (r.day, r.order_count, r.item_count, r.gross_cents, r.fee_cents)
            for r in s.scalars(select(DailySales).order_by(DailySales.day))
        ]
        revenue = {
            r.creator_id: (r.week_start, r.item_count, r.gross_cents, r.net_cents)
            for r in s.scalars(select(CreatorRevenue))
        }
        ranks = [
            (r.rank, r.product_id, r.units_sold, r.revenue_cents)
            for r in s.scalars(select(ProductPopularity).order_by(ProductPopularity.rank))
        ]
    zero = (0, 0, 0, 0)
    assert days == [
        (date(2025, 3, 3), 1, 2, 3000, 400),
        (date(2025, 3, 4), *zero),
        (date(2025, 3, 5), 1, 1, 1000, 100),
        (date(2025, 3, 6), *zero),
        (date(2025, 3, 7), *zero),
        (date(2025, 3, 8), *zero),
        (date(2025, 3, 9), 1, 1, 500, 75),
    ]
    week = date(2025, 3, 3)
    assert revenue == {made["x"]: (week, 2, 2000, 1800), made["y"]: (week, 2, 2500, 2125)}
    assert ranks == [(1, made["a"], 2, 2000), (2, made["b"], 1, 2000), (3, made["c"], 1, 500)]

    run_weekly_analytics(mj.db, NOW, top_products=2)  # a re-run replaces the week's rows
    with mj.db.session() as s:
        assert s.scalar(select(func.count()).select_from(DailySales)) == 7
        assert s.scalar(select(func.count()).select_from(CreatorRevenue)) == 2
        assert [
            r.product_id for r in s.scalars(select(ProductPopularity).order_by(ProductPopularity.rank))
        ] == [made["a"], made["b"]]
    await close_app(app)


# --------------------------------------------------------------------- monthly payouts


def seed_february(db: Database) -> dict[str, str]:
    with db.session() as s:
        x = add_creator(s, "Xavier <Lights>", "x@example.com", fee_bps=1000)
        y = add_creator(s, "Yolanda", "y@example.com", fee_bps=1500)
        z = add_creator(s, "Zed", "z@example.com")
        a = add_product(s, x, "A", 1000)
        b = add_product(s, y, "B", 2000)
        add_product(s, z, "Z", 3000)

        def feb(d: int, h: int = 12) -> datetime:
            return datetime(2025, 2, d, h, tzinfo=UTC)

        add_order(s, "1@example.com", [a, a], paid_at=feb(1, 0))
        add_order(s, "2@example.com", [a, b], paid_at=feb(28, 23))
        add_order(s, "3@example.com", [b], status=OrderStatus.REFUNDED, paid_at=feb(10))
        add_order(s, "4@example.com", [a], paid_at=datetime(2025, 1, 31, 23, 59, tzinfo=UTC))
        add_order(s, "5@example.com", [b], paid_at=datetime(2025, 3, 1, 0, 0, tzinfo=UTC))
        return {"x": x.id, "y": y.id, "z": z.id}


async def test_monthly_payouts_once_per_creator_and_month_with_emails(tmp_path: Path) -> None:
    app, mj = make_marketplace(tmp_path)
    made = seed_february(mj.db)
    run_at = {"asOf": datetime(2025, 3, 1, 4, 0, tzinfo=UTC).isoformat()}

    first = await run_job(app, "monthly-payouts", run_at)
    second = await run_job(app, "monthly-payouts", run_at)

    assert (
        first["period"],
        first["created"],
        first["existing"],
        first["emails_enqueued"],
        first["total_amount_cents"],
    ) == ("2025-02", 2, 0, 2, 2700 + 1700)
    assert (second["created"], second["existing"], second["emails_enqueued"]) == (0, 2, 0)
    with mj.db.session() as s:
        rows = {
            p.creator_id: (
                p.period,
                p.gross_cents,
                p.fee_cents,
                p.amount_cents,
                p.item_count,
                p.order_count,
                p.email_job_id,
            )
            for p in s.scalars(select(Payout))
        }
        audits = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "PAYOUT_CREATED")
        )
    assert set(rows) == {made["x"], made["y"]}  # Zed sold nothing in February
    assert rows[made["x"]][:6] == ("2025-02", 3000, 300, 2700, 3, 2)
    assert rows[made["y"]][:6] == ("2025-02", 2000, 300, 1700, 1, 1)
    assert audits == 2

    email_jobs = await app.queue("email").ajobs("waiting")
    assert sorted(j.id for j in email_jobs) == sorted(str(r[6]) for r in rows.values())
    assert all(j.id.startswith("payout-email-") and j.priority == 5 for j in email_jobs)
    async with running_worker(app, "email"):
        for job in email_jobs:
            await wait_until(state_is(app, "email", job.id, "completed"), what="payout email sent")
    messages = {read_eml(p)["To"]: read_eml(p) for p in eml_files(mj.settings.outbox_dir)}
    assert set(messages) == {"x@example.com", "y@example.com"}
    assert messages["x@example.com"]["Subject"] == "Your SequenceHUB payout for 2025-02"
    body = messages["x@example.com"].get_body(preferencelist=("html",))
    assert body is not None and "27.00 USD" in str(body.get_content())
    assert "Xavier &lt;Lights&gt;" in str(body.get_content())
    await close_app(app)


def test_payout_periods() -> None:
    assert previous_period(datetime(2025, 1, 1, 4, tzinfo=UTC)) == "2024-12"
    assert previous_period(datetime(2025, 3, 31, 23, tzinfo=UTC)) == "2025-02"
    assert period_bounds("2024-12") == (datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))


# --------------------------------------------------------------------- the sample marketplace


async def test_sample_marketplace_runs_through_every_scheduled_job(tmp_path: Path) -> None:
    app, mj = make_marketplace(tmp_path)
    seeded = seed_sample_marketplace(mj.db, now=NOW)
    cleanup = await run_job(app, "daily-cleanup", {"asOf": NOW.isoformat()})
    assert (
        cleanup["upload_sessions_deleted"],
        cleanup["audit_entries_deleted"],
        cleanup["products_purged"],
        cleanup["product_files_purged"],
    ) == (len(seeded.expired_upload_ids), 1, 1, 1)
    assert ids(mj.db, UploadSession) == set(seeded.live_upload_ids)
    analytics = await run_job(app, "weekly-analytics", {"asOf": NOW.isoformat()})
    assert analytics["orders"] >= 1 and analytics["creators"] >= 1
    payouts = await run_job(app, "monthly-payouts", {"asOf": NOW.isoformat()})
    start, end = period_bounds(str(payouts["period"]))
    with mj.db.session() as s:
        expected = s.scalar(
            select(func.sum(OrderItem.price_cents - OrderItem.platform_fee_cents))
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.status == OrderStatus.PAID, Order.paid_at >= start, Order.paid_at < end)
        )
    assert payouts["total_amount_cents"] == expected and payouts["created"] == 3
    await close_app(app)
