"""The hooks a host application (SequenceHUB) uses: its own dead-letter rows, extra routes and
navigation links secured by the admin's auth, and audit hooks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hubjobs import App
from hubjobs.admin import (
    AdminSettings,
    AdminState,
    DeadLetter,
    DeadLetterPage,
    DeadLetterProvider,
    DeadLetterRef,
    NavLink,
    Permission,
    create_admin_app,
)

from .conftest import Tokens
from .support import bearer, token_store_path


class RowDeadLetters:
    """Dead letters kept as rows by the host (here a list)."""

    title = "Dead letters (host rows)"

    def __init__(self) -> None:
        self.rows = [DeadLetter(DeadLetterRef("email", f"row-{i}"), f"job-{i}", "send-email", {"to": f"{i}@x.io"},
                                "SMTP 550", 3, 1_700_000_000.0 + i) for i in range(3)]
        self.replayed: list[DeadLetterRef] = []
        self.resolved: list[DeadLetterRef] = []

    async def page(self, queue: str | None, offset: int, limit: int) -> DeadLetterPage:
        rows = [r for r in self.rows if queue is None or r.ref.queue == queue]
        return DeadLetterPage(rows[offset:offset + limit], len(rows))

    async def replay(self, refs: Sequence[DeadLetterRef]) -> list[DeadLetterRef]:
        self.replayed += refs
        return list(refs)

    async def replay_all(self, queue: str | None) -> int:
        self.replayed += [r.ref for r in self.rows]
        return len(self.rows)

    async def resolve(self, refs: Sequence[DeadLetterRef]) -> list[DeadLetterRef]:
        self.resolved += refs
        return list(refs)


async def refunds(request: Request) -> Response:
    """A host page behind the admin's auth."""
    state = AdminState.of(request)
    principal = await state.auth.require(request, Permission.READ)
    return JSONResponse({"who": principal.name})


async def test_host_dead_letters_routes_and_nav(jobs_app: App, tokens: Tokens, tmp_path: Path) -> None:
    provider = RowDeadLetters()
    assert isinstance(provider, DeadLetterProvider)
    settings = AdminSettings(token_store=token_store_path(tmp_path), dead_letters=provider,
                             extra_routes=[Route("/refunds", refunds)], nav_links=[NavLink("Refunds", "/refunds")])
    admin = create_admin_app(jobs_app, settings=settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://testserver") as c:
            body = (await c.get("/api/dead-letters", headers=bearer(tokens.viewer))).json()
            assert body["title"] == "Dead letters (host rows)" and body["total"] == 3
            assert [i["id"] for i in body["items"]] == ["row-0", "row-1", "row-2"]
            r = await c.post("/api/dead-letters/replay", json={"items": [{"queue": "email", "id": "row-1"}]},
                             headers=bearer(tokens.admin))
            assert r.json()["count"] == 1 and provider.replayed == [DeadLetterRef("email", "row-1")]
            r = await c.post("/api/dead-letters/resolve", json={"items": [{"queue": "email", "id": "row-2"}]},
                             headers=bearer(tokens.admin))
            assert provider.resolved == [DeadLetterRef("email", "row-2")]
            page = await c.get("/dead-letters", headers=bearer(tokens.viewer))
            assert "Dead letters (host rows)" in page.text and "SMTP 550" in page.text
            assert 'href="/refunds"' in page.text
            assert (await c.get("/refunds")).status_code == 401
            assert (await c.get("/refunds", headers=bearer(tokens.viewer))).json() == {"who": "victor"}
    finally:
        await admin.state.admin.aclose()
