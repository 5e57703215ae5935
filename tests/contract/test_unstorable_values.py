"""Values no backend could store are refused before storage, the same way on every backend:
`Queue.add` raises `InvalidJobData` / `InvalidJobOptions` naming the field, and the HTTP endpoint
answers 422 with that field. Values at the documented bounds are stored and read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from hubjobs import App, InvalidJobData, InvalidJobOptions
from hubjobs.admin import AdminSettings, TokenStore, create_admin_app
from tests.admin.support import bearer, token_store_path
from tests.apps import build_app

SURROGATE = "\ud800"

# (id, add keyword arguments, error type, field named by Queue.add, field named by HTTP)
REFUSED: list[Any] = [
    ("surrogate-in-data", {"data": {"s": "x" + SURROGATE}}, InvalidJobData, "s", "data.s"),
    ("surrogate-in-list", {"data": ["ok", {"deep": [SURROGATE]}]}, InvalidJobData, "1.deep.0", "data.1.deep.0"),
    ("surrogate-in-key", {"data": {"k\udfff": 1}}, InvalidJobData, "k\\udfff", "data.k\\udfff"),
    ("surrogate-in-id", {"job_id": "a" + SURROGATE}, InvalidJobOptions, "job_id", "options.job_id"),
    ("nul-in-id", {"job_id": "a\x00b"}, InvalidJobOptions, "job_id", "options.job_id"),
    ("newline-in-id", {"job_id": "a\nb"}, InvalidJobOptions, "job_id", "options.job_id"),
    ("del-in-id", {"job_id": "a\x7fb"}, InvalidJobOptions, "job_id", "options.job_id"),
    ("c1-in-id", {"job_id": "a\x85b"}, InvalidJobOptions, "job_id", "options.job_id"),
    ("attempts-1e20", {"attempts": 10**20}, InvalidJobOptions, "attempts", "options.attempts"),
    ("attempts-2^31", {"attempts": 2**31}, InvalidJobOptions, "attempts", "options.attempts"),
    ("attempts-0", {"attempts": 0}, InvalidJobOptions, "attempts", "options.attempts"),
    ("max-stalled-1e20", {"max_stalled": 10**20}, InvalidJobOptions, "max_stalled", "options.max_stalled"),
    ("max-stalled-2^31", {"max_stalled": 2**31}, InvalidJobOptions, "max_stalled", "options.max_stalled"),
    ("priority-0", {"priority": 0}, InvalidJobOptions, "priority", "options.priority"),
    ("priority-11", {"priority": 11}, InvalidJobOptions, "priority", "options.priority"),
    ("priority-1e20", {"priority": 10**20}, InvalidJobOptions, "priority", "options.priority"),
    ("timeout-1e300", {"timeout": 1e300}, InvalidJobOptions, "timeout", "options.timeout"),
    ("delay-1e20", {"delay": 1e20}, InvalidJobOptions, "delay", "options.delay"),
    ("backoff-1e300", {"backoff": 1e300}, InvalidJobOptions, "backoff", "options.backoff"),
    ("backoff-cap-huge", {"backoff": {"kind": "fixed", "delay": 1, "cap": 1e300}}, InvalidJobOptions,
     "backoff.cap", "options.backoff.cap"),
    ("retention-count-1e20", {"remove_on_complete": {"count": 10**20}}, InvalidJobOptions,
     "remove_on_complete", "options.remove_on_complete"),
    ("retention-age-huge", {"remove_on_fail": {"age": 1e300}}, InvalidJobOptions,
     "remove_on_fail", "options.remove_on_fail"),
]

ACCEPTED: list[Any] = [
    ("priority-1", {"priority": 1}),
    ("priority-10", {"priority": 10}),
    ("attempts-max", {"attempts": 1_000_000}),
    ("max-stalled-max", {"max_stalled": 1_000_000_000}),
    ("unicode-id", {"job_id": "é✓漢字🎉"}),
    ("astral-data", {"data": {"emoji": "🎉", "nul": "a\x00b", "big": 10**30}}),
]


def _ascii_json(value: Any) -> bytes:
    """JSON as a client sends it: lone surrogates as \\u escapes (which JSON allows)."""
    return json.dumps(value).encode("ascii")


def _add_args(kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    options = dict(kwargs)
    return options.pop("data", {}), options


async def test_unstorable_values_are_refused_the_same_way_everywhere(tapp: App, tmp_path: Path) -> None:
    q = tapp.queue("q")
    store = TokenStore(token_store_path(tmp_path))
    token = store.create("producer", "paula").token
    headers = {**bearer(token), "Content-Type": "application/json"}
    admin = create_admin_app(tapp, settings=AdminSettings(token_store=token_store_path(tmp_path)))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://testserver") as client:
            for case_id, kwargs, error, field, http_field in REFUSED:
                data, options = _add_args(kwargs)
                with pytest.raises(error) as caught:
                    await q.aadd("noop", data, **options)
                assert caught.value.field == field, (case_id, caught.value.field, str(caught.value))
                r = await client.post("/api/queues/q/jobs", content=_ascii_json(
                    {"name": "noop", "data": data, "options": options}), headers=headers)
                assert r.status_code == 422, (case_id, r.status_code, r.text)
                assert r.json()["field"] == http_field, (case_id, r.json())
            r = await client.post("/api/queues/q/jobs", content=_ascii_json({"name": "a\x00b", "data": {}}),
                                  headers=headers)
            assert r.status_code == 422 and r.json()["field"] == "name", r.text
        assert sum((await q.acounts()).values()) == 0  # nothing of the refused adds was stored
        for case_id, kwargs in ACCEPTED:
            data, options = _add_args(kwargs)
            job = await q.aadd("noop", data, **options)
            stored = await q.aget(job.id)
            assert stored is not None and stored.data == data, case_id
            assert stored.options == job.options, case_id
    finally:
        await admin.state.admin.aclose()


@pytest.mark.parametrize(("case_id", "kwargs", "error", "field", "http_field"), REFUSED[:4] + REFUSED[8:9],
                         ids=[c[0] for c in REFUSED[:4] + REFUSED[8:9]])
def test_the_sync_add_raises_the_same_typed_errors(backend_url: str, case_id: str, kwargs: dict[str, Any],
                                                    error: type[Exception], field: str, http_field: str) -> None:
    app = build_app(backend_url)
    try:
        data, options = _add_args(kwargs)
        with pytest.raises(error) as caught:
            app.queue("q").add("noop", data, **options)
        assert getattr(caught.value, "field", None) == field
        assert sum(app.queue("q").counts().values()) == 0
    finally:
        app.close()
