"""The narrow objects a worker is given instead of the App: where handlers and queue defaults
are registered, and where the backend comes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from ..backends.base import Backend
from ..backoff import CustomStrategy
from ..middleware import Middleware
from ..registry import HandlerSpec, QueueDefaults


class HandlerRegistry(Protocol):
    """Handlers by (queue, name), named backoff strategies and queue defaults."""

    @property
    def handlers(self) -> Mapping[tuple[str, str], HandlerSpec]:
        """Registered handlers by (queue, job name)."""

    @property
    def backoff_strategies(self) -> Mapping[str, CustomStrategy]:
        """Named custom backoff strategies."""

    @property
    def middlewares(self) -> Sequence[Middleware]:
        """Middleware around every try, outermost first."""

    def queue_defaults(self, name: str) -> QueueDefaults:
        """The declared defaults and limits of queue `name` (UnknownQueue if undeclared)."""


class BackendProvider(Protocol):
    """Opens (once per event loop) and hands out the backend."""

    async def backend(self) -> Backend:
        """The opened backend of the running event loop."""


class WorkerHost(HandlerRegistry, BackendProvider, Protocol):
    """Both of the above: what `App.worker` hands a worker (the App fits it)."""
