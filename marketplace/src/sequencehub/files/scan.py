"""Virus scanning through ClamAV's daemon (clamd), over a Unix socket or TCP.

Files are streamed with ``INSTREAM``: chunks prefixed by their 4-byte big-endian length, ended by
a zero length. An unreachable daemon raises :class:`ScannerUnavailable` so the caller can retry;
:class:`NoScanner` answers "not scanned", never "clean".
"""

from __future__ import annotations

import enum
import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

DEFAULT_CHUNK = 64 * 1024
MAX_REPLY = 64 * 1024


class ScanStatus(str, enum.Enum):
    """Outcome of a scan."""

    CLEAN = "clean"
    INFECTED = "infected"
    NOT_SCANNED = "not_scanned"


@dataclass(frozen=True)
class ScanResult:
    """A scan's outcome; ``signature`` names what was found in an infected file."""

    status: ScanStatus
    signature: str | None = None
    scanner: str = "clamd"
    detail: str | None = None

    @property
    def infected(self) -> bool:
        """True only when a signature matched."""
        return self.status is ScanStatus.INFECTED

    @property
    def clean(self) -> bool:
        """True only when a real scanner looked and found nothing."""
        return self.status is ScanStatus.CLEAN


class ScannerUnavailable(ConnectionError):
    """The scanner could not be reached or stopped answering: retry later."""


class ScanError(RuntimeError):
    """The scanner answered with an error (e.g. stream size limit exceeded)."""


class Scanner(Protocol):
    """Anything that can scan a stream of bytes."""

    def scan_stream(self, stream: BinaryIO) -> ScanResult:
        """Scan everything left to read in ``stream``."""
        ...


class NoScanner:
    """Used when no scanner is configured: every result says, loudly, that nothing was scanned."""

    @staticmethod
    def _result() -> ScanResult:
        return ScanResult(
            ScanStatus.NOT_SCANNED, scanner="none", detail="NOT SCANNED: no virus scanner is configured"
        )

    def scan_stream(self, stream: BinaryIO) -> ScanResult:
        """Return "not scanned" without reading the stream."""
        return self._result()

    def scan_file(self, path: str | os.PathLike[str]) -> ScanResult:
        """Return "not scanned" for a file."""
        return self._result()


class ClamdScanner:
    """A clamd client: give ``socket_path`` for a Unix socket, or ``host`` and ``port`` for TCP."""

    def __init__(
        self,
        *,
        socket_path: str | os.PathLike[str] | None = None,
        host: str | None = None,
        port: int | None = None,
        timeout: float = 60.0,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> None:
        if (socket_path is None) == (host is None or port is None):
            raise ValueError("give either socket_path, or host and port")
        self.socket_path = os.fspath(socket_path) if socket_path is not None else None
        self.address = (host, port) if host is not None and port is not None else None
        self.timeout = timeout
        self.chunk_size = chunk_size

    def _where(self) -> str:
        if self.socket_path is not None:
            return self.socket_path
        assert self.address is not None
        return f"{self.address[0]}:{self.address[1]}"

    def _connect(self) -> socket.socket:
        try:
            if self.socket_path is not None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(self.timeout)
                try:
                    sock.connect(self.socket_path)
                except BaseException:
                    sock.close()
                    raise
                return sock
            assert self.address is not None
            return socket.create_connection(self.address, timeout=self.timeout)
        except OSError as exc:
            raise ScannerUnavailable(f"clamd at {self._where()} cannot be reached: {exc}") from exc

    def _command(self, sock: socket.socket, command: bytes) -> None:
        sock.sendall(b"z" + command + b"\0")

    @staticmethod
    def _reply(sock: socket.socket) -> str:
        data = b""
        while not data.endswith(b"\0") and len(data) < MAX_REPLY:
            piece = sock.recv(4096)
            if not piece:
                break
            data += piece
        return data.rstrip(b"\0").decode("utf-8", errors="replace").strip()

    def _reply_after_close(self, sock: socket.socket, cause: OSError) -> str:
        try:
            reply = self._reply(sock)
        except OSError:
            reply = ""
        if not reply:
            raise ScannerUnavailable(
                f"clamd at {self._where()} closed the connection while receiving the file: {cause}"
            ) from cause
        return reply

    def ping(self) -> bool:
        """True when clamd answers PING with PONG; raises ScannerUnavailable if it cannot be reached."""
        with self._connect() as sock:
            try:
                self._command(sock, b"PING")
                return self._reply(sock) == "PONG"
            except OSError as exc:
                raise ScannerUnavailable(f"clamd at {self._where()} stopped answering: {exc}") from exc

    def scan_stream(self, stream: BinaryIO) -> ScanResult:
        """Stream the rest of ``stream`` to clamd with INSTREAM and interpret its answer."""
        with self._connect() as sock:
            try:
                self._command(sock, b"INSTREAM")
                while chunk := stream.read(self.chunk_size):
                    sock.sendall(struct.pack(">I", len(chunk)) + chunk)
                sock.sendall(struct.pack(">I", 0))
                reply = self._reply(sock)
            except (BrokenPipeError, ConnectionResetError) as exc:
                # clamd closes the stream early when it refuses it (size limit); its reason is waiting.
                reply = self._reply_after_close(sock, exc)
            except OSError as exc:
                raise ScannerUnavailable(f"clamd at {self._where()} stopped answering: {exc}") from exc
        return self._interpret(reply)

    def scan_file(self, path: str | os.PathLike[str]) -> ScanResult:
        """Scan a file by streaming it (clamd needs no access to the file system)."""
        with open(Path(path), "rb") as stream:
            return self.scan_stream(stream)

    def _interpret(self, reply: str) -> ScanResult:
        if not reply:
            raise ScannerUnavailable(f"clamd at {self._where()} closed the connection without an answer")
        body = reply.split(":", 1)[1].strip() if reply.startswith("stream:") else reply
        if body == "OK":
            return ScanResult(ScanStatus.CLEAN, detail=reply)
        if body.endswith(" FOUND"):
            return ScanResult(ScanStatus.INFECTED, signature=body[: -len(" FOUND")].strip(), detail=reply)
        raise ScanError(f"clamd could not scan the file: {reply}")
