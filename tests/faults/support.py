"""Support for the fault tests: named worker processes, safe freezing, child processes and the
ledger check every fault test ends with."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hubjobs import Job, JobState
from tests.apps import ledger_rows
from tests.helpers import start_worker_process, wait_until, wait_until_sync

LedgerRow = tuple[str, str, str, float]


@dataclass
class WorkerProcess:
    """A worker process started by a test, with a name (its ledger identity) and a log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        """Its process id."""
        return self.proc.pid

    def log_text(self) -> str:
        """Everything it wrote to stdout/stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def owns(self, job: Job) -> bool:
        """True if `job.worker_id` is this process's worker (ids are host:pid:suffix)."""
        return job.worker_id is not None and f":{self.pid}:" in job.worker_id


@dataclass
class WorkerProcesses:
    """Starts worker processes (`tests/worker_main.py`) and kills what is left at the end."""

    url: str
    log_dir: Path
    started: list[WorkerProcess] = field(default_factory=list)

    def start(self, name: str, *args: str) -> WorkerProcess:
        """Start a worker process named `name` (HUBJOBS_TEST_WORKER) with worker_main arguments."""
        log_path = self.log_dir / f"worker-{name}.log"
        proc = start_worker_process(self.url, *args, env={"HUBJOBS_TEST_WORKER": name}, log_path=log_path)
        wp = WorkerProcess(name, proc, log_path)
        self.started.append(wp)
        return wp

    def kill_all(self) -> None:
        """SIGKILL every process still running (after SIGCONT, in case one is frozen)."""
        for wp in self.started:
            if wp.proc.poll() is None:
                for sig in (signal.SIGCONT, signal.SIGKILL):
                    try:
                        os.kill(wp.pid, sig)
                    except ProcessLookupError:
                        pass
                wp.proc.wait(30)


def kill_now(wp: WorkerProcess) -> int:
    """SIGKILL a worker process and reap it; returns its exit status."""
    wp.proc.send_signal(signal.SIGKILL)
    return wp.proc.wait(30)


def _sqlite_path(url: str) -> str | None:
    prefix = "sqlite:///"
    return url[len(prefix):] if url.startswith(prefix) else None


def _sqlite_write_lock_free(path: str) -> bool:
    conn = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def _all_threads_stopped(pid: int) -> bool:
    """True once every thread of the process is in the stopped state ('T')."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
                return False
        except OSError:
            continue  # a thread that just ended
    return True


async def freeze(wp: WorkerProcess, url: str) -> None:
    """SIGSTOP a worker process at a moment it holds no storage lock (see `freeze_pid`)."""
    await freeze_pid(wp.pid, wp.name, url)


async def freeze_pid(pid: int, name: str, url: str) -> None:
    """SIGSTOP a process at a moment it holds no storage lock.

    On SQLite a process frozen inside a write transaction would block every other process for
    as long as it stays frozen (a property of SQLite, not of the engine): after each SIGSTOP
    the write lock is probed and, if the frozen process holds it, it is resumed and frozen
    again a moment later. Other backends hold no lock between their atomic operations."""
    path = _sqlite_path(url)

    def frozen_without_lock() -> bool:
        os.kill(pid, signal.SIGSTOP)
        wait_until_sync(lambda: _all_threads_stopped(pid), timeout=20, what=f"process {name} stopped",
                        interval=0.001)
        if path is None or _sqlite_write_lock_free(path):
            return True
        os.kill(pid, signal.SIGCONT)
        return False

    await wait_until(frozen_without_lock, timeout=20, what=f"process {name} frozen outside a transaction",
                     interval=0.05)


def spawned_children(parent_pid: int) -> list[int]:
    """Pids of the multiprocessing 'spawn' children of a process (process-handler children; the
    resource tracker is left out)."""
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent_pid and b"spawn_main" in cmdline:
            out.append(int(entry.name))
    return out


def process_exists(pid: int) -> bool:
    """True while a process with this pid exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# ---------------------------------------------------------------- the ledger check


def events_of(rows: Iterable[LedgerRow], job_id: str, event: str) -> list[str]:
    """Names of the workers that recorded `event` for a job, in ledger order."""
    return [who for (jid, who, ev, _at) in rows if jid == job_id and ev == event]


def has_event(ledger: str, job_id: str, worker: str, event: str) -> bool:
    """True once the ledger holds `event` for the job by that worker."""
    return worker in events_of(ledger_rows(ledger), job_id, event)


def assert_ledger_consistent(ledger: str, jobs: Iterable[Job | None], *,
                             released: Iterable[str] = ()) -> None:
    """The check every fault test ends with, over jobs as read back from storage.

    - no acknowledged job was lost: each job still exists; a completed one was executed to the
      end ('done') by the worker named in its result;
    - duplicates happened only where a lease expired: a job ran (ledger 'start') at most
      1 + stalled_count times, plus once more if a shutdown handed it back (`released`);
    - the ledger names no job that was never acknowledged."""
    rows = ledger_rows(ledger)
    released_ids = set(released)
    known: set[str] = set()
    for job in jobs:
        assert job is not None, "an acknowledged job was lost from storage"
        known.add(job.id)
        starts = events_of(rows, job.id, "start")
        allowed = 1 + job.stalled_count + (1 if job.id in released_ids else 0)
        assert len(starts) <= allowed, (
            f"job {job.id} ran {len(starts)} times but only {allowed} runs are explained "
            f"(stalled {job.stalled_count} times, released: {job.id in released_ids}); ledger: {starts}")
        if job.state == JobState.COMPLETED:
            assert job.result in events_of(rows, job.id, "done"), (
                f"job {job.id} completed with result {job.result!r} but that worker never finished it")
    stray = Counter(jid for (jid, _w, _e, _a) in rows if jid not in known)
    assert not stray, f"ledger records jobs that were never acknowledged: {dict(stray)}"
