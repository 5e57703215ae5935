"""`hubjobs worker --processes N` and its supervisor: real processes, SIGKILLed children replaced,
SIGTERM reaching every child, exit codes. Waits on conditions (log lines, heartbeats, pids)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubjobs import App
from hubjobs.supervisor import EXIT_GAVE_UP, EXIT_OK, EXIT_UNCLEAN_STOP, RestartPolicy, Supervisor

from ..helpers import ROOT, stop_process, wait_until_sync

STARTED = re.compile(r"worker process (\d+) started \(pid (\d+)\)")


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def started(log: Path) -> list[tuple[int, int]]:
    """(slot, pid) of every child the supervisor logged as started, in order."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [(int(slot), int(pid)) for slot, pid in STARTED.findall(text)]


def heartbeat_pids(url: str) -> set[int]:
    """Pids of the workers whose heartbeats the backend holds."""
    async def read() -> set[int]:
        app = App(url)
        try:
            return {w.pid for w in await (await app.backend()).list_workers()}
        finally:
            await app.aclose()

    return asyncio.run(read())


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """`hubjobs worker --processes 2` on a new SQLite database: (url, its log, the supervisor)."""
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    log = tmp_path / "supervisor.log"
    env = dict(os.environ, HUBJOBS_URL=url, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "hubjobs.cli", "--app", "tests.engine.supervised_app:app",
                                 "worker", "--processes", "2", "--lease", "6", "--grace", "10"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield url, log, proc
    finally:
        pids = [pid for _slot, pid in started(log)]
        stop_process(proc)
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_sigkilled_child_is_replaced_and_sigterm_stops_every_child(
        supervised: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    url, log, proc = supervised
    first = wait_until_sync(lambda: len(started(log)) >= 2 and started(log), timeout=60,
                            what="two worker processes started")
    pids = {pid for _slot, pid in first}
    wait_until_sync(lambda: pids <= heartbeat_pids(url), timeout=60, what="both workers' heartbeats")

    victim_slot, victim = first[0]
    os.kill(victim, signal.SIGKILL)
    replaced = wait_until_sync(lambda: len(started(log)) >= 3 and started(log)[2], timeout=60,
                               what="the killed worker replaced")
    assert replaced[0] == victim_slot and replaced[1] not in pids
    assert f"worker process {victim_slot} (pid {victim}) died (signal SIGKILL)" in log.read_text()
    wait_until_sync(lambda: replaced[1] in heartbeat_pids(url), timeout=60, what="the new worker's heartbeat")
    live = {replaced[1], first[1][1]}

    app = App(url)
    try:
        queue = app.queue("work")
        ids = [queue.add("whoami", {}).id for _ in range(6)]
        results = wait_until_sync(
            lambda: all((j := queue.get(i)) is not None and j.state.value == "completed" for i in ids)
            and [queue.get(i).result for i in ids], timeout=60, what="jobs done by the workers")  # type: ignore[union-attr]
        assert {r["pid"] for r in results} <= live
    finally:
        app.close()

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=90) == EXIT_OK, log.read_text()
    assert not any(alive(pid) for pid in live)
    text = log.read_text()
    assert "SIGTERM: stopping 2 worker process(es)" in text
    assert text.count("stopped: exit code 0") == 2, text


def test_workers_stop_when_their_supervisor_is_killed(supervised: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    url, log, proc = supervised
    first = wait_until_sync(lambda: len(started(log)) >= 2 and started(log), timeout=60,
                            what="two worker processes started")
    pids = {pid for _slot, pid in first}
    wait_until_sync(lambda: pids <= heartbeat_pids(url), timeout=60, what="both workers' heartbeats")
    proc.kill()
    proc.wait(timeout=30)
    wait_until_sync(lambda: not any(alive(pid) for pid in pids), timeout=60, what="the orphaned workers to stop")


def test_backoff_doubles_up_to_its_maximum() -> None:
    policy = RestartPolicy(initial=0.5, maximum=4.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_gives_up_on_a_child_that_keeps_dying(caplog: pytest.LogCaptureFixture) -> None:
    supervisor = Supervisor([sys.executable, "-c", "raise SystemExit(7)"], 2,
                            policy=RestartPolicy(initial=0.01, maximum=0.02, max_failures=3))
    assert supervisor.run() == EXIT_GAVE_UP
    assert "exit code 7), 3 times in a row: giving up" in caplog.text


def test_children_that_finish_are_not_restarted() -> None:
    """`--burst` children exit 0 when the work is done: the supervisor exits 0 with them."""
    assert Supervisor([sys.executable, "-c", "pass"], 3).run() == EXIT_OK


def test_a_child_that_does_not_stop_cleanly_gives_exit_code_3(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    child = ("import pathlib, signal, sys, os\n"
             "signal.signal(signal.SIGTERM, lambda *a: sys.exit(5))\n"
             f"pathlib.Path({str(ready)!r}, str(os.getpid())).touch()\n"
             "while True: signal.pause()\n")
    ready.mkdir()
    supervisor = Supervisor([sys.executable, "-c", child], 2)

    def stop_when_ready() -> None:
        wait_until_sync(lambda: len(list(ready.iterdir())) == 2, timeout=60, what="children ready")
        os.kill(os.getpid(), signal.SIGTERM)  # handled by the supervisor's handler in the main thread

    stopper = threading.Thread(target=stop_when_ready)
    stopper.start()
    try:
        assert supervisor.run() == EXIT_UNCLEAN_STOP
    finally:
        stopper.join()


def test_sigint_reaches_every_child_once_and_the_supervisor_waits_for_them(tmp_path: Path) -> None:
    """Each child counts the SIGINTs it gets and records them as it exits (cleanly) after a
    moment of shutdown work; the supervisor returns only after every child has exited."""
    ready, done = tmp_path / "ready", tmp_path / "done"
    ready.mkdir()
    done.mkdir()
    child = ("import os, pathlib, signal, threading\n"
             "got = []\n"
             "stop = threading.Event()\n"
             "signal.signal(signal.SIGINT, lambda *a: (got.append(1), stop.set()))\n"
             f"pathlib.Path({str(ready)!r}, str(os.getpid())).touch()\n"
             "stop.wait()\n"
             "threading.Event().wait(0.3)  # shutdown work; a second SIGINT would be counted too\n"
             f"pathlib.Path({str(done)!r}, str(os.getpid())).write_text(str(len(got)))\n")
    supervisor = Supervisor([sys.executable, "-c", child], 3)

    def interrupt_when_ready() -> None:
        wait_until_sync(lambda: len(list(ready.iterdir())) == 3, timeout=60, what="children ready")
        os.kill(os.getpid(), signal.SIGINT)

    stopper = threading.Thread(target=interrupt_when_ready)
    stopper.start()
    try:
        assert supervisor.run() == EXIT_OK
    finally:
        stopper.join()
    counts = {p.name: p.read_text() for p in done.iterdir()}
    assert sorted(counts) == sorted(p.name for p in ready.iterdir()) and set(counts.values()) == {"1"}
