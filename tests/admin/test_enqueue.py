"""The producer endpoint: Queue.add's validation, 422 naming the field, Idempotency-Key."""

from __future__ import annotations

import httpx
import pytest

from hubjobs import App

from .conftest import Tokens
from .support import bearer

URL = "/api/queues/email/jobs"
GOOD = {"name": "send-email", "data": {"to": "a@example.com", "template": "welcome"}}


async def test_enqueue_adds_the_job_with_its_options(client: httpx.AsyncClient, tokens: Tokens,
                                                     jobs_app: App) -> None:
    body = {**GOOD, "options": {"priority": 1, "attempts": 3, "backoff": {"kind": "exponential", "delay": 2},
                                "delay": 60, "timeout": 30, "remove_on_complete": {"count": 10}}}
    r = await client.post(URL, json=body, headers=bearer(tokens.producer))
    assert r.status_code == 201
    created = r.json()
    assert created["created"] is True and created["state"] == "delayed" and created["name"] == "send-email"
    assert r.headers["location"] == f"/api/queues/email/jobs/{created['id']}"
    job = await jobs_app.queue("email").aget(created["id"])
    assert job is not None and job.priority == 1 and job.max_attempts == 3 and job.options.timeout == 30
    assert job.data == GOOD["data"]


async def test_run_at_is_an_iso_datetime(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    r = await client.post(URL, json={**GOOD, "options": {"run_at": "2999-01-01T00:00:00+00:00"}},
                          headers=bearer(tokens.admin))
    assert r.status_code == 201 and r.json()["state"] == "delayed"
    r = await client.post(URL, json={**GOOD, "options": {"run_at": "2999-01-01T00:00:00"}},
                          headers=bearer(tokens.admin))
    assert r.status_code == 422 and r.json()["field"] == "options.run_at"


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "send-email", "data": {"to": "a@example.com"}}, "data.template"),
    ({"name": "send-email", "data": {"to": 5, "template": "x"}}, "data.to"),
    ({"name": "send-email", "data": [1]}, "data"),
    ({"name": "no-such-job", "data": {}}, "name"),
    ({"name": "", "data": {}}, "name"),
    ({"data": {}}, "name"),
    ({**GOOD, "options": {"priority": "high"}}, "options.priority"),
    ({**GOOD, "options": {"priority": -1}}, "options.priority"),
    ({**GOOD, "options": {"attempts": 0}}, "options.attempts"),
    ({**GOOD, "options": {"delay": -5}}, "options.delay"),
    ({**GOOD, "options": {"timeout": "soon"}}, "options.timeout"),
    ({**GOOD, "options": {"backoff": {"kind": "sideways"}}}, "options.backoff"),
    ({**GOOD, "options": {"remove_on_fail": "x"}}, "options.remove_on_fail"),
    ({**GOOD, "options": {"job_id": ""}}, "options.job_id"),
    ({**GOOD, "options": {"colour": "red"}}, "options.colour"),
    ({**GOOD, "options": []}, "options"),
    ({**GOOD, "extra": 1}, "extra"),
    ([GOOD], "body"),
])
async def test_schema_errors_are_422_naming_the_field(client: httpx.AsyncClient, tokens: Tokens,
                                                      body: object, field: str) -> None:
    r = await client.post(URL, json=body, headers=bearer(tokens.producer))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["error"]


async def test_oversized_or_too_deep_data_is_422(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    big = {"name": "process-file", "data": {"blob": "x" * (600 * 1024)}}
    r = await client.post("/api/queues/files/jobs", json=big, headers=bearer(tokens.producer))
    assert r.status_code == 422 and r.json()["field"] == "data" and "limit" in r.json()["error"]
    deep: object = 1
    for _ in range(80):
        deep = [deep]
    r = await client.post("/api/queues/files/jobs", json={"name": "process-file", "data": deep},
                          headers=bearer(tokens.producer))
    assert r.status_code == 422 and "deeper" in r.json()["error"]


async def test_malformed_json_is_400_and_huge_bodies_413(client: httpx.AsyncClient, tokens: Tokens) -> None:
    h = {**bearer(tokens.producer), "Content-Type": "application/json"}
    for raw in (b"{", b"", b"\xff", b'{"name": Infinity}', b"[" * 100_000):
        r = await client.post(URL, content=raw, headers=h)
        assert r.status_code == 400, raw[:10]
    r = await client.post(URL, content=b" " * (3 * 1024 * 1024), headers=h)
    assert r.status_code == 413


async def test_idempotency_key_becomes_the_job_id(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App) -> None:
    h = {**bearer(tokens.producer), "Idempotency-Key": "order-42-confirmation"}
    first = await client.post(URL, json=GOOD, headers=h)
    second = await client.post(URL, json={**GOOD, "data": {"to": "other@example.com", "template": "t"}}, headers=h)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"] == "order-42-confirmation"
    assert second.json()["created"] is False
    assert (await jobs_app.queue("email").acounts())["waiting"] == 1
    job = await jobs_app.queue("email").aget("order-42-confirmation")
    assert job is not None and job.data["to"] == "a@example.com"
    r = await client.post(URL, json={**GOOD, "options": {"job_id": "other"}}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "options.job_id"
    r = await client.post(URL, json=GOOD, headers={**bearer(tokens.producer), "Idempotency-Key": "x" * 300})
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key"


async def test_unknown_queue_is_404_and_roles_are_checked(client: httpx.AsyncClient, tokens: Tokens) -> None:
    r = await client.post("/api/queues/nope/jobs", json=GOOD, headers=bearer(tokens.producer))
    assert r.status_code == 404 and "nope" in r.json()["error"]
    assert (await client.post(URL, json=GOOD, headers=bearer(tokens.viewer))).status_code == 403
    assert (await client.post(URL, json=GOOD)).status_code == 401
    assert (await client.post(URL, json=GOOD, headers=bearer(tokens.admin))).status_code == 201
