"""The short paths to the socket (backends/redis/client.py, wake_connection.py): a queue's
single adds go through its own kept connection (ScriptLane), blocking waits through a connection
whose replies are handled as they arrive, commands are packed by hiredis, and each command is
bounded by the socket timeout. They keep every guarantee of the client's ordinary path: a killed
connection is reopened, a flushed script cache is refilled, a frozen server gives a typed error
in time, and a value Redis cannot take is named."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio.connection import SSLConnection
from redis.exceptions import DataError

from hubjobs import App, BackendUnavailable
from hubjobs.backends.base import ClaimedJob, ClaimJobs, WaitForJobs
from hubjobs.backends.redis import RedisBackend
from hubjobs.backends.redis.client import PackedConnection, pack_command
from hubjobs.backends.redis.wake_connection import WakeAddress
from tests.helpers import wait_until
from tests.redis.servers import RedisServer


def _kill_my_connections(server: RedisServer) -> int:
    admin = server.client()
    try:
        mine = [c["id"] for c in admin.client_list() if c.get("name") == f"hubjobs:{os.getpid()}"]
        return sum(int(admin.client_kill_filter(_id=cid) or 0) for cid in mine)
    finally:
        admin.close()


@pytest.fixture
async def lane_app(redis_server: RedisServer) -> AsyncIterator[App]:
    """A producer App on the private server (socket timeout 0.5 s) with one job added, so its
    queue's add lane holds a connection."""
    app = App(f"{redis_server.url}?prefix=lane&socket_timeout=0.5")
    await app.queue("q").aadd("noop", {"i": 0})
    yield app
    await app.aclose()
    app.close()


def _frozen(server: RedisServer) -> bool:
    """Whether the server is stuck: a PING on a plain socket gets no answer within 50 ms."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=1) as sock:
        sock.settimeout(0.05)
        sock.sendall(b"PING\r\n")
        try:
            return not sock.recv(16)
        except TimeoutError:
            return True


async def test_adds_go_on_after_their_connection_is_killed(redis_server: RedisServer, lane_app: App) -> None:
    q = lane_app.queue("q")
    assert _kill_my_connections(redis_server) >= 1
    job = await q.aadd("noop", {"i": 1})  # reconnects and sends again, once
    assert (await q.aget(job.id)) is not None
    assert (await q.acounts())["waiting"] == 2


async def test_adds_reload_the_script_after_a_script_flush(redis_server: RedisServer, lane_app: App) -> None:
    admin = redis_server.client()
    admin.script_flush()
    admin.close()
    await lane_app.queue("q").aadd("noop", {"i": 1})
    assert (await lane_app.queue("q").acounts())["waiting"] == 2


async def test_an_add_to_a_frozen_server_fails_typed_within_the_socket_timeout(
        redis_server: RedisServer, lane_app: App) -> None:
    q = lane_app.queue("q")
    freezer = threading.Thread(target=lambda: redis_server.client().execute_command("DEBUG", "SLEEP", "3"))
    freezer.start()
    await wait_until(lambda: _frozen(redis_server), what="DEBUG SLEEP freezing the server")
    began = time.monotonic()
    with pytest.raises(BackendUnavailable, match="adding jobs"):
        await q.aadd("noop", {"i": 1})
    assert time.monotonic() - began < 2.0
    freezer.join()
    await q.aadd("noop", {"i": 2})  # the dropped connection is reopened


def test_commands_are_packed_like_redis_py_packs_them() -> None:
    assert pack_command("SET", "k", 1.5, 10, b"x", "é") == [
        b"*6\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n1.5\r\n$2\r\n10\r\n$1\r\nx\r\n$2\r\n\xc3\xa9\r\n"]
    assert pack_command("CLIENT SETNAME", "n") == [b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$1\r\nn\r\n"]
    with pytest.raises(DataError, match="None"):
        pack_command("SET", "k", None)


async def test_a_killed_wake_connection_is_reopened(redis_server: RedisServer) -> None:
    backend = RedisBackend(f"{redis_server.url}?prefix=wake")
    await backend.open()
    producer = App(f"{redis_server.url}?prefix=wake")
    try:
        waiting = asyncio.create_task(backend.wait_for_jobs(WaitForJobs(["q"], 30)))
        admin = redis_server.client()

        def blocked() -> list[str]:
            return [c["id"] for c in admin.client_list()
                    if c.get("name") == f"hubjobs-wait:{os.getpid()}" and c.get("cmd") == "bzpopmin"]

        [victim] = await wait_until(blocked, what="the wait blocked in Redis")
        admin.client_kill_filter(_id=victim)
        await asyncio.wait_for(waiting, 10)  # reported as a wake-up after a short backoff
        waiting = asyncio.create_task(backend.wait_for_jobs(WaitForJobs(["q"], 30)))
        await wait_until(blocked, what="a new connection, introduced by name, blocked again")
        await producer.queue("q").aadd("noop", {})
        await asyncio.wait_for(waiting, 10)
        admin.close()
    finally:
        await backend.close()
        await producer.aclose()
        producer.close()


async def test_the_wake_connection_logs_in_and_selects_the_database(redis_server: RedisServer) -> None:
    admin = redis_server.client()
    admin.execute_command("ACL", "SETUSER", "worker", "on", ">s3cret", "~*", "&*", "+@all")
    url = f"redis://worker:s3cret@127.0.0.1:{redis_server.port}/3?prefix=auth"
    backend = RedisBackend(url)
    await backend.open()
    producer = App(url)
    try:
        await backend.claim_jobs(ClaimJobs("q", "w1", 1, 30))  # w1 has a free slot: the wait claims for it
        received: list[str] = []

        def receive(_queue: str, jobs: list[ClaimedJob]) -> bool:
            received.extend(cj.job.id for cj in jobs)
            return True

        waiting = asyncio.create_task(backend.wait_for_jobs(WaitForJobs(["q"], 30, worker_id="w1", receive=receive)))

        def waits() -> list[dict[str, str]]:
            return [c for c in admin.client_list()
                    if c.get("name") == f"hubjobs-wait:{os.getpid()}" and c.get("cmd") == "bzpopmin"]

        [conn] = await wait_until(waits, what="the wait blocked in Redis")
        assert conn["user"] == "worker" and conn["db"] == "3"
        job = await producer.queue("q").aadd("noop", {})
        await asyncio.wait_for(waiting, 10)
        assert received == [job.id]
    finally:
        admin.close()
        await backend.close()
        await producer.aclose()
        producer.close()


def test_urls_the_wake_connection_cannot_speak_keep_the_clients_connections() -> None:
    assert WakeAddress.supported(SSLConnection, {"host": "h", "port": 1}) is None
    assert WakeAddress.supported(PackedConnection, {"host": "h", "port": 1, "protocol": 3}) is None
    assert WakeAddress.supported(PackedConnection, {"host": "h", "port": 1, "credential_provider": object()}) is None
    address = WakeAddress.supported(PackedConnection, {"host": "h", "port": 7, "db": 2, "client_name": "n"})
    assert address == WakeAddress(host="h", port=7, db=2, client_name="n")
