"""Reading a PostgreSQL backend URL: the libpq connection string, the schema and pool size."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ...errors import ConfigurationError

DEFAULT_SCHEMA = "hubjobs"
DEFAULT_POOL_SIZE = 4
MAX_IDENTIFIER_BYTES = 63
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
_OWN_PARAMS = {"schema", "pool_size"}


@dataclass(frozen=True)
class PostgresSettings:
    """What a `postgresql://` URL asks for."""

    conninfo: str
    """The URL handed to libpq (scheme normalised, this package's own parameters removed)."""
    schema: str
    """The schema holding every table of this backend."""
    pool_size: int
    """Most pooled connections one backend instance opens (the LISTEN connection is extra)."""

    @property
    def jobs_channel(self) -> str:
        """NOTIFY channel waking workers of this schema; the payload is the queue name."""
        return _channel(self.schema, "jobs")

    @property
    def events_channel(self) -> str:
        """NOTIFY channel of this schema's event streams; the payload is the queue name."""
        return _channel(self.schema, "events")


def _channel(schema: str, kind: str) -> str:
    name = f"hubjobs_{schema}_{kind}"
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        name = f"hubjobs_{hashlib.sha1(schema.encode()).hexdigest()[:20]}_{kind}"
    return name


def parse_url(url: str) -> PostgresSettings:
    """Split `postgresql://user@host:port/db?schema=name&pool_size=N&<libpq params>`."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        raise ConfigurationError(
            f"PostgreSQL URL must start with postgresql:// or postgres://, got {url!r}")
    params = parse_qsl(parts.query, keep_blank_values=True)
    own = {k: v for k, v in params if k in _OWN_PARAMS}
    rest = [(k, v) for k, v in params if k not in _OWN_PARAMS]
    schema = own.get("schema", DEFAULT_SCHEMA)
    if not _SCHEMA_NAME.match(schema) or len(schema.encode()) > MAX_IDENTIFIER_BYTES:
        raise ConfigurationError(
            f"schema in the PostgreSQL URL must be a plain identifier (letters, digits, _; at most "
            f"{MAX_IDENTIFIER_BYTES} bytes; not starting with a digit), got {schema!r}")
    raw_size = own.get("pool_size", str(DEFAULT_POOL_SIZE))
    try:
        pool_size = int(raw_size)
    except ValueError:
        pool_size = 0
    if pool_size < 1:
        raise ConfigurationError(f"pool_size in the PostgreSQL URL must be an integer >= 1, got {raw_size!r}")
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(rest), parts.fragment))
    return PostgresSettings(conninfo, schema, pool_size)
