"""Listeners off the hot path: a listener that blocks delays no job, one that raises breaks
nothing, and `failed` / `retrying` listeners get the exception's type, message and traceback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hubjobs import App, Job, JobEvent
from hubjobs.events import EventEmitter
from hubjobs.worker.listener_dispatch import ListenerDispatch
from tests.helpers import running_worker, wait_until


async def test_a_blocked_and_a_raising_listener_delay_and_break_nothing(tmp_path: Path) -> None:
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")

    @app.job("q")
    async def noop(job: Job) -> None:
        return None

    release = asyncio.Event()
    slow_seen: list[str] = []
    raised = 0

    async def slow(event: JobEvent) -> None:
        await release.wait()  # as slow as the test wants: far slower than 5 s if need be
        slow_seen.append(event.job_id or "")

    def broken(event: JobEvent) -> None:
        nonlocal raised
        raised += 1
        raise RuntimeError("listener bug")

    q = app.queue("q")
    try:
        async with running_worker(app, "q") as worker:
            worker.on("completed", slow)
            worker.on("active", broken)
            ids = [(await q.aadd("noop", job_id=f"j{i}")).id for i in range(20)]
            await wait_until(lambda: _all_completed(q, ids), what="every job completed")
            assert slow_seen == [], "the jobs finished while the listener was still on its first event"
            assert raised >= 1
            release.set()
            await wait_until(lambda: len(slow_seen) == 20, what="the slow listener caught up")
        assert sorted(slow_seen) == sorted(ids) and raised == 20
    finally:
        await app.aclose()


async def test_failed_and_retrying_listeners_get_the_exception(tmp_path: Path) -> None:
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")

    @app.job("q", attempts=2)
    async def bad(job: Job) -> None:
        raise KeyError("missing-thing")

    got: dict[str, dict[str, Any]] = {}

    async def note(event: JobEvent) -> None:
        got[event.name] = event.data

    q = app.queue("q")
    try:
        async with running_worker(app, "q") as worker:
            worker.on("retrying", note)
            worker.on("failed", note)
            await q.aadd("bad", job_id="b")
            await wait_until(lambda: "failed" in got, what="the final failure")
    finally:
        await app.aclose()
    for name in ("retrying", "failed"):
        data = got[name]
        assert data["error_type"] == "KeyError" and data["error_message"] == "'missing-thing'"
        assert "Traceback" in data["traceback"] and "raise KeyError" in data["traceback"]
        assert isinstance(data["exception"], KeyError)


async def test_a_full_buffer_drops_and_counts() -> None:
    emitter = EventEmitter()
    gate = asyncio.Event()

    async def stuck(event: JobEvent) -> None:
        await gate.wait()

    emitter.on("completed", stuck)
    dispatch = ListenerDispatch(emitter, capacity=2)
    dispatch.start()
    for i in range(5):
        dispatch.submit(JobEvent("completed", "q", str(i)))
    await asyncio.sleep(0)
    assert dispatch.dropped >= 2
    gate.set()
    await dispatch.stop(timeout=10)


async def _all_completed(q: Any, ids: list[str]) -> bool:
    counts = await q.acounts()
    return bool(counts["completed"] == len(ids))
