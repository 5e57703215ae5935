"""A backend that declares no sync twin (`Capabilities.sync_twin` False) still serves sync
callers: their operations run on the App's background event loop."""

from __future__ import annotations

import pytest

import hubjobs.app
from hubjobs import App


def test_sync_calls_without_a_twin_run_on_the_background_loop(sqlite_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hubjobs.app, "create_sync_backend", lambda url: None)
    app = App(sqlite_url)
    try:
        q = app.queue("q")
        job = q.add("noop", {"n": 1})
        assert app.sync_backend() is None and app._portal is not None
        assert q.get(job.id) is not None and q.counts()["waiting"] == 1
        assert q.drain() == 1
    finally:
        app.close()


def test_sync_calls_with_a_twin_start_no_background_loop(sqlite_url: str) -> None:
    app = App(sqlite_url)
    try:
        q = app.queue("q")
        q.add("noop", {"n": 1})
        assert q.counts()["waiting"] == 1 and q.jobs()[0].data == {"n": 1}
        assert app.sync_backend() is not None and app._portal is None
    finally:
        app.close()
