"""The PostgreSQL backend: `postgresql://user@host:port/db?schema=hubjobs`."""

from .backend import PostgresBackend
from .migrations import migrate

__all__ = ["PostgresBackend", "migrate"]
