"""Task: what `@app.job(...)` returns. Still the handler (calling it calls the function), plus typed
producers: `task.enqueue(...)` / `await task.aenqueue(...)` take the handler's pydantic model (or its
fields as keyword arguments), so a type checker flags a wrong field in a producer's call."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypedDict, Unpack, overload

from pydantic import BaseModel
from typing_extensions import TypeVar

from .errors import InvalidJobOptions
from .job import Job
from .payload import validate_model

if TYPE_CHECKING:
    from .app import App
    from .queue import Queue

P = ParamSpec("P")
"""The schema's fields as keyword arguments (pydantic models declare them to type checkers)."""
M = TypeVar("M", default=Any)
"""The handler's data type: its schema model, or Any for an untyped handler."""
R = TypeVar("R", default=Any)
"""What the handler returns."""


class EnqueueOptions(TypedDict, total=False):
    """Job options a producer may give with the data (see `Queue.aadd`)."""

    priority: int
    job_id: str
    delay: float | timedelta
    run_at: datetime
    attempts: int
    backoff: Any
    timeout: float
    remove_on_complete: Any
    remove_on_fail: Any
    max_stalled: int
    connection: Any


OPTION_NAMES = frozenset(EnqueueOptions.__annotations__)


class Task(Generic[P, M, R]):
    """A registered handler with typed producers.

    `task(job)` runs the handler (so code that called the decorated function keeps working);
    `task.enqueue(Greet(who="x"), priority=3)` or `task.enqueue(who="x")` adds a job to its queue
    and returns the `Job[Greet]`; `task.options(priority=3).enqueue(who="x")` combines options
    with fields. `aenqueue` is the async twin."""

    def __init__(self, app: App, queue: str, name: str, fn: Callable[..., R],
                 schema: type[BaseModel] | None, options: EnqueueOptions | None = None) -> None:
        self.app = app
        self.queue_name = queue
        self.name = name
        self.fn = fn
        self.schema = schema
        self._options: EnqueueOptions = options or {}
        functools.update_wrapper(self, fn)

    def __repr__(self) -> str:
        return f"Task({self.queue_name!r}, {self.name!r})"

    def __call__(self, job: Job[M]) -> R:
        """Run the handler on `job` (in a child process the data arrives as JSON: it is validated
        into the schema here, the JSON kept as `raw_data`)."""
        if self.schema is not None and not isinstance(job, Job):
            _validate_child_job(job, self.schema, self.name)
        return self.fn(job)

    @property
    def queue(self) -> Queue:
        """The queue this task's jobs go to."""
        return self.app.queue(self.queue_name)

    def options(self, **options: Unpack[EnqueueOptions]) -> Task[P, M, R]:
        """The same task with job options preset: `task.options(delay=60).enqueue(who="x")`."""
        unknown = set(options) - OPTION_NAMES
        if unknown:
            raise InvalidJobOptions(f"unknown job option(s) {sorted(unknown)}; use {sorted(OPTION_NAMES)}")
        merged: EnqueueOptions = {**self._options, **options}
        return Task(self.app, self.queue_name, self.name, self.fn, self.schema, merged)

    def _split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """(data, options) from a call: a model or data positionally, or the model's fields."""
        if len(args) > 1:
            raise InvalidJobOptions(f"{self.name}.enqueue takes the data (or its fields as keywords), "
                                    f"got {len(args)} positional arguments")
        fields = set(self.schema.model_fields) if self.schema is not None else set()
        options: dict[str, Any] = dict(self._options)
        rest: dict[str, Any] = {}
        for key, value in kwargs.items():
            (options if key in OPTION_NAMES and key not in fields else rest)[key] = value
        if args:
            if rest:
                raise InvalidJobOptions(f"{self.name}.enqueue: give the data or its fields, not both "
                                        f"(unknown option(s) {sorted(rest)})")
            return args[0], options
        if self.schema is None:
            return (rest or None), options
        return validate_model(self.schema, rest, job_name=self.name), options

    def _typed(self, job: Job[Any]) -> Job[M]:
        return job.with_model(self.schema) if self.schema is not None else job

    @overload
    def enqueue(self, data: M, /, **options: Unpack[EnqueueOptions]) -> Job[M]: ...

    @overload
    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> Job[M]: ...

    def enqueue(self, *args: Any, **kwargs: Any) -> Job[M]:
        """Add a job (sync; usable without an event loop): the model instance plus job options, or
        the model's fields as keyword arguments. Returns the Job, its `data` the model."""
        data, options = self._split(args, kwargs)
        return self._typed(self.queue.add(self.name, data, **options))

    @overload
    async def aenqueue(self, data: M, /, **options: Unpack[EnqueueOptions]) -> Job[M]: ...

    @overload
    async def aenqueue(self, *args: P.args, **kwargs: P.kwargs) -> Job[M]: ...

    async def aenqueue(self, *args: Any, **kwargs: Any) -> Job[M]:
        """Async twin of `enqueue`."""
        data, options = self._split(args, kwargs)
        return self._typed(await self.queue.aadd(self.name, data, **options))


def _validate_child_job(job: Any, schema: type[BaseModel], name: str) -> None:
    """A process handler's job (JSON data from the pipe) given its model, keeping the JSON."""
    if not isinstance(job.data, schema):
        job.raw_data = job.data
        job.data = validate_model(schema, job.data, job_name=name)
