"""Throttling that holds: forwarded headers count only from named proxies, bad bearer tokens and
sign-ins are limited per source address with a Retry-After, and the Origin check compares scheme,
host and port."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.applications import Starlette

from hubjobs.admin import AdminSettings, create_admin_app, create_standalone_app

from .conftest import Tokens
from .support import bearer, make_app, served, token_store_path

TOKEN_LIMIT = 20  # AdminSettings.token_attempts


def _client(admin: Starlette, address: str, base: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(admin, client=(address, 40000)), base_url=base)


async def test_bad_bearer_tokens_are_throttled_per_source(admin_app: Starlette, tokens: Tokens) -> None:
    async with _client(admin_app, "10.0.0.1") as attacker, _client(admin_app, "10.0.0.2") as neighbour:
        statuses = [(await attacker.get("/api/queues", headers=bearer(f"hjt_wrong{i}"))).status_code
                    for i in range(TOKEN_LIMIT + 2)]
        assert statuses[:TOKEN_LIMIT] == [401] * TOKEN_LIMIT and statuses[TOKEN_LIMIT:] == [429, 429]
        r = await attacker.get("/api/queues", headers=bearer(tokens.admin))  # even a good one, until the window ends
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
        assert r.headers["content-type"] == "application/json" and "invalid tokens" in r.json()["error"]
        assert (await neighbour.get("/api/queues", headers=bearer(tokens.admin))).status_code == 200
        r = await attacker.post("/api/queues/email/jobs", json={"name": "send-email"},
                                headers=bearer(tokens.producer))
        assert r.status_code == 429  # every bearer route, the producer endpoint included


async def test_good_tokens_and_sessions_are_never_counted(admin_app: Starlette, tokens: Tokens) -> None:
    async with _client(admin_app, "10.0.0.3") as client:
        for _ in range(TOKEN_LIMIT + 5):
            assert (await client.get("/api/queues", headers=bearer(tokens.viewer))).status_code == 200
        assert (await client.get("/api/queues")).status_code == 401  # no token at all is not a guess


async def _failed_sign_in(client: httpx.AsyncClient, base: str, forwarded_for: str) -> int:
    page = await client.get(f"{base}/admin/queues/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce is not None
    r = await client.post(f"{base}/admin/queues/login", data={"nonce": nonce.group(1), "token": "hjt_wrong"},
                          headers={"Origin": base, "X-Forwarded-For": forwarded_for})
    return r.status_code


async def _sign_in_statuses(tmp_path: Path, forwarded_allow_ips: tuple[str, ...]) -> list[int]:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    server_app = make_app(url)
    settings = AdminSettings(token_store=token_store_path(tmp_path), forwarded_allow_ips=forwarded_allow_ips)
    with served(create_standalone_app(server_app, settings=settings), server_app, forwarded_allow_ips) as base:
        async with httpx.AsyncClient() as client:
            return [await _failed_sign_in(client, base, f"203.0.113.{i}") for i in range(7)]


async def test_a_new_x_forwarded_for_per_try_does_not_bypass_the_sign_in_limit(tmp_path: Path,
                                                                                tokens: Tokens) -> None:
    assert await _sign_in_statuses(tmp_path, ()) == [401] * 5 + [429, 429]


async def test_forwarded_headers_count_only_from_a_named_proxy(tmp_path: Path, tokens: Tokens) -> None:
    # the loopback client is the named proxy: each forwarded address is its own source
    assert await _sign_in_statuses(tmp_path, ("127.0.0.1",)) == [401] * 7


async def test_the_origin_check_compares_scheme_host_and_port(admin_app: Starlette, tokens: Tokens,
                                                              tmp_path: Path) -> None:
    body = {"name": "send-email", "data": {"to": "a@example.com", "template": "welcome"}}
    async with _client(admin_app, "10.0.0.4") as client:
        async def post(origin: str) -> httpx.Response:
            return await client.post("/api/queues/email/jobs", json=body,
                               headers={**bearer(tokens.producer), "Origin": origin})
        for foreign in ("https://testserver", "http://testserver:8080", "http://testserver.evil",
                        "http://evil", "null", "ftp://testserver"):
            r = await post(foreign)
            assert r.status_code == 403, (foreign, r.status_code)
        for same in ("http://testserver", "http://TestServer:80", "http://testserver:80"):
            r = await post(same)
            assert r.status_code == 201, (same, r.status_code, r.text)
    allowed = create_admin_app(make_app(f"sqlite:///{tmp_path / 'other.db'}"), settings=AdminSettings(
        token_store=token_store_path(tmp_path), allowed_origins=("https://shop.example",)))
    try:
        async with _client(allowed, "10.0.0.5") as client:
            ok = await client.post("/api/queues/email/jobs", json=body,
                                   headers={**bearer(tokens.producer), "Origin": "https://shop.example:443"})
            bad = await client.post("/api/queues/email/jobs", json=body,
                                    headers={**bearer(tokens.producer), "Origin": "http://shop.example"})
            assert (ok.status_code, bad.status_code) == (201, 403)
    finally:
        await allowed.state.admin.aclose()
