"""The Redis backend: `redis://`, `rediss://`, `unix://` and `redis+cluster://` URLs."""

from .backend import RedisBackend

__all__ = ["RedisBackend"]
