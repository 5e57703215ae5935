"""Writing audit entries: one helper shared by every job that records what it did.

The ``AuditLog.metadata`` column holds a JSON *string*, as the app writes it
(``metadata: JSON.stringify({...})``): compact, keys in the order given."""

from __future__ import annotations

import json
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
    """Add an audit entry to `session` (committed with the caller's transaction); `details` is
    stored as the JSON string of the ``metadata`` column."""
    if not action:
        raise ValueError("audit action must be a non-empty string")
    entry = AuditLog(
        action=str(action),
        entity_type=entity_type,
        entity_id=entity_id,
        details=None if details is None else json.dumps(details, separators=(",", ":"), default=str),
        user_id=user_id,
        created_at=at or utcnow(),
    )
    session.add(entry)
    return entry
