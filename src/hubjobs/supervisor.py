"""`hubjobs worker --processes N`: run N worker processes and keep them running.

The supervisor starts N copies of a command (each in its own process group, so a terminal's
Ctrl-C reaches the workers once, through the supervisor). A child that dies while it should be
running is logged and started again after a backoff that doubles with each quick death (0.5 s,
1 s, 2 s … at most 30 s; a child that ran for a minute starts the count again). A child that
exits with code 0 on its own (e.g. `--burst` with no work left) is done and not restarted.
SIGTERM or SIGINT to the supervisor is passed to every child, and the supervisor waits for all of
them to exit (a second signal is passed on too: workers then hand running jobs back at once).
Children still running `kill_after` seconds after the first signal are killed.

Exit codes of the supervisor (`EXIT_*` below):
  0  every child exited cleanly: stopped by SIGTERM/SIGINT, or finished (`--burst`)
  3  stopped, but at least one child did not exit cleanly (an error code, or killed at the deadline)
  4  gave up: one child died `max_failures` times in a row without running a minute; the others
     were stopped
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger("hubjobs.supervisor")

EXIT_OK = 0
EXIT_UNCLEAN_STOP = 3
EXIT_GAVE_UP = 4

SLOT_ENV = "HUBJOBS_PROCESS_SLOT"
"""Set in each child: its slot number, 0 … N−1 (a restarted child keeps its slot)."""

SUPERVISOR_ENV = "HUBJOBS_SUPERVISOR_PID"
"""Set in each child: the supervisor's pid (see `follow_supervisor`)."""

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class RestartPolicy:
    """How quickly a dead child is started again."""

    initial: float = 0.5
    """Seconds before the first restart of a child that died."""
    maximum: float = 30.0
    """Longest wait between restarts."""
    stable_after: float = 60.0
    """A child that ran this long before dying restarts the backoff from `initial`."""
    max_failures: int = 10
    """Deaths in a row, each before `stable_after`, after which the supervisor gives up."""

    def delay(self, failures: int) -> float:
        """Seconds to wait before restarting after `failures` quick deaths in a row (≥ 1)."""
        return float(min(self.maximum, self.initial * 2 ** max(0, failures - 1)))


@dataclass
class _Slot:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    done: bool = False
    clean: bool = True


def describe_exit(code: int) -> str:
    """A child's return code in words: `exit code 1`, `signal SIGKILL`."""
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def follow_supervisor() -> None:
    """Called by a worker that a supervisor started (`SUPERVISOR_ENV` set): on Linux it gets
    SIGTERM (a graceful stop) when the supervisor dies, even by SIGKILL, so no worker outlives it;
    it exits at once if the supervisor is already gone."""
    expected = os.environ.get(SUPERVISOR_ENV)
    if not expected:
        return
    if sys.platform == "linux":
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if str(os.getppid()) != expected:
        raise SystemExit(f"hubjobs worker: its supervisor (pid {expected}) is gone; not starting")


@dataclass
class Supervisor:
    """Runs `processes` copies of `command` until stopped; see the module docstring."""

    command: Sequence[str]
    processes: int
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    kill_after: float = 60.0
    """Seconds after the first stop signal before children still running are killed."""
    env: Mapping[str, str] | None = None
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.processes < 1:
            raise ValueError(f"processes must be >= 1, got {self.processes}")
        self._slots = [_Slot(i) for i in range(self.processes)]
        self._stop_signals: list[int] = []
        self._stop_started: float | None = None
        self._killed = False
        self._gave_up = False

    # ------------------------------------------------------------ running

    def run(self) -> int:
        """Start the children and supervise them until they have all exited; the exit code."""
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        previous_fd = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, lambda _s, _f: None)
        try:
            for slot in self._slots:
                self._start(slot)
            while not all(s.done for s in self._slots):
                self._reap()
                self._restart_due()
                self._enforce_deadline()
                if all(s.done for s in self._slots):
                    break
                select.select([wake_r], [], [], self._timeout())
                with contextlib.suppress(BlockingIOError):
                    while wake_r.recv(4096):
                        pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(previous_fd)
            wake_r.close()
            wake_w.close()
            self._kill_all()
        return self._exit_code()

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Begin stopping: pass `signum` to every running child; no child is restarted after this."""
        self._stop_signals.append(signum)
        if self._stop_started is None:
            self._stop_started = self.clock()
            log.warning("%s: stopping %d worker process(es)", signal.Signals(signum).name,
                        self._running_count())
        for slot in self._slots:
            if slot.restart_at is not None:  # waiting for a restart that will not come now
                slot.restart_at = None
                slot.done = True
            if slot.process is not None and slot.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    slot.process.send_signal(signum)

    @property
    def pids(self) -> list[int]:
        """Process ids of the children running now."""
        return [s.process.pid for s in self._slots if s.process is not None and s.process.poll() is None]

    # ------------------------------------------------------------ internals

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop(signum)

    def _running_count(self) -> int:
        return sum(1 for s in self._slots if s.process is not None and s.process.returncode is None)

    def _start(self, slot: _Slot) -> None:
        env = dict(os.environ if self.env is None else self.env)
        env[SLOT_ENV] = str(slot.index)
        env[SUPERVISOR_ENV] = str(os.getpid())
        slot.process = subprocess.Popen(list(self.command), env=env, process_group=0)
        slot.started_at = self.clock()
        slot.restart_at = None
        log.warning("worker process %d started (pid %d)", slot.index, slot.process.pid)

    def _reap(self) -> None:
        for slot in self._slots:
            proc = slot.process
            if proc is None or slot.done or proc.poll() is None:
                continue
            code = proc.returncode
            slot.process = None
            ran = self.clock() - slot.started_at
            if self._stop_started is not None:
                slot.done = True
                slot.clean = code == 0 or -code in self._stop_signals
                log.warning("worker process %d (pid %d) stopped: %s", slot.index, proc.pid,
                            describe_exit(code))
            elif code == 0:
                slot.done = True
                log.warning("worker process %d (pid %d) finished", slot.index, proc.pid)
            else:
                self._schedule_restart(slot, proc.pid, code, ran)

    def _schedule_restart(self, slot: _Slot, pid: int, code: int, ran: float) -> None:
        slot.failures = 1 if ran >= self.policy.stable_after else slot.failures + 1
        if slot.failures >= self.policy.max_failures:
            log.error("worker process %d (pid %d) died (%s), %d times in a row: giving up",
                      slot.index, pid, describe_exit(code), slot.failures)
            slot.done = True
            slot.clean = False
            self._gave_up = True
            self.stop(signal.SIGTERM)
            return
        delay = self.policy.delay(slot.failures)
        slot.restart_at = self.clock() + delay
        log.error("worker process %d (pid %d) died (%s) after %.1f s; restarting in %.1f s "
                  "(failure %d in a row)", slot.index, pid, describe_exit(code), ran, delay, slot.failures)

    def _restart_due(self) -> None:
        now = self.clock()
        for slot in self._slots:
            if slot.restart_at is not None and slot.restart_at <= now and self._stop_started is None:
                self._start(slot)

    def _enforce_deadline(self) -> None:
        if self._stop_started is None or self._killed or self.clock() - self._stop_started < self.kill_after:
            return
        self._killed = True
        for slot in self._slots:
            if slot.process is not None and slot.process.poll() is None:
                log.error("worker process %d (pid %d) still running %.0f s after the stop signal: killing it",
                          slot.index, slot.process.pid, self.kill_after)
                with contextlib.suppress(ProcessLookupError):
                    slot.process.kill()

    def _timeout(self) -> float:
        """Seconds until something is due: a restart or the kill deadline (the wake-up socket
        interrupts the wait sooner on any signal, a child's exit included)."""
        now = self.clock()
        due = [s.restart_at for s in self._slots if s.restart_at is not None]
        if self._stop_started is not None and not self._killed:
            due.append(self._stop_started + self.kill_after)
        if not due:
            return 5.0  # a safety net only: SIGCHLD wakes the loop when a child exits
        return max(0.0, min(due) - now)

    def _kill_all(self) -> None:
        """On the way out (also on an unexpected error): no child outlives the supervisor."""
        for slot in self._slots:
            proc = slot.process
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait()

    def _exit_code(self) -> int:
        if self._gave_up:
            return EXIT_GAVE_UP
        if all(s.clean for s in self._slots):
            return EXIT_OK
        return EXIT_UNCLEAN_STOP
