"""Start-up checks: an evicting maxmemory-policy is refused with the fix in the message (or
allowed loudly with ?allow_eviction=1); bad URLs are refused by name."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hubjobs import App, BackendUnavailable, ConfigurationError
from hubjobs.backends.redis.settings import parse_redis_url
from tests.redis.servers import RedisServer, free_port


def test_an_evicting_policy_is_refused_and_the_fix_works(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server = RedisServer(tmp_path / "r", extra=("--maxmemory-policy", "allkeys-lru", "--appendonly", "no")).start()
    try:
        refused = App(f"{server.url}?prefix=guard")
        try:
            with pytest.raises(ConfigurationError, match="CONFIG SET maxmemory-policy noeviction") as info:
                refused.queue("q").counts()
            assert "allkeys-lru" in str(info.value) and "allow_eviction=1" in str(info.value)
        finally:
            refused.close()

        with caplog.at_level(logging.WARNING, logger="hubjobs.redis"):
            risky = App(f"{server.url}?prefix=guard&allow_eviction=1")
            try:
                risky.queue("q").add("noop", {})
                assert risky.queue("q").counts()["waiting"] == 1
            finally:
                risky.close()
        assert "EVICT" in caplog.text and "CONFIG SET maxmemory-policy noeviction" in caplog.text

        client = server.client()
        client.config_set("maxmemory-policy", "noeviction")
        client.close()
        fixed = App(f"{server.url}?prefix=guard")
        try:
            assert fixed.queue("q").counts()["waiting"] == 1
        finally:
            fixed.close()
    finally:
        server.stop()


def test_an_unreachable_server_is_a_typed_error_at_once() -> None:
    app = App(f"redis://127.0.0.1:{free_port()}/0?prefix=nobody")
    try:
        with pytest.raises(BackendUnavailable, match="unreachable"):
            app.queue("q").add("noop", {})
    finally:
        app.close()


@pytest.mark.parametrize("url, message", [
    ("redis://127.0.0.1:6379/0?prefix={bad}", "prefix"),
    ("redis://127.0.0.1:6379/0?prefix=a%20b", "prefix"),
    ("redis://127.0.0.1:6379/0?allow_eviction=maybe", "allow_eviction"),
    ("redis://127.0.0.1:6379/0?socket_timeout=-1", "socket_timeout"),
    ("unix+cluster:///tmp/x.sock", "unsupported"),
])
def test_bad_urls_are_refused_by_name(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_redis_url(url)


def test_url_parts() -> None:
    s = parse_redis_url("redis+cluster://:secret@10.0.0.1:7000?prefix=shop&allow_eviction=1&ssl_cert_reqs=none")
    assert s.cluster and s.prefix == "shop" and s.allow_eviction
    assert s.client_url == "redis://:secret@10.0.0.1:7000?ssl_cert_reqs=none"
    assert "secret" not in s.display
    assert parse_redis_url("redis://localhost").prefix == "hubjobs"
