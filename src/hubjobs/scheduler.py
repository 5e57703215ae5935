"""The scheduler: adds one job per schedule tick, safely with any number of scheduler processes.

`Scheduler(app).run()` stores the App's declared schedules in the backend, then repeats a step:
read every stored schedule, add the jobs of its due ticks and move its bookkeeping on (see
:mod:`hubjobs.scheduling.firing` for why that is exactly once without a leader), then sleep
until the earliest next run, at most ``poll_interval`` so that schedules added, changed or
removed by other processes are noticed.

Time: every decision uses the backend's clock (`Backend.now()`): Redis `TIME` and PostgreSQL
`now()` where the backend has a server clock, so a process whose own clock is wrong cannot fire
early or late. SQLite has no server: its clock is this process's clock, and there the injected
``clock_offset`` (tests, simulations) is added to it. Local time is only used to measure how
long to sleep.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .backends.base import Backend
from .errors import BackendUnavailable
from .scheduling.firing import FiredTick, FireOutcome, fire_due
from .scheduling.store import store_declared
from .scheduling.stored import as_instant

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger("hubjobs.scheduler")

__all__ = ["FiredTick", "Scheduler", "run_scheduler"]

DEFAULT_POLL_INTERVAL = 1.0
"""Longest sleep between steps, in seconds: how soon other processes' changes are seen."""

DEFAULT_MAX_READ_AGE = 5.0
"""A schedule row read longer ago than this (seconds, e.g. the process was frozen) is read again
before jobs are added for it."""

_WAKE_MARGIN = 0.002  # sleep a little past a tick so the backend's clock has surely reached it
_MAX_BACKOFF = 5.0

FireListener = Callable[[FiredTick], object]


@dataclass(frozen=True)
class _Step:
    """What one step did: the ticks it handled and how long to sleep before the next step."""

    fired: list[FiredTick]
    sleep: float


class Scheduler:
    """Runs an App's schedules (and any other schedule stored in its backend).

    ``clock_offset`` (seconds) is added to the clock on backends without a server clock
    (SQLite), to simulate a process whose clock is off; on Redis and PostgreSQL the server's
    clock rules and the offset has no effect. ``on_fire`` is called with every tick handled by
    this process (also those another process had already added, ``created=False``).
    """

    def __init__(
        self,
        app: App,
        *,
        clock_offset: float = 0.0,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_read_age: float = DEFAULT_MAX_READ_AGE,
        on_fire: FireListener | None = None,
    ) -> None:
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be > 0 seconds, got {poll_interval!r}")
        if max_read_age <= 0:
            raise ValueError(f"max_read_age must be > 0 seconds, got {max_read_age!r}")
        self.app = app
        self.clock_offset = float(clock_offset)
        self.poll_interval = float(poll_interval)
        self.max_read_age = float(max_read_age)
        self.on_fire = on_fire
        self._declared_stored = False
        self._reported_errors: dict[str, str] = {}
        self._stop_requested = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"Scheduler({self.app!r})"

    # ------------------------------------------------------------ public API

    async def now(self) -> datetime:
        """The time the scheduler decides by: the backend's clock (plus the offset on SQLite)."""
        backend = await self.app.backend()
        return await self._now(backend)

    async def tick_once(self, *, now: datetime | None = None) -> list[FiredTick]:
        """Run one step and return the ticks it handled.

        The first step of a Scheduler stores the App's declared schedules. ``now`` replaces the
        clock for this step (tests and dry runs); by default the backend's clock is used.
        """
        step = await self._step(now)
        return step.fired

    async def run(self) -> None:
        """Run steps until :meth:`stop`; backend outages are logged and retried with backoff."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        failures = 0
        while not self._stop_requested.is_set():
            self._wake.clear()
            try:
                delay = (await self._step(None)).sleep
                failures = 0
            except (BackendUnavailable, ConnectionError, OSError) as error:
                failures += 1
                delay = min(_MAX_BACKOFF, 0.1 * 2 ** min(failures, 6))
                log.warning("scheduler: backend unavailable (%s); retrying in %.1f s", error, delay)
            except Exception:
                failures += 1
                delay = min(_MAX_BACKOFF, 0.1 * 2 ** min(failures, 6))
                log.exception("scheduler step failed; retrying in %.1f s", delay)
            await self._sleep(delay)

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current step (thread-safe, idempotent)."""
        self._stop_requested.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    # ------------------------------------------------------------ one step

    async def _now(self, backend: Backend) -> datetime:
        epoch = await backend.now()
        if not backend.capabilities.server_clock:
            epoch += self.clock_offset
        return as_instant(epoch)

    async def _step(self, forced_now: datetime | None) -> _Step:
        backend = await self.app.backend()
        if not self._declared_stored:
            moment = forced_now or await self._now(backend)
            await store_declared(self.app, backend, moment)
            self._declared_stored = True
        stored_schedules = await backend.list_schedules()
        read_at = time.monotonic()
        now = forced_now or await self._now(backend)
        clock_read_at = time.monotonic()

        def fresh() -> bool:
            return time.monotonic() - read_at <= self.max_read_age

        outcomes: list[FireOutcome] = []
        for stored in stored_schedules:
            outcome = await fire_due(self.app, backend, stored, now, fresh=fresh)
            self._report(outcome)
            outcomes.append(outcome)
        fired = [tick for outcome in outcomes for tick in outcome.fired]
        if any(outcome.stale for outcome in outcomes):
            log.info("scheduler: schedules were read %.1f s ago (process frozen?); reading them again",
                     time.monotonic() - read_at)
            return _Step(fired, 0.0)
        return _Step(fired, self._sleep_after(outcomes, now, clock_read_at))

    def _sleep_after(self, outcomes: list[FireOutcome], now: datetime, clock_read_at: float) -> float:
        wakes = [outcome.wake_at for outcome in outcomes if outcome.wake_at is not None]
        if not wakes:
            return self.poll_interval
        until_wake = (min(wakes) - now).total_seconds() - (time.monotonic() - clock_read_at)
        return min(self.poll_interval, max(0.0, until_wake) + _WAKE_MARGIN)

    def _report(self, outcome: FireOutcome) -> None:
        for tick in outcome.fired:
            if tick.created:
                log.info("schedule %s: added job %s for tick %s", tick.schedule_id, tick.job_id,
                         tick.tick.isoformat())
            if self.on_fire is not None:
                try:
                    self.on_fire(tick)
                except Exception:
                    log.exception("on_fire listener failed for %s", tick.job_id)
        if outcome.error is None:
            self._reported_errors.pop(outcome.schedule_id, None)
        elif self._reported_errors.get(outcome.schedule_id) != outcome.error:
            self._reported_errors[outcome.schedule_id] = outcome.error
            log.error("%s", outcome.error)

    async def _sleep(self, seconds: float) -> None:
        assert self._wake is not None
        if self._stop_requested.is_set():
            return
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass


async def run_scheduler(
    app: App,
    stop_event: asyncio.Event,
    *,
    clock_offset: float = 0.0,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
) -> None:
    """Run a :class:`Scheduler` for ``app`` until ``stop_event`` is set, then return once its
    current step is done (for `hubjobs worker --with-scheduler` and `hubjobs run`)."""
    scheduler = Scheduler(app, clock_offset=clock_offset, poll_interval=poll_interval)
    runner = asyncio.create_task(scheduler.run(), name="hubjobs-scheduler")
    stopper = asyncio.create_task(stop_event.wait(), name="hubjobs-scheduler-stop")
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        scheduler.stop()
        stopper.cancel()
        await asyncio.gather(stopper, return_exceptions=True)
        await runner
