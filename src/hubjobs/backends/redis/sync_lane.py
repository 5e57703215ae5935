"""`SyncLane`: one pooled connection of the sync twin, with the shortest path for a script call.

redis-py's blocking connection sets the connection up (TLS, AUTH, SELECT, CLIENT SETNAME,
socket options and timeout); a script call then goes straight over its socket: the EVALSHA
packed by hiredis is written with one `sendall` and the reply parsed by a hiredis reader of the
lane's own, with none of the connection's per-command bookkeeping. A connection redis-py
exposes no socket for (a future version, another transport) takes redis-py's own
send/read path instead. Plain commands always take redis-py's path (its response callbacks
shape their replies); both paths read each reply whole, so they alternate safely."""

from __future__ import annotations

from typing import Any

import hiredis

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

from .client import pack_command

RECV_BUFFER = 65536


class SyncLane:
    """A connection taken from the sync client's pool, used by one thread at a time."""

    __slots__ = ("_buffer", "_reader", "conn")

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        """The `redis.Connection` (untyped in redis-py)."""
        self._reader = hiredis.Reader(encoding="utf-8", replyError=ResponseError)
        self._buffer = bytearray(RECV_BUFFER)

    def evalsha(self, sha: str, script: str, keys: Any, args: Any) -> Any:
        """Run a script by its SHA, loading its text once if the server lacks it (NOSCRIPT)."""
        packed = pack_command("EVALSHA", sha, len(keys), *keys, *args)
        try:
            return self._call(packed)
        except NoScriptError:
            self._call(pack_command("SCRIPT", "LOAD", script))
            return self._call(packed)

    def command(self, *args: Any) -> Any:
        """Run one command on this connection (e.g. WAIT after a script it ran)."""
        return self._call(pack_command(*args))

    def _call(self, packed: list[bytes]) -> Any:
        conn = self.conn
        sock = getattr(conn, "_sock", None)
        if sock is None:
            conn.connect()
            sock = getattr(conn, "_sock", None)
            if sock is None:  # no socket exposed: redis-py's own path
                conn.send_packed_command(packed, check_health=False)
                return conn.read_response()
        try:
            sock.sendall(packed[0])
            reader = self._reader
            reply = reader.gets()
            while reply is False:
                n = sock.recv_into(self._buffer)
                if n == 0:
                    raise RedisConnectionError("Redis closed the connection")
                reader.feed(self._buffer, 0, n)  # type: ignore[arg-type]
                reply = reader.gets()
        except TimeoutError:
            self.drop()
            raise
        except OSError as exc:
            self.drop()
            raise RedisConnectionError(f"error talking to Redis: {exc}") from None
        if isinstance(reply, ResponseError):
            text = str(reply)
            if text.startswith("NOSCRIPT"):
                raise NoScriptError(text)
            raise reply
        return reply

    def drop(self) -> None:
        """Close the socket (the next call reconnects) and forget any partial reply."""
        self._reader = hiredis.Reader(encoding="utf-8", replyError=ResponseError)
        self.conn.disconnect()
