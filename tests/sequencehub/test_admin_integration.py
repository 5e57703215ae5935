"""SequenceHUB's dead letters and audit log in the hubjobs dashboard: the real standalone ASGI app
over a marketplace on SQLite files, driven through its API and its dashboard forms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from hubjobs import Job
from hubjobs.admin import AuditEntry, DeadLetterProvider, TokenStore
from hubjobs.admin.application import create_standalone_app
from sequencehub.admin_integration import SequenceHubDeadLetters, marketplace_admin_settings
from sequencehub.app import Marketplace, create_marketplace
from sequencehub.models import AuditAction, AuditLog, DeadLetter, DeadLetterStatus
from sequencehub.processing import FileProcessingSettings
from tests.admin.support import bearer, sign_in
from tests.helpers import running_worker, state_is, wait_until
from tests.sequencehub.marketplace_support import close_app, settings_for

QUEUE = "reports"
DASHBOARD = "/admin/queues"


@dataclass
class Hub:
    """A marketplace with a `reports` queue whose job fails until `ready` exists, served by the
    dashboard with the marketplace settings; an admin (alice) and a viewer (victor) token."""

    marketplace: Marketplace
    server: Starlette
    client: httpx.AsyncClient
    ready: Path
    admin: str
    viewer: str

    def rows(self, model: Any, *where: Any) -> list[Any]:
        with self.marketplace.jobs.db.session() as s:
            return list(s.scalars(select(model).where(*where)))

    def dead_letters(self, status: str | None = None) -> list[DeadLetter]:
        return self.rows(DeadLetter, *([DeadLetter.status == status] if status else []))

    def admin_actions(self) -> list[AuditLog]:
        return self.rows(AuditLog, AuditLog.action == AuditAction.ADMIN_ACTION)

    def admin_action_details(self) -> list[dict[str, Any]]:
        rows = self.admin_actions()
        assert all(row.metadata_dict is not None for row in rows)
        return [row.metadata_dict for row in rows if row.metadata_dict is not None]

    def count(self, model: Any) -> int:
        with self.marketplace.jobs.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

    async def fail_jobs(self, *job_ids: str) -> list[DeadLetter]:
        """Add these jobs (one attempt each), run them into dead letters; returns the rows."""
        queue = self.marketplace.app.queue(QUEUE)
        for n, job_id in enumerate(job_ids):
            await queue.aadd("build-report", {"n": n}, job_id=job_id, attempts=1)
        before = self.count(DeadLetter)
        async with running_worker(self.marketplace.app, [QUEUE]):
            await wait_until(lambda: self.count(DeadLetter) == before + len(job_ids), what="dead letters")
        by_job = {d.job_id: d for d in self.dead_letters(DeadLetterStatus.OPEN)}
        return [by_job[j] for j in job_ids]


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    settings = settings_for(tmp_path)
    files = FileProcessingSettings(database_url=settings.database_url, storage_root=tmp_path / "storage")
    marketplace = create_marketplace(settings, files, url=f"sqlite:///{tmp_path / 'jobs.db'}", schedules=False)
    ready = tmp_path / "ready"

    @marketplace.app.job(QUEUE, "build-report")
    def build_report(job: Job) -> str:
        if not ready.exists():
            raise RuntimeError("upstream not ready")
        return "built"

    store = TokenStore(tmp_path / "tokens.db")
    admin, viewer = store.create("admin", "alice").token, store.create("viewer", "victor").token
    server = create_standalone_app(
        marketplace.app, settings=marketplace_admin_settings(marketplace, token_store=tmp_path / "tokens.db")
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(server), base_url="http://testserver") as client:
        yield Hub(marketplace, server, client, ready, admin, viewer)
    await server.state.admin.aclose()
    await close_app(marketplace.app)


async def test_permanent_failure_shows_in_dead_letter_api_and_page_from_the_marketplace_table(hub: Hub) -> None:
    (row,) = await hub.fail_jobs("report-1")
    # the view reads the dead_letters table: the engine forgetting the job changes nothing
    await hub.marketplace.app.queue(QUEUE).aremove("report-1")

    body = (await hub.client.get("/api/dead-letters", headers=bearer(hub.viewer))).json()
    assert body["title"] == "SequenceHUB dead letters" and body["total"] == 1
    (item,) = body["items"]
    assert item["id"] == row.id and item["job_id"] == "report-1" and item["queue"] == QUEUE
    assert item["name"] == "build-report" and item["attempts"] == 1 and item["resolved"] is False
    assert "upstream not ready" in item["error"]
    assert item["failed_at"] == pytest.approx(row.failed_at.timestamp())
    filtered = (await hub.client.get("/api/dead-letters?queue=email", headers=bearer(hub.viewer))).json()
    assert filtered["total"] == 0 and filtered["items"] == []

    page = await hub.client.get(f"{DASHBOARD}/dead-letters", headers=bearer(hub.viewer))
    assert page.status_code == 200
    assert "SequenceHUB dead letters" in page.text and "upstream not ready" in page.text
    assert 'data-job-id="report-1"' in page.text and "SequenceHUB jobs" in page.text


async def test_bulk_replay_from_the_dashboard_reruns_jobs_and_marks_rows_replayed(hub: Hub) -> None:
    first, second, _third = await hub.fail_jobs("report-1", "report-2", "report-3")
    hub.ready.write_text("yes")
    csrf = await sign_in(hub.client, hub.admin, base=DASHBOARD)
    app = hub.marketplace.app
    async with running_worker(app, [QUEUE]):
        r = await hub.client.post(
            f"{DASHBOARD}/actions",
            data={"csrf_token": csrf, "action": "replay", "next": "/dead-letters",
                  "ref": [f"{QUEUE} {first.id}", f"{QUEUE} {second.id}"]},
            headers={"Origin": "http://testserver"},
        )
        assert r.status_code == 303 and "done=replay&n=2" in r.headers["location"]
        for job_id in ("report-1", "report-2"):
            await wait_until(state_is(app, QUEUE, job_id, "completed"), what=f"{job_id} completed")

        r = await hub.client.post("/api/dead-letters/replay", json={"all": True, "queue": QUEUE},
                                  headers=bearer(hub.admin))
        assert r.json() == {"count": 1, "done": []}
        await wait_until(state_is(app, QUEUE, "report-3", "completed"), what="report-3 completed")

    replayed = {d.job_id: d for d in hub.dead_letters(DeadLetterStatus.REPLAYED)}
    assert sorted(replayed) == ["report-1", "report-2", "report-3"]
    assert all(d.replay_job_id == d.job_id and d.replayed_at is not None for d in replayed.values())
    assert replayed["report-1"].resolved_by == "alice" and replayed["report-2"].resolved_by == "alice"
    assert hub.dead_letters(DeadLetterStatus.OPEN) == []
    assert (await hub.client.get("/api/dead-letters", headers=bearer(hub.viewer))).json()["total"] == 0

    actions = {details["action"]: details for details in hub.admin_action_details()}
    assert sorted(actions) == ["login", "replay", "replay-all"]
    assert actions["replay"]["actor"] == "alice" and actions["replay"]["via"] == "dashboard"
    assert sorted(actions["replay"]["ids"]) == sorted([first.id, second.id])
    assert actions["replay-all"]["actor"] == "alice" and actions["replay-all"]["detail"] == {"count": 1}


async def test_a_letter_whose_job_waits_again_is_not_offered_for_replay(hub: Hub) -> None:
    retried, still_failed = await hub.fail_jobs("report-1", "report-2")
    # retried another way (the job's own page): the job waits again, its row is still OPEN
    await hub.marketplace.app.queue(QUEUE).aretry("report-1")
    assert sorted(d.job_id for d in hub.dead_letters(DeadLetterStatus.OPEN)) == ["report-1", "report-2"]

    listed = (await hub.client.get("/api/dead-letters", headers=bearer(hub.viewer))).json()
    assert listed["total"] == 1 and [i["id"] for i in listed["items"]] == [still_failed.id]
    page = await hub.client.get(f"{DASHBOARD}/dead-letters", headers=bearer(hub.admin))
    assert "Replay all (1)" in page.text and 'data-job-id="report-1"' not in page.text

    r = await hub.client.post("/api/dead-letters/replay", headers=bearer(hub.admin),
                              json={"items": [{"queue": QUEUE, "id": retried.id}]})
    assert r.json() == {"count": 0, "done": []}
    r = await hub.client.post("/api/dead-letters/replay", json={"all": True, "queue": QUEUE},
                              headers=bearer(hub.admin))
    assert r.json() == {"count": 1, "done": []}
    assert [d.job_id for d in hub.dead_letters(DeadLetterStatus.REPLAYED)] == ["report-2"]


async def test_resolve_marks_the_row_resolved_by_the_admin(hub: Hub) -> None:
    keep, resolve = await hub.fail_jobs("report-1", "report-2")
    r = await hub.client.post("/api/dead-letters/resolve", headers=bearer(hub.admin), json={"items": [
        {"queue": QUEUE, "id": resolve.id},
        {"queue": "email", "id": keep.id},  # a ref naming the wrong queue is skipped
        {"queue": QUEUE, "id": "no-such-dead-letter"},
    ]})
    assert r.json() == {"count": 1, "done": [{"queue": QUEUE, "id": resolve.id}]}

    (resolved,) = hub.dead_letters(DeadLetterStatus.RESOLVED)
    assert resolved.id == resolve.id and resolved.resolved_by == "alice" and resolved.resolved_at is not None
    assert [d.id for d in hub.dead_letters(DeadLetterStatus.OPEN)] == [keep.id]
    listed = (await hub.client.get("/api/dead-letters", headers=bearer(hub.viewer))).json()
    assert [i["id"] for i in listed["items"]] == [keep.id]
    (action,) = hub.admin_action_details()
    assert action["action"] == "resolve" and action["actor"] == "alice" and action["ids"] == [resolve.id]


async def test_pausing_a_queue_writes_one_audit_row_naming_who_and_what(hub: Hub) -> None:
    r = await hub.client.post(f"/api/queues/{QUEUE}/actions/pause", headers=bearer(hub.admin))
    assert r.json() == {"queue": QUEUE, "paused": True}
    assert await hub.marketplace.app.queue(QUEUE).ais_paused()

    (row,) = hub.admin_actions()
    assert row.entity_type == "queue" and row.entity_id == QUEUE
    details = row.metadata_dict
    assert details is not None
    assert (details["action"], details["actor"], details["role"], details["via"], details["queue"]) == (
        "pause", "alice", "admin", "api", QUEUE)
    assert details["actorId"] and details["ids"] == [] and details["idCount"] == 0
    assert (await hub.client.post(f"/api/queues/{QUEUE}/actions/resume", headers=bearer(hub.viewer))).status_code == 403
    assert len(hub.admin_actions()) == 1


async def test_settings_wire_the_provider_and_keep_extra_audit_hooks(hub: Hub, tmp_path: Path) -> None:
    seen: list[AuditEntry] = []
    settings = marketplace_admin_settings(hub.marketplace, token_store=tmp_path / "t.db", title="Ops",
                                          audit_hooks=[seen.append])
    assert isinstance(settings.dead_letters, SequenceHubDeadLetters)
    assert isinstance(settings.dead_letters, DeadLetterProvider)
    assert settings.title == "Ops" and len(settings.audit_hooks) == 2 and settings.audit_hooks[1] == seen.append
    with pytest.raises(TypeError, match="not AdminSettings fields: colour"):
        marketplace_admin_settings(hub.marketplace, colour="red")
