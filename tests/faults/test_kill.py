"""A worker process killed with SIGKILL mid-job: its job is recovered automatically (no manual
step) and completes on another worker; killed again at `max_stalled`, the job fails with a reason
that says so."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from hubjobs import App, JobState
from tests.apps import ledger_rows
from tests.faults.support import WorkerProcesses, assert_ledger_consistent, events_of, has_event, kill_now
from tests.helpers import state_is, wait_until

LEASE = ["--lease", "1", "--concurrency", "1"]


async def test_a_job_whose_worker_was_killed_completes_on_another_worker(
        fapp: App, workers: WorkerProcesses, ledger: str, release: Path) -> None:
    q = fapp.queue("q")
    a = workers.start("A", *LEASE)
    job = await q.aadd("record_wait", {"ledger": ledger, "release": str(release)}, max_stalled=1)
    await wait_until(lambda: has_event(ledger, job.id, "A", "start"), what="A started the job")

    kill_now(a)
    orphan = await q.aget(job.id)
    assert orphan is not None and orphan.state == JobState.ACTIVE and a.owns(orphan)

    release.touch()
    b = workers.start("B", *LEASE)
    await wait_until(state_is(fapp, "q", job.id, "completed"), timeout=60, what="job recovered and completed")

    done = await q.aget(job.id)
    assert done is not None and done.result == "B" and b.owns(done)
    assert done.stalled_count == 1 and done.attempts_made == 1
    rows = ledger_rows(ledger)
    assert events_of(rows, job.id, "start") == ["A", "B"] and events_of(rows, job.id, "done") == ["B"]
    assert_ledger_consistent(ledger, [done])


async def test_a_job_killed_past_max_stalled_fails_with_a_clear_reason(
        fapp: App, workers: WorkerProcesses, ledger: str, release: Path) -> None:
    q = fapp.queue("q")
    job = await q.aadd("record_wait", {"ledger": ledger, "release": str(release)}, max_stalled=1)
    for name in ("A", "B"):  # the first kill is forgiven (max_stalled=1), the second is not
        wp = workers.start(name, *LEASE)
        await wait_until(partial(has_event, ledger, job.id, name, "start"), timeout=60,
                         what=f"{name} started the job")
        kill_now(wp)

    c = workers.start("C", *LEASE)
    await wait_until(state_is(fapp, "q", job.id, "failed"), timeout=60, what="job failed for stalling")
    failed = await q.aget(job.id)
    assert failed is not None and failed.stalled_count == 2
    assert failed.failed_reason is not None and "stalled more than 1 time" in failed.failed_reason
    assert "stalled more than 1 time" in failed.errors[-1].message

    after = await q.aadd("noop", {"still": "working"})  # C goes on with other work
    await wait_until(state_is(fapp, "q", after.id, "completed"), what="C processed another job")
    assert c.proc.poll() is None
    assert events_of(ledger_rows(ledger), job.id, "start") == ["A", "B"]
    assert_ledger_consistent(ledger, [failed])
