"""Redis backend URLs: `redis://host:port/db?prefix=NAME&allow_eviction=1`, `rediss://...`,
`unix:///path.sock`, and Redis Cluster as `redis+cluster://host:port` (or `rediss+cluster://`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ...errors import ConfigurationError

DEFAULT_PREFIX = "hubjobs"
DEFAULT_SOCKET_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 5.0

_OUR_PARAMS = ("prefix", "allow_eviction", "socket_timeout", "socket_connect_timeout")
_PREFIX_RE = re.compile(r"^[^{}\s]{1,100}$")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class RedisSettings:
    """What a Redis backend URL asks for."""

    client_url: str
    """The URL handed to redis-py (our own parameters removed, cluster scheme normalised)."""
    cluster: bool
    """Connect with the Redis Cluster client."""
    prefix: str
    """Key prefix isolating this job system's keys (hash tags `{prefix}` / `{prefix:queue}`)."""
    allow_eviction: bool
    """Start even if `maxmemory-policy` would evict keys (jobs could be lost)."""
    socket_timeout: float
    """Seconds a command may take before the connection is declared dead."""
    connect_timeout: float
    """Seconds to wait for a TCP connection."""
    display: str
    """The URL without its password, for messages."""


def _flag(name: str, value: str) -> bool:
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ConfigurationError(f"Redis URL parameter {name} must be 1 or 0, got {value!r}")


def _seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigurationError(f"Redis URL parameter {name} must be seconds, got {value!r}") from None
    if not seconds > 0:
        raise ConfigurationError(f"Redis URL parameter {name} must be > 0 seconds, got {value!r}")
    return seconds


def parse_redis_url(url: str) -> RedisSettings:
    """Split a backend URL into redis-py's URL and this backend's own options."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    cluster = scheme.endswith("+cluster")
    base_scheme = scheme[: -len("+cluster")] if cluster else scheme
    if base_scheme not in ("redis", "rediss", "unix") or (cluster and base_scheme == "unix"):
        raise ConfigurationError(
            f"unsupported Redis URL {url!r}: use redis://host:port/db, rediss://..., unix:///path.sock "
            "or redis+cluster://host:port")
    ours: dict[str, str] = {}
    theirs: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        (ours.__setitem__(key, value) if key in _OUR_PARAMS else theirs.append((key, value)))
    prefix = ours.get("prefix", DEFAULT_PREFIX)
    if not _PREFIX_RE.match(prefix):
        raise ConfigurationError(
            f"Redis key prefix {prefix!r} is invalid: 1-100 characters without braces or spaces")
    client_url = urlunsplit((base_scheme, parts.netloc, parts.path, urlencode(theirs), ""))
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@")
    display = urlunsplit((scheme, netloc, parts.path, "", ""))
    return RedisSettings(
        client_url=client_url,
        cluster=cluster,
        prefix=prefix,
        allow_eviction=_flag("allow_eviction", ours.get("allow_eviction", "0")),
        socket_timeout=_seconds("socket_timeout", ours["socket_timeout"]) if "socket_timeout" in ours
        else DEFAULT_SOCKET_TIMEOUT,
        connect_timeout=_seconds("socket_connect_timeout", ours["socket_connect_timeout"])
        if "socket_connect_timeout" in ours else DEFAULT_CONNECT_TIMEOUT,
        display=display,
    )
