"""The daily analytics (sales and buyer engagement of yesterday) and the weekly database
optimization, on the Prisma database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sequencehub.daily_analytics import run_daily_analytics
from sequencehub.db_maintenance import optimize_database
from sequencehub.maintenance import run_daily_cleanup
from sequencehub.models import Download, OrderStatus, User
from sequencehub.sample_data import add_creator, add_order, add_product, add_product_file
from sqlalchemy import text

from tests.sequencehub.marketplace_support import make_marketplace

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
YESTERDAY = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_daily_analytics_counts_sales_and_engagement_of_yesterday(tmp_path: Path) -> None:
    app, mj = make_marketplace(tmp_path)
    with mj.db.session() as s:
        creator = add_creator(s, "C", "c@example.com")
        show = add_product(s, creator, "Show", 1000)
        add_order(s, "ann@example.com", [show], paid_at=YESTERDAY - timedelta(days=5))  # Ann bought before
        add_order(s, "ann@example.com", [show], paid_at=YESTERDAY)  # a repeat purchase
        add_order(s, "bob@example.com", [show, show], paid_at=YESTERDAY)  # Bob's first: a new buyer
        add_order(s, "eve@example.com", [show], status=OrderStatus.PENDING)  # not paid: not counted
        add_order(s, "old@example.com", [show], paid_at=NOW)  # today: not counted
        s.add_all([Download(product_id=show.id, created_at=YESTERDAY), Download(product_id=show.id,
                   created_at=YESTERDAY + timedelta(hours=1)), Download(product_id=show.id, created_at=NOW)])
    report = run_daily_analytics(mj.db, NOW)
    assert (report.day, report.orders, report.items, report.gross_cents) == ("2026-03-09", 2, 3, 3000)
    assert (report.downloads, report.repeat_purchases, report.new_buyers, report.active_buyers) == (2, 1, 1, 2)
    run_daily_analytics(mj.db, NOW)  # idempotent: the day's rows are replaced
    with mj.db.engine.connect() as c:
        assert c.execute(text('SELECT "orderCount", "grossCents" FROM "DailySales"')).all() == [(2, 3000)]
        assert c.execute(text('SELECT downloads, "activeBuyers", "repeatPurchases", "newBuyers" '
                              'FROM "UserEngagement"')).all() == [(2, 2, 1, 1)]
    app.close()


def test_database_optimization_runs_on_the_marketplace_database(tmp_path: Path) -> None:
    app, mj = make_marketplace(tmp_path)
    result = optimize_database(mj.db)
    assert result["success"] is True
    expected = "VACUUM (ANALYZE)" if mj.db.engine.dialect.name == "postgresql" else "PRAGMA optimize"
    assert any(expected in step for step in result["done"])
    app.close()


def test_cleanup_purges_every_soft_deleted_model_past_its_grace_period(tmp_path: Path) -> None:
    app, mj = make_marketplace(tmp_path)
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=2)
    with mj.db.session() as s:
        gone = add_creator(s, "Gone", "gone@example.com")
        kept = add_creator(s, "Kept", "kept@example.com")
        product = add_product(s, gone, "Old Show", 1000)
        add_product_file(s, product, "old.fseq")
        order = add_order(s, "buyer@example.com", [add_product(s, kept, "Live Show", 500)])
        buyer = User(email="buyer@example.com", deleted_at=old)
        s.add(buyer)
        s.flush()
        order.buyer_id = buyer.id
        gone.deleted_at = old
        kept.deleted_at = recent  # inside the grace period: kept
        s.add(User(email="recent@example.com", deleted_at=recent))
    report = run_daily_cleanup(mj.db, mj.settings, NOW)
    assert (report.creators_purged, report.products_purged, report.product_files_purged) == (1, 1, 1)
    assert report.users_purged == 1  # the old one; the recently deleted user stays
    with mj.db.engine.connect() as c:
        assert c.execute(text('SELECT "displayName" FROM "Creator"')).all() == [("Kept",)]
        assert c.execute(text('SELECT email FROM "User" WHERE "deletedAt" IS NOT NULL')).all() == [
            ("recent@example.com",)]
        assert c.execute(text('SELECT "buyerId" FROM "Order"')).all() == [(None,)]  # the order stays
    app.close()
