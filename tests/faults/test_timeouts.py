"""Job timeouts in a real worker process: a `process=True` handler past its timeout has its
child process killed and the try fails; an async handler past its timeout is cancelled. The
worker goes on with other jobs, process ones included."""

from __future__ import annotations

from pathlib import Path

from hubjobs import App, Backoff, JobState
from tests.apps import ledger_rows
from tests.faults.support import (
    WorkerProcesses,
    assert_ledger_consistent,
    events_of,
    process_exists,
    spawned_children,
)
from tests.helpers import state_is, wait_until


async def test_a_process_handler_past_its_timeout_is_killed(fapp: App, workers: WorkerProcesses) -> None:
    q = fapp.queue("q")
    a = workers.start("A", "--concurrency", "2")
    spin = await q.aadd("cpu_spin", {"seconds": 600}, timeout=3, attempts=1)
    children = await wait_until(lambda: spawned_children(a.pid), timeout=60, what="the handler's child process")
    await wait_until(state_is(fapp, "q", spin.id, "failed"), timeout=60, what="the try failed on its timeout")

    failed = await q.aget(spin.id)
    assert failed is not None and failed.attempts_made == 1 and len(failed.errors) == 1
    assert failed.failed_reason is not None
    assert "timed out after 3 s" in failed.failed_reason and "process was killed" in failed.failed_reason
    assert [pid for pid in children if process_exists(pid)] == []  # killed and reaped, not orphaned

    echo = await q.aadd("process_echo", {"after": "timeout"})  # a fresh child serves the next job
    noop = await q.aadd("noop", {})
    await wait_until(state_is(fapp, "q", echo.id, "completed"), timeout=60, what="a later process job ran")
    await wait_until(state_is(fapp, "q", noop.id, "completed"), what="a later async job ran")
    done = await q.aget(echo.id)
    assert done is not None and done.result["pid"] not in children
    assert a.proc.poll() is None


async def test_an_async_handler_past_its_timeout_is_cancelled(
        fapp: App, workers: WorkerProcesses, ledger: str, release: Path) -> None:
    q = fapp.queue("q")
    a = workers.start("A", "--concurrency", "2")
    job = await q.aadd("record_wait", {"ledger": ledger, "release": str(release)}, timeout=0.5, attempts=1)
    await wait_until(state_is(fapp, "q", job.id, "failed"), timeout=60, what="the try failed on its timeout")

    failed = await q.aget(job.id)
    assert failed is not None and failed.attempts_made == 1
    assert failed.failed_reason is not None
    assert "timed out after 0.5 s" in failed.failed_reason and "cancelled" in failed.failed_reason
    rows = ledger_rows(ledger)
    assert events_of(rows, job.id, "start") == ["A"]
    assert events_of(rows, job.id, "cancelled") == ["A"] and events_of(rows, job.id, "done") == []

    other = await q.aadd("noop", {"next": 1})
    await wait_until(state_is(fapp, "q", other.id, "completed"), what="the worker ran the next job")
    assert a.proc.poll() is None
    assert_ledger_consistent(ledger, [failed])


async def test_a_timed_out_try_with_tries_left_is_retried(
        fapp: App, workers: WorkerProcesses, ledger: str, release: Path) -> None:
    q = fapp.queue("q")
    workers.start("A", "--concurrency", "1")
    job = await q.aadd("record_wait", {"ledger": ledger, "release": str(release)}, timeout=0.5, attempts=2,
                       backoff=Backoff.fixed(3600))
    await wait_until(state_is(fapp, "q", job.id, "delayed"), what="the first try failed and awaits its retry")
    assert events_of(ledger_rows(ledger), job.id, "cancelled") == ["A"]
    release.touch()
    await q.apromote(job.id)  # the second try may finish
    await wait_until(state_is(fapp, "q", job.id, "completed", "failed"), timeout=60, what="the job ended")
    done = await q.aget(job.id)
    assert done is not None and done.state == JobState.COMPLETED and done.attempts_made == 2
    assert len(done.errors) == 1 and "timed out after 0.5 s" in done.errors[0].message
