"""Deny by default: 401 without credentials, 403 for roles and forged requests, 405 for GET on
actions; sessions, CSRF, Origin, login rate limit, token storage."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest
from starlette.applications import Starlette

from hubjobs import App

from .conftest import Tokens
from .routes import action_routes, all_routes, guarded_routes
from .support import bearer, seed, sign_in


async def test_the_route_table_is_what_the_tests_expect(admin_app: Starlette) -> None:
    routes = all_routes(admin_app)
    assert ("GET", "/api/admin/jobs") in routes and ("POST", "/api/admin/jobs/retry") in routes
    assert ("POST", "/api/queues/files/jobs") in routes and ("GET", "/") in routes
    assert len(action_routes(admin_app)) >= 12


async def test_every_route_without_credentials_is_401(admin_app: Starlette, client: httpx.AsyncClient) -> None:
    for method, path in guarded_routes(admin_app):
        r = await client.request(method, path, json={})
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["www-authenticate"].startswith("Bearer")


async def test_a_bad_or_malformed_token_is_401(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for header in (f"Bearer {tokens.admin}x", "Bearer ", "Basic abc", tokens.admin, "Bearer hjt_123_456",
                   "Bearer " + "a" * 600):
        r = await client.get("/api/queues", headers={"Authorization": header})
        assert r.status_code == 401, header


async def test_public_routes_need_no_credentials(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/static/dashboard.css")).status_code == 200
    assert (await client.get("/static/dashboard.js")).status_code == 200
    assert (await client.get("/static/__init__.py")).status_code == 404
    login = await client.get("/login")
    assert login.status_code == 200 and 'name="token"' in login.text


async def test_viewer_token_on_every_action_is_403(admin_app: Starlette, client: httpx.AsyncClient,
                                                   tokens: Tokens) -> None:
    for method, path in [*action_routes(admin_app), ("POST", "/api/queues/files/jobs")]:
        r = await client.request(method, path, json={}, headers=bearer(tokens.viewer))
        assert r.status_code == 403, (method, path, r.status_code)


async def test_viewer_reads_everything(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    await seed(jobs_app)
    for path in ("/api/queues", "/api/admin/jobs", "/api/queues/files/jobs?state=failed", "/api/workers",
                 "/api/schedules", "/api/dead-letters", "/api/search?q=bad", "/", "/queues/files", "/metrics"):
        r = await client.get(path, headers=bearer(tokens.viewer))
        assert r.status_code == 200, path


async def test_producer_token_may_only_enqueue(admin_app: Starlette, client: httpx.AsyncClient,
                                               tokens: Tokens) -> None:
    for method, path in guarded_routes(admin_app):
        if (method, path) in (("POST", "/api/queues/files/jobs"), ("GET", "/api/openapi.json")):
            continue
        r = await client.request(method, path, json={}, headers=bearer(tokens.producer))
        assert r.status_code == 403, (method, path, r.status_code)
    r = await client.post("/api/queues/files/jobs", json={"name": "process-file", "data": {"fileId": "p"}},
                          headers=bearer(tokens.producer))
    assert r.status_code == 201


async def test_get_on_every_action_is_405(admin_app: Starlette, client: httpx.AsyncClient, tokens: Tokens) -> None:
    for _, path in [*action_routes(admin_app), ("POST", "/logout")]:
        for headers in ({}, bearer(tokens.admin)):
            r = await client.get(path, headers=headers)
            assert r.status_code == 405, (path, r.status_code)
            assert "POST" in r.headers["allow"]


async def test_session_actions_need_the_csrf_token_and_same_origin(client: httpx.AsyncClient, tokens: Tokens,
                                                                   jobs_app: App) -> None:
    ids = await seed(jobs_app)
    csrf = await sign_in(client, tokens.admin)
    origin = "http://testserver"
    form = {"action": "retry", "queue": "files", "job_id": ids["failed"][0], "next": "/"}
    # no CSRF token
    r = await client.post("/actions", data=form, headers={"Origin": origin})
    assert r.status_code == 403 and "CSRF" in r.text
    # a wrong one
    r = await client.post("/actions", data={**form, "csrf_token": csrf[:-2] + "xx"}, headers={"Origin": origin})
    assert r.status_code == 403
    # a foreign Origin, even with the right token
    r = await client.post("/actions", data={**form, "csrf_token": csrf}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "cross-origin" in r.text
    # no Origin and no Referer
    r = await client.post("/actions", data={**form, "csrf_token": csrf})
    assert r.status_code == 403
    # JSON API with the session: header token required too
    r = await client.post("/api/queues/files/actions/pause", json={}, headers={"Origin": origin})
    assert r.status_code == 403
    assert (await jobs_app.queue("files").aget(ids["failed"][0])).state.value == "failed"  # type: ignore[union-attr]
    # all right: same origin plus token
    r = await client.post("/actions", data={**form, "csrf_token": csrf}, headers={"Origin": origin})
    assert r.status_code == 303
    assert (await jobs_app.queue("files").aget(ids["failed"][0])).state.value == "waiting"  # type: ignore[union-attr]
    r = await client.post("/api/queues/files/actions/pause", json={},
                          headers={"Origin": origin, "X-CSRF-Token": csrf})
    assert r.status_code == 200 and await jobs_app.queue("files").ais_paused()


async def test_a_foreign_origin_is_refused_for_bearer_tokens_too(client: httpx.AsyncClient, tokens: Tokens) -> None:
    r = await client.post("/api/queues/files/actions/pause", json={},
                          headers={**bearer(tokens.admin), "Origin": "https://evil.example"})
    assert r.status_code == 403
    r = await client.post("/api/queues/files/actions/pause", json={},
                          headers={**bearer(tokens.admin), "Referer": "https://evil.example/x"})
    assert r.status_code == 403
    r = await client.post("/api/queues/files/actions/pause", json={}, headers=bearer(tokens.admin))
    assert r.status_code == 200


async def test_session_cookie_is_signed_httponly_strict(client: httpx.AsyncClient, tokens: Tokens) -> None:
    page = await client.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce is not None
    r = await client.post("/login", data={"nonce": nonce.group(1), "token": tokens.viewer, "next": "/"},
                          headers={"Origin": "http://testserver"})
    assert r.status_code == 303
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("hubjobs_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    value = client.cookies["hubjobs_session"]
    assert (await client.get("/api/queues")).status_code == 200
    sid, expires, signature = value.split(".")
    client.cookies.set("hubjobs_session", f"{sid}x.{expires}.{signature}")
    assert (await client.get("/api/queues")).status_code == 401
    client.cookies.set("hubjobs_session", f"{sid}.{int(expires) + 999}.{signature}")
    assert (await client.get("/api/queues")).status_code == 401


async def test_login_form_checks_its_nonce_and_origin(client: httpx.AsyncClient, tokens: Tokens) -> None:
    await client.get("/login")
    r = await client.post("/login", data={"nonce": "forged", "token": tokens.admin},
                          headers={"Origin": "http://testserver"})
    assert r.status_code == 403
    page = await client.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce is not None
    r = await client.post("/login", data={"nonce": nonce.group(1), "token": tokens.admin},
                          headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert "hubjobs_session" not in client.cookies


async def test_producer_tokens_cannot_sign_in(client: httpx.AsyncClient, tokens: Tokens) -> None:
    page = await client.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce is not None
    r = await client.post("/login", data={"nonce": nonce.group(1), "token": tokens.producer},
                          headers={"Origin": "http://testserver"})
    assert r.status_code == 403 and "hubjobs_session" not in client.cookies


async def test_logins_are_rate_limited(client: httpx.AsyncClient, tokens: Tokens) -> None:
    statuses = []
    for _ in range(7):
        page = await client.get("/login")
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
        assert nonce is not None
        r = await client.post("/login", data={"nonce": nonce.group(1), "token": "hjt_wrong"},
                              headers={"Origin": "http://testserver"})
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    page = await client.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce is not None
    r = await client.post("/login", data={"nonce": nonce.group(1), "token": tokens.admin},
                          headers={"Origin": "http://testserver"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    wait = re.search(r"Try again in (\d+) s\.", r.text)
    assert wait is not None and wait.group(1) == r.headers["retry-after"]  # the page says for how long


async def test_logout_and_revoking_end_sessions(client: httpx.AsyncClient, tokens: Tokens) -> None:
    csrf = await sign_in(client, tokens.admin)
    r = await client.post("/logout", data={"csrf_token": csrf}, headers={"Origin": "http://testserver"})
    assert r.status_code == 303
    assert (await client.get("/api/queues")).status_code == 401
    await sign_in(client, tokens.viewer)
    assert (await client.get("/api/queues")).status_code == 200
    viewer_id = next(t.id for t in tokens.store.all() if t.name == "victor")
    assert tokens.store.revoke(viewer_id)
    assert (await client.get("/api/queues")).status_code == 401
    assert (await client.get("/api/queues", headers=bearer(tokens.viewer))).status_code == 401


async def test_tokens_are_hashed_at_rest(tokens: Tokens) -> None:
    raw = tokens.store.path.read_bytes()
    for token in (tokens.admin, tokens.viewer, tokens.producer):
        secret = token.split("_", 2)[2]
        assert secret.encode() not in raw
    conn = sqlite3.connect(tokens.store.path)
    try:
        digests = [bytes(r[0]) for r in conn.execute("SELECT digest FROM tokens")]
    finally:
        conn.close()
    assert all(len(d) == 32 for d in digests)
    assert oct(tokens.store.path.stat().st_mode & 0o777) == "0o600"


async def test_pages_carry_a_strict_content_security_policy(client: httpx.AsyncClient, tokens: Tokens) -> None:
    r = await client.get("/", headers=bearer(tokens.viewer))
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert "<script>" not in r.text.replace('<script src=', '')


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
async def test_health_and_metrics_carry_no_job_data(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App,
                                                    path: str) -> None:
    await seed(jobs_app)
    r = await client.get(path, headers=bearer(tokens.viewer))
    assert r.status_code == 200
    for secret in ("bad-0", "ok-1", "script", "example.com", "process-file"):
        assert secret not in r.text
