"""Writing audit entries: one helper shared by every job that records what it did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .models import AuditLog, utcnow


def record_audit(
    session: Session,
    action: str,
    *,
    entity_type: str = "",
    entity_id: str | None = None,
    details: dict[str, Any] | None = None,
    user_id: str | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add an audit entry to `session` (committed with the caller's transaction)."""
    if not action:
        raise ValueError("audit action must be a non-empty string")
    entry = AuditLog(
        action=str(action),
        entity_type=entity_type,
        entity_id=entity_id,
        details=details,
        user_id=user_id,
        created_at=at or utcnow(),
    )
    session.add(entry)
    return entry
