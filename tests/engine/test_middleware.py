"""Middleware around tries: the documented order, async and sync handlers alike, results and
errors passing through, and what `app.middleware` accepts."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from hubjobs import App, Job, Middleware
from hubjobs.middleware import CallNext
from tests.helpers import running_worker, wait_until


async def test_try_middleware_order_and_sync_handlers(tmp_path: Path) -> None:
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")
    calls: list[str] = []

    class Around(Middleware):
        def __init__(self, name: str) -> None:
            self.name = name

        async def __call__(self, job: Job, call_next: CallNext) -> Any:
            calls.append(f"{self.name}>")
            try:
                result = await call_next(job)
            except Exception as exc:
                calls.append(f"{self.name}!{type(exc).__name__}")
                raise
            calls.append(f"<{self.name}")
            return {"wrapped": result} if self.name == "outer" else result

    app.middleware(Around("outer"))

    @app.middleware
    async def inner(job: Job, call_next: CallNext) -> Any:
        calls.append("inner>")
        result = await call_next(job)
        calls.append("<inner")
        return result

    @app.job("q")
    def sync_handler(job: Job) -> str:
        calls.append(f"handler in {'main' if threading.current_thread() is threading.main_thread() else 'thread'}")
        return "ok"

    @app.job("q")
    async def failing(job: Job) -> None:
        raise ValueError("boom")

    q = app.queue("q")
    try:
        await q.aadd("sync_handler", job_id="a")
        async with running_worker(app, "q", concurrency=1):
            await wait_until(lambda: _done(q, "a"), what="the sync job")
            assert calls == ["outer>", "inner>", "handler in thread", "<inner", "<outer"]
            assert (await q.aget("a")).result == {"wrapped": "ok"}  # type: ignore[union-attr]
            calls.clear()
            await q.aadd("failing", job_id="b")
            await wait_until(lambda: _done(q, "b"), what="the failing job")
        assert calls == ["outer>", "inner>", "outer!ValueError"]
        assert "ValueError: boom" in ((await q.aget("b")).failed_reason or "")  # type: ignore[union-attr]
    finally:
        await app.aclose()


async def _done(q: Any, job_id: str) -> bool:
    job = await q.aget(job_id)
    return job is not None and job.state.value in ("completed", "failed")


def test_middleware_must_be_an_instance_or_a_function(tmp_path: Path) -> None:
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")
    with pytest.raises(TypeError, match=r"Middleware\(\) rather than Middleware"):
        app.middleware(Middleware)
    with pytest.raises(TypeError, match="must be a hubjobs.Middleware"):
        app.middleware(42)
