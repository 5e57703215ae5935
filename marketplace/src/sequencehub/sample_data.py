"""Builders for marketplace rows, and a ready-made sample marketplace for demos and tests.

The builders add to a caller's session and return the new row; :func:`seed_sample_marketplace`
fills an empty database with creators, products, paid and refunded orders over the last two
months, upload sessions (some expired) and audit entries (some past retention), and returns a
summary of what it made.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from .audit import record_audit
from .db import Database
from .models import (
    AuditAction,
    Creator,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    ProductFile,
    ProductStatus,
    UploadSession,
    UploadStatus,
    User,
    UserRole,
    utcnow,
)


def slugify(text: str) -> str:
    """``"Mega Tree: Wizards!"`` -> ``"mega-tree-wizards"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


def add_creator(
    session: Session, name: str, email: str, *, fee_bps: int = 1000, created_at: datetime | None = None
) -> Creator:
    """A creator with a CREATOR user account."""
    user = User(email=email, name=name, role=UserRole.CREATOR, created_at=created_at or utcnow())
    session.add(user)
    session.flush()
    creator = Creator(
        user_id=user.id,
        display_name=name,
        email=email,
        platform_fee_bps=fee_bps,
        created_at=created_at or utcnow(),
    )
    session.add(creator)
    session.flush()
    return creator


def add_product(
    session: Session,
    creator: Creator,
    title: str,
    price_cents: int,
    *,
    status: ProductStatus = ProductStatus.PUBLISHED,
    deleted_at: datetime | None = None,
    files: Sequence[str] = (),
    created_at: datetime | None = None,
) -> Product:
    """A product of `creator`, with one ProductFile per name in `files` (storage key
    ``products/<id>/<name>``)."""
    product = Product(
        creator_id=creator.id,
        title=title,
        slug=f"{slugify(title)}-{len(title)}-{price_cents}",
        price_cents=price_cents,
        status=status,
        deleted_at=deleted_at,
        created_at=created_at or utcnow(),
    )
    session.add(product)
    session.flush()
    product.slug = f"{slugify(title)}-{product.id[:8]}"
    for name in files:
        add_product_file(session, product, name)
    return product


def add_product_file(
    session: Session, product: Product, file_name: str, *, deleted_at: datetime | None = None
) -> ProductFile:
    """A PENDING file of `product`."""
    kind = (
        "VIDEO"
        if file_name.lower().endswith((".mp4", ".webm", ".mov"))
        else "AUDIO"
        if file_name.lower().endswith((".mp3", ".wav", ".ogg"))
        else "IMAGE"
        if file_name.lower().endswith((".png", ".jpg", ".jpeg", ".webp"))
        else "SEQUENCE"
    )
    row = ProductFile(
        product_id=product.id,
        file_name=file_name,
        storage_key=f"products/{product.id}/{file_name}",
        file_type=kind,
        deleted_at=deleted_at,
    )
    session.add(row)
    session.flush()
    return row


def add_order(
    session: Session,
    buyer_email: str,
    products: Sequence[Product],
    *,
    status: OrderStatus = OrderStatus.PAID,
    paid_at: datetime | None = None,
    created_at: datetime | None = None,
) -> Order:
    """An order of `products`; each item's platform fee follows its creator's rate (rounded down)."""
    when = paid_at or created_at or utcnow()
    order = Order(
        buyer_email=buyer_email,
        status=status,
        created_at=created_at or when,
        paid_at=when if status in (OrderStatus.PAID, OrderStatus.REFUNDED) else None,
        total_cents=sum(p.price_cents for p in products),
        currency="USD",
    )
    session.add(order)
    session.flush()
    for product in products:
        creator = session.get(Creator, product.creator_id)
        fee_bps = creator.platform_fee_bps if creator is not None else 0
        session.add(
            OrderItem(
                order_id=order.id,
                product_id=product.id,
                creator_id=product.creator_id,
                product_title=product.title,
                price_cents=product.price_cents,
                platform_fee_cents=product.price_cents * fee_bps // 10_000,
            )
        )
    session.flush()
    return order


def add_upload_session(
    session: Session,
    creator: Creator | None,
    file_name: str,
    *,
    status: UploadStatus,
    expires_at: datetime,
    created_at: datetime | None = None,
) -> UploadSession:
    """An upload session (storage key ``uploads/<id>/<file>``)."""
    row = UploadSession(
        creator_id=creator.id if creator else None,
        file_name=file_name,
        storage_key="pending",
        status=status,
        expires_at=expires_at,
        created_at=created_at or utcnow(),
    )
    session.add(row)
    session.flush()
    row.storage_key = f"uploads/{row.id}/{file_name}"
    return row


@dataclass
class SampleMarketplace:
    """What :func:`seed_sample_marketplace` created (ids, for the demo's summary and checks)."""

    creator_ids: list[str] = field(default_factory=list)
    product_ids: list[str] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)
    product_file_ids: list[str] = field(default_factory=list)
    expired_upload_ids: list[str] = field(default_factory=list)
    live_upload_ids: list[str] = field(default_factory=list)
    old_audit_ids: list[str] = field(default_factory=list)
    buyer_emails: list[str] = field(default_factory=list)


def seed_sample_marketplace(db: Database, now: datetime | None = None) -> SampleMarketplace:
    """Fill `db` with a small, realistic marketplace as of `now` (default: the current time)."""
    now = now or utcnow()
    made = SampleMarketplace()
    with db.session() as s:
        creators = [
            add_creator(s, "Aurora Light Shows", "aurora@example.com", created_at=now - timedelta(days=400)),
            add_creator(
                s, "Pixel Pete", "pete@example.com", fee_bps=1500, created_at=now - timedelta(days=200)
            ),
            add_creator(s, "North Pole Sequences", "np@example.com", created_at=now - timedelta(days=90)),
        ]
        catalogue = [
            (
                creators[0],
                "Wizards in Winter (Mega Tree)",
                2499,
                ["wizards.fseq", "wizards.xsq", "preview.mp4"],
            ),
            (creators[0], "Carol of the Bells (Arches)", 1499, ["carol.fseq", "carol.xsq"]),
            (creators[1], "Let It Go (Matrix)", 1999, ["letitgo.fseq", "preview.mp4"]),
            (creators[1], "Jingle Bell Rock (Whole House)", 999, ["jbr.fseq"]),
            (creators[2], "Thriller (Halloween)", 2999, ["thriller.fseq", "thriller.xsq"]),
        ]
        products = [
            add_product(s, c, title, price, files=files, created_at=now - timedelta(days=60))
            for c, title, price, files in catalogue
        ]
        retired = add_product(
            s,
            creators[2],
            "Old Test Upload",
            100,
            status=ProductStatus.ARCHIVED,
            deleted_at=now - timedelta(days=45),
            files=["old.fseq"],
        )
        buyers = [f"buyer{i}@example.com" for i in range(1, 7)]
        made.buyer_emails = buyers
        for day in range(1, 56):  # about two months of sales, a few orders every third day
            if day % 3:
                continue
            paid_at = now - timedelta(days=day, hours=day % 7)
            basket = [products[day % len(products)]] + (
                [products[(day + 2) % len(products)]] if day % 2 else []
            )
            status = OrderStatus.REFUNDED if day % 27 == 0 else OrderStatus.PAID
            made.order_ids.append(
                add_order(s, buyers[day % len(buyers)], basket, status=status, paid_at=paid_at).id
            )
        pending = add_order(s, buyers[0], [products[0]], status=OrderStatus.PENDING, created_at=now)
        made.order_ids.append(pending.id)
        made.expired_upload_ids = [
            add_upload_session(
                s,
                creators[0],
                "stale.fseq",
                status=UploadStatus.INITIATED,
                expires_at=now - timedelta(days=2),
            ).id,
            add_upload_session(
                s,
                creators[1],
                "abandoned.mp4",
                status=UploadStatus.UPLOADING,
                expires_at=now - timedelta(hours=3),
            ).id,
        ]
        made.live_upload_ids = [
            add_upload_session(
                s,
                creators[2],
                "in-progress.fseq",
                status=UploadStatus.UPLOADING,
                expires_at=now + timedelta(hours=20),
            ).id,
            add_upload_session(
                s, creators[0], "done.fseq", status=UploadStatus.COMPLETED, expires_at=now - timedelta(days=5)
            ).id,
        ]
        for order_id in made.order_ids[:3]:
            record_audit(
                s,
                AuditAction.ORDER_CREATED,
                entity_type="order",
                entity_id=order_id,
                at=now - timedelta(days=120),
            )
        s.flush()
        old = record_audit(
            s, "PRODUCT_VIEWED", entity_type="product", entity_id=products[0].id, at=now - timedelta(days=100)
        )
        s.flush()
        made.old_audit_ids.append(str(old.id))
        record_audit(
            s, "PRODUCT_VIEWED", entity_type="product", entity_id=products[1].id, at=now - timedelta(days=3)
        )
        made.creator_ids = [c.id for c in creators]
        made.product_ids = [p.id for p in [*products, retired]]
        made.product_file_ids = [f.id for p in [*products, retired] for f in p.files]
    return made
