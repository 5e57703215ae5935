"""Pick a backend implementation from a URL."""

from __future__ import annotations

import os

from ..errors import ConfigurationError
from .base import Backend

DEFAULT_URL = "sqlite:///./hubjobs.db"


def resolve_url(url: str | None) -> str:
    """The URL given, else `HUBJOBS_URL`, else the embedded SQLite default."""
    return url or os.environ.get("HUBJOBS_URL") or DEFAULT_URL


def create_backend(url: str) -> Backend:
    """A new, unopened backend for the URL's scheme."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from .sqlite import SQLiteBackend

        return SQLiteBackend(url)
    if scheme in ("redis", "rediss", "redis+cluster", "unix"):
        try:
            from .redis import RedisBackend
        except ImportError as exc:  # pragma: no cover - the redis backend ships with the package
            raise ConfigurationError(f"the Redis backend is not available: {exc}") from None
        return RedisBackend(url)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        try:
            from .postgres import PostgresBackend
        except ImportError as exc:  # pragma: no cover
            raise ConfigurationError(f"the PostgreSQL backend is not available: {exc}") from None
        return PostgresBackend(url)
    raise ConfigurationError(
        f"unsupported backend URL {url!r}: use sqlite:///path.db, redis://host:port/db or postgresql://..."
    )
