"""Redis: the machine's server (127.0.0.1:6379 or HUBJOBS_TEST_REDIS_URL), each test isolated
by its own key prefix. An unreachable server fails the test (never skips)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import redis

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def server_url() -> str:
    """The Redis server the tests use."""
    return os.environ.get("HUBJOBS_TEST_REDIS_URL", DEFAULT_URL)


def make_url(tmp_path: Path, test_id: str) -> str:
    """A URL with a key prefix of its own; raises if the server cannot be reached."""
    base = server_url()
    client = redis.Redis.from_url(base, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        raise RuntimeError(f"the test Redis at {base} is unreachable ({exc}); start one with "
                           "`redis-server --daemonize yes --port 6379 --save '' --appendonly no` "
                           "or set HUBJOBS_TEST_REDIS_URL") from None
    finally:
        client.close()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}prefix=hjt-{test_id}"


def cleanup(url: str) -> None:
    """Delete every key of the URL's prefix (SCAN + DEL)."""
    parts = urlsplit(url)
    prefix = dict(parse_qsl(parts.query)).get("prefix")
    if not prefix:
        return
    client = redis.Redis.from_url(server_url())
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{{{prefix}[:}}]*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    finally:
        client.close()
