"""A worker frozen (SIGSTOP) past its lease loses the job to another worker; when it thaws
(SIGCONT) and finishes, its late completion is refused and the new owner's result stands."""

from __future__ import annotations

import signal
from pathlib import Path

from hubjobs import App, JobState
from tests.apps import ledger_rows
from tests.faults.support import WorkerProcesses, assert_ledger_consistent, events_of, freeze, has_event
from tests.helpers import state_is, wait_until

LEASE = ["--lease", "1", "--concurrency", "1"]


async def test_a_frozen_workers_late_completion_is_refused(
        shared_backend_url: str, fapp: App, workers: WorkerProcesses, ledger: str, release: Path) -> None:
    q = fapp.queue("q")
    a = workers.start("A", *LEASE)
    job = await q.aadd("record_wait", {"ledger": ledger, "release": str(release)}, max_stalled=1)
    await wait_until(lambda: has_event(ledger, job.id, "A", "start"), what="A started the job")

    await freeze(a, shared_backend_url)
    release.touch()  # from now on any run of the job can finish, A's included once it thaws
    b = workers.start("B", *LEASE)
    await wait_until(state_is(fapp, "q", job.id, "completed"), timeout=60, what="B completed the job")
    by_b = await q.aget(job.id)
    assert by_b is not None and by_b.result == "B" and b.owns(by_b) and by_b.stalled_count == 1

    a.proc.send_signal(signal.SIGCONT)
    await wait_until(lambda: has_event(ledger, job.id, "A", "done"), what="A finished its stale run")
    await wait_until(lambda: "result refused" in a.log_text(), what="A told its result was refused")

    final = await q.aget(job.id)
    assert final is not None and final.state == JobState.COMPLETED
    assert final.result == "B" and b.owns(final)
    assert final.finished_ts == by_b.finished_ts and final.attempts_made == 1
    rows = ledger_rows(ledger)
    assert sorted(events_of(rows, job.id, "done")) == ["A", "B"]  # both ran to the end ...
    assert_ledger_consistent(ledger, [final])  # ... which the expired lease explains
    assert a.proc.poll() is None and b.proc.poll() is None
