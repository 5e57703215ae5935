"""SIGTERM: the worker stops claiming, a running job that finishes within the grace period is
completed and the process exits 0; a job still running when the grace period ends goes back to
`waiting` at once (no attempt used, no lease wait) and another worker completes it."""

from __future__ import annotations

import signal
from pathlib import Path

from hubjobs import App, JobState
from tests.apps import ledger_rows
from tests.faults.support import WorkerProcesses, assert_ledger_consistent, events_of, has_event
from tests.helpers import state_is, wait_until


async def test_a_running_job_finishes_inside_the_grace_period(
        fapp: App, workers: WorkerProcesses, ledger: str, release: Path, tmp_path: Path) -> None:
    q = fapp.queue("q")
    stopping = tmp_path / "stopping"
    a = workers.start("A", "--concurrency", "1", "--lease", "30", "--grace", "60",
                      "--stop-marker", str(stopping))
    job = await q.aadd("record_wait", {"ledger": ledger, "release": str(release)})
    queued = await q.aadd("record_wait", {"ledger": ledger, "release": str(release)})
    await wait_until(lambda: has_event(ledger, job.id, "A", "start"), what="A started the job")

    a.proc.send_signal(signal.SIGTERM)
    await wait_until(stopping.exists, what="A began its graceful stop")
    release.touch()  # the job can finish only now, with the stop already under way
    assert a.proc.wait(60) == 0

    done = await q.aget(job.id)
    assert done is not None and done.state == JobState.COMPLETED and done.result == "A"
    assert done.attempts_made == 1 and a.owns(done)
    left = await q.aget(queued.id)  # a stopping worker claims nothing new
    assert left is not None and left.state == JobState.WAITING and left.attempts_made == 0
    assert events_of(ledger_rows(ledger), queued.id, "start") == []

    b = workers.start("B", "--concurrency", "1")
    await wait_until(state_is(fapp, "q", queued.id, "completed"), what="B completed the queued job")
    assert b.proc.poll() is None
    assert_ledger_consistent(ledger, [done, await q.aget(queued.id)])


async def test_past_the_grace_period_the_job_goes_back_to_waiting_at_once(
        fapp: App, workers: WorkerProcesses, ledger: str, release: Path) -> None:
    q = fapp.queue("q")
    a = workers.start("A", "--concurrency", "1", "--lease", "300", "--grace", "0.5")
    job = await q.aadd("record_wait", {"ledger": ledger, "release": str(release)})
    await wait_until(lambda: has_event(ledger, job.id, "A", "start"), what="A started the job")

    a.proc.send_signal(signal.SIGTERM)
    assert a.proc.wait(60) == 0
    back = await q.aget(job.id)  # right after the exit: no 300 s lease to wait out
    assert back is not None and back.state == JobState.WAITING
    assert back.attempts_made == 0 and back.stalled_count == 0 and back.errors == []
    assert events_of(ledger_rows(ledger), job.id, "cancelled") == ["A"]

    release.touch()
    b = workers.start("B", "--concurrency", "1")
    await wait_until(state_is(fapp, "q", job.id, "completed"), what="B completed the handed-back job")
    done = await q.aget(job.id)
    assert done is not None and done.result == "B" and b.owns(done) and done.attempts_made == 1
    rows = ledger_rows(ledger)
    assert events_of(rows, job.id, "start") == ["A", "B"] and events_of(rows, job.id, "done") == ["B"]
    assert_ledger_consistent(ledger, [done], released=[job.id])
