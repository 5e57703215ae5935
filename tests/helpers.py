"""Test helpers: wait on conditions (never fixed sleeps) and run workers in-process or as processes."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from hubjobs import App, Worker

ROOT = Path(__file__).resolve().parent.parent


async def wait_until(cond: Callable[[], Any], timeout: float = 20.0, what: str = "condition",
                     interval: float = 0.01) -> Any:
    """Poll `cond` (sync or async) until it returns a truthy value; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


def wait_until_sync(cond: Callable[[], Any], timeout: float = 20.0, what: str = "condition",
                    interval: float = 0.01) -> Any:
    """Blocking twin of `wait_until` for sync tests."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@asynccontextmanager
async def running_worker(app: App, queues: list[str] | str | None = None, **kwargs: Any) -> AsyncIterator[Worker]:
    """Run a worker in this loop for the body of the `async with`, then stop it gracefully."""
    kwargs.setdefault("install_signals", False)
    kwargs.setdefault("lease", 5.0)
    worker = app.worker(queues, **kwargs)
    task = asyncio.create_task(worker.arun())
    try:
        yield worker
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)


async def job_state(app: App, queue: str, job_id: str) -> str | None:
    """Current state of a job (None if gone)."""
    job = await app.queue(queue).aget(job_id)
    return None if job is None else job.state.value


def state_is(app: App, queue: str, job_id: str, *states: str) -> Callable[[], Awaitable[bool]]:
    """A condition: the job is in one of `states`."""
    async def check() -> bool:
        return (await job_state(app, queue, job_id)) in states
    return check


def start_worker_process(url: str, *args: str, env: dict[str, str] | None = None,
                         log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """Start `python -m tests.worker_main URL ARGS...` as a real process."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    if env:
        full_env.update(env)
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "tests.worker_main", url, *args], cwd=ROOT, env=full_env,
                            stdout=out, stderr=subprocess.STDOUT if log_path else subprocess.DEVNULL)


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
    """Signal a process and wait for it to exit; kill it if it does not."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        proc.send_signal(sig)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(10)
    return proc.returncode


class InProcessWorker:
    """A worker of tests/worker_main.py on a thread of this process, with an App of its own: what
    "another process" is for a backend that lives inside one process (memory://)."""

    def __init__(self, url: str, *args: str, name: str = "w0") -> None:
        from tests.worker_main import build_worker

        self.worker, parsed, self.app = build_worker([url, *args], install_signals=False)
        self.name = name
        self.thread = threading.Thread(target=self._run, args=(parsed.burst,), name=f"worker-{name}", daemon=True)
        self.thread.start()

    def _run(self, burst: bool) -> None:
        from tests.apps import WORKER_NAME

        WORKER_NAME.set(self.name)  # its handlers' tasks and threads inherit it
        self.worker.run(burst=burst)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the worker gracefully and wait for its thread; close its App."""
        self.worker.stop()
        self.thread.join(timeout)
        self.app.close()


@contextmanager
def worker_processes(url: str, count: int, *args: str, tmp_path: Path | None = None) -> Iterator[list[Any]]:
    """Start `count` worker processes (threads with Apps of their own on memory://, which lives
    in this process); stop them all at the end."""
    if url.startswith("memory://"):
        workers = [InProcessWorker(url, *args, name=f"w{i}") for i in range(count)]
        try:
            yield workers
        finally:
            for w in workers:
                w.stop()
        return
    procs = [start_worker_process(url, *args, env={"HUBJOBS_TEST_WORKER": f"w{i}"},
                                  log_path=(tmp_path / f"worker{i}.log") if tmp_path else None)
             for i in range(count)]
    try:
        yield procs
    finally:
        for p in procs:
            stop_process(p)
