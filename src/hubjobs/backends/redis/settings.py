"""Redis backend URLs: `redis://host:port/db?prefix=NAME&allow_eviction=1`, `rediss://...`,
`unix:///path.sock`, Redis Cluster as `redis+cluster://host:port` (or `rediss+cluster://`), and
a primary found through Redis Sentinel as
`redis+sentinel://[user:password@]host:port,host:port/service_name[/db]` (or `rediss+sentinel://`;
`sentinel_password=` when the Sentinels themselves need one).

`durability=replicated` (any URL) makes adds and job completions return only once `replicas`
replicas (default 1) have them (Redis WAIT), waiting at most `wait_timeout` seconds (default 5)
before reporting the store unavailable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ...errors import ConfigurationError

DEFAULT_PREFIX = "hubjobs"
DEFAULT_SOCKET_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 5.0

_OUR_PARAMS = ("prefix", "allow_eviction", "socket_timeout", "socket_connect_timeout", "durability", "replicas",
               "wait_timeout", "sentinel_password")
DURABILITIES = ("primary", "replicated")
DEFAULT_WAIT_TIMEOUT = 5.0
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
    sentinels: tuple[tuple[str, int], ...] = ()
    """Sentinel addresses (a `redis+sentinel://` URL); empty otherwise."""
    service: str | None = None
    """The Sentinel service (master) name."""
    db: int = 0
    """Database number behind Sentinel (other URLs carry it in `client_url`)."""
    username: str | None = None
    password: str | None = None
    """Credentials of the primary behind Sentinel."""
    sentinel_password: str | None = None
    tls: bool = False
    """rediss+sentinel: TLS to the primary."""
    durability: str = "primary"
    """"primary": a write is acknowledged once the primary has it; "replicated": once `replicas`
    replicas have it too (WAIT)."""
    replicas: int = 1
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT


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
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("redis+sentinel", "rediss+sentinel"):
        return _parse_sentinel_url(url, scheme)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    cluster = scheme.endswith("+cluster")
    base_scheme = scheme[: -len("+cluster")] if cluster else scheme
    if base_scheme not in ("redis", "rediss", "unix") or (cluster and base_scheme == "unix"):
        raise ConfigurationError(
            f"unsupported Redis URL {url!r}: use redis://host:port/db, rediss://..., unix:///path.sock "
            "redis+cluster://host:port or redis+sentinel://host:port,host:port/service_name")
    ours: dict[str, str] = {}
    theirs: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        (ours.__setitem__(key, value) if key in _OUR_PARAMS else theirs.append((key, value)))
    client_url = urlunsplit((base_scheme, parts.netloc, parts.path, urlencode(theirs), ""))
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@")
    display = urlunsplit((scheme, netloc, parts.path, "", ""))
    return RedisSettings(client_url=client_url, cluster=cluster, display=display, **_common(ours))


def _common(ours: dict[str, str]) -> dict[str, Any]:
    """The settings every kind of URL shares, from this backend's own parameters."""
    prefix = ours.get("prefix", DEFAULT_PREFIX)
    if not _PREFIX_RE.match(prefix):
        raise ConfigurationError(
            f"Redis key prefix {prefix!r} is invalid: 1-100 characters without braces or spaces")
    durability = ours.get("durability", "primary").strip().lower()
    if durability not in DURABILITIES:
        raise ConfigurationError(f"Redis URL parameter durability must be one of {', '.join(DURABILITIES)}, "
                                 f"got {ours['durability']!r}")
    replicas_text = ours.get("replicas", "1")
    if not replicas_text.isdigit() or not 1 <= int(replicas_text) <= 100:
        raise ConfigurationError(f"Redis URL parameter replicas must be a number from 1 to 100, got {replicas_text!r}")
    return {
        "prefix": prefix,
        "allow_eviction": _flag("allow_eviction", ours.get("allow_eviction", "0")),
        "socket_timeout": _seconds("socket_timeout", ours["socket_timeout"]) if "socket_timeout" in ours
        else DEFAULT_SOCKET_TIMEOUT,
        "connect_timeout": _seconds("socket_connect_timeout", ours["socket_connect_timeout"])
        if "socket_connect_timeout" in ours else DEFAULT_CONNECT_TIMEOUT,
        "durability": durability,
        "replicas": int(replicas_text),
        "wait_timeout": _seconds("wait_timeout", ours["wait_timeout"]) if "wait_timeout" in ours
        else DEFAULT_WAIT_TIMEOUT,
        "sentinel_password": ours.get("sentinel_password") or None,
    }


def _parse_sentinel_url(url: str, scheme: str) -> RedisSettings:
    """`redis+sentinel://[user:password@]host:port,host:port/service_name[/db]?...`."""
    rest = url.split("://", 1)[1]
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    creds, at, hosts = netloc.rpartition("@")
    if not at:
        creds, hosts = "", netloc
    username, _, password = creds.partition(":") if ":" in creds else ("", "", creds)
    sentinels: list[tuple[str, int]] = []
    for item in hosts.split(","):
        host, colon, port = item.strip().rpartition(":")
        if not colon:
            host, port = item.strip(), "26379"
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigurationError(f"bad Sentinel address {item!r} in {scheme}:// URL: use host:port,host:port")
        sentinels.append((host, int(port)))
    segments = [p for p in path.split("/") if p]
    if not segments or len(segments) > 2 or (len(segments) == 2 and not segments[1].isdigit()):
        raise ConfigurationError(f"a {scheme}:// URL names the service after the Sentinels: "
                                 f"{scheme}://host:port,host:port/service_name[/db]")
    ours: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in _OUR_PARAMS:
            raise ConfigurationError(f"unknown parameter {key!r} in a {scheme}:// URL; known: {', '.join(_OUR_PARAMS)}")
        ours[key] = value
    shown = f"{username}:***@" if password else (f"{username}@" if username else "")
    return RedisSettings(
        client_url="", cluster=False, display=f"{scheme}://{shown}{hosts}/{'/'.join(segments)}",
        sentinels=tuple(sentinels), service=unquote(segments[0]), db=int(segments[1]) if len(segments) == 2 else 0,
        username=unquote(username) or None, password=unquote(password) or None, tls=scheme.startswith("rediss"),
        **_common(ours))
