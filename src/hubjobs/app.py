"""App: the registry of queues, handlers, backoff strategies and schedules, and the way to storage."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, overload

from pydantic import BaseModel

from .backends.base import Backend, SyncBackend
from .backends.registry import create_backend, create_sync_backend, resolve_url
from .backoff import CustomStrategy
from .errors import ConfigurationError, UnknownQueue
from .job import Job, JobOptions
from .middleware import Middleware, as_middleware
from .payload import PayloadLimits
from .portal import Portal
from .queue import Queue
from .registry import Handler, HandlerSpec, QueueDefaults, RateLimit, make_handler_spec
from .scheduling.declare import build_schedule, check_redeclaration
from .scheduling.spec import DEFAULT_MAX_LATENESS, ScheduleSpec
from .task import Task

if TYPE_CHECKING:
    from .worker import Worker

P = ParamSpec("P")
SM = TypeVar("SM", bound=BaseModel)
R = TypeVar("R")

_QUEUE_LIMIT_KEYS = ("rate_limit", "concurrency", "global_concurrency")


class App:
    """One job system: a backend URL plus the queues, handlers and schedules declared on it.

    `App(url)` uses the URL, else `HUBJOBS_URL`, else `sqlite:///./hubjobs.db`.
    """

    def __init__(self, url: str | None = None, *, payload_limits: PayloadLimits | None = None) -> None:
        self.url = resolve_url(url)
        if self.url.rstrip("/").lower() == "memory:":  # each App its own in-memory database
            self.url = f"memory://app-{uuid.uuid4().hex}"
        create_backend(self.url)  # validate the URL's scheme now
        self.payload_limits = payload_limits or PayloadLimits()
        self.queues: dict[str, Queue] = {}
        self.handlers: dict[tuple[str, str], HandlerSpec] = {}
        self.backoff_strategies: dict[str, CustomStrategy] = {}
        self.schedules: dict[str, Any] = {}
        self._backends: dict[int, tuple[asyncio.AbstractEventLoop, Backend | asyncio.Future[Backend]]] = {}
        self._lock = threading.Lock()
        self._portal: Portal | None = None
        self._sync: SyncBackend | None = None
        self._sync_checked = False
        self._sync_pid = 0
        """The process that opened `_sync`: a forked child (a pre-forking web server) opens its own."""
        self.worker_hooks: list[Callable[[Worker], None]] = []
        self.middlewares: list[Middleware] = []
        self.admin_settings: Any = None
        """An `hubjobs.admin.settings.AdminSettings` the dashboard uses when none is given (so
        `hubjobs --app your.module:app dashboard` picks up your extensions)."""

    def __repr__(self) -> str:
        return f"App({self.url!r})"

    # ------------------------------------------------------------ declaring

    def queue(self, name: str, **defaults: Any) -> Queue:
        """The queue `name`, declaring or updating its defaults: attempts, backoff, priority,
        timeout, remove_on_complete, remove_on_fail, max_stalled, rate_limit, concurrency (slots
        per worker), global_concurrency (a cap across every worker)."""
        if not isinstance(name, str) or not name or any(ch in name for ch in "{}/\\\n\r\t "):
            raise ConfigurationError(f"queue name must be a non-empty string without braces, slashes or spaces, "
                                     f"got {name!r}")
        existing = self.queues.get(name)
        if existing is not None and not defaults:
            return existing
        unknown = set(defaults) - set(JobOptions.__dataclass_fields__) - set(_QUEUE_LIMIT_KEYS)
        if unknown:
            raise ConfigurationError(f"queue {name!r}: unknown default(s) {sorted(unknown)}")
        base = existing.defaults if existing is not None else QueueDefaults()
        option_values = {k: v for k, v in defaults.items() if k not in _QUEUE_LIMIT_KEYS}
        concurrency = defaults.get("concurrency", base.concurrency)
        global_concurrency = defaults.get("global_concurrency", base.global_concurrency)
        for key, value in (("concurrency", concurrency), ("global_concurrency", global_concurrency)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigurationError(f"queue {name!r}: {key} must be an integer >= 1, got {value!r}")
        qd = QueueDefaults(
            options=base.options.merged(**option_values),
            rate_limit=RateLimit.from_value(defaults["rate_limit"]) if "rate_limit" in defaults else base.rate_limit,
            concurrency=concurrency,
            global_concurrency=global_concurrency,
        )
        if existing is not None:
            existing.defaults = qd
            return existing
        q = Queue(self, name, qd)
        self.queues[name] = q
        return q

    def queue_defaults(self, name: str) -> QueueDefaults:
        """The defaults and limits of a declared queue (UnknownQueue naming it otherwise)."""
        return self.get_queue(name).defaults

    def get_queue(self, name: str) -> Queue:
        """A declared queue, or UnknownQueue naming it."""
        try:
            return self.queues[name]
        except KeyError:
            known = ", ".join(sorted(self.queues)) or "none declared"
            raise UnknownQueue(f"unknown queue {name!r} (known: {known})") from None

    @overload
    def job(self, queue: str, name: str | None = None, *, process: Literal[False] = False,
            schema: Callable[P, SM], options_from_data: Callable[[Any], Mapping[str, Any]] | None = None,
            **options: Any) -> Callable[[Callable[[Job[SM]], R]], Task[P, SM, R]]: ...

    @overload
    def job(self, queue: str, name: str | None = None, *, process: Literal[True],
            schema: Callable[P, SM], options_from_data: Callable[[Any], Mapping[str, Any]] | None = None,
            **options: Any) -> Callable[[Callable[[Any], R]], Task[P, SM, R]]: ...

    @overload
    def job(self, queue: str, name: str | None = None, *, process: bool,
            schema: Callable[P, SM], options_from_data: Callable[[Any], Mapping[str, Any]] | None = None,
            **options: Any) -> Callable[[Callable[[Any], R]], Task[P, SM, R]]: ...

    @overload
    def job(self, queue: str, name: str | None = None, *, process: bool = False,
            schema: None = None, options_from_data: Callable[[Any], Mapping[str, Any]] | None = None,
            **options: Any) -> Callable[[Callable[..., R]], Task[..., Any, R]]: ...

    def job(self, queue: str, name: str | None = None, *, process: bool = False,
            schema: Any = None, options_from_data: Callable[[Any], Mapping[str, Any]] | None = None,
            **options: Any) -> Callable[[Callable[..., Any]], Task[Any, Any, Any]]:
        """Register the decorated function as the handler of job `name` (default: the function's
        name) on `queue`. Options: attempts, backoff, priority, timeout, remove_on_complete,
        remove_on_fail, max_stalled; `process=True` runs it in a child process; `schema` is a
        pydantic model checked when a job is added, and the handler's `job.data` is an instance of it;
        `options_from_data(data)` returns add options (e.g. ``{"priority": 3}``) used whenever an
        add, from any producer (Python, CLI, HTTP), leaves them unset.

        Returns a `Task`: calling it calls the function; `task.enqueue(...)` / `aenqueue(...)` add
        jobs typed by the schema (the model, or its fields as keyword arguments)."""
        unknown = set(options) - set(JobOptions.__dataclass_fields__)
        if unknown:
            raise ConfigurationError(f"job options unknown: {sorted(unknown)}")

        def register(fn: Callable[..., Any]) -> Task[Any, Any, Any]:
            handler = fn.fn if isinstance(fn, Task) else fn
            job_name = name or handler.__name__
            self.queue(queue)
            self.handlers[(queue, job_name)] = make_handler_spec(
                queue, job_name, handler, process=process, schema=schema, overrides=options,
                options_from_data=options_from_data)
            return Task(self, queue, job_name, handler, schema)

        return register

    def add_handler(self, queue: str, name: str, fn: Handler, **kwargs: Any) -> Task[..., Any, Any]:
        """Non-decorator form of `job`; returns the Task."""
        register: Callable[[Handler], Task[..., Any, Any]] = self.job(queue, name, **kwargs)
        return register(fn)

    def job_names(self, queue: str) -> set[str]:
        """Job names with a handler on `queue`."""
        return {n for (q, n) in self.handlers if q == queue}

    def middleware(self, mw: Any) -> Any:
        """Add middleware around every try and every add (see `hubjobs.middleware` for the
        order): a `hubjobs.Middleware` instance or an `async def (job, call_next)`. Returns it,
        so it also works as a decorator."""
        self.middlewares.append(as_middleware(mw))
        return mw

    def backoff_strategy(self, name: str) -> Callable[[CustomStrategy], CustomStrategy]:
        """Register a named backoff strategy: fn(attempt) -> seconds."""
        def register(fn: CustomStrategy) -> CustomStrategy:
            self.backoff_strategies[name] = fn
            return fn

        return register

    def schedule(self, id: str, *, queue: str, name: str, data: Any = None, cron: str | None = None,
                 every: timedelta | float | None = None, tz: str = "UTC", catch_up: str = "one",
                 max_lateness: timedelta | float = DEFAULT_MAX_LATENESS, **job_options: Any) -> ScheduleSpec:
        """Declare schedule `id`: add job `name` with `data` to `queue` at every tick.

        Give `cron` (5 fields, or 6 with seconds first, in time zone `tz`) or `every` (a timedelta
        or seconds). `catch_up` is "one" (default: one run after downtime if the newest missed tick
        is within `max_lateness`), "all" or "none". `job_options`: priority, attempts, backoff,
        timeout, remove_on_complete, remove_on_fail, max_stalled. A scheduler stores it in the
        backend when it starts. Raises ScheduleError naming a bad cron expression, time zone or
        option. See `hubjobs.scheduler`."""
        spec = build_schedule(id, queue=queue, name=name, data=data, cron=cron, every=every, tz=tz,
                              catch_up=catch_up, max_lateness=max_lateness, job_options=job_options)
        check_redeclaration(self.schedules, spec)
        self.schedules[spec.id] = spec
        return spec

    def remove_schedule(self, id: str) -> bool:
        """Forget schedule `id` here and in the backend (running schedulers stop it at their next
        step); True if it was declared or stored. Async code: `hubjobs.scheduling.store.remove_schedule`."""
        from .scheduling.store import remove_schedule

        return self.portal.call(remove_schedule(self, id))

    # ------------------------------------------------------------ storage

    async def backend(self) -> Backend:
        """The opened backend for the running event loop (one per loop, opened once even when
        several tasks ask at the same time)."""
        loop = asyncio.get_running_loop()
        key = id(loop)
        entry = self._backends.get(key)
        if entry is not None and entry[0] is loop:
            if isinstance(entry[1], Backend):
                return entry[1]
            return await asyncio.shield(entry[1])
        with self._lock:
            for k, (lp, _b) in list(self._backends.items()):
                if lp.is_closed():
                    del self._backends[k]
        opening: asyncio.Future[Backend] = loop.create_future()
        self._backends[key] = (loop, opening)
        try:
            backend = create_backend(self.url)
            await backend.open()
        except BaseException as exc:
            del self._backends[key]
            opening.set_exception(exc)
            opening.exception()  # mark retrieved: waiters re-raise it
            raise
        self._backends[key] = (loop, backend)
        opening.set_result(backend)
        return backend

    async def aclose(self) -> None:
        """Close the backend of the running loop."""
        loop = asyncio.get_running_loop()
        entry = self._backends.pop(id(loop), None)
        if entry is not None and isinstance(entry[1], Backend):
            await entry[1].close()

    @property
    def portal(self) -> Portal:
        """The background loop the sync API runs on (started on first use)."""
        with self._lock:
            if self._portal is None:
                self._portal = Portal()
            return self._portal

    def sync_backend(self) -> SyncBackend | None:
        """The opened sync twin of the backend, which sync calls use from their own thread (one
        per App and process, shared by every thread, opened once); None for a backend without one.
        A process forked after it was opened (gunicorn --preload, multiprocessing) gets a twin of
        its own: the parent's connections are left to the parent."""
        if self._sync_checked and self._sync_pid == os.getpid():
            return self._sync
        with self._lock:
            if not self._sync_checked or self._sync_pid != os.getpid():
                twin = create_sync_backend(self.url)
                if twin is not None:
                    twin.open()
                self._sync, self._sync_checked, self._sync_pid = twin, True, os.getpid()
        return self._sync

    def close(self) -> None:
        """Close the sync backend, the sync portal and the portal's backend."""
        with self._lock:
            twin, self._sync, self._sync_checked = self._sync, None, False
        if twin is not None and self._sync_pid == os.getpid():
            twin.close()
        if self._portal is not None:
            try:
                self._portal.call(self.aclose(), timeout=10)
            finally:
                self._portal.close()
                self._portal = None

    # ------------------------------------------------------------ running

    def worker(self, queues: Sequence[str] | str | None = None, *, concurrency: int | None = None,
               lease: float = 30.0, grace: float = 30.0, **kwargs: Any) -> Worker:
        """A Worker for `queues` (default: every queue with a handler)."""
        from .worker import Worker

        if isinstance(queues, str):
            queues = [queues]
        names = list(queues) if queues else sorted({q for (q, _n) in self.handlers})
        if not names:
            raise ConfigurationError("no queues to work on: register handlers with @app.job first")
        for q in names:
            self.get_queue(q)
        worker = Worker(self, names, concurrency=concurrency, lease=lease, grace=grace, **kwargs)
        for hook in self.worker_hooks:
            hook(worker)
        return worker

    def on_worker(self, hook: Callable[[Worker], None]) -> Callable[[Worker], None]:
        """Call `hook(worker)` for every worker this App creates (to attach event listeners
        such as dead-letter recording), whichever command or code creates it."""
        self.worker_hooks.append(hook)
        return hook
