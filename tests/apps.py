"""The test App: handlers used by contract, fault and cross-process tests.

Worker processes started by tests import this module (see `worker_main.py`)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hubjobs import App, Backoff, UnrecoverableError
from hubjobs.job import Job

QUEUE = "q"
WORKER_NAME: ContextVar[str | None] = ContextVar("WORKER_NAME", default=None)
"""The name of an in-process test worker (its thread sets it); processes use HUBJOBS_TEST_WORKER."""


def worker_name() -> str:
    """Which test worker runs this handler: its name, else this process's id."""
    return WORKER_NAME.get() or os.environ.get("HUBJOBS_TEST_WORKER") or str(os.getpid())


class OrderData(BaseModel):
    """Schema used by the schema-validation tests."""

    order_id: int
    email: str


def ledger_record(path: str, job_id: str, worker: str, event: str = "done") -> None:
    """Append one execution record to a SQLite ledger (a store separate from the backend)."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS ledger (job_id TEXT, worker TEXT, event TEXT, at REAL)")
        conn.execute("INSERT INTO ledger VALUES (?, ?, ?, ?)", (job_id, worker, event, time.time()))
        conn.commit()
    finally:
        conn.close()


def ledger_rows(path: str) -> list[tuple[str, str, str, float]]:
    """Every ledger record."""
    if not Path(path).exists():
        return []
    conn = sqlite3.connect(path, timeout=30)
    try:
        return list(conn.execute("SELECT job_id, worker, event, at FROM ledger ORDER BY at"))
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def wait_for_path(path: str, limit: float = 60.0) -> None:
    """Block until a file exists (tests create it to release a handler)."""
    deadline = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.01)


def cpu_spin(job: Any) -> str:
    """A process-isolated handler that spins for `seconds` (killed on timeout)."""
    end = time.monotonic() + float(job.data.get("seconds", 1.0))
    n = 0
    while time.monotonic() < end:
        n += 1
    job.log("spun")
    return "spun"


def process_echo(job: Any) -> Any:
    """A process-isolated handler reporting progress and a log line."""
    job.update_progress(50)
    job.log(f"pid {os.getpid()}")
    if job.data.get("fail"):
        raise ValueError("process handler failed on purpose")
    return {"echo": job.data, "pid": os.getpid()}


def process_die(job: Any) -> Any:
    """A process-isolated handler whose process dies: `how` is abort, sigkill or exit3."""
    how = job.data["how"]
    if how == "abort":
        os.abort()
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)
    os._exit(3)


def build_app(url: str) -> App:
    """An App with the test handlers on queue `q` (and `q2`)."""
    app = App(url)
    app.queue(QUEUE)
    app.queue("q2")

    @app.job(QUEUE, "noop")
    async def noop(job: Job) -> Any:
        return job.data

    @app.job("q2", "noop")
    async def noop2(job: Job) -> Any:
        return job.data

    @app.job(QUEUE, "sync_noop")
    def sync_noop(job: Job) -> Any:
        return job.data

    @app.job(QUEUE, "sleep")
    async def sleep(job: Job) -> Any:
        await asyncio.sleep(float(job.data.get("seconds", 1.0)))
        return "slept"

    @app.job(QUEUE, "record")
    async def record(job: Job) -> Any:
        """Ledger 'start', optionally sleep, ledger 'done'."""
        ledger = job.data["ledger"]
        who = worker_name()
        await asyncio.to_thread(ledger_record, ledger, job.id, who, "start")
        seconds = float(job.data.get("seconds", 0.0))
        if seconds:
            await asyncio.sleep(seconds)
        await asyncio.to_thread(ledger_record, ledger, job.id, who, "done")
        return who

    @app.job(QUEUE, "wait_file")
    def wait_file(job: Job) -> Any:
        job.update_progress({"stage": "waiting"})
        job.log("waiting for release")
        wait_for_path(job.data["path"])
        job.update_progress(100)
        return "released"

    @app.job(QUEUE, "fail")
    async def fail(job: Job) -> Any:
        raise RuntimeError(f"failure {job.attempts_made + 1}")

    @app.job(QUEUE, "fatal")
    async def fatal(job: Job) -> Any:
        raise UnrecoverableError("cannot ever work")

    @app.job(QUEUE, "order", schema=OrderData)
    async def order(job: Job[OrderData]) -> Any:
        return job.data.order_id

    @app.job(QUEUE, "retry_fast", attempts=3, backoff=Backoff.fixed(0.05))
    async def retry_fast(job: Job) -> Any:
        if job.attempts_made < 2:
            raise RuntimeError(f"try {job.attempts_made + 1} fails")
        return "third time"

    app.job(QUEUE, "cpu_spin", process=True)(cpu_spin)
    app.job(QUEUE, "process_echo", process=True)(process_echo)
    app.job(QUEUE, "process_die", process=True)(process_die)

    # -- handlers of the fault tests (tests/faults/) --------------------------------------

    @app.job(QUEUE, "record_wait")
    async def record_wait(job: Job) -> Any:
        """Ledger 'start', wait until the file `release` exists, ledger 'done' and return this
        worker's name; a try cancelled while waiting (timeout, shutdown) records 'cancelled'."""
        ledger = job.data["ledger"]
        who = worker_name()
        await asyncio.to_thread(ledger_record, ledger, job.id, who, "start")
        try:
            while not os.path.exists(job.data["release"]):
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            ledger_record(ledger, job.id, who, "cancelled")
            raise
        await asyncio.to_thread(ledger_record, ledger, job.id, who, "done")
        return who

    @app.job(QUEUE, "ledger_line")
    def ledger_line(job: Job) -> Any:
        """Append the job id to this process's ledger file in directory `ledger_dir`: a ledger
        cheap enough for tens of thousands of jobs."""
        path = os.path.join(job.data["ledger_dir"], f"{os.getpid()}.txt")
        with open(path, "a", encoding="utf-8") as f:
            f.write(job.id + "\n")
        return None

    return app


def build_app_from_env() -> App:
    """The test App on HUBJOBS_URL (for `hubjobs --app tests.apps:build_app_from_env`)."""
    return build_app(os.environ["HUBJOBS_URL"])
