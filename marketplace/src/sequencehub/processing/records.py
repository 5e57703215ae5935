"""What the file-processing job writes to the marketplace database: the file's row and audit entries.

Each function is one short transaction, so a status written by one task is visible at once and a
later failure never rolls an earlier result back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sequencehub.audit import record_audit
from sequencehub.db import Database
from sequencehub.models import AuditAction, ProcessingStatus, ProductFile, ScanResult, utcnow

ENTITY = "file-processing"
"""The audit entityType of file jobs (the app's own word)."""
NOT_SCANNED = "NOT_SCANNED"
"""`scan_result` of a file no scanner looked at (never CLEAN)."""
MAX_ERROR_CHARS = 4000


class FileRecordMissing(LookupError):
    """No product file row has the job's file id."""


@dataclass(frozen=True)
class FileSnapshot:
    """The parts of a product file row the job decides with."""

    id: str
    storage_key: str
    file_type: str
    file_name: str
    status: str
    deleted_at: datetime | None


def _require(session: Any, file_id: str) -> ProductFile:
    row: ProductFile | None = session.get(ProductFile, file_id)
    if row is None:
        raise FileRecordMissing(f"no product file with id {file_id!r} in the marketplace database")
    return row


def _clip(message: str) -> str:
    return message if len(message) <= MAX_ERROR_CHARS else message[: MAX_ERROR_CHARS - 1] + "…"


def load_file(db: Database, file_id: str) -> FileSnapshot:
    """The file's row, or FileRecordMissing."""
    with db.session() as session:
        row = _require(session, file_id)
        return FileSnapshot(row.id, row.storage_key, row.file_type, row.file_name, str(row.processing_status),
                            row.deleted_at)


def file_status(db: Database, file_id: str) -> str | None:
    """The file's processing status, or None when there is no such file."""
    with db.session() as session:
        row: ProductFile | None = session.get(ProductFile, file_id)
        return None if row is None else str(row.processing_status)


def mark_processing(db: Database, file_id: str) -> None:
    """PROCESSING, with any error of an earlier try cleared."""
    with db.session() as session:
        row = _require(session, file_id)
        row.processing_status = ProcessingStatus.PROCESSING
        row.processing_error = None


def update_file(db: Database, file_id: str, **columns: Any) -> None:
    """Set columns of the file's row (a task's results)."""
    with db.session() as session:
        row = _require(session, file_id)
        for name, value in columns.items():
            if not hasattr(ProductFile, name):
                raise AttributeError(f"ProductFile has no column {name!r}")
            setattr(row, name, value)


def record_scan(db: Database, file_id: str, scan_result: str, signature: str | None) -> None:
    """Store a scan's outcome; `scanned_at` only when a scanner really looked."""
    with db.session() as session:
        row = _require(session, file_id)
        row.scan_result = scan_result
        row.scan_signature = signature
        row.scanned_at = None if scan_result == NOT_SCANNED else utcnow()


def mark_quarantined(db: Database, file_id: str, *, signature: str | None, detail: str | None, job_id: str,
                     attempt: int) -> None:
    """QUARANTINED (infected), with an audit entry naming the signature."""
    with db.session() as session:
        row = _require(session, file_id)
        row.processing_status = ProcessingStatus.QUARANTINED
        row.scan_result = ScanResult.INFECTED
        row.scan_signature = signature
        row.scanned_at = utcnow()
        row.processing_error = _clip(f"infected: {signature or 'unknown signature'}; the file is quarantined")
        record_audit(session, AuditAction.SECURITY_ALERT, entity_type=ENTITY, entity_id=file_id, details={
            "error": f"infected: {signature or 'unknown signature'} ({detail or 'no scanner reply'})",
            "attempts": attempt})


def mark_retrying(db: Database, file_id: str, *, error: str, attempt: int, max_attempts: int) -> None:
    """Back to PENDING after a failed try that will be retried, with the try's error kept."""
    with db.session() as session:
        row = _require(session, file_id)
        row.processing_status = ProcessingStatus.PENDING
        row.processing_error = _clip(f"try {attempt} of {max_attempts} failed, will retry: {error}")


def mark_failed(db: Database, file_id: str, *, error: str, attempts: int, job_id: str) -> None:
    """FAILED for good, with an audit entry holding the error and the number of tries."""
    with db.session() as session:
        row = _require(session, file_id)
        row.processing_status = ProcessingStatus.FAILED
        row.processing_error = _clip(error)
        record_audit(session, AuditAction.SECURITY_ALERT, entity_type=ENTITY, entity_id=file_id, details={
            "error": _clip(error), "attempts": attempts})


def mark_failed_unless_settled(db: Database, file_id: str, *, error: str, attempts: int, job_id: str) -> bool:
    """`mark_failed` unless the file is already FAILED, QUARANTINED or COMPLETED (the job's own
    process recorded the outcome); True if it wrote. Used after a try the handler could not report
    (timeout, killed process)."""
    with db.session() as session:
        row: ProductFile | None = session.get(ProductFile, file_id)
        if row is None or row.processing_status not in (ProcessingStatus.PENDING, ProcessingStatus.PROCESSING):
            return False
        row.processing_status = ProcessingStatus.FAILED
        row.processing_error = _clip(error)
        record_audit(session, AuditAction.SECURITY_ALERT, entity_type=ENTITY, entity_id=file_id, details={
            "error": _clip(error), "attempts": attempts})
        return True


def mark_completed(db: Database, file_id: str, *, job_id: str, tasks: list[str], attempts: int,
                   summary: dict[str, Any]) -> None:
    """COMPLETED, with an audit entry listing what was done."""
    with db.session() as session:
        row = _require(session, file_id)
        row.processing_status = ProcessingStatus.COMPLETED
        row.processing_error = None
        row.processed_at = utcnow()
        record_audit(session, AuditAction.FILE_PROCESSED, entity_type=ENTITY, entity_id=file_id, details={
            "jobId": job_id, "tasks": tasks, "attempts": attempts, **summary})
