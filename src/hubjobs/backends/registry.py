"""Pick a backend implementation from a URL."""

from __future__ import annotations

import importlib
import os

from ..errors import ConfigurationError
from ..extras import explain
from .base import Backend, SyncBackend

DEFAULT_URL = "sqlite:///./hubjobs.db"


def resolve_url(url: str | None) -> str:
    """The URL given, else `HUBJOBS_URL`, else the embedded SQLite default."""
    return url or os.environ.get("HUBJOBS_URL") or DEFAULT_URL


REDIS_SCHEMES = ("redis", "rediss", "redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel", "unix")


def create_backend(url: str) -> Backend:
    """A new, unopened backend for the URL's scheme."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from .sqlite import SQLiteBackend

        return SQLiteBackend(url)
    if scheme == "memory":
        from .sqlite.backend import MemoryBackend

        return MemoryBackend(url)
    if scheme in REDIS_SCHEMES:
        return _load("hubjobs.backends.redis", "RedisBackend", url, "redis")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return _load("hubjobs.backends.postgres", "PostgresBackend", url, "postgres")
    raise ConfigurationError(
        f"unsupported backend URL {url!r}: use sqlite:///path.db, redis://host:port/db, postgresql://... "
        f"or memory://name (tests)"
    )


def create_sync_backend(url: str) -> SyncBackend | None:
    """A new, unopened sync twin for the URL's backend, or None when it has none (sync calls
    then run the async backend on a background loop)."""
    backend = create_backend(url)
    if not backend.capabilities.sync_twin:
        return None
    return backend.sync_twin()


def _load(module: str, cls: str, url: str, extra: str) -> Backend:
    """Import a backend class lazily (its driver is imported only when used); a missing driver
    is one line naming the extra that installs it."""
    try:
        backend_cls = getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        missing = explain(extra, exc)
        if missing is not None:
            raise missing from None
        raise ConfigurationError(f"backend for {url!r} is not available: {exc}") from None
    except AttributeError as exc:
        raise ConfigurationError(f"backend for {url!r} is not available: {exc}") from None
    backend = backend_cls(url)
    if not isinstance(backend, Backend):
        raise ConfigurationError(f"{module}.{cls} is not a Backend")
    return backend
