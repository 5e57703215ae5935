"""Test mode: run every due job of an App to completion in the test's process (`drain`), move the
clock of SQLite and memory:// backends forward (`TestClock.advance`), and point an App at a test
backend (`bind`). The pytest plugin (`hubjobs.pytest_plugin`) wraps these in fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from . import clock
from .errors import ConfigurationError

if TYPE_CHECKING:
    from .app import App
    from .events import JobEvent

FINISH_EVENTS = ("completed", "failed", "retrying")
SAFETY_RECHECK = 0.05
"""Seconds between idle checks when no job event arrives (a job that stalls, say)."""


class TestClock:
    """The clock SQLite and memory:// backends (and so delays, retries, leases and schedules on
    them) read: wall time plus an offset that `advance` moves forward."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def now(self) -> float:
        """Epoch seconds as the backends see them."""
        return clock.now()

    def advance(self, seconds: float | timedelta) -> float:
        """Move the clock forward; returns the total offset in seconds."""
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        return clock.advance(seconds)

    def reset(self) -> None:
        """Back to wall time."""
        clock.reset()


def bind(app: App, url: str) -> App:
    """Point `app` (declared at module level, say) at `url` for a test: closes anything it had
    open, so the next call opens the test backend. Returns the app."""
    from .backends.registry import create_backend

    create_backend(url)  # refuse a bad URL now
    app.close()
    app.url = url
    return app


async def adrain(app: App, queues: Sequence[str] | None = None, *, schedules: bool = True) -> int:
    """Run every due job of `queues` (default: every queue with a handler) to completion in this
    process and return how many tries ran. First fires the schedule ticks that are due (one
    scheduler step), then works until no job is waiting or active and no delayed job is due:
    retries whose backoff has not passed and jobs delayed into the future stay for a later
    `advance` + `drain`."""
    from .scheduler import Scheduler

    backend = await app.backend()
    if backend.capabilities.server_clock and clock.offset():
        raise ConfigurationError(f"{app.url}: the test clock moves SQLite and memory:// backends only")
    if schedules and app.schedules:
        await Scheduler(app).tick_once()
    names = list(queues) if queues else sorted({q for (q, _n) in app.handlers})
    if not names:
        raise ConfigurationError("nothing to drain: register handlers with @app.job first")
    tries = 0
    changed = asyncio.Event()

    def on_finish(_event: JobEvent) -> None:
        nonlocal tries
        tries += 1
        changed.set()

    if await _idle(app, names):
        return 0
    worker = app.worker(names, install_signals=False, claim_ahead=False)
    for name in FINISH_EVENTS:
        worker.on(name, on_finish)
    task = asyncio.create_task(worker.arun())
    try:
        while not task.done():
            changed.clear()
            if await _idle(app, names):
                break
            try:
                await asyncio.wait_for(changed.wait(), SAFETY_RECHECK)
            except TimeoutError:
                pass
    finally:
        worker.stop()
        await task
    return tries


def drain(app: App, queues: Sequence[str] | None = None, *, schedules: bool = True) -> int:
    """Sync twin of `adrain` (runs the worker on the App's background loop)."""
    return app.portal.call(adrain(app, queues, schedules=schedules))


async def _idle(app: App, queues: list[str]) -> bool:
    """True when no job of `queues` is waiting or active and no delayed one is due."""
    backend = await app.backend()
    now = await backend.now()
    for name in queues:
        if (await backend.get_queue_settings(name)).paused:
            continue  # its jobs wait for a resume, not for this drain
        counts = await backend.count_jobs(name)
        if counts["waiting"] or counts["active"]:
            return False
        if counts["delayed"]:
            due = await backend.next_delayed_at(name)
            if due is not None and due <= now:
                return False
    return True
