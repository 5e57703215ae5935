"""Middleware: code around every try of a job (worker side) and every add (producer side).

Register with `app.middleware(mw)`. Worker side, `await mw(job, call_next)` wraps each try of
every handler (async, sync and process handlers alike; it runs on the worker's event loop):
call `await call_next(job)` to run the rest of the chain and the handler, and return its result
(or raise: an exception fails the try like a handler's). Producer side, `mw.before_add(add)`
runs for each job being added, before it is stored (it may set `add.meta[...]`), and
`mw.after_add(add, error)` after the backend answered (`add.added` set) or failed (`error`).
Both run in the caller's thread for sync adds and on the loop for async ones, so they are plain
functions.

Order: middleware registered first is outermost. For a try: first.__call__ → second.__call__ →
handler → back out through second, then first. For an add: first.before_add, second.before_add,
store, second.after_add, first.after_add.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .backends.base import AddedJob
from .job import Job

CallNext = Callable[[Job], Awaitable[Any]]
"""Runs the rest of the chain and the handler for a job; returns the handler's result."""


@dataclass
class AddContext:
    """One job being added, as producer-side middleware sees it. `state` is scratch space a
    middleware may keep things in between `before_add` and `after_add` (e.g. a span)."""

    queue: str
    name: str
    job_id: str
    meta: dict[str, str]
    state: dict[str, Any] = field(default_factory=dict)
    added: AddedJob | None = None
    """What the backend answered (`created` is False for an id that existed), after storing."""


class Middleware:
    """Base class: override `__call__` (around tries), `before_add` / `after_add` (around adds),
    or both. The defaults pass through."""

    async def __call__(self, job: Job, call_next: CallNext) -> Any:
        """Around one try of `job`: call `await call_next(job)` and return its result."""
        return await call_next(job)

    def before_add(self, add: AddContext) -> None:
        """Before a job is stored (may change `add.meta`)."""

    def after_add(self, add: AddContext, error: BaseException | None) -> None:
        """After the backend stored the job (`error` None, `add.added` set) or failed (`error`)."""


class FunctionMiddleware(Middleware):
    """Worker-side middleware from an `async def fn(job, call_next)`."""

    def __init__(self, fn: Callable[[Job, CallNext], Awaitable[Any]]) -> None:
        self.fn = fn

    async def __call__(self, job: Job, call_next: CallNext) -> Any:
        """Call the function."""
        return await self.fn(job, call_next)

    def __repr__(self) -> str:
        return f"FunctionMiddleware({getattr(self.fn, '__qualname__', self.fn)!r})"


def as_middleware(value: Any) -> Middleware:
    """A Middleware instance, or an `async def (job, call_next)` wrapped as one; else TypeError."""
    if isinstance(value, Middleware):
        return value
    if isinstance(value, type) and issubclass(value, Middleware):
        raise TypeError(f"app.middleware takes an instance: {value.__name__}() rather than {value.__name__}")
    if callable(value):
        return FunctionMiddleware(value)
    raise TypeError(f"middleware must be a hubjobs.Middleware or an async function (job, call_next), "
                    f"got {value!r}")


def chain(middlewares: Sequence[Middleware], innermost: CallNext) -> CallNext:
    """`innermost` wrapped by `middlewares`, the first outermost."""
    call = innermost
    for mw in reversed(middlewares):
        call = _link(mw, call)
    return call


def _link(mw: Middleware, call_next: CallNext) -> CallNext:
    async def call(job: Job) -> Any:
        return await mw(job, call_next)

    return call


def before_add(middlewares: Sequence[Middleware], adds: Sequence[AddContext]) -> None:
    """Run every `before_add`, in registration order."""
    for add in adds:
        for mw in middlewares:
            mw.before_add(add)


def after_add(middlewares: Sequence[Middleware], adds: Sequence[AddContext], error: BaseException | None) -> None:
    """Run every `after_add`, in reverse registration order."""
    for add in adds:
        for mw in reversed(middlewares):
            mw.after_add(add, error)
