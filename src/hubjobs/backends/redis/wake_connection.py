"""A connection for blocking waits whose replies are handled the moment they arrive.

An idle worker's wait (BZPOPMIN, with a claim chained behind it, see `prefetch.py`) is the start
of the path from a job's add to its handler, and that path runs cold. Here the replies are parsed
by hiredis inside the transport's `data_received` callback and handed to the waiter's callback
at once, in that same event-loop step: no stream reader, no task to wake, no client bookkeeping
between the socket and the worker.

It speaks plain TCP or a Unix socket, with AUTH, SELECT and CLIENT SETNAME at connect. A URL
needing more (TLS, a credential provider, RESP3) is not `supported`: the waiter then uses the
blocking client's own connections."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import hiredis

from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.exceptions import AuthenticationError, ConnectionError, ResponseError

from .client import pack_command

log = logging.getLogger("hubjobs.redis")

_PLAIN_KWARGS = frozenset({
    "host", "port", "path", "db", "username", "password", "client_name", "socket_connect_timeout",
    "socket_timeout", "socket_keepalive", "decode_responses", "retry", "encoding", "encoding_errors",
    "maint_notifications_config", "maint_notifications_pool_handler", "himport_registry",
    "orig_host_address", "orig_socket_timeout", "orig_socket_connect_timeout", "protocol",
})
"""Connection settings this connection honours or may ignore (the rest need redis-py's own)."""


@dataclass(frozen=True)
class WakeAddress:
    """Where and how to connect."""

    host: str = "localhost"
    port: int = 6379
    path: str | None = None
    """A Unix socket path (wins over host and port)."""
    db: int = 0
    username: str | None = None
    password: str | None = None
    client_name: str | None = None
    connect_timeout: float | None = None

    @classmethod
    def supported(cls, connection_class: type[Any], kwargs: Mapping[str, Any]) -> WakeAddress | None:
        """The address of a redis-py pool's connections, or None when they need more than this
        connection offers (TLS, credential provider, RESP3, other options)."""
        if not issubclass(connection_class, (Connection, UnixDomainSocketConnection)):
            return None
        if getattr(connection_class, "is_ssl", False) or "ssl" in connection_class.__name__.lower():
            return None
        if any(k not in _PLAIN_KWARGS for k in kwargs) or kwargs.get("protocol") not in (None, 2, "2"):
            return None
        unix = issubclass(connection_class, UnixDomainSocketConnection)
        return cls(host=str(kwargs.get("host", "localhost")), port=int(kwargs.get("port", 6379)),
                   path=str(kwargs["path"]) if unix else None, db=int(kwargs.get("db") or 0),
                   username=kwargs.get("username"), password=kwargs.get("password"),
                   client_name=kwargs.get("client_name"), connect_timeout=kwargs.get("socket_connect_timeout"))


@dataclass
class _Expected:
    count: int
    done: Callable[[list[Any]], None]
    failed: Callable[[BaseException], None]
    replies: list[Any] = field(default_factory=list)


class _Replies(asyncio.Protocol):
    """Parses replies as they arrive and hands each request's replies, in order, to it."""

    def __init__(self) -> None:
        self._parser = hiredis.Reader(encoding="utf-8")  # strict, as the client's decode_responses
        self._expected: deque[_Expected] = deque()
        self.transport: asyncio.Transport | None = None
        self.lost: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def expect(self, request: _Expected) -> None:
        if self.lost is not None:
            request.failed(self.lost)
        else:
            self._expected.append(request)

    def data_received(self, data: bytes) -> None:
        self._parser.feed(data)
        while self._expected:
            try:
                reply = self._parser.gets()
            except Exception as exc:  # noqa: BLE001 - e.g. not UTF-8: the replies can no longer be matched
                self._give_up(ConnectionError(f"a reply from Redis could not be decoded: {exc}"))
                return
            if reply is False:
                return
            request = self._expected[0]
            request.replies.append(reply)
            if len(request.replies) == request.count:
                self._expected.popleft()
                try:
                    request.done(request.replies)
                except Exception:  # a handler's bug must not break the connection for the others
                    log.exception("handling a reply on the wake-up connection failed")

    def _give_up(self, error: ConnectionError) -> None:
        if self.transport is not None:
            self.transport.abort()
        self.connection_lost(error)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.lost is not None:
            return
        self.lost = exc if isinstance(exc, ConnectionError) else ConnectionError(
            f"connection lost: {exc}" if exc else "connection closed by the server")
        expected, self._expected = self._expected, deque()
        for request in expected:
            request.failed(self.lost)


def reply_error(reply: Any) -> ResponseError | None:
    """A redis-py error for an error reply, else None."""
    if isinstance(reply, hiredis.ReplyError):
        return ResponseError(str(reply))
    return None


class WakeConnection:
    """One connection, opened on first use and again after it was lost or closed."""

    def __init__(self, address: WakeAddress) -> None:
        self._address = address
        self._replies: _Replies | None = None

    @property
    def is_open(self) -> bool:
        """Connected and not lost."""
        return self._replies is not None and self._replies.lost is None and self._replies.transport is not None

    async def open(self) -> None:
        """Connect and introduce the connection (AUTH, SELECT, CLIENT SETNAME), unless open."""
        if self.is_open:
            return
        self.close()
        a = self._address
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(a.connect_timeout):
                if a.path is not None:
                    _t, replies = await loop.create_unix_connection(_Replies, a.path)
                else:
                    transport, replies = await loop.create_connection(_Replies, a.host, a.port)
                    sock = transport.get_extra_info("socket")
                    if sock is not None:  # as redis-py's socket_keepalive: a vanished peer is noticed
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                self._replies = replies
                hello: list[tuple[Any, ...]] = []
                if a.password is not None:
                    hello.append(("AUTH", a.username, a.password) if a.username else ("AUTH", a.password))
                if a.db:
                    hello.append(("SELECT", a.db))
                if a.client_name:
                    hello.append(("CLIENT", "SETNAME", a.client_name))
                if hello:
                    for reply in await self.request(hello):
                        error = reply_error(reply)
                        if error is not None:
                            if "AUTH" in str(error) or "WRONGPASS" in str(error):
                                raise AuthenticationError(str(error))
                            raise error
        except TimeoutError:
            self.close()
            raise ConnectionError(f"connecting to Redis at {a.path or f'{a.host}:{a.port}'} timed out") from None
        except OSError as exc:
            self.close()
            raise ConnectionError(f"cannot connect to Redis at {a.path or f'{a.host}:{a.port}'}: {exc}") from None
        except BaseException:
            self.close()
            raise

    def send(self, commands: list[tuple[Any, ...]], done: Callable[[list[Any]], None],
             failed: Callable[[BaseException], None]) -> None:
        """Send commands; `done` gets their replies (error replies as `hiredis.ReplyError`) from
        inside the event loop's read callback, or `failed` the error that lost them."""
        replies = self._replies
        if replies is None or replies.transport is None:
            failed(ConnectionError("the connection is not open"))
            return
        replies.expect(_Expected(len(commands), done, failed))
        replies.transport.write(b"".join(b for c in commands for b in pack_command(*c)))

    def request(self, commands: list[tuple[Any, ...]]) -> asyncio.Future[list[Any]]:
        """Send commands; a future of their replies."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()

        def done(replies: list[Any]) -> None:
            if not future.done():
                future.set_result(replies)

        def failed(exc: BaseException) -> None:
            if not future.done():
                future.set_exception(exc)

        self.send(commands, done, failed)
        return future

    def close(self) -> None:
        """Drop the connection at once (Redis forgets a blocked call and what was queued behind it)."""
        replies, self._replies = self._replies, None
        if replies is not None and replies.transport is not None:
            replies.transport.abort()
