"""EventHub: follows every queue's cross-process event stream and feeds live pages (SSE),
throughput series and metrics counters.

One follower per admin app and event loop, on a backend connection of its own (so it never
slows the workers of a process that also runs them). On first start it reads each stream from
its beginning (the stream keeps roughly the newest 10,000 events per queue) to fill counters and
throughput history, then passes new events to subscribers. Waiting for new events:

- backends whose `wait_for_jobs` polls locally (`blocking_wait=False`, SQLite) are followed in one
  loop that sleeps in `wait_for_jobs` over all queues, which wakes on any commit;
- backends that block on the server (Redis, PostgreSQL) are followed by one task per queue using
  blocking `read_events`, which consumes nothing meant for workers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..backends.base import Backend, QueueEvent, ReadEvents, WaitForJobs
from ..backends.registry import create_backend
from .metrics import JobMetrics

if TYPE_CHECKING:
    from ..app import App
    from .service import AdminService

log = logging.getLogger("hubjobs.admin.live")

FOLLOW_BATCH = 500
IDLE_WAIT = 1.0
BLOCKING_READ = 2.0
QUEUE_REFRESH = 5.0
ERROR_BACKOFF = 1.0
MAX_PENDING_STARTS = 100_000
SUBSCRIBER_BUFFER = 1000
THROUGHPUT_MINUTES = 24 * 60
MAX_EVENT_TEXT = 300
LIVE_MARGIN = 10.0
"""While catching up after start, events stamped less than this many seconds before the start
still go to subscribers (a client that connected first must not miss them; clocks may differ)."""


@dataclass(frozen=True)
class LiveEvent:
    """A stream event as subscribers receive it (long texts in `data` shortened)."""

    queue: str
    event: str
    job_id: str | None
    at: float
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """JSON form sent over SSE."""
        return {"queue": self.queue, "event": self.event, "job_id": self.job_id, "at": self.at, "data": self.data}


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_EVENT_TEXT:
        return value[:MAX_EVENT_TEXT] + "…"
    if isinstance(value, dict):
        return {str(k): _shorten(v) for k, v in list(value.items())[:50]}
    if isinstance(value, list):
        return [_shorten(v) for v in value[:100]]
    return value


class Subscription:
    """One listener's buffer of live events (for one SSE connection)."""

    def __init__(self, queues: frozenset[str] | None) -> None:
        self.queues = queues
        self.lagged = False
        self.closed = False
        self._items: asyncio.Queue[LiveEvent | None] = asyncio.Queue(SUBSCRIBER_BUFFER)

    def wants(self, queue: str) -> bool:
        """True if this listener follows `queue`."""
        return self.queues is None or queue in self.queues

    def offer(self, event: LiveEvent) -> None:
        """Queue an event; a full buffer drops it and marks the listener as lagged."""
        try:
            self._items.put_nowait(event)
        except asyncio.QueueFull:
            self.lagged = True

    def close(self) -> None:
        """End the subscription (the hub is shutting down)."""
        self.closed = True
        try:
            self._items.put_nowait(None)
        except asyncio.QueueFull:
            pass

    async def next(self, timeout: float) -> LiveEvent | None:
        """The next event, or None after `timeout` seconds or once closed."""
        if self.closed:
            return None
        try:
            return await asyncio.wait_for(self._items.get(), timeout)
        except TimeoutError:
            return None


@dataclass
class MinuteCounts:
    """Events of one queue in one minute."""

    started: int = 0
    completed: int = 0
    failed: int = 0
    retried: int = 0

    def to_dict(self) -> dict[str, int]:
        """JSON form."""
        return {"started": self.started, "completed": self.completed, "failed": self.failed,
                "retried": self.retried}


_FIELD_OF_EVENT = {"active": "started", "completed": "completed", "failed": "failed", "retrying": "retried"}


@dataclass
class Throughput:
    """Per-minute counts of started / completed / failed / retried tries, per queue."""

    minutes: int = THROUGHPUT_MINUTES
    _series: dict[str, dict[int, MinuteCounts]] = field(default_factory=dict)

    def record(self, queue: str, event: str, at: float) -> None:
        """Count an event in its minute."""
        name = _FIELD_OF_EVENT.get(event)
        if name is None:
            return
        minute = int(at // 60)
        series = self._series.setdefault(queue, {})
        counts = series.get(minute)
        if counts is None:
            counts = series[minute] = MinuteCounts()
            oldest = minute - self.minutes
            for stale in [m for m in series if m <= oldest]:
                del series[stale]
        setattr(counts, name, getattr(counts, name) + 1)

    def series(self, queue: str, minutes: int, now: float | None = None) -> list[tuple[int, MinuteCounts]]:
        """The last `minutes` minutes, oldest first, as (minute start epoch, counts)."""
        last = int((now if now is not None else time.time()) // 60)
        data = self._series.get(queue, {})
        return [(m * 60, data.get(m, MinuteCounts())) for m in range(last - minutes + 1, last + 1)]


class EventHub:
    """Follows the event streams of every queue; see the module docstring."""

    def __init__(self, app: App, service: AdminService, metrics: JobMetrics) -> None:
        self.app = app
        self.service = service
        self.metrics = metrics
        self.throughput = Throughput()
        self._subscribers: set[Subscription] = set()
        self._starts: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._positions: dict[str, str] = {}
        self._caught_up: set[str] = set()
        self._names: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self._backend: Backend | None = None
        self._started_at = 0.0

    # ------------------------------------------------------------ lifecycle

    def ensure_started(self) -> None:
        """Start following on the running loop (idempotent)."""
        loop = asyncio.get_running_loop()
        if self._task is not None and self._loop is loop and not self._task.done():
            return
        self._loop = loop
        self._started_at = time.time()
        self._ready = asyncio.Event()
        self._task = loop.create_task(self._run(), name="hubjobs-admin-events")

    async def wait_ready(self, timeout: float) -> bool:
        """Wait until every queue's stream has been read to its end once; False on timeout."""
        self.ensure_started()
        assert self._ready is not None
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def aclose(self) -> None:
        """Stop following and end every subscription."""
        for sub in list(self._subscribers):
            sub.close()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # ------------------------------------------------------------ subscribers

    def subscribe(self, queues: Sequence[str] | None = None) -> Subscription:
        """A new listener of live events (of some queues, or all)."""
        self.ensure_started()
        sub = Subscription(frozenset(queues) if queues else None)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a listener."""
        self._subscribers.discard(sub)

    @property
    def subscriber_count(self) -> int:
        """Listeners connected now."""
        return len(self._subscribers)

    # ------------------------------------------------------------ following

    async def _run(self) -> None:
        backend = create_backend(self.app.url)
        while True:
            try:
                await backend.open()
                break
            except Exception as exc:  # noqa: BLE001 - keep following after any backend error
                log.warning("event follower cannot open the backend: %s", exc)
                await asyncio.sleep(ERROR_BACKOFF)
        self._backend = backend
        try:
            if backend.capabilities.blocking_wait:
                await self._follow_each(backend)
            else:
                await self._follow_all(backend)
        finally:
            self._backend = None
            await backend.close()

    async def _queue_names(self) -> list[str]:
        try:
            self._names = await self.service.queue_names()
        except Exception as exc:  # noqa: BLE001 - fall back to the declared queues
            log.warning("event follower cannot list queues: %s", exc)
            self._names = sorted(self.app.queues)
        return self._names

    async def _follow_all(self, backend: Backend) -> None:
        names: list[str] = []
        refresh_at = 0.0
        while True:
            if time.monotonic() >= refresh_at:
                names = await self._queue_names()
                refresh_at = time.monotonic() + QUEUE_REFRESH
            got_any = False
            try:
                for name in names:
                    got_any = await self._read(backend, name, 0.0) or got_any
                self._mark_ready()
                if not got_any:
                    await backend.wait_for_jobs(WaitForJobs(names, IDLE_WAIT))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep following after any backend error
                log.warning("event follower: %s", exc)
                await asyncio.sleep(ERROR_BACKOFF)

    async def _follow_each(self, backend: Backend) -> None:
        tasks: dict[str, asyncio.Task[None]] = {}
        try:
            while True:
                names = await self._queue_names()
                for name in names:
                    if name not in tasks or tasks[name].done():
                        tasks[name] = asyncio.create_task(self._follow_one(backend, name))
                self._mark_ready()
                await asyncio.sleep(QUEUE_REFRESH)
        finally:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)

    async def _follow_one(self, backend: Backend, name: str) -> None:
        while True:
            try:
                block = BLOCKING_READ if name in self._caught_up else 0.0
                await self._read(backend, name, block)
                self._mark_ready()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep following after any backend error
                log.warning("event follower on %s: %s", name, exc)
                await asyncio.sleep(ERROR_BACKOFF)

    async def _read(self, backend: Backend, name: str, block: float) -> bool:
        """Read one batch of `name`'s stream; True if it held events."""
        events = await backend.read_events(ReadEvents(name, self._positions.get(name, "0"), FOLLOW_BATCH, block))
        live = name in self._caught_up
        recent = self._started_at - LIVE_MARGIN
        if events:
            self._positions[name] = events[-1].id
            for event in events:
                self._handle(event, live or event.at >= recent)
        if len(events) < FOLLOW_BATCH:
            self._caught_up.add(name)
        return bool(events)

    def _mark_ready(self) -> None:
        if self._ready is not None and not self._ready.is_set() and all(n in self._caught_up for n in self._names):
            self._ready.set()

    def _handle(self, event: QueueEvent, live: bool) -> None:
        duration = None
        if event.job_id is not None:
            key = (event.queue, event.job_id)
            if event.event == "active":
                self._starts[key] = event.at
                self._starts.move_to_end(key)
                if len(self._starts) > MAX_PENDING_STARTS:
                    self._starts.popitem(last=False)
            elif event.event in ("completed", "failed", "retrying"):
                started = self._starts.pop(key, None)
                duration = None if started is None else event.at - started
        self.metrics.observe(event.queue, event.event, duration)
        self.throughput.record(event.queue, event.event, event.at)
        if live and self._subscribers:
            item = LiveEvent(event.queue, event.event, event.job_id, event.at, _shorten(dict(event.data)))
            for sub in list(self._subscribers):
                if sub.wants(event.queue):
                    sub.offer(item)
