"""Marketplace tables: users, creators, products and their files, orders, upload sessions, webhook
and email logs, audit log, dead letters and alert batches, payouts, and analytics.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "alert_batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("open_slot", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("PENDING", "SENT", "FAILED", name="alertstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("dead_letter_count", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("send_after", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_batches")),
        sa.UniqueConstraint("open_slot", name=op.f("uq_alert_batches_open_slot")),
    )
    op.create_table(
        "analytics_daily_sales",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("gross_cents", sa.Integer(), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_analytics_daily_sales")),
    )
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.String(length=256), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index("ix_audit_logs_action_created_at", "audit_logs", ["action", "created_at"], unique=False)
    op.create_index(op.f("ix_audit_logs_created_at"), "audit_logs", ["created_at"], unique=False)
    op.create_table(
        "email_logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=256), nullable=True),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum("SENT", "FAILED", name="emailstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("provider_id", sa.String(length=500), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_logs")),
        sa.UniqueConstraint("job_id", name=op.f("uq_email_logs_job_id")),
    )
    op.create_index(op.f("ix_email_logs_status"), "email_logs", ["status"], unique=False)
    op.create_index(op.f("ix_email_logs_to_address"), "email_logs", ["to_address"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum("BUYER", "CREATOR", "ADMIN", name="userrole", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "creators",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("platform_fee_bps", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_creators_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creators")),
        sa.UniqueConstraint("user_id", name=op.f("uq_creators_user_id")),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column("job_id", sa.String(length=256), nullable=False),
        sa.Column("job_name", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("OPEN", "REPLAYED", "RESOLVED", name="deadletterstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("open_key", sa.String(length=460), nullable=True),
        sa.Column("alert_batch_id", sa.String(length=32), nullable=True),
        sa.Column("replayed_at", sa.DateTime(), nullable=True),
        sa.Column("replay_job_id", sa.String(length=256), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_batch_id"],
            ["alert_batches.id"],
            name=op.f("fk_dead_letters_alert_batch_id_alert_batches"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("open_key", name=op.f("uq_dead_letters_open_key")),
    )
    op.create_index(op.f("ix_dead_letters_alert_batch_id"), "dead_letters", ["alert_batch_id"], unique=False)
    op.create_index(op.f("ix_dead_letters_failed_at"), "dead_letters", ["failed_at"], unique=False)
    op.create_index(op.f("ix_dead_letters_job_id"), "dead_letters", ["job_id"], unique=False)
    op.create_index(op.f("ix_dead_letters_queue"), "dead_letters", ["queue"], unique=False)
    op.create_index(op.f("ix_dead_letters_status"), "dead_letters", ["status"], unique=False)
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("buyer_id", sa.String(length=32), nullable=True),
        sa.Column("buyer_email", sa.String(length=320), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "PAID",
                "REFUNDED",
                "CANCELLED",
                "FAILED",
                name="orderstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name=op.f("fk_orders_buyer_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index(op.f("ix_orders_buyer_id"), "orders", ["buyer_id"], unique=False)
    op.create_index(op.f("ix_orders_paid_at"), "orders", ["paid_at"], unique=False)
    op.create_index(op.f("ix_orders_status"), "orders", ["status"], unique=False)
    op.create_table(
        "analytics_creator_revenue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("creator_id", sa.String(length=32), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("gross_cents", sa.Integer(), nullable=False),
        sa.Column("net_cents", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
            name=op.f("fk_analytics_creator_revenue_creator_id_creators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_creator_revenue")),
        sa.UniqueConstraint(
            "creator_id", "week_start", name=op.f("uq_analytics_creator_revenue_creator_id_week_start")
        ),
    )
    op.create_index(
        op.f("ix_analytics_creator_revenue_creator_id"),
        "analytics_creator_revenue",
        ["creator_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_analytics_creator_revenue_week_start"),
        "analytics_creator_revenue",
        ["week_start"],
        unique=False,
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("creator_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("gross_cents", sa.Integer(), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PENDING", "PAID", "FAILED", name="payoutstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("email_job_id", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creators.id"], name=op.f("fk_payouts_creator_id_creators"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("creator_id", "period", name=op.f("uq_payouts_creator_id_period")),
    )
    op.create_index(op.f("ix_payouts_creator_id"), "payouts", ["creator_id"], unique=False)
    op.create_table(
        "products",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("creator_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("slug", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "PENDING_REVIEW",
                "PUBLISHED",
                "REJECTED",
                "ARCHIVED",
                name="productstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creators.id"], name=op.f("fk_products_creator_id_creators"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("slug", name=op.f("uq_products_slug")),
    )
    op.create_index(op.f("ix_products_creator_id"), "products", ["creator_id"], unique=False)
    op.create_index(op.f("ix_products_deleted_at"), "products", ["deleted_at"], unique=False)
    op.create_table(
        "upload_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("creator_id", sa.String(length=32), nullable=True),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("storage_key", sa.String(length=1000), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_bytes", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "INITIATED",
                "UPLOADING",
                "COMPLETED",
                "FAILED",
                "EXPIRED",
                name="uploadstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
            name=op.f("fk_upload_sessions_creator_id_creators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_sessions")),
    )
    op.create_index(op.f("ix_upload_sessions_creator_id"), "upload_sessions", ["creator_id"], unique=False)
    op.create_index(op.f("ix_upload_sessions_expires_at"), "upload_sessions", ["expires_at"], unique=False)
    op.create_index(op.f("ix_upload_sessions_status"), "upload_sessions", ["status"], unique=False)
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("creator_id", sa.String(length=32), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
            name=op.f("fk_webhook_endpoints_creator_id_creators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(
        op.f("ix_webhook_endpoints_creator_id"), "webhook_endpoints", ["creator_id"], unique=False
    )
    op.create_table(
        "analytics_product_popularity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("units_sold", sa.Integer(), nullable=False),
        sa.Column("revenue_cents", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_analytics_product_popularity_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_product_popularity")),
        sa.UniqueConstraint(
            "product_id", "week_start", name=op.f("uq_analytics_product_popularity_product_id_week_start")
        ),
    )
    op.create_index(
        op.f("ix_analytics_product_popularity_product_id"),
        "analytics_product_popularity",
        ["product_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_analytics_product_popularity_week_start"),
        "analytics_product_popularity",
        ["week_start"],
        unique=False,
    )
    op.create_table(
        "order_items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=True),
        sa.Column("creator_id", sa.String(length=32), nullable=True),
        sa.Column("product_title", sa.String(length=300), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("platform_fee_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
            name=op.f("fk_order_items_creator_id_creators"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_order_items_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
    )
    op.create_index(op.f("ix_order_items_creator_id"), "order_items", ["creator_id"], unique=False)
    op.create_index(op.f("ix_order_items_order_id"), "order_items", ["order_id"], unique=False)
    op.create_index(op.f("ix_order_items_product_id"), "order_items", ["product_id"], unique=False)
    op.create_table(
        "product_files",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("storage_key", sa.String(length=1000), nullable=False),
        sa.Column("file_type", sa.String(length=20), nullable=False),
        sa.Column("mime_type", sa.String(length=200), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column(
            "processing_status",
            sa.Enum(
                "PENDING",
                "PROCESSING",
                "COMPLETED",
                "FAILED",
                "QUARANTINED",
                name="processingstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("processing_error", sa.Text(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=True),
        sa.Column("thumbnail_key", sa.String(length=1000), nullable=True),
        sa.Column("scan_result", sa.String(length=20), nullable=True),
        sa.Column("scan_signature", sa.String(length=300), nullable=True),
        sa.Column("scanned_at", sa.DateTime(), nullable=True),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_files_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_product_files_storage_key")),
    )
    op.create_index(op.f("ix_product_files_deleted_at"), "product_files", ["deleted_at"], unique=False)
    op.create_index(
        op.f("ix_product_files_processing_status"), "product_files", ["processing_status"], unique=False
    )
    op.create_index(op.f("ix_product_files_product_id"), "product_files", ["product_id"], unique=False)
    op.create_table(
        "webhook_logs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("endpoint_id", sa.String(length=32), nullable=True),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING", "RETRYING", "SUCCESS", "FAILED", name="webhookstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_logs_endpoint_id_webhook_endpoints"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_logs")),
    )
    op.create_index(op.f("ix_webhook_logs_endpoint_id"), "webhook_logs", ["endpoint_id"], unique=False)
    op.create_index(op.f("ix_webhook_logs_status"), "webhook_logs", ["status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_webhook_logs_status"), table_name="webhook_logs")
    op.drop_index(op.f("ix_webhook_logs_endpoint_id"), table_name="webhook_logs")
    op.drop_table("webhook_logs")
    op.drop_index(op.f("ix_product_files_product_id"), table_name="product_files")
    op.drop_index(op.f("ix_product_files_processing_status"), table_name="product_files")
    op.drop_index(op.f("ix_product_files_deleted_at"), table_name="product_files")
    op.drop_table("product_files")
    op.drop_index(op.f("ix_order_items_product_id"), table_name="order_items")
    op.drop_index(op.f("ix_order_items_order_id"), table_name="order_items")
    op.drop_index(op.f("ix_order_items_creator_id"), table_name="order_items")
    op.drop_table("order_items")
    op.drop_index(
        op.f("ix_analytics_product_popularity_week_start"), table_name="analytics_product_popularity"
    )
    op.drop_index(
        op.f("ix_analytics_product_popularity_product_id"), table_name="analytics_product_popularity"
    )
    op.drop_table("analytics_product_popularity")
    op.drop_index(op.f("ix_webhook_endpoints_creator_id"), table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_index(op.f("ix_upload_sessions_status"), table_name="upload_sessions")
    op.drop_index(op.f("ix_upload_sessions_expires_at"), table_name="upload_sessions")
    op.drop_index(op.f("ix_upload_sessions_creator_id"), table_name="upload_sessions")
    op.drop_table("upload_sessions")
    op.drop_index(op.f("ix_products_deleted_at"), table_name="products")
    op.drop_index(op.f("ix_products_creator_id"), table_name="products")
    op.drop_table("products")
    op.drop_index(op.f("ix_payouts_creator_id"), table_name="payouts")
    op.drop_table("payouts")
    op.drop_index(op.f("ix_analytics_creator_revenue_week_start"), table_name="analytics_creator_revenue")
    op.drop_index(op.f("ix_analytics_creator_revenue_creator_id"), table_name="analytics_creator_revenue")
    op.drop_table("analytics_creator_revenue")
    op.drop_index(op.f("ix_orders_status"), table_name="orders")
    op.drop_index(op.f("ix_orders_paid_at"), table_name="orders")
    op.drop_index(op.f("ix_orders_buyer_id"), table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_dead_letters_status"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_queue"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_job_id"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_failed_at"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_alert_batch_id"), table_name="dead_letters")
    op.drop_table("dead_letters")
    op.drop_table("creators")
    op.drop_table("users")
    op.drop_index(op.f("ix_email_logs_to_address"), table_name="email_logs")
    op.drop_index(op.f("ix_email_logs_status"), table_name="email_logs")
    op.drop_table("email_logs")
    op.drop_index(op.f("ix_audit_logs_created_at"), table_name="audit_logs")
    op.drop_index("ix_audit_logs_action_created_at", table_name="audit_logs")
    op.drop_table("audit_logs")
    op.drop_table("analytics_daily_sales")
    op.drop_table("alert_batches")
