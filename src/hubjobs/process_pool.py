"""Run handlers marked `process=True` in child processes that can be killed on timeout."""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from typing import Any

from .errors import JobCancelled, JobTimeoutError, UnrecoverableError

MessageHandler = Callable[[str, Any], Awaitable[None]]


class ChildJob:
    """The job object a process handler receives: data plus progress and log that travel
    back to the worker over a pipe."""

    def __init__(self, conn: multiprocessing.connection.Connection, job: dict[str, Any]) -> None:
        self._conn = conn
        self.id: str = job["id"]
        self.name: str = job["name"]
        self.queue: str = job["queue"]
        self.data: Any = job["data"]
        self.raw_data: Any = job["data"]
        self.attempts_made: int = job["attempts_made"]
        self.max_attempts: int = job.get("max_attempts", 1)
        self.progress: Any = None
        self.cancelled = False

    def update_progress(self, progress: float | dict[str, Any]) -> None:
        """Send progress to the worker."""
        self.progress = progress
        self._conn.send(("progress", progress))

    def log(self, line: str) -> None:
        """Send a log line to the worker."""
        self._conn.send(("log", str(line)))


def _child_main(conn: multiprocessing.connection.Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        import_path, job = msg
        try:
            module_name, _, qualname = import_path.partition(":")
            target: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                target = getattr(target, part)
            result = target(ChildJob(conn, job))
            conn.send(("result", result))
        except BaseException as exc:  # report everything, including SystemExit, to the worker
            conn.send(("error", (type(exc).__name__, str(exc), traceback.format_exc(),
                                 isinstance(exc, UnrecoverableError))))


@dataclass
class _Child:
    process: SpawnProcess
    conn: multiprocessing.connection.Connection


class ChildProcessError_(Exception):
    """A process handler raised; carries the child's exception type, message and trace."""

    def __init__(self, type_name: str, message: str, trace: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.trace = trace


REAP_TIMEOUT = 10.0
"""Seconds to wait for a child that closed its pipe to exit before reporting it as hung."""


def describe_exit(exitcode: int | None) -> str:
    """How a child process ended, from `multiprocessing`'s exit code (negative: a signal)."""
    if exitcode is None:
        return f"closed its pipe and did not exit within {REAP_TIMEOUT:g} s"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed by {name}"
    return f"exited with code {exitcode}"


class ProcessPool:
    """A small pool of spawned child processes; a child running past its timeout is killed."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: list[_Child] = []
        self._busy: set[int] = set()
        self._children: dict[int, _Child] = {}
        self._slots = asyncio.Semaphore(self.size)

    def _spawn(self) -> _Child:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_child_main, args=(child,), daemon=True, name="hubjobs-process-handler")
        proc.start()
        child.close()
        c = _Child(proc, parent)
        assert proc.pid is not None
        self._children[proc.pid] = c
        return c

    def _kill(self, c: _Child) -> None:
        if c.process.is_alive():
            c.process.kill()
        c.process.join(timeout=5)
        c.conn.close()
        if c.process.pid is not None:
            self._children.pop(c.process.pid, None)

    async def run(self, import_path: str, job: dict[str, Any], timeout: float | None,
                  on_message: MessageHandler, cancel: asyncio.Event) -> Any:
        """Run the handler in a child; kill the child on timeout or cancel."""
        async with self._slots:
            c = self._idle.pop() if self._idle else self._spawn()
            loop = asyncio.get_running_loop()
            try:
                c.conn.send((import_path, job))
                deadline = None if timeout is None else loop.time() + timeout
                while True:
                    remaining = None if deadline is None else deadline - loop.time()
                    if remaining is not None and remaining <= 0:
                        raise JobTimeoutError(f"job timed out after {timeout:g} s; its process was killed")
                    ready = await self._wait_readable(c, remaining, cancel)
                    if cancel.is_set():
                        raise JobCancelled("job cancelled by an admin; its process was killed")
                    if not ready:
                        continue
                    try:
                        kind, payload = c.conn.recv()
                    except (EOFError, OSError):
                        death = await self._reap(c)
                        raise ChildProcessError_("ProcessDied", f"the handler's process {death}", "") from None
                    if kind == "result":
                        self._idle.append(c)
                        return payload
                    if kind == "error":
                        type_name, message, trace, unrecoverable = payload
                        self._idle.append(c)
                        if unrecoverable:
                            raise UnrecoverableError(message)
                        raise ChildProcessError_(type_name, message, trace)
                    await on_message(kind, payload)
            except BaseException:
                if c not in self._idle:
                    self._kill(c)
                raise

    async def _reap(self, c: _Child) -> str:
        """Wait for a child whose pipe closed to exit (reaping it, so its exit code is known) and
        say how it died: `killed by SIGKILL`, `exited with code 3`."""
        await asyncio.get_running_loop().run_in_executor(None, c.process.join, REAP_TIMEOUT)
        return describe_exit(c.process.exitcode)

    async def _wait_readable(self, c: _Child, timeout: float | None, cancel: asyncio.Event) -> bool:
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        fd = c.conn.fileno()
        loop.add_reader(fd, readable.set)
        try:
            waits = [asyncio.ensure_future(readable.wait()), asyncio.ensure_future(cancel.wait())]
            done, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for p in pending:
                p.cancel()
            return readable.is_set()
        finally:
            loop.remove_reader(fd)

    def close(self) -> None:
        """Kill every child."""
        for c in list(self._children.values()):
            self._kill(c)
        self._idle.clear()

    def pids(self) -> list[int]:
        """Process ids of live children (for tests and diagnostics)."""
        return [pid for pid, c in self._children.items() if c.process.is_alive() and pid != os.getpid()]
