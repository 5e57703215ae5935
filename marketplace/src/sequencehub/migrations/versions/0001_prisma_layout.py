"""The marketplace tables in Prisma's default layout (table = model name, column = camelCase field,
PostgreSQL enum types, TIMESTAMP(3), JSONB, cuid text ids), as the app's schema.prisma describes them.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TIMESTAMP = sa.DateTime().with_variant(postgresql.TIMESTAMP(precision=3), "postgresql")
"""Prisma's DateTime: TIMESTAMP(3) without time zone on PostgreSQL."""
TABLES = [
    "AlertBatch",
    "AuditLog",
    "DailySales",
    "EmailLog",
    "StripeEvent",
    "User",
    "UserEngagement",
    "Creator",
    "DeadLetterJob",
    "Order",
    "CreatorRevenue",
    "Payout",
    "Product",
    "UploadSession",
    "WebhookEndpoint",
    "Download",
    "OrderItem",
    "ProductFile",
    "ProductPopularity",
    "WebhookLog",
]
ENUMS = [
    "AlertStatus",
    "DeadLetterStatus",
    "EmailStatus",
    "OrderStatus",
    "PayoutStatus",
    "ProcessingStatus",
    "ProductStatus",
    "StripeEventStatus",
    "UploadStatus",
    "UserRole",
    "WebhookStatus",
]

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "AlertBatch",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("openSlot", sa.Integer(), nullable=True),
        sa.Column("status", sa.Enum("PENDING", "SENT", "FAILED", name="AlertStatus"), nullable=False),
        sa.Column("deadLetterCount", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column(
            "channels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.Column("sendAfter", TIMESTAMP, nullable=False),
        sa.Column("sentAt", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("AlertBatch_pkey")),
        sa.UniqueConstraint("openSlot", name=op.f("AlertBatch_openSlot_key")),
    )
    op.create_table(
        "AuditLog",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entityType", sa.Text(), nullable=False),
        sa.Column("entityId", sa.Text(), nullable=True),
        sa.Column("userId", sa.Text(), nullable=True),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("AuditLog_pkey")),
    )
    with op.batch_alter_table("AuditLog", schema=None) as batch_op:
        batch_op.create_index("AuditLog_action_createdAt_idx", ["action", "createdAt"], unique=False)
        batch_op.create_index(batch_op.f("AuditLog_createdAt_idx"), ["createdAt"], unique=False)

    op.create_table(
        "DailySales",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("orderCount", sa.Integer(), nullable=False),
        sa.Column("itemCount", sa.Integer(), nullable=False),
        sa.Column("grossCents", sa.Integer(), nullable=False),
        sa.Column("feeCents", sa.Integer(), nullable=False),
        sa.Column("computedAt", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("DailySales_pkey")),
    )
    op.create_table(
        "EmailLog",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("jobId", sa.Text(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("to", sa.Text(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("status", sa.Enum("SENT", "FAILED", name="EmailStatus"), nullable=False),
        sa.Column("externalId", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("sentAt", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("EmailLog_pkey")),
    )
    with op.batch_alter_table("EmailLog", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("EmailLog_jobId_idx"), ["jobId"], unique=False)
        batch_op.create_index(batch_op.f("EmailLog_status_idx"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("EmailLog_to_idx"), ["to"], unique=False)

    op.create_table(
        "StripeEvent",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("eventId", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("RECEIVED", "PROCESSED", "IGNORED", "FAILED", name="StripeEventStatus"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("receivedAt", TIMESTAMP, nullable=False),
        sa.Column("processedAt", TIMESTAMP, nullable=True),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("StripeEvent_pkey")),
        sa.UniqueConstraint("eventId", name=op.f("StripeEvent_eventId_key")),
    )
    with op.batch_alter_table("StripeEvent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("StripeEvent_status_idx"), ["status"], unique=False)

    op.create_table(
        "User",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Enum("BUYER", "CREATOR", "ADMIN", name="UserRole"), nullable=False),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.Column("deletedAt", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("User_pkey")),
        sa.UniqueConstraint("email", name=op.f("User_email_key")),
    )
    op.create_table(
        "UserEngagement",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("activeBuyers", sa.Integer(), nullable=False),
        sa.Column("repeatPurchases", sa.Integer(), nullable=False),
        sa.Column("newBuyers", sa.Integer(), nullable=False),
        sa.Column("computedAt", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("UserEngagement_pkey")),
    )
    op.create_table(
        "Creator",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=True),
        sa.Column("displayName", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("platformFeeBps", sa.Integer(), nullable=False),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.Column("deletedAt", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["userId"], ["User.id"], name=op.f("Creator_userId_fkey"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("Creator_pkey")),
        sa.UniqueConstraint("userId", name=op.f("Creator_userId_key")),
    )
    op.create_table(
        "DeadLetterJob",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("queueName", sa.Text(), nullable=False),
        sa.Column("jobId", sa.Text(), nullable=False),
        sa.Column("jobName", sa.Text(), nullable=False),
        sa.Column(
            "jobData",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failedAt", TIMESTAMP, nullable=False),
        sa.Column("status", sa.Enum("OPEN", "REPLAYED", "RESOLVED", name="DeadLetterStatus"), nullable=False),
        sa.Column("openKey", sa.Text(), nullable=True),
        sa.Column("failureKey", sa.Text(), nullable=True),
        sa.Column("alertBatchId", sa.Text(), nullable=True),
        sa.Column("replayedAt", TIMESTAMP, nullable=True),
        sa.Column("replayJobId", sa.Text(), nullable=True),
        sa.Column("resolvedAt", TIMESTAMP, nullable=True),
        sa.Column("resolvedBy", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["alertBatchId"],
            ["AlertBatch.id"],
            name=op.f("DeadLetterJob_alertBatchId_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("DeadLetterJob_pkey")),
        sa.UniqueConstraint("failureKey", name=op.f("DeadLetterJob_failureKey_key")),
        sa.UniqueConstraint("openKey", name=op.f("DeadLetterJob_openKey_key")),
    )
    with op.batch_alter_table("DeadLetterJob", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("DeadLetterJob_alertBatchId_idx"), ["alertBatchId"], unique=False)
        batch_op.create_index(batch_op.f("DeadLetterJob_failedAt_idx"), ["failedAt"], unique=False)
        batch_op.create_index(batch_op.f("DeadLetterJob_jobId_idx"), ["jobId"], unique=False)
        batch_op.create_index(batch_op.f("DeadLetterJob_queueName_idx"), ["queueName"], unique=False)
        batch_op.create_index(batch_op.f("DeadLetterJob_status_idx"), ["status"], unique=False)

    op.create_table(
        "Order",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("buyerId", sa.Text(), nullable=True),
        sa.Column("buyerEmail", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PENDING", "PAID", "REFUNDED", "CANCELLED", "FAILED", name="OrderStatus"),
            nullable=False,
        ),
        sa.Column("totalCents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.Column("paidAt", TIMESTAMP, nullable=True),
        sa.Column("stripeSessionId", sa.Text(), nullable=True),
        sa.Column("stripePaymentIntentId", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyerId"], ["User.id"], name=op.f("Order_buyerId_fkey"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("Order_pkey")),
        sa.UniqueConstraint("stripeSessionId", name=op.f("Order_stripeSessionId_key")),
    )
    with op.batch_alter_table("Order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("Order_buyerId_idx"), ["buyerId"], unique=False)
        batch_op.create_index(batch_op.f("Order_paidAt_idx"), ["paidAt"], unique=False)
        batch_op.create_index(batch_op.f("Order_status_idx"), ["status"], unique=False)

    op.create_table(
        "CreatorRevenue",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("creatorId", sa.Text(), nullable=False),
        sa.Column("weekStart", sa.Date(), nullable=False),
        sa.Column("itemCount", sa.Integer(), nullable=False),
        sa.Column("grossCents", sa.Integer(), nullable=False),
        sa.Column("netCents", sa.Integer(), nullable=False),
        sa.Column("computedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["creatorId"], ["Creator.id"], name=op.f("CreatorRevenue_creatorId_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("CreatorRevenue_pkey")),
        sa.UniqueConstraint("creatorId", "weekStart", name=op.f("CreatorRevenue_creatorId_weekStart_key")),
    )
    with op.batch_alter_table("CreatorRevenue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("CreatorRevenue_creatorId_idx"), ["creatorId"], unique=False)
        batch_op.create_index(batch_op.f("CreatorRevenue_weekStart_idx"), ["weekStart"], unique=False)

    op.create_table(
        "Payout",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("creatorId", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("grossCents", sa.Integer(), nullable=False),
        sa.Column("feeCents", sa.Integer(), nullable=False),
        sa.Column("amountCents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("itemCount", sa.Integer(), nullable=False),
        sa.Column("orderCount", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("PENDING", "PAID", "FAILED", name="PayoutStatus"), nullable=False),
        sa.Column("emailJobId", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["creatorId"], ["Creator.id"], name=op.f("Payout_creatorId_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("Payout_pkey")),
        sa.UniqueConstraint("creatorId", "period", name=op.f("Payout_creatorId_period_key")),
    )
    with op.batch_alter_table("Payout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("Payout_creatorId_idx"), ["creatorId"], unique=False)

    op.create_table(
        "Product",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("creatorId", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priceCents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("DRAFT", "PENDING_REVIEW", "PUBLISHED", "REJECTED", "ARCHIVED", name="ProductStatus"),
            nullable=False,
        ),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.Column("deletedAt", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["creatorId"], ["Creator.id"], name=op.f("Product_creatorId_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("Product_pkey")),
        sa.UniqueConstraint("slug", name=op.f("Product_slug_key")),
    )
    with op.batch_alter_table("Product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("Product_creatorId_idx"), ["creatorId"], unique=False)
        batch_op.create_index(batch_op.f("Product_deletedAt_idx"), ["deletedAt"], unique=False)

    op.create_table(
        "UploadSession",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("creatorId", sa.Text(), nullable=True),
        sa.Column("fileName", sa.Text(), nullable=False),
        sa.Column("storageKey", sa.Text(), nullable=False),
        sa.Column("sizeBytes", sa.BigInteger(), nullable=True),
        sa.Column("uploadedBytes", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("INITIATED", "UPLOADING", "COMPLETED", "FAILED", "EXPIRED", name="UploadStatus"),
            nullable=False,
        ),
        sa.Column("expiresAt", TIMESTAMP, nullable=False),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.Column("completedAt", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["creatorId"], ["Creator.id"], name=op.f("UploadSession_creatorId_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("UploadSession_pkey")),
    )
    with op.batch_alter_table("UploadSession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("UploadSession_creatorId_idx"), ["creatorId"], unique=False)
        batch_op.create_index(batch_op.f("UploadSession_expiresAt_idx"), ["expiresAt"], unique=False)
        batch_op.create_index(batch_op.f("UploadSession_status_idx"), ["status"], unique=False)

    op.create_table(
        "WebhookEndpoint",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("creatorId", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "eventTypes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["creatorId"], ["Creator.id"], name=op.f("WebhookEndpoint_creatorId_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("WebhookEndpoint_pkey")),
    )
    with op.batch_alter_table("WebhookEndpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("WebhookEndpoint_creatorId_idx"), ["creatorId"], unique=False)

    op.create_table(
        "Download",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("orderId", sa.Text(), nullable=True),
        sa.Column("productId", sa.Text(), nullable=True),
        sa.Column("userId", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["orderId"], ["Order.id"], name=op.f("Download_orderId_fkey"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["productId"], ["Product.id"], name=op.f("Download_productId_fkey"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["userId"], ["User.id"], name=op.f("Download_userId_fkey"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("Download_pkey")),
    )
    with op.batch_alter_table("Download", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("Download_createdAt_idx"), ["createdAt"], unique=False)
        batch_op.create_index(batch_op.f("Download_orderId_idx"), ["orderId"], unique=False)
        batch_op.create_index(batch_op.f("Download_productId_idx"), ["productId"], unique=False)
        batch_op.create_index(batch_op.f("Download_userId_idx"), ["userId"], unique=False)

    op.create_table(
        "OrderItem",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("orderId", sa.Text(), nullable=False),
        sa.Column("productId", sa.Text(), nullable=True),
        sa.Column("creatorId", sa.Text(), nullable=True),
        sa.Column("productTitle", sa.Text(), nullable=False),
        sa.Column("priceCents", sa.Integer(), nullable=False),
        sa.Column("platformFeeCents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creatorId"], ["Creator.id"], name=op.f("OrderItem_creatorId_fkey"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["orderId"], ["Order.id"], name=op.f("OrderItem_orderId_fkey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["productId"], ["Product.id"], name=op.f("OrderItem_productId_fkey"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("OrderItem_pkey")),
    )
    with op.batch_alter_table("OrderItem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("OrderItem_creatorId_idx"), ["creatorId"], unique=False)
        batch_op.create_index(batch_op.f("OrderItem_orderId_idx"), ["orderId"], unique=False)
        batch_op.create_index(batch_op.f("OrderItem_productId_idx"), ["productId"], unique=False)

    op.create_table(
        "ProductFile",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("productId", sa.Text(), nullable=False),
        sa.Column("fileName", sa.Text(), nullable=False),
        sa.Column("storageKey", sa.Text(), nullable=False),
        sa.Column("fileType", sa.Text(), nullable=False),
        sa.Column("mimeType", sa.Text(), nullable=True),
        sa.Column("sizeBytes", sa.BigInteger(), nullable=True),
        sa.Column(
            "processingStatus",
            sa.Enum("PENDING", "PROCESSING", "COMPLETED", "FAILED", "QUARANTINED", name="ProcessingStatus"),
            nullable=False,
        ),
        sa.Column("processingError", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("checksumSha256", sa.Text(), nullable=True),
        sa.Column("thumbnailKey", sa.Text(), nullable=True),
        sa.Column("scanResult", sa.Text(), nullable=True),
        sa.Column("scanSignature", sa.Text(), nullable=True),
        sa.Column("scannedAt", TIMESTAMP, nullable=True),
        sa.Column("processedAt", TIMESTAMP, nullable=True),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.Column("deletedAt", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["productId"], ["Product.id"], name=op.f("ProductFile_productId_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("ProductFile_pkey")),
        sa.UniqueConstraint("storageKey", name=op.f("ProductFile_storageKey_key")),
    )
    with op.batch_alter_table("ProductFile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ProductFile_deletedAt_idx"), ["deletedAt"], unique=False)
        batch_op.create_index(
            batch_op.f("ProductFile_processingStatus_idx"), ["processingStatus"], unique=False
        )
        batch_op.create_index(batch_op.f("ProductFile_productId_idx"), ["productId"], unique=False)

    op.create_table(
        "ProductPopularity",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("productId", sa.Text(), nullable=False),
        sa.Column("weekStart", sa.Date(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("unitsSold", sa.Integer(), nullable=False),
        sa.Column("revenueCents", sa.Integer(), nullable=False),
        sa.Column("computedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["productId"], ["Product.id"], name=op.f("ProductPopularity_productId_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("ProductPopularity_pkey")),
        sa.UniqueConstraint("productId", "weekStart", name=op.f("ProductPopularity_productId_weekStart_key")),
    )
    with op.batch_alter_table("ProductPopularity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ProductPopularity_productId_idx"), ["productId"], unique=False)
        batch_op.create_index(batch_op.f("ProductPopularity_weekStart_idx"), ["weekStart"], unique=False)

    op.create_table(
        "WebhookLog",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("endpointId", sa.Text(), nullable=True),
        sa.Column("eventType", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum("PENDING", "RETRYING", "SUCCESS", "FAILED", name="WebhookStatus"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lastAttemptAt", TIMESTAMP, nullable=True),
        sa.Column("lastStatusCode", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.Column("completedAt", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["endpointId"],
            ["WebhookEndpoint.id"],
            name=op.f("WebhookLog_endpointId_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("WebhookLog_pkey")),
    )
    with op.batch_alter_table("WebhookLog", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("WebhookLog_endpointId_idx"), ["endpointId"], unique=False)
        batch_op.create_index(batch_op.f("WebhookLog_status_idx"), ["status"], unique=False)


def downgrade() -> None:
    """Revert this revision: drop every table (children first), then the enum types."""
    for table in reversed(TABLES):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for name in ENUMS:
            op.execute(sa.text(f'DROP TYPE IF EXISTS "{name}"'))
