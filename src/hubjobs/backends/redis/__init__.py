"""The Redis backend: `redis://`, `rediss://`, `unix://`, `redis+cluster://` and
`redis+sentinel://` URLs."""

from .backend import RedisBackend

__all__ = ["RedisBackend"]
