"""The ``daily-cleanup`` job: expired uploads, old audit entries and soft-deleted records.

One run, in one transaction:

* deletes upload sessions still INITIATED or UPLOADING whose ``expires_at`` has passed (plus the
  configured grace period);
* deletes audit entries older than ``audit_retention_days`` (90) except the protected actions
  ORDER_CREATED, PAYMENT_RECEIVED and REFUND_INITIATED;
* purges every soft-deleted model — users, creators, products and product files — deleted more
  than ``soft_delete_retention_days`` (30) ago (a purged creator takes its products, a purged
  product its files; order items keep their title and price; orders, downloads and creator
  profiles of a purged user keep a NULL link).

Then, when a file storage is given, the stored objects of deleted uploads and purged files are
removed (after the commit, so a failed run never loses a file the database still points to).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select

from .config import Settings
from .db import Database
from .files.storage import FileStorage
from .models import (
    PROTECTED_AUDIT_ACTIONS,
    AuditLog,
    Creator,
    Product,
    ProductFile,
    UploadSession,
    UploadStatus,
    User,
)

log = logging.getLogger("sequencehub.maintenance")

UNFINISHED_UPLOADS = (UploadStatus.INITIATED, UploadStatus.UPLOADING)


@dataclass
class CleanupReport:
    """Counts of what one cleanup run removed."""

    upload_sessions_deleted: int = 0
    audit_entries_deleted: int = 0
    products_purged: int = 0
    product_files_purged: int = 0
    creators_purged: int = 0
    users_purged: int = 0
    storage_objects_deleted: int = 0
    storage_errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the job's result)."""
        return asdict(self)


def run_daily_cleanup(
    db: Database, settings: Settings, now: datetime, *, storage: FileStorage | None = None
) -> CleanupReport:
    """Run the cleanup as of `now` (aware datetime); returns what was removed."""
    report = CleanupReport()
    upload_cutoff = now - timedelta(hours=settings.upload_session_grace_hours)
    audit_cutoff = now - timedelta(days=settings.audit_retention_days)
    purge_cutoff = now - timedelta(days=settings.soft_delete_retention_days)
    keys: list[str] = []
    with db.session() as session:
        expired = (UploadSession.status.in_(UNFINISHED_UPLOADS), UploadSession.expires_at < upload_cutoff)
        keys += session.scalars(select(UploadSession.storage_key).where(*expired)).all()
        report.upload_sessions_deleted = _count(session.execute(delete(UploadSession).where(*expired)))

        report.audit_entries_deleted = _count(
            session.execute(
                delete(AuditLog).where(
                    AuditLog.created_at < audit_cutoff,
                    AuditLog.action.not_in(sorted(PROTECTED_AUDIT_ACTIONS)),
                )
            )
        )

        purged_creators = select(Creator.id).where(
            Creator.deleted_at.is_not(None), Creator.deleted_at < purge_cutoff
        )
        product_ids = list(session.scalars(select(Product.id).where(
            or_(
                (Product.deleted_at.is_not(None)) & (Product.deleted_at < purge_cutoff),
                Product.creator_id.in_(purged_creators),  # a purged creator's products go too
            )
        )))
        purged_products = product_ids
        doomed_files = or_(
            ProductFile.product_id.in_(purged_products),
            (ProductFile.deleted_at.is_not(None)) & (ProductFile.deleted_at < purge_cutoff),
        )
        for storage_key, thumbnail_key in session.execute(
            select(ProductFile.storage_key, ProductFile.thumbnail_key).where(doomed_files)
        ):
            keys.append(storage_key)
            if thumbnail_key:
                keys.append(thumbnail_key)
        report.product_files_purged = _count(
            session.execute(
                delete(ProductFile).where(doomed_files).execution_options(synchronize_session=False)
            )
        )
        report.products_purged = _count(
            session.execute(
                delete(Product)
                .where(Product.id.in_(product_ids))
                .execution_options(synchronize_session=False)
            )
        )
        report.creators_purged = _count(
            session.execute(
                delete(Creator)
                .where(Creator.deleted_at.is_not(None), Creator.deleted_at < purge_cutoff)
                .execution_options(synchronize_session=False)
            )
        )
        report.users_purged = _count(  # their orders, downloads and creator profile keep a NULL link
            session.execute(
                delete(User)
                .where(User.deleted_at.is_not(None), User.deleted_at < purge_cutoff)
                .execution_options(synchronize_session=False)
            )
        )
    if storage is not None:
        for key in keys:
            try:
                storage.delete(key)
                report.storage_objects_deleted += 1
            except Exception as exc:  # noqa: BLE001 - a bad key must not undo the database cleanup
                report.storage_errors.append(f"{key}: {exc}")
    log.info("daily cleanup: %s", report.to_dict())
    return report


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
