"""SequenceHUB's dead letters and audit log in the hubjobs dashboard.

The dashboard (``hubjobs.admin``) knows nothing of the marketplace; it takes a dead-letter source
and audit hooks through :class:`~hubjobs.admin.settings.AdminSettings`. This module plugs in:

* :class:`SequenceHubDeadLetters`: the dead-letter view reads the marketplace's ``DeadLetterJob``
  table (OPEN rows whose job is still failed in the engine, or gone from it, newest first). A :class:`~hubjobs.admin.dead_letters.DeadLetterRef` is
  ``(row.queue, row.id)``: its ``id`` is the **dead-letter row's id**, not the failed job's id
  (a job replayed and failing again gets a second row, so the row id is the one unambiguous
  key); the failed job's id is shown as ``job_id``. Replay = :func:`areplay_dead_letter`,
  resolve = :func:`resolve_dead_letter`.
* :class:`AuditLogWriter`: an audit hook writing one ``AuditLog`` row (action
  ``ADMIN_ACTION``) per admin action, whose details name who (token name, id, role) and what
  (action, queue, ids, counts). The provider protocol does not pass the acting admin, so the
  replay/resolve calls record no name; the hook, which receives the admin together with the
  replayed/resolved row ids right after, fills ``DeadLetterJob.resolvedBy`` in.
* :func:`marketplace_admin_settings`: AdminSettings with both wired in.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from hubjobs import App, JobState
from hubjobs.admin.audit import AuditEntry
from hubjobs.admin.dead_letters import DeadLetter as DeadLetterView
from hubjobs.admin.dead_letters import DeadLetterPage, DeadLetterRef
from hubjobs.admin.settings import AdminSettings
from hubjobs.errors import InvalidJobState, JobNotFound, UnknownQueue

from .audit import record_audit
from .db import Database
from .app_identity import AppJwtAuthenticator, AppJwtSettings
from .config import Settings
from .dead_letter import DeadLetterError, areplay_dead_letter, list_dead_letters, resolve_dead_letter
from .models import AuditAction, DeadLetter, DeadLetterStatus

if TYPE_CHECKING:
    from .app import Marketplace

log = logging.getLogger("sequencehub.admin_integration")

DASHBOARD_TITLE = "SequenceHUB jobs"
REPLAY_ALL_BATCH = 500
ATTRIBUTED_ACTIONS = frozenset({"replay", "resolve"})
"""Dashboard actions whose entry's ids are dead-letter row ids (to record who handled them)."""
MAX_IDS_IN_AUDIT = 1000
NOT_REPLAYABLE = (DeadLetterError, UnknownQueue, JobNotFound, InvalidJobState)


class SequenceHubDeadLetters:
    """The dashboard's dead letters from the marketplace ``DeadLetterJob`` table (a
    ``hubjobs.admin.dead_letters.DeadLetterProvider``). Refs are ``(queue, dead-letter row id)``."""

    title = "SequenceHUB dead letters"

    def __init__(self, app: App, db: Database) -> None:
        self.app = app
        self.db = db

    async def page(self, queue: str | None, offset: int, limit: int) -> DeadLetterPage:
        """Replayable dead letters newest first, of one queue or all, and how many there are.

        Replayable: the row is OPEN and its job is still failed in the engine (or already gone
        from it). A row whose job runs again by another way (retried from the job's page, say)
        is left out, so "Replay all (N)" counts only what a replay would put back."""
        if offset < 0 or limit < 1:
            raise ValueError(f"offset must be >= 0 and limit >= 1, got offset={offset!r} limit={limit!r}")
        rows = await self._replayable_rows(queue)
        return DeadLetterPage([_view(row) for row in rows[offset:offset + limit]], len(rows))

    async def _replayable_rows(self, queue: str | None) -> list[DeadLetter]:
        rows = await asyncio.to_thread(self._open_rows, queue)
        return [row for row in rows if await self._job_needs_replay(row.queue, row.job_id)]

    async def _job_needs_replay(self, queue: str, job_id: str) -> bool:
        """True when the engine has the job failed or no longer has it (an undeclared queue: True,
        nothing can be told about its jobs and a replay attempt reports the problem)."""
        try:
            job = await self.app.get_queue(queue).aget(job_id)
        except UnknownQueue:
            return True
        return job is None or job.state == JobState.FAILED

    async def replay(self, refs: Sequence[DeadLetterRef]) -> list[DeadLetterRef]:
        """Put each referenced dead letter's job back on its queue; returns those replayed
        (unknown, already handled, of another queue than the ref says, or whose job already
        runs again: skipped)."""
        done: list[DeadLetterRef] = []
        for ref in dict.fromkeys(refs):
            if await self._replay_one(ref.queue, ref.id):
                done.append(ref)
        return done

    async def replay_all(self, queue: str | None) -> int:
        """Replay every replayable dead letter (of one queue, or all) as of the call; returns how many."""
        pending = await self._replayable_rows(queue)
        replayed = 0
        for row in pending:
            replayed += await self._replay_one(row.queue, row.id)
        return replayed

    async def resolve(self, refs: Sequence[DeadLetterRef]) -> list[DeadLetterRef]:
        """Mark the referenced OPEN dead letters RESOLVED without running them."""
        done: list[DeadLetterRef] = []
        for ref in dict.fromkeys(refs):
            if await asyncio.to_thread(self._resolve_one, ref):
                done.append(ref)
        return done

    async def _replay_one(self, queue: str, dead_letter_id: str) -> bool:
        row = await asyncio.to_thread(self._open_row_in, queue, dead_letter_id)
        if row is None or not await self._job_needs_replay(row.queue, row.job_id):
            return False
        try:
            await areplay_dead_letter(self.app, self.db, dead_letter_id)
        except NOT_REPLAYABLE as exc:
            log.warning("dead letter %s (%s) not replayed: %s", dead_letter_id, queue, exc)
            return False
        return True

    def _resolve_one(self, ref: DeadLetterRef) -> bool:
        if not self._is_open_in(ref.queue, ref.id):
            return False
        try:
            resolve_dead_letter(self.db, ref.id)
        except DeadLetterError as exc:  # handled meanwhile by someone else
            log.warning("dead letter %s (%s) not resolved: %s", ref.id, ref.queue, exc)
            return False
        return True

    def _is_open_in(self, queue: str, dead_letter_id: str) -> bool:
        return self._open_row_in(queue, dead_letter_id) is not None

    def _open_row_in(self, queue: str, dead_letter_id: str) -> DeadLetter | None:
        with self.db.session() as session:
            row = session.get(DeadLetter, dead_letter_id)
            if row is None or row.queue != queue or row.status != DeadLetterStatus.OPEN:
                return None
            return row

    def _open_rows(self, queue: str | None) -> list[DeadLetter]:
        """Every OPEN row (of one queue, or all) newest first, read in batches."""
        rows: list[DeadLetter] = []
        while True:
            batch = list_dead_letters(self.db, status=DeadLetterStatus.OPEN, queue=queue,
                                      limit=REPLAY_ALL_BATCH, offset=len(rows))
            rows += batch
            if len(batch) < REPLAY_ALL_BATCH:
                return rows


def _view(row: DeadLetter) -> DeadLetterView:
    return DeadLetterView(
        ref=DeadLetterRef(row.queue, row.id),
        job_id=row.job_id,
        name=row.job_name,
        data=row.data,
        error=row.error or None,
        attempts=row.attempts,
        failed_at=row.failed_at.timestamp() if row.failed_at is not None else None,
        resolved=row.status != DeadLetterStatus.OPEN,
    )


class AuditLogWriter:
    """The audit hook that writes every dashboard/API action to the marketplace ``AuditLog``
    table: action ``ADMIN_ACTION``, entity the queue (``entity_type`` "queue", or "admin" for
    actions without one), details ``{action, actor, actorId, role, via, queue, ids, idCount,
    detail}``. For ``replay``/``resolve`` it also records the admin as ``resolved_by`` of the
    dead-letter rows they handled."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, entry: AuditEntry) -> None:
        """Write `entry` (called by the dashboard's auditor after each action)."""
        await asyncio.to_thread(self.write, entry)

    def write(self, entry: AuditEntry) -> None:
        """Blocking form of the hook."""
        with self.db.session() as session:
            record_audit(
                session,
                AuditAction.ADMIN_ACTION,
                entity_type="queue" if entry.queue else "admin",
                entity_id=entry.queue,
                details=audit_details(entry),
                at=datetime.fromtimestamp(entry.at, tz=UTC),
            )
            if entry.action in ATTRIBUTED_ACTIONS and entry.job_ids:
                session.execute(
                    update(DeadLetter)
                    .where(DeadLetter.id.in_(entry.job_ids), DeadLetter.resolved_by.is_(None),
                           DeadLetter.status != DeadLetterStatus.OPEN)
                    .values(resolved_by=entry.actor[:200])
                )


def audit_details(entry: AuditEntry) -> dict[str, Any]:
    """The JSON details of an admin action's audit row (ids capped at 1000, with their count)."""
    detail = json.loads(json.dumps(entry.detail, default=str))
    return {
        "action": entry.action,
        "actor": entry.actor,
        "actorId": entry.actor_id,
        "role": entry.role,
        "via": entry.via,
        "queue": entry.queue,
        "ids": list(entry.job_ids[:MAX_IDS_IN_AUDIT]),
        "idCount": len(entry.job_ids),
        "detail": detail,
    }


def app_authenticators(settings: Settings) -> tuple[AppJwtAuthenticator, ...]:
    """The Next.js app's JWT authenticator when SEQUENCEHUB_APP_JWT_AUDIENCE is set."""
    if not settings.app_jwt_audience:
        return ()
    return (AppJwtAuthenticator(AppJwtSettings(
        audience=settings.app_jwt_audience, secret=settings.app_jwt_secret, jwks=settings.app_jwks,
        issuer=settings.app_jwt_issuer, role_claim=settings.app_jwt_role_claim)),)


def marketplace_admin_settings(marketplace: Marketplace, **overrides: Any) -> AdminSettings:
    """AdminSettings for the marketplace's dashboard: dead letters from the ``DeadLetterJob`` table,
    every admin action written to ``AuditLog``, titled "SequenceHUB jobs".

    `overrides` are any other AdminSettings fields (e.g. ``token_store=``); ``dead_letters`` and
    ``title`` replace these defaults, while ``audit_hooks`` are called in addition to the audit-log
    writer."""
    unknown = sorted(set(overrides) - set(AdminSettings.__dataclass_fields__))
    if unknown:
        raise TypeError(f"not AdminSettings fields: {', '.join(unknown)}")
    db = marketplace.jobs.db
    extra_hooks = tuple(overrides.pop("audit_hooks", ()))
    fields: dict[str, Any] = {
        "title": DASHBOARD_TITLE,
        "dead_letters": SequenceHubDeadLetters(marketplace.app, db),
        "seed_admin_only": True,
        "bearer_authenticators": app_authenticators(marketplace.settings),
        **overrides,
        "audit_hooks": (AuditLogWriter(db), *extra_hooks),
    }
    return AdminSettings(**fields)
