"""Progress, logs, events, heartbeats and the cross-process event stream."""

from __future__ import annotations

from pathlib import Path

from hubjobs import App
from hubjobs.backends.base import ReadEvents
from tests.helpers import running_worker, state_is, wait_until, worker_processes


async def test_progress_and_logs_visible_from_another_process(tapp: App, backend_url: str, tmp_path: Path) -> None:
    q = tapp.queue("q")
    release = tmp_path / "release"
    job = await q.aadd("wait_file", {"path": str(release)})
    with worker_processes(backend_url, 1, tmp_path=tmp_path):
        async def progress_seen() -> bool:
            j = await q.aget(job.id)
            return j is not None and j.progress == {"stage": "waiting"}
        await wait_until(progress_seen, timeout=30, what="progress from the worker process")
        await wait_until(lambda: _has_log(q, job.id, "waiting for release"), what="log line")
        release.write_text("go")
        await wait_until(state_is(tapp, "q", job.id, "completed"), timeout=30)
    done = await q.aget(job.id)
    assert done is not None and done.progress == 100 and done.result == "released"


async def _has_log(q, job_id: str, text: str) -> bool:  # type: ignore[no-untyped-def]
    return any(text in line.line for line in await q.alogs(job_id))


async def test_in_process_events(tapp: App) -> None:
    q = tapp.queue("q")
    seen: list[tuple[str, str | None]] = []
    ok = await q.aadd("noop", {"v": 1})
    bad = await q.aadd("fatal", {})
    async with running_worker(tapp, "q") as w:
        for name in ("active", "completed", "failed"):
            w.on(name, lambda e: seen.append((e.name, e.job_id)))
        await wait_until(lambda: ("completed", ok.id) in seen and ("failed", bad.id) in seen)
    assert ("active", ok.id) in seen and ("active", bad.id) in seen


async def test_cross_process_event_stream(tapp: App, backend_url: str, tmp_path: Path) -> None:
    q = tapp.queue("q")
    backend = await tapp.backend()
    first = await backend.read_events(ReadEvents("q", "0", 1000))
    cursor = first[-1].id if first else "0"
    job = await q.aadd("noop", {"v": 1})
    with worker_processes(backend_url, 1, tmp_path=tmp_path):
        await wait_until(state_is(tapp, "q", job.id, "completed"), timeout=30)
        async def completed_event() -> bool:
            events = await backend.read_events(ReadEvents("q", cursor, 1000, block=0.2))
            return any(e.event == "completed" and e.job_id == job.id for e in events)
        await wait_until(completed_event, timeout=30, what="completed event on the stream")


async def test_workers_register_heartbeats(tapp: App) -> None:
    backend = await tapp.backend()
    async with running_worker(tapp, "q", concurrency=3, lease=0.9) as w:
        async def listed() -> bool:
            return any(info.worker_id == w.id for info in await backend.list_workers())
        await wait_until(listed, what="worker listed")
        info = next(i for i in await backend.list_workers() if i.worker_id == w.id)
        assert info.queues == ["q"] and info.concurrency == 3
    assert all(i.worker_id != w.id for i in await backend.list_workers())
