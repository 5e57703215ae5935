"""Rate limit and global concurrency across several worker processes."""

from __future__ import annotations

from pathlib import Path

from hubjobs import App
from tests.helpers import wait_until, worker_processes


async def _all_completed(app: App, ids: list[str]) -> bool:
    q = app.queue("q")
    for job_id in ids:
        job = await q.aget(job_id)
        if job is None or job.state.value != "completed":
            return False
    return True


async def _workers_up(app: App, count: int) -> bool:
    backend = await app.backend()
    return len(await backend.list_workers()) >= count


async def test_rate_limit_holds_across_two_worker_processes(tapp: App, backend_url: str, tmp_path: Path) -> None:
    q = tapp.queue("q")
    # two slots per worker and jobs that take a while: each worker fills up, so both take part,
    # and without the shared limit the two together would start far more than 4 per second
    with worker_processes(backend_url, 2, "--rate", "4/1", "--concurrency", "2", tmp_path=tmp_path):
        await wait_until(lambda: _workers_up(tapp, 2), timeout=60, what="two workers registered")
        ids = [(await q.aadd("sleep", {"seconds": 0.3})).id for i in range(12)]
        await wait_until(lambda: _all_completed(tapp, ids), timeout=60, what="all rate-limited jobs done")
    starts = sorted([(await q.aget(j)).started_ts for j in ids])  # type: ignore[union-attr,type-var]
    for i, t in enumerate(starts):
        in_window = [s for s in starts[i:] if s < t + 1.0]  # type: ignore[operator]
        assert len(in_window) <= 4, f"{len(in_window)} starts within one second: {starts}"
    workers = {(await q.aget(j)).worker_id for j in ids}  # type: ignore[union-attr]
    assert len(workers) == 2, "both processes took part"


async def test_global_concurrency_across_processes(tapp: App, backend_url: str, tmp_path: Path) -> None:
    q = tapp.queue("q")
    with worker_processes(backend_url, 2, "--global-concurrency", "2", "--concurrency", "5", tmp_path=tmp_path):
        await wait_until(lambda: _workers_up(tapp, 2), timeout=60, what="two workers registered")
        ids = [(await q.aadd("sleep", {"seconds": 0.3})).id for i in range(8)]
        await wait_until(lambda: _all_completed(tapp, ids), timeout=60, what="all jobs done")
    spans = [((await q.aget(j)).started_ts, (await q.aget(j)).finished_ts) for j in ids]  # type: ignore[union-attr]
    for start, _ in spans:
        overlapping = [1 for s, f in spans if s <= start < f]  # type: ignore[operator]
        assert len(overlapping) <= 2, f"{len(overlapping)} jobs active at once"
