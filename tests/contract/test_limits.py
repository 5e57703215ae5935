"""Per-worker concurrency, global concurrency and rate limit across several worker processes."""

from __future__ import annotations

from pathlib import Path

from hubjobs import App
from tests.apps import ledger_rows
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


async def test_per_worker_concurrency_adds_up_across_processes(tapp: App, backend_url: str, tmp_path: Path) -> None:
    """A queue's `concurrency` is slots per worker: two workers run twice as many at once."""
    q = tapp.queue("q")
    ledger, release = str(tmp_path / "ledger.db"), str(tmp_path / "release")
    with worker_processes(backend_url, 2, "--queue-concurrency", "3", tmp_path=tmp_path):
        await wait_until(lambda: _workers_up(tapp, 2), timeout=60, what="two workers registered")
        ids = [(await q.aadd("record_wait", {"ledger": ledger, "release": release})).id for _ in range(8)]
        await wait_until(lambda: len(ledger_rows(ledger)) >= 6, timeout=60, what="2 x 3 jobs running at once")
        started = ledger_rows(ledger)  # none can end before the release file exists
        Path(release).touch()
        await wait_until(lambda: _all_completed(tapp, ids), timeout=60, what="all jobs done")
    assert len(started) == 6, f"{len(started)} jobs ran at once on two workers of 3 slots: {started}"
    assert sorted(row[1] for row in started) == ["w0"] * 3 + ["w1"] * 3
