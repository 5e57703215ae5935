"""What the App registers: queue defaults, job handlers and rate limits."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from .errors import ConfigurationError, InvalidJobOptions
from .job import JobOptions

Handler = Callable[..., Any]


@dataclass(frozen=True)
class RateLimit:
    """At most `max` job starts per `period` seconds across every worker of a queue."""

    max: int
    period: float

    def __post_init__(self) -> None:
        if isinstance(self.max, bool) or not isinstance(self.max, int) or self.max < 1:
            raise InvalidJobOptions(f"rate limit max must be an integer >= 1, got {self.max!r}")
        if not self.period > 0:
            raise InvalidJobOptions(f"rate limit period must be > 0 seconds, got {self.period!r}")

    @classmethod
    def from_value(cls, value: Any) -> RateLimit | None:
        """Accept a RateLimit, (max, period), {"max", "period"} or None."""
        if value is None or isinstance(value, RateLimit):
            return value
        if isinstance(value, (tuple, list)) and len(value) == 2:
            return cls(int(value[0]), float(value[1]))
        if isinstance(value, dict):
            return cls(int(value["max"]), float(value.get("period", value.get("duration")) or 1.0))
        raise InvalidJobOptions(f"rate_limit must be (max, period_seconds), got {value!r}")


@dataclass(frozen=True)
class QueueDefaults:
    """A queue's defaults for its jobs and its shared limits."""

    options: JobOptions = field(default_factory=JobOptions)
    rate_limit: RateLimit | None = None
    concurrency: int | None = None
    """Slots per worker: most jobs of this queue one worker runs at once (None: the default,
    10), unless the worker is given its own `concurrency`."""
    global_concurrency: int | None = None
    """Opt-in cap: most jobs of this queue active at once across every worker (None: no cap)."""


@dataclass(frozen=True)
class HandlerSpec:
    """A registered handler for one job name on one queue."""

    queue: str
    name: str
    fn: Handler
    is_async: bool
    process: bool = False
    schema: type[BaseModel] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    """Options given at registration (attempts, backoff, timeout...) over the queue's defaults."""
    options_from_data: Callable[[Any], Mapping[str, Any]] | None = None
    """Per-job defaults read from the job's data (e.g. ``{"priority": data["priority"]}``),
    applied to every add of this job (Python, CLI, HTTP) for options the add itself leaves unset."""

    @property
    def import_path(self) -> str:
        """`module:qualname` used to load the handler in a child process."""
        return f"{self.fn.__module__}:{self.fn.__qualname__}"


def make_handler_spec(queue: str, name: str, fn: Handler, *, process: bool,
                      schema: type[BaseModel] | None, overrides: dict[str, Any],
                      options_from_data: Callable[[Any], Mapping[str, Any]] | None = None) -> HandlerSpec:
    """Validate and build a HandlerSpec."""
    if not callable(fn):
        raise ConfigurationError(f"handler for {queue}/{name} is not callable: {fn!r}")
    is_async = inspect.iscoroutinefunction(fn)
    if process:
        if is_async:
            raise ConfigurationError(f"handler {queue}/{name}: process=True needs a plain `def` function")
        if "<locals>" in getattr(fn, "__qualname__", "<locals>") or fn.__module__ == "__main__":
            raise ConfigurationError(
                f"handler {queue}/{name}: process=True needs a module-level function importable by name")
    if schema is not None and not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise ConfigurationError(f"handler {queue}/{name}: schema must be a pydantic BaseModel subclass")
    JobOptions().merged(**overrides)  # validate now, not at the first add
    if options_from_data is not None and not callable(options_from_data):
        raise ConfigurationError(f"handler {queue}/{name}: options_from_data must be callable")
    return HandlerSpec(queue, name, fn, is_async, process, schema, dict(overrides), options_from_data)
