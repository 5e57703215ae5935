"""Job, its options and states. A Job is a plain value: it knows nothing of storage."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, Protocol, cast

from typing_extensions import TypeVar

from .backoff import Backoff
from .errors import InvalidJobOptions, InvalidJobState
from .limits import MAX_ATTEMPTS, MAX_COUNT, MAX_PRIORITY, MIN_PRIORITY, check_int, check_seconds
from .meta import Meta, normalize_meta
from .retention import DEFAULT_KEEP_COMPLETED, DEFAULT_KEEP_FAILED, Retention


class JobState(str, enum.Enum):
    """The five states; a job is in exactly one."""

    WAITING = "waiting"
    DELAYED = "delayed"
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


ALL_STATES: tuple[JobState, ...] = tuple(JobState)


class Priority(enum.IntEnum):
    """Named priorities: a lower number runs first."""

    CRITICAL = 1
    HIGH = 3
    NORMAL = 5
    LOW = 7
    BACKGROUND = 10


DEFAULT_PRIORITY = int(Priority.NORMAL)
DEFAULT_MAX_STALLED = 1
MAX_LOG_LINES = 1000


@dataclass(frozen=True)
class JobOptions:
    """Options stored with a job; defaults come from the handler, then the queue."""

    priority: int = DEFAULT_PRIORITY
    attempts: int = 1
    backoff: Backoff | None = None
    timeout: float | None = None
    remove_on_complete: Retention = DEFAULT_KEEP_COMPLETED
    remove_on_fail: Retention = DEFAULT_KEEP_FAILED
    max_stalled: int = DEFAULT_MAX_STALLED
    meta: Meta = ()
    """The job's meta (see `hubjobs.meta`): given as a mapping, kept as sorted pairs."""

    def __post_init__(self) -> None:
        if self.meta:
            object.__setattr__(self, "meta", normalize_meta(self.meta))
        check_int(self.priority, "priority", MIN_PRIORITY, MAX_PRIORITY)
        check_int(self.attempts, "attempts", 1, MAX_ATTEMPTS)
        if self.timeout is not None:
            check_seconds(self.timeout, "timeout", positive=True)
        check_int(self.max_stalled, "max_stalled", 0, MAX_COUNT)

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored with the job (`meta` only when there is some)."""
        out = {
            "priority": self.priority,
            "attempts": self.attempts,
            "backoff": None if self.backoff is None else self.backoff.to_dict(),
            "timeout": self.timeout,
            "remove_on_complete": self.remove_on_complete.to_dict(),
            "remove_on_fail": self.remove_on_fail.to_dict(),
            "max_stalled": self.max_stalled,
        }
        if self.meta:
            out["meta"] = dict(self.meta)
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> JobOptions:
        """Inverse of `to_dict`; unknown keys are ignored."""
        return cls(
            priority=int(raw.get("priority", DEFAULT_PRIORITY)),
            attempts=int(raw.get("attempts", 1)),
            backoff=Backoff.from_value(raw.get("backoff")),
            timeout=raw.get("timeout"),
            remove_on_complete=Retention.from_value(raw.get("remove_on_complete", DEFAULT_KEEP_COMPLETED)),
            remove_on_fail=Retention.from_value(raw.get("remove_on_fail", DEFAULT_KEEP_FAILED)),
            max_stalled=int(raw.get("max_stalled", DEFAULT_MAX_STALLED)),
            meta=normalize_meta(raw.get("meta")),
        )

    def merged(self, **overrides: Any) -> JobOptions:
        """A copy with the given non-None fields replaced (values normalised)."""
        clean: dict[str, Any] = {}
        for key, value in overrides.items():
            if value is None:
                continue
            try:
                if key == "backoff":
                    value = Backoff.from_value(value)
                elif key in ("remove_on_complete", "remove_on_fail"):
                    value = Retention.from_value(value)
                elif key == "timeout":
                    value = check_seconds(value, "timeout", positive=True)
                elif key == "meta":
                    value = normalize_meta(value)
            except InvalidJobOptions as exc:
                if exc.field is not None and exc.field.startswith(key):
                    raise
                raise InvalidJobOptions(f"{key}: {exc}", field=key) from None
            clean[key] = value
        return replace(self, **clean)


@dataclass(frozen=True)
class TryError:
    """The error of one failed try."""

    attempt: int
    message: str
    stacktrace: str
    at: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"attempt": self.attempt, "message": self.message, "stacktrace": self.stacktrace, "at": self.at}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TryError:
        """Inverse of `to_dict`."""
        return cls(int(raw.get("attempt", 0)), str(raw.get("message", "")), str(raw.get("stacktrace", "")),
                   float(raw.get("at", 0.0)))


class JobReporter(Protocol):
    """What a running job reports through: implemented by the worker, never by storage."""

    async def report_progress(self, job: Job, progress: float | dict[str, Any]) -> None:
        """Store progress for a running job."""

    async def report_log(self, job: Job, line: str) -> None:
        """Append a log line for a running job."""

    def call_sync(self, make: Callable[[], Awaitable[None]]) -> None:
        """Run an awaitable made by `make` from a handler thread and wait for it."""


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc)


if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T", default=Any)
"""The type of a job's data: `Any` (the stored JSON) unless its handler declares a schema."""

_NO_MODEL: Any = object()


@dataclass
class Job(Generic[T]):
    """One job: its identity, data, state and outcome. Times are epoch seconds (`*_ts`)
    with datetime properties (`created_at`, ...).

    `data` is the stored JSON, or for a handler declared with `schema=` (and the Job a typed
    task's `enqueue` returns) the validated model instance: `Job[Greet]` reads `job.data.who`.
    `raw_data` is always the stored JSON."""

    id: str
    queue: str
    name: str
    data: T
    state: JobState
    options: JobOptions = field(default_factory=JobOptions)
    attempts_made: int = 0
    stalled_count: int = 0
    progress: float | dict[str, Any] | None = None
    result: Any = None
    failed_reason: str | None = None
    errors: list[TryError] = field(default_factory=list)
    created_ts: float = 0.0
    run_at_ts: float | None = None
    started_ts: float | None = None
    finished_ts: float | None = None
    worker_id: str | None = None
    cancel_requested: bool = False
    _reporter: JobReporter | None = field(default=None, repr=False, compare=False)
    _stored_data: Any = field(default=_NO_MODEL, repr=False, compare=False)
    _source: Any = field(default=None, repr=False, compare=False)
    """The Queue that returned this job (for `wait` / `await_result`); None for other jobs."""

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the job finishes: its result, or JobFailed carrying the error; ResultTimeout
        after `timeout` seconds, leaving the job untouched. Fed by the queue's event stream (see
        `hubjobs.results`); works on the Job that `add`, `get` and a task's `enqueue` return."""
        from .results import await_outcome

        source = self._waitable()
        return source.app.portal.call(await_outcome(source, self.id, timeout))

    async def await_result(self, timeout: float | None = None) -> Any:
        """Async twin of `wait`."""
        from .results import await_outcome

        return await await_outcome(self._waitable(), self.id, timeout)

    def _waitable(self) -> Any:
        if self._source is None:
            raise InvalidJobState(f"job {self.id!r} was not returned by a queue (add, get or enqueue): "
                                  f"use app.queue({self.queue!r}).get(id) to wait for it")
        return self._source

    @property
    def meta(self) -> dict[str, str]:
        """The job's meta: a small string map set when it was added (and by middleware)."""
        return dict(self.options.meta)

    @property
    def raw_data(self) -> Any:
        """The job's data as stored (JSON), also when `data` is a validated model."""
        return self.data if self._stored_data is _NO_MODEL else self._stored_data

    def with_model(self, schema: type[BaseModel]) -> Job[Any]:
        """Make `data` an instance of `schema` validated from the stored JSON (in place); returns
        the job. Raises InvalidJobData naming the field when the stored data does not fit."""
        from .payload import validate_model

        raw = self.raw_data
        self.data = cast(T, validate_model(schema, raw, job_name=self.name))
        self._stored_data = raw
        return self

    @contextmanager
    def validated(self, schema: type[BaseModel]) -> Iterator[Job[Any]]:
        """`data` as an instance of `schema` inside the block (while a handler runs), the stored
        JSON again after it: events and outcomes always carry JSON."""
        self.with_model(schema)
        try:
            yield self
        finally:
            self.data = self._stored_data
            self._stored_data = _NO_MODEL

    @property
    def priority(self) -> int:
        """Lower runs first."""
        return self.options.priority

    @property
    def max_attempts(self) -> int:
        """Total number of tries allowed."""
        return self.options.attempts

    @property
    def created_at(self) -> datetime:
        """When the job was added (UTC)."""
        return datetime.fromtimestamp(self.created_ts, tz=timezone.utc)

    @property
    def run_at(self) -> datetime | None:
        """When a delayed job becomes due (UTC)."""
        return _dt(self.run_at_ts)

    @property
    def started_at(self) -> datetime | None:
        """When the latest try started (UTC)."""
        return _dt(self.started_ts)

    @property
    def finished_at(self) -> datetime | None:
        """When the job completed or failed for good (UTC)."""
        return _dt(self.finished_ts)

    @property
    def stacktraces(self) -> list[str]:
        """Stack trace of each failed try, oldest first."""
        return [e.stacktrace for e in self.errors]

    @property
    def cancelled(self) -> bool:
        """True once an admin asked to cancel this running job (cooperative)."""
        return self.cancel_requested

    def bind(self, reporter: JobReporter | None) -> Job:
        """Attach the reporter a running handler uses for progress and logs."""
        self._reporter = reporter
        return self

    async def aupdate_progress(self, progress: float | dict[str, Any]) -> None:
        """Set progress (0-100 or a JSON object) from an async handler."""
        progress = _check_progress(progress)
        self.progress = progress
        if self._reporter is not None:
            await self._reporter.report_progress(self, progress)

    async def alog(self, line: str) -> None:
        """Append a timestamped log line from an async handler."""
        if self._reporter is not None:
            await self._reporter.report_log(self, str(line))

    def update_progress(self, progress: float | dict[str, Any]) -> Awaitable[None] | None:
        """Set progress. From a thread or process handler it blocks until stored; from an
        async handler it returns an awaitable (await it, or it is stored in the background)."""
        progress = _check_progress(progress)
        self.progress = progress
        return self._dispatch(lambda r: r.report_progress(self, progress))

    def log(self, line: str) -> Awaitable[None] | None:
        """Append a log line; same calling rules as `update_progress`."""
        text = str(line)
        return self._dispatch(lambda r: r.report_log(self, text))

    def _dispatch(self, make: Callable[[JobReporter], Awaitable[None]]) -> Awaitable[None] | None:
        reporter = self._reporter
        if reporter is None:
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            reporter.call_sync(lambda: make(reporter))
            return None
        return asyncio.ensure_future(make(reporter))

    def summary(self) -> dict[str, Any]:
        """A JSON-ready view of the job (for CLI and API output)."""
        return {
            "id": self.id,
            "queue": self.queue,
            "name": self.name,
            "data": self.raw_data,
            "state": self.state.value,
            "priority": self.priority,
            "attempts_made": self.attempts_made,
            "max_attempts": self.max_attempts,
            "stalled_count": self.stalled_count,
            "progress": self.progress,
            "result": self.result,
            "failed_reason": self.failed_reason,
            "errors": [e.to_dict() for e in self.errors],
            "created_at": self.created_ts,
            "run_at": self.run_at_ts,
            "started_at": self.started_ts,
            "finished_at": self.finished_ts,
            "worker_id": self.worker_id,
            "meta": dict(self.options.meta),
            "options": self.options.to_dict(),
        }


def _check_progress(progress: Any) -> float | dict[str, Any]:
    if isinstance(progress, bool):
        raise InvalidJobOptions(f"progress must be a number 0-100 or a JSON object, got {progress!r}")
    if isinstance(progress, (int, float)):
        if not 0 <= progress <= 100:
            raise InvalidJobOptions(f"progress must be between 0 and 100, got {progress!r}")
        return float(progress)
    if isinstance(progress, dict):
        return progress
    raise InvalidJobOptions(f"progress must be a number 0-100 or a JSON object, got {progress!r}")
