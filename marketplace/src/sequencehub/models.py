"""The marketplace's tables (SQLAlchemy 2.x declarative) in the layout Prisma gives the SequenceHUB
Next.js app, as the background jobs read and write them.

Naming follows Prisma's defaults, so the app's ``db.productFile.update(...)`` and these jobs touch the
same rows: a table is named after its model (``"ProductFile"``), a column after its field in
camelCase (``"processingStatus"``; Python attributes stay snake_case and are converted by
:class:`Base`), enums are PostgreSQL enum types named after the Prisma enum, ids are cuid-like
strings (:func:`new_id`), ``updatedAt`` columns are set on every update (Prisma's ``@updatedAt``),
constraint and index names are Prisma's (``"ProductFile_pkey"``, ``"ProductFile_productId_idx"``,
``"Payout_creatorId_period_key"``, ``"ProductFile_productId_fkey"``). ``marketplace/schema.prisma`` in the
repository describes exactly these tables (a test compares them field by field).

Money is integer cents; times are stored as naive UTC (``TIMESTAMP(3)``, as Prisma's ``DateTime``)
and returned as aware UTC (:class:`UTCDateTime`); JSON is ``JSONB`` on PostgreSQL; soft deletion sets
``deletedAt``. The Alembic migrations in ``sequencehub/migrations`` create exactly this schema.
"""

from __future__ import annotations

import enum
import itertools
import json
import re
import secrets
import time
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
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "%(table_name)s_%(column_0_N_name)s_idx",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}
"""Prisma's names for primary keys, foreign keys, unique constraints and indexes."""

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_counter = itertools.count(secrets.randbelow(36**4))


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(reversed(digits))


def new_id() -> str:
    """A new cuid-like primary key, as Prisma's ``@default(cuid())`` makes: ``c`` + time (8) +
    counter (4) + random (12), 25 lower-case base-36 characters, roughly ordered by creation time."""
    return (
        "c"
        + _base36(int(time.time() * 1000), 8)
        + _base36(next(_counter) % 36**4, 4)
        + _base36(secrets.randbelow(36**12), 12)
    )


def camel_case(name: str) -> str:
    """``processing_status`` -> ``processingStatus`` (Prisma field names)."""
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC (``TIMESTAMP(3)`` on PostgreSQL, as Prisma's ``DateTime``)
    and read back as an aware UTC datetime.

    Naive datetimes given to it are refused: every time in the marketplace has a zone."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(precision=3))
        return dialect.type_descriptor(DateTime())

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


JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
"""Prisma's ``Json``: JSONB on PostgreSQL, JSON text on SQLite."""


class Base(DeclarativeBase):
    """Declarative base of every marketplace table.

    A column declared without an explicit name gets its attribute's name in camelCase, so
    ``processing_status: Mapped[str] = ...`` is the column ``"processingStatus"``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSONType}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        for attribute, value in list(vars(cls).items()):
            if isinstance(value, MappedColumn) and value.column.name is None:
                value.column.name = camel_case(attribute)
        super().__init_subclass__(**kwargs)


def status_column(
    enum_type: type[enum.StrEnum], default: enum.StrEnum, *, index: bool = False
) -> Mapped[Any]:
    """A column of the Prisma enum `enum_type` (a PostgreSQL enum type of the same name; text on
    SQLite), accepting only its values."""
    return mapped_column(
        Enum(
            enum_type,
            name=enum_type.__name__,
            native_enum=True,
            create_constraint=False,
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


class StripeEventStatus(enum.StrEnum):
    """Where an inbound Stripe event stored by the app is in ``process-stripe-event``."""

    RECEIVED = "RECEIVED"
    PROCESSED = "PROCESSED"
    IGNORED = "IGNORED"
    """A type the jobs do not handle: recorded, not failed."""
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
    STRIPE_WEBHOOK_PROCESSED = "STRIPE_WEBHOOK_PROCESSED"
    """A webhook try succeeded (entityType ``webhook``; metadata eventType, attempt, success)."""
    STRIPE_WEBHOOK_FAILED = "STRIPE_WEBHOOK_FAILED"
    """A webhook try failed (entityType ``webhook``; metadata eventType, attempt, error)."""
    SECURITY_ALERT = "SECURITY_ALERT"
    """A file job failed for good or found malware (entityType ``file-processing``; metadata
    error, attempts)."""
    FILE_PROCESSED = "FILE_PROCESSED"
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

    __tablename__ = "User"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[str] = status_column(UserRole, UserRole.BUYER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Creator(Base):
    """A seller's profile; one per creator user."""

    __tablename__ = "Creator"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("User.id", ondelete="SET NULL"), unique=True, default=None
    )
    display_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    """Where payout and review emails go."""
    platform_fee_bps: Mapped[int] = mapped_column(Integer, default=1000)
    """The marketplace's share of each sale in basis points (1000 = 10 %)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    products: Mapped[list[Product]] = relationship(back_populates="creator")


class Product(Base):
    """A sequence package for sale."""

    __tablename__ = "Product"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    creator_id: Mapped[str] = mapped_column(ForeignKey("Creator.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(Text, default="USD")
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

    __tablename__ = "ProductFile"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("Product.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    storage_key: Mapped[str] = mapped_column(Text, unique=True)
    file_type: Mapped[str] = mapped_column(Text, default="SEQUENCE")
    """SEQUENCE, AUDIO, VIDEO, IMAGE or OTHER."""
    mime_type: Mapped[str | None] = mapped_column(Text, default=None)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    processing_status: Mapped[str] = status_column(ProcessingStatus, ProcessingStatus.PENDING, index=True)
    processing_error: Mapped[str | None] = mapped_column(Text, default=None)
    file_metadata: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType, default=None)
    """Metadata extracted from the file (format, channels, frames, duration...)."""
    checksum_sha256: Mapped[str | None] = mapped_column(Text, default=None)
    thumbnail_key: Mapped[str | None] = mapped_column(Text, default=None)
    scan_result: Mapped[str | None] = mapped_column(Text, default=None)
    """CLEAN, INFECTED or ERROR once scanned."""
    scan_signature: Mapped[str | None] = mapped_column(Text, default=None)
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

    __tablename__ = "Order"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    buyer_id: Mapped[str | None] = mapped_column(
        ForeignKey("User.id", ondelete="SET NULL"), index=True, default=None
    )
    buyer_email: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = status_column(OrderStatus, OrderStatus.PENDING, index=True)
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(Text, default="USD")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    stripe_session_id: Mapped[str | None] = mapped_column(Text, unique=True, default=None)
    """The Stripe Checkout Session that pays this order (``checkout.session.completed``)."""
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(Text, default=None)

    items: Mapped[list[OrderItem]] = relationship(back_populates="order", cascade="all, delete-orphan")


class OrderItem(Base):
    """One product in an order, with the price and platform fee fixed at purchase time."""

    __tablename__ = "OrderItem"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("Order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("Product.id", ondelete="SET NULL"), index=True)
    creator_id: Mapped[str | None] = mapped_column(ForeignKey("Creator.id", ondelete="SET NULL"), index=True)
    product_title: Mapped[str] = mapped_column(Text)
    """Title at purchase time (kept when the product is purged)."""
    price_cents: Mapped[int] = mapped_column(Integer)
    platform_fee_cents: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="items")


class Download(Base):
    """One download of a purchased product file by its buyer (read by the engagement analytics)."""

    __tablename__ = "Download"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("Order.id", ondelete="SET NULL"), index=True,
                                                 default=None)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("Product.id", ondelete="SET NULL"), index=True,
                                                   default=None)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("User.id", ondelete="SET NULL"), index=True,
                                                default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class UploadSession(Base):
    """A resumable upload in progress; expired unfinished sessions are cleaned up daily."""

    __tablename__ = "UploadSession"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    creator_id: Mapped[str | None] = mapped_column(
        ForeignKey("Creator.id", ondelete="CASCADE"), index=True, default=None
    )
    file_name: Mapped[str] = mapped_column(Text)
    storage_key: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    uploaded_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = status_column(UploadStatus, UploadStatus.INITIATED, index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


# --------------------------------------------------------------------- integrations


class WebhookEndpoint(Base):
    """A subscriber URL for marketplace events."""

    __tablename__ = "WebhookEndpoint"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    creator_id: Mapped[str | None] = mapped_column(
        ForeignKey("Creator.id", ondelete="CASCADE"), index=True, default=None
    )
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookLog(Base):
    """The webhook log: one row per event delivery, updated by every try."""

    __tablename__ = "WebhookLog"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    """The `webhookId` of the `retry-webhook` job."""
    endpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("WebhookEndpoint.id", ondelete="SET NULL"), index=True, default=None
    )
    event_type: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any] = mapped_column(JSONType, nullable=True, default=None)
    status: Mapped[str] = status_column(WebhookStatus, WebhookStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class StripeEvent(Base):
    """An inbound Stripe event the app stored (raw body and ``Stripe-Signature`` header) for the
    ``process-stripe-event`` job; unique by Stripe's event id."""

    __tablename__ = "StripeEvent"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    event_id: Mapped[str | None] = mapped_column(Text, unique=True, default=None)
    """Stripe's ``evt_...`` id, filled in once the signature is verified."""
    type: Mapped[str | None] = mapped_column(Text, default=None)
    payload: Mapped[str] = mapped_column(Text)
    """The request body exactly as Stripe sent it (the signature covers these bytes)."""
    signature: Mapped[str] = mapped_column(Text)
    """The ``Stripe-Signature`` header."""
    status: Mapped[str] = status_column(StripeEventStatus, StripeEventStatus.RECEIVED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EmailLog(Base):
    """The email log: one row per try of a `send-email` job (``SENT`` with the provider's
    ``externalId``, or ``FAILED`` with the ``error``), as the app's ``db.emailLog.create``."""

    __tablename__ = "EmailLog"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    job_id: Mapped[str | None] = mapped_column(Text, index=True, default=None)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    """Which try of the job this row records (1 = the first)."""
    to_address: Mapped[str] = mapped_column("to", Text, index=True)
    template: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = status_column(EmailStatus, EmailStatus.FAILED, index=True)
    provider_id: Mapped[str | None] = mapped_column("externalId", Text, default=None)
    """The transport's message id (Message-ID header, or the HTTP provider's id)."""
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditLog(Base):
    """Append-only record of significant actions."""

    __tablename__ = "AuditLog"
    __table_args__ = (Index("AuditLog_action_createdAt_idx", "action", "created_at"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    action: Mapped[str] = mapped_column(Text)
    entity_type: Mapped[str] = mapped_column(Text, default="")
    entity_id: Mapped[str | None] = mapped_column(Text, default=None)
    user_id: Mapped[str | None] = mapped_column(Text, default=None)
    details: Mapped[str | None] = mapped_column("metadata", Text, default=None)
    """The ``metadata`` field: a JSON string, as the app writes ``JSON.stringify({...})``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def metadata_dict(self) -> dict[str, Any] | None:
        """The ``metadata`` JSON string parsed (None when empty)."""
        if not self.details:
            return None
        value = json.loads(self.details)
        return value if isinstance(value, dict) else {"value": value}


# --------------------------------------------------------------------- operations


class AlertBatch(Base):
    """One admin alert about dead letters: a single failure or a digest of a burst."""

    __tablename__ = "AlertBatch"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    open_slot: Mapped[int | None] = mapped_column(Integer, unique=True, default=1)
    """1 while the batch still gathers dead letters, NULL once closed: at most one batch is open."""
    status: Mapped[str] = status_column(AlertStatus, AlertStatus.PENDING)
    dead_letter_count: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str | None] = mapped_column(Text, default=None)
    channels: Mapped[list[str] | None] = mapped_column(JSONType, default=None)
    """Where it went: "email:<address>", "webhook"."""
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class DeadLetter(Base):
    """A job that failed for the last time (Prisma model ``DeadLetterJob``), kept for an admin to
    replay or resolve."""

    __tablename__ = "DeadLetterJob"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    queue: Mapped[str] = mapped_column("queueName", Text, index=True)
    job_id: Mapped[str] = mapped_column(Text, index=True)
    job_name: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[Any] = mapped_column("jobData", JSONType, nullable=True, default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = status_column(DeadLetterStatus, DeadLetterStatus.OPEN, index=True)
    open_key: Mapped[str | None] = mapped_column(Text, unique=True, default=None)
    """"queue/job id" while OPEN, NULL after: one open dead letter per job."""
    failure_key: Mapped[str | None] = mapped_column(Text, unique=True, default=None)
    """"queue/job id/try/failure time in ms" from the engine's durable failed state: one dead letter
    per job and failure, however many recorders (listener, reconcilers) see it."""
    alert_batch_id: Mapped[str | None] = mapped_column(
        ForeignKey("AlertBatch.id", ondelete="SET NULL"), index=True, default=None
    )
    replayed_at: Mapped[datetime | None] = mapped_column(default=None)
    replay_job_id: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(Text, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Payout(Base):
    """A creator's earnings for one calendar month; at most one per creator and month."""

    __tablename__ = "Payout"
    __table_args__ = (UniqueConstraint("creator_id", "period"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    creator_id: Mapped[str] = mapped_column(ForeignKey("Creator.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(Text)
    """The month, YYYY-MM."""
    gross_cents: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    """What the creator receives: gross minus platform fees."""
    currency: Mapped[str] = mapped_column(Text, default="USD")
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = status_column(PayoutStatus, PayoutStatus.PENDING)
    email_job_id: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --------------------------------------------------------------------- analytics


class DailySales(Base):
    """Sales of one UTC day (PAID orders by payment time)."""

    __tablename__ = "DailySales"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    gross_cents: Mapped[int] = mapped_column(Integer, default=0)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserEngagement(Base):
    """Buyer engagement on one UTC day: downloads, active buyers (bought or downloaded), repeat
    purchases (paid orders by buyers with an earlier paid order) and new buyers."""

    __tablename__ = "UserEngagement"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    active_buyers: Mapped[int] = mapped_column(Integer, default=0)
    repeat_purchases: Mapped[int] = mapped_column(Integer, default=0)
    new_buyers: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreatorRevenue(Base):
    """A creator's sales in one analytics week."""

    __tablename__ = "CreatorRevenue"
    __table_args__ = (UniqueConstraint("creator_id", "week_start"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    creator_id: Mapped[str] = mapped_column(ForeignKey("Creator.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[date] = mapped_column(Date, index=True)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    gross_cents: Mapped[int] = mapped_column(Integer, default=0)
    net_cents: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductPopularity(Base):
    """A product's rank by units sold in one analytics week (top N only)."""

    __tablename__ = "ProductPopularity"
    __table_args__ = (UniqueConstraint("product_id", "week_start"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("Product.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[date] = mapped_column(Date, index=True)
    rank: Mapped[int] = mapped_column(Integer)
    units_sold: Mapped[int] = mapped_column(Integer, default=0)
    revenue_cents: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
