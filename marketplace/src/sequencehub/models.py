"""The marketplace's tables (SQLAlchemy 2.x declarative), as the background jobs read and write them.

Conventions: ids are 32-character hex strings (uuid4) except for append-only logs, which use
integer ids; money is integer cents; times are stored as naive UTC and returned as aware UTC
(:class:`UTCDateTime`); statuses are upper-case strings checked against the enums below; soft
deletion sets ``deleted_at``. The Alembic migrations in ``sequencehub/migrations`` create exactly
this schema (a test compares them).
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """A new random primary key (32 hex characters)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime.

    Naive datetimes given to it are refused: every time in the marketplace has a zone."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware datetimes, got {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every marketplace table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


def status_column(
    enum_type: type[enum.StrEnum], default: enum.StrEnum, *, index: bool = False
) -> Mapped[Any]:
    """A VARCHAR(20) status column that accepts only the values of `enum_type`."""
    return mapped_column(
        Enum(
            enum_type,
            native_enum=False,
            length=20,
            validate_strings=True,
            values_callable=lambda members: [m.value for m in members],
        ),
        default=default,
        nullable=False,
        index=index,
    )


# --------------------------------------------------------------------- statuses


class UserRole(enum.StrEnum):
    """What a user account may do."""

    BUYER = "BUYER"
    CREATOR = "CREATOR"
    ADMIN = "ADMIN"


class ProductStatus(enum.StrEnum):
    """Lifecycle of a product listing."""

    DRAFT = "DRAFT"
    PENDING_REVIEW = "PENDING_REVIEW"
    PUBLISHED = "PUBLISHED"
    REJECTED = "REJECTED"
    ARCHIVED = "ARCHIVED"


class ProcessingStatus(enum.StrEnum):
    """Where an uploaded product file is in the file-processing pipeline."""

    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    QUARANTINED = "QUARANTINED"


class ScanResult(enum.StrEnum):
    """Outcome of the virus scan of a file."""

    CLEAN = "CLEAN"
    INFECTED = "INFECTED"
    ERROR = "ERROR"


class OrderStatus(enum.StrEnum):
    """Lifecycle of an order; only PAID orders count for analytics and payouts."""

    PENDING = "PENDING"
    PAID = "PAID"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


class UploadStatus(enum.StrEnum):
    """Lifecycle of a resumable upload session."""

    INITIATED = "INITIATED"
    UPLOADING = "UPLOADING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


class WebhookStatus(enum.StrEnum):
    """Delivery state of one webhook event."""

    PENDING = "PENDING"
    RETRYING = "RETRYING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


class EmailStatus(enum.StrEnum):
    """Outcome of sending one email job."""

    SENT = "SENT"
    FAILED = "FAILED"


class DeadLetterStatus(enum.StrEnum):
    """An admin's progress on a permanently failed job."""

    OPEN = "OPEN"
    REPLAYED = "REPLAYED"
    RESOLVED = "RESOLVED"


class AlertStatus(enum.StrEnum):
    """State of a dead-letter alert batch."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class PayoutStatus(enum.StrEnum):
    """State of a creator payout."""

    PENDING = "PENDING"
    PAID = "PAID"
    FAILED = "FAILED"


class AuditAction(enum.StrEnum):
    """Audit actions written by the jobs; the API layer may write others (free text)."""

    ORDER_CREATED = "ORDER_CREATED"
    PAYMENT_RECEIVED = "PAYMENT_RECEIVED"
    REFUND_INITIATED = "REFUND_INITIATED"
    WEBHOOK_PROCESSED = "WEBHOOK_PROCESSED"
    WEBHOOK_FAILED = "WEBHOOK_FAILED"
    FILE_PROCESSED = "FILE_PROCESSED"
    FILE_FAILED = "FILE_FAILED"
    FILE_QUARANTINED = "FILE_QUARANTINED"
    PAYOUT_CREATED = "PAYOUT_CREATED"
    DEAD_LETTER_REPLAYED = "DEAD_LETTER_REPLAYED"
    DEAD_LETTER_RESOLVED = "DEAD_LETTER_RESOLVED"
    ADMIN_ACTION = "ADMIN_ACTION"
    """An action taken in the jobs dashboard or admin API; details name who and what."""


PROTECTED_AUDIT_ACTIONS: frozenset[str] = frozenset(
    {AuditAction.ORDER_CREATED, AuditAction.PAYMENT_RECEIVED, AuditAction.REFUND_INITIATED}
)
"""Audit actions the daily cleanup never deletes, however old."""


# --------------------------------------------------------------------- people and catalogue


class User(Base):
    """An account: buyer, creator or admin."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = status_column(UserRole, UserRole.BUYER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Creator(Base):
    """A seller's profile; one per creator user."""

    __tablename__ = "creators"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True, default=None
    )
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    """Where payout and review emails go."""
    platform_fee_bps: Mapped[int] = mapped_column(Integer, default=1000)
    """The marketplace's share of each sale in basis points (1000 = 10 %)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    products: Mapped[list[Product]] = relationship(back_populates="creator")


class Product(Base):
    """A sequence package for sale."""

    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = status_column(ProductStatus, ProductStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    creator: Mapped[Creator] = relationship(back_populates="products")
    files: Mapped[list[ProductFile]] = relationship(
        back_populates="product", cascade="all, delete-orphan", passive_deletes=True
    )


class ProductFile(Base):
    """One uploaded file of a product (sequence, audio, preview video or image)."""

    __tablename__ = "product_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    storage_key: Mapped[str] = mapped_column(String(1000), unique=True)
    file_type: Mapped[str] = mapped_column(String(20), default="SEQUENCE")
    """SEQUENCE, AUDIO, VIDEO, IMAGE or OTHER."""
    mime_type: Mapped[str | None] = mapped_column(String(200), default=None)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    processing_status: Mapped[str] = status_column(ProcessingStatus, ProcessingStatus.PENDING, index=True)
    processing_error: Mapped[str | None] = mapped_column(Text, default=None)
    file_metadata: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, default=None)
    """Metadata extracted from the file (format, channels, frames, duration...)."""
    checksum_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    thumbnail_key: Mapped[str | None] = mapped_column(String(1000), default=None)
    scan_result: Mapped[str | None] = mapped_column(String(20), default=None)
    """CLEAN, INFECTED or ERROR once scanned."""
    scan_signature: Mapped[str | None] = mapped_column(String(300), default=None)
    """The signature name the scanner reported for an infected file."""
    scanned_at: Mapped[datetime | None] = mapped_column(default=None)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    product: Mapped[Product] = relationship(back_populates="files")


# --------------------------------------------------------------------- sales


class Order(Base):
    """A purchase of one or more products."""

    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    buyer_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    buyer_email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = status_column(OrderStatus, OrderStatus.PENDING, index=True)
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    items: Mapped[list[OrderItem]] = relationship(back_populates="order", cascade="all, delete-orphan")


class OrderItem(Base):
    """One product in an order, with the price and platform fee fixed at purchase time."""

    __tablename__ = "order_items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    creator_id: Mapped[str | None] = mapped_column(ForeignKey("creators.id", ondelete="SET NULL"), index=True)
    product_title: Mapped[str] = mapped_column(String(300))
    """Title at purchase time (kept when the product is purged)."""
    price_cents: Mapped[int] = mapped_column(Integer)
    platform_fee_cents: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="items")


class UploadSession(Base):
    """A resumable upload in progress; expired unfinished sessions are cleaned up daily."""

    __tablename__ = "upload_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    creator_id: Mapped[str | None] = mapped_column(
        ForeignKey("creators.id", ondelete="CASCADE"), index=True, default=None
    )
    file_name: Mapped[str] = mapped_column(String(500))
    storage_key: Mapped[str] = mapped_column(String(1000))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    uploaded_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = status_column(UploadStatus, UploadStatus.INITIATED, index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


# --------------------------------------------------------------------- integrations


class WebhookEndpoint(Base):
    """A subscriber URL for marketplace events."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    creator_id: Mapped[str | None] = mapped_column(
        ForeignKey("creators.id", ondelete="CASCADE"), index=True, default=None
    )
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookLog(Base):
    """The webhook log: one row per event delivery, updated by every try."""

    __tablename__ = "webhook_logs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    """The `webhookId` of the `retry-webhook` job."""
    endpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="SET NULL"), index=True, default=None
    )
    event_type: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    payload: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    status: Mapped[str] = status_column(WebhookStatus, WebhookStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class EmailLog(Base):
    """The email log: one row per `send-email` job, updated by every try."""

    __tablename__ = "email_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str | None] = mapped_column(String(256), unique=True, default=None)
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    template: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = status_column(EmailStatus, EmailStatus.FAILED, index=True)
    provider_id: Mapped[str | None] = mapped_column(String(500), default=None)
    """The transport's message id (Message-ID header, or the HTTP provider's id)."""
    error: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditLog(Base):
    """Append-only record of significant actions."""

    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_action_created_at", "action", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(100), default="")
    entity_id: Mapped[str | None] = mapped_column(String(256), default=None)
    user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# --------------------------------------------------------------------- operations


class AlertBatch(Base):
    """One admin alert about dead letters: a single failure or a digest of a burst."""

    __tablename__ = "alert_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    open_slot: Mapped[int | None] = mapped_column(Integer, unique=True, default=1)
    """1 while the batch still gathers dead letters, NULL once closed: at most one batch is open."""
    status: Mapped[str] = status_column(AlertStatus, AlertStatus.PENDING)
    dead_letter_count: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str | None] = mapped_column(String(500), default=None)
    channels: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    """Where it went: "email:<address>", "webhook"."""
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class DeadLetter(Base):
    """A job that failed for the last time, kept for an admin to replay or resolve."""

    __tablename__ = "dead_letters"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    queue: Mapped[str] = mapped_column(String(200), index=True)
    job_id: Mapped[str] = mapped_column(String(256), index=True)
    job_name: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = status_column(DeadLetterStatus, DeadLetterStatus.OPEN, index=True)
    open_key: Mapped[str | None] = mapped_column(String(460), unique=True, default=None)
    """"queue/job id" while OPEN, NULL after: one open dead letter per job."""
    alert_batch_id: Mapped[str | None] = mapped_column(
        ForeignKey("alert_batches.id", ondelete="SET NULL"), index=True, default=None
    )
    replayed_at: Mapped[datetime | None] = mapped_column(default=None)
    replay_job_id: Mapped[str | None] = mapped_column(String(256), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class Payout(Base):
    """A creator's earnings for one calendar month; at most one per creator and month."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("creator_id", "period"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    """The month, YYYY-MM."""
    gross_cents: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    """What the creator receives: gross minus platform fees."""
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = status_column(PayoutStatus, PayoutStatus.PENDING)
    email_job_id: Mapped[str | None] = mapped_column(String(256), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------- analytics


class DailySales(Base):
    """Sales of one UTC day (PAID orders by payment time)."""

    __tablename__ = "analytics_daily_sales"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    gross_cents: Mapped[int] = mapped_column(Integer, default=0)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreatorRevenue(Base):
    """A creator's sales in one analytics week."""

    __tablename__ = "analytics_creator_revenue"
    __table_args__ = (UniqueConstraint("creator_id", "week_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[date] = mapped_column(Date, index=True)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    gross_cents: Mapped[int] = mapped_column(Integer, default=0)
    net_cents: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductPopularity(Base):
    """A product's rank by units sold in one analytics week (top N only)."""

    __tablename__ = "analytics_product_popularity"
    __table_args__ = (UniqueConstraint("product_id", "week_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[date] = mapped_column(Date, index=True)
    rank: Mapped[int] = mapped_column(Integer)
    units_sold: Mapped[int] = mapped_column(Integer, default=0)
    revenue_cents: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
