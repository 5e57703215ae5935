"""Seed the demo marketplace and write the uploads its product files point at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from ..db import Database
from ..models import Download, Order, Product, ProductFile
from ..sample_data import SampleMarketplace, add_product_file, seed_sample_marketplace
from .uploads import write_corrupt_sequence, write_preview_video, write_sequence, write_xsq

CORRUPT_FILE_NAME = "broken-upload.fseq"


@dataclass
class SeededDemo:
    """The seeded marketplace and the uploads to process."""

    sample: SampleMarketplace
    uploads: list[tuple[str, str]] = field(default_factory=list)
    """(file id, storage key) of every file of a live product, the corrupt one included (files of
    soft-deleted products are left to the daily cleanup)."""
    corrupt_file_id: str = ""


def seed_demo(db: Database, storage_root: Path) -> SeededDemo:
    """Sample creators, products, orders and uploads, with real files in `storage_root`."""
    seeded = SeededDemo(seed_sample_marketplace(db))
    yesterday = datetime.combine(datetime.now(UTC).date() - timedelta(days=1), time(12), tzinfo=UTC)
    with db.session() as s:
        for order in s.scalars(select(Order).where(Order.paid_at.is_not(None)).limit(3)):
            for item in order.items:  # buyers downloading what they bought (the engagement analytics)
                s.add(Download(order_id=order.id, product_id=item.product_id, created_at=yesterday))
    with db.session() as s:
        first = s.scalars(select(Product).where(Product.deleted_at.is_(None)).order_by(Product.created_at)).first()
        assert first is not None, "the sample marketplace has products"
        broken = add_product_file(s, first, CORRUPT_FILE_NAME)
        seeded.corrupt_file_id = broken.id
        rows = s.scalars(select(ProductFile).join(Product, Product.id == ProductFile.product_id)
                         .where(ProductFile.deleted_at.is_(None), Product.deleted_at.is_(None))
                         .order_by(ProductFile.created_at, ProductFile.id)).all()
        titles = {p.id: p.title for p in s.scalars(select(Product))}
        for row in rows:
            path = storage_root / row.storage_key
            name = row.file_name.lower()
            title = titles.get(row.product_id, "Demo")
            if row.id == broken.id:
                write_corrupt_sequence(path)
            elif name.endswith(".fseq"):
                write_sequence(path)
            elif name.endswith(".xsq"):
                write_xsq(path, song=title.split(" (")[0], artist="SequenceHUB Demo Band")
            elif name.endswith(".mp4"):
                write_preview_video(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"demo upload\n")
            seeded.uploads.append((row.id, row.storage_key))
    return seeded
