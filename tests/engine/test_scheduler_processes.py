"""Scheduler processes on one backend: exactly one job per tick with no leader, through
crashes (SIGKILL) and freezes (SIGSTOP/SIGCONT), and which clock decides when a tick is due."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from hubjobs import App
from tests.faults.support import freeze_pid
from tests.helpers import ROOT, stop_process, wait_until
from tests.scheduler_main import QUEUE, SCHEDULE_ID

RUN_TICKS = 20
"""About 20 s of a 1-second schedule."""


@pytest.fixture
async def observer(shared_backend_url: str) -> AsyncIterator[App]:
    """An App in the test process that reads what the scheduler processes did."""
    app = App(shared_backend_url)
    yield app
    await app.aclose()
    app.close()


def start_scheduler(url: str, fired_log: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start `python -m tests.scheduler_main URL ...` as a real process (stderr to a log file)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "tests.scheduler_main", url, "--fired-log", str(fired_log), *args]
    with open(fired_log.with_suffix(".err"), "wb") as errors:  # the child keeps its own copy
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)


@contextmanager
def schedulers(url: str, tmp_path: Path, count: int, *args: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` scheduler processes, stopped (SIGCONT then SIGTERM) at the end."""
    procs = [start_scheduler(url, tmp_path / f"fired{i}.log", *args) for i in range(count)]
    try:
        yield procs
    finally:
        for proc in procs:
            stop_process(proc)


def tick_of(job_id: str) -> datetime:
    """The tick a scheduled job stands for (its id is sched:<schedule>:<YYYYMMDDTHHMMSSZ>)."""
    return datetime.strptime(job_id.rsplit(":", 1)[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


async def scheduled_job_ids(app: App) -> list[str]:
    """Every job of the test queue (no worker runs, so all are waiting)."""
    jobs = await app.queue(QUEUE).ajobs("waiting", limit=100_000)
    return [job.id for job in jobs]


async def waiting_count(app: App) -> int:
    return (await app.queue(QUEUE).acounts())["waiting"]


async def wait_for_ticks(app: App, count: int, what: str) -> None:
    async def enough() -> bool:
        return await waiting_count(app) >= count
    await wait_until(enough, timeout=60 + count * 2, what=what, interval=0.1)


def creations(tmp_path: Path) -> Counter[str]:
    """How many processes report having created each job (from their fired logs)."""
    counts: Counter[str] = Counter()
    for log in tmp_path.glob("fired*.log"):
        for line in log.read_text(encoding="utf-8").splitlines():
            job_id, created = line.split()
            if created == "1":
                counts[job_id] += 1
    return counts


def assert_one_job_per_tick_without_gaps(job_ids: list[str]) -> None:
    assert all(job_id.startswith(f"sched:{SCHEDULE_ID}:") for job_id in job_ids), job_ids
    ticks = sorted(tick_of(job_id) for job_id in job_ids)
    assert len(ticks) == len(set(ticks))
    gaps = [(a, b) for a, b in pairwise(ticks) if b - a != timedelta(seconds=1)]
    assert gaps == [], f"missing ticks between {gaps}"


async def test_three_schedulers_add_exactly_one_job_per_tick(
        observer: App, shared_backend_url: str, tmp_path: Path) -> None:
    with schedulers(shared_backend_url, tmp_path, 3, "--catch-up", "all"):
        await wait_for_ticks(observer, RUN_TICKS, f"{RUN_TICKS} ticks")
    job_ids = await scheduled_job_ids(observer)
    assert len(job_ids) >= RUN_TICKS
    assert_one_job_per_tick_without_gaps(job_ids)
    created = creations(tmp_path)  # every process exited gracefully: every creation is logged
    assert created == Counter({job_id: 1 for job_id in job_ids})


async def _quiet_moment(app: App) -> None:
    """Wait until the newest tick's bookkeeping is recorded: the schedulers are then asleep
    until the next tick, so a process frozen now holds no storage lock (SQLite, PostgreSQL)."""
    async def settled() -> bool:
        job_ids = await scheduled_job_ids(app)
        if not job_ids:
            return False
        [row] = [s for s in await (await app.backend()).list_schedules() if s.id == SCHEDULE_ID]
        return row.last_run == max(tick_of(job_id) for job_id in job_ids).timestamp()
    await wait_until(settled, what="a recorded tick", interval=0.02)


async def test_one_job_per_tick_survives_a_killed_and_a_frozen_scheduler(
        observer: App, shared_backend_url: str, tmp_path: Path) -> None:
    phase = RUN_TICKS // 3
    with schedulers(shared_backend_url, tmp_path, 3, "--catch-up", "all") as (killed, frozen, steady):
        await wait_for_ticks(observer, phase, "ticks with three schedulers")
        await _quiet_moment(observer)
        killed.send_signal(signal.SIGKILL)
        await freeze_pid(frozen.pid, "frozen scheduler", shared_backend_url)
        try:
            seen = await waiting_count(observer)
            await wait_for_ticks(observer, seen + phase, "ticks with one killed and one frozen")
        finally:
            frozen.send_signal(signal.SIGCONT)
        seen = await waiting_count(observer)
        await wait_for_ticks(observer, seen + phase, "ticks after the frozen one resumed")
        assert killed.wait(10) == -signal.SIGKILL
        assert frozen.poll() is None and steady.poll() is None
    job_ids = await scheduled_job_ids(observer)
    assert len(job_ids) >= RUN_TICKS - 2
    assert_one_job_per_tick_without_gaps(job_ids)
    created = creations(tmp_path)  # the killed process may not have logged its last creation
    assert set(created) <= set(job_ids) and max(created.values()) == 1


async def test_a_scheduler_whose_clock_runs_ahead_fires_by_the_backends_clock(
        observer: App, shared_backend_url: str, tmp_path: Path) -> None:
    backend = await observer.backend()
    with schedulers(shared_backend_url, tmp_path, 1, "--clock-offset", "120"):
        await wait_for_ticks(observer, 3, "ticks of the scheduler whose clock is 2 minutes ahead")
        ticks = [tick_of(job_id) for job_id in await scheduled_job_ids(observer)]
        now = datetime.fromtimestamp(await backend.now(), UTC)  # read after the jobs
    if backend.capabilities.server_clock:
        # Redis TIME / PostgreSQL now() decide: no tick fires before it is due.
        assert max(ticks) <= now
    else:
        # SQLite has no server clock: the scheduler process's own clock is the clock, so a
        # process 2 minutes ahead fires 2 minutes early. Documented; run schedulers of one
        # SQLite file on one machine (one clock).
        assert min(ticks) > now + timedelta(seconds=60)
