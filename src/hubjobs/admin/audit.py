"""The audit trail of admin actions: a log line, an `admin` event on the queue's stream, and
hooks a host application uses to write its own audit table."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..backends.base import NewEvent, PublishEvents

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger("hubjobs.admin.audit")

ADMIN_EVENT = "admin"
"""Name of the stream event an admin action publishes on its queue."""

MAX_IDS_IN_EVENT = 100


@dataclass(frozen=True)
class AuditEntry:
    """Who did what: the token (id, name, role), the action, its queue and jobs, and details."""

    actor_id: str
    actor: str
    role: str
    action: str
    via: str
    """"api" or "dashboard" (or "cli")."""
    queue: str | None = None
    job_ids: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"actor_id": self.actor_id, "actor": self.actor, "role": self.role, "action": self.action,
                "via": self.via, "queue": self.queue, "job_ids": list(self.job_ids), "detail": self.detail,
                "at": self.at}


AuditHook = Callable[[AuditEntry], Awaitable[None] | None]
"""Called with every audit entry (sync or async); a failing hook is logged, never raised."""


class Auditor:
    """Writes each admin action to the log, to its queue's event stream and to every hook."""

    def __init__(self, app: App, hooks: Sequence[AuditHook] = ()) -> None:
        self.app = app
        self.hooks = list(hooks)

    def add_hook(self, hook: AuditHook) -> None:
        """Also call `hook` for every later entry."""
        self.hooks.append(hook)

    async def record(self, entry: AuditEntry) -> None:
        """Record one action."""
        log.info("admin action %s by %s (%s, token %s) via %s queue=%s jobs=%s detail=%s",
                 entry.action, entry.actor, entry.role, entry.actor_id, entry.via, entry.queue,
                 list(entry.job_ids[:20]), entry.detail)
        if entry.queue is not None:
            await self._publish(entry)
        for hook in self.hooks:
            try:
                result = hook(entry)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("audit hook %r failed for %s", hook, entry.action)

    async def _publish(self, entry: AuditEntry) -> None:
        assert entry.queue is not None
        data = {"action": entry.action, "actor": entry.actor, "role": entry.role, "via": entry.via,
                "job_ids": list(entry.job_ids[:MAX_IDS_IN_EVENT]), "count": len(entry.job_ids),
                "detail": entry.detail}
        job_id = entry.job_ids[0] if len(entry.job_ids) == 1 else None
        try:
            backend = await self.app.backend()
            await backend.publish_events(PublishEvents(entry.queue, [
                NewEvent(ADMIN_EVENT, job_id, entry.at, data)]))
        except Exception:
            log.exception("could not publish the audit event of %s on %s", entry.action, entry.queue)
