"""Real peers for the marketplace job tests: an HTTP receiver and an SMTP server on loopback, and a
factory for an App (SQLite engine) + marketplace database.

The marketplace database is, by default, a PostgreSQL schema made from ``schema.prisma`` by the DDL
``prisma migrate`` emits (the layout the Next.js app holds); ``SEQUENCEHUB_TEST_MARKET_DB=sqlite``
switches to SQLite files migrated by Alembic."""

from __future__ import annotations

import email
import email.policy
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from hubjobs import App
from hubjobs.backends.sqlite.memory import forget
from sequencehub.config import Settings
from sequencehub.db import open_database
from sequencehub.jobs import MarketplaceJobs, register_marketplace_jobs
from tests.sequencehub.prisma_schema import prisma_database

MARKET_DB_ENV = "SEQUENCEHUB_TEST_MARKET_DB"
_made_databases = ExitStack()

WEBHOOK_SECRET = "test-secret-\u00e9"
HANG = "hang"
"""A scripted answer that holds the request open until the receiver stops (for timeouts)."""


@dataclass
class ReceivedRequest:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes
    at: float


@dataclass
class HttpReceiver:
    """An HTTP server on 127.0.0.1 answering each path with a scripted list of responses."""

    scripts: dict[str, list[Any]] = field(default_factory=dict)
    requests: list[ReceivedRequest] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *answers: Any) -> str:
        """Answer `path` with these in turn (the last one repeats): an int status,
        (status, headers) or (status, headers, body), or HANG. Returns the URL."""
        self.scripts[path] = list(answers)
        return self.url(path)

    def received(self, path: str) -> list[ReceivedRequest]:
        """Requests to `path`, in arrival order."""
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def _next(self, path: str) -> Any:
        with self.lock:
            answers = self.scripts.get(path) or [404]
            return answers.pop(0) if len(answers) > 1 else answers[0]


def _handler_for(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(
                    ReceivedRequest(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                    )
                )
            answer = receiver._next(self.path)
            if answer == HANG:
                receiver.released.wait(30)
                return
            status, headers, text = (
                (answer, {}, b"")
                if isinstance(answer, int)
                else (answer + (b"",) if len(answer) == 2 else answer)
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    """Run an HttpReceiver for the body of the `with`."""
    receiver = HttpReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-http-receiver", daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


@dataclass
class SmtpSink:
    """Messages an aiosmtpd server on loopback received."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd hook: keep the parsed message."""
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[SmtpSink]:
    """Run a real SMTP server (aiosmtpd) on a free loopback port."""
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def marketplace_url(tmp_path: Path, name: str = "marketplace") -> str:
    """A new empty marketplace database for the running test: a Prisma-made PostgreSQL schema
    (dropped after the test), or a SQLite file under tmp_path when SEQUENCEHUB_TEST_MARKET_DB=sqlite."""
    if os.environ.get(MARKET_DB_ENV, "postgres") == "sqlite":
        return f"sqlite:///{tmp_path / name}.db"
    return _made_databases.enter_context(prisma_database())


def drop_marketplace_databases() -> None:
    """Drop the databases :func:`marketplace_url` made (best effort: a leftover is logged)."""
    global _made_databases
    stack, _made_databases = _made_databases, ExitStack()
    try:
        stack.close()
    except Exception as exc:  # a connection a failed test left open; the schema stays behind
        logging.getLogger(__name__).warning("could not drop a test marketplace database: %s", exc)


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test: a fresh marketplace DB (see :func:`marketplace_url`) and an outbox under
    tmp_path, loopback allowed only when the test says so."""
    base = Settings(
        database_url=overrides.pop("database_url", None) or marketplace_url(tmp_path),
        outbox_dir=tmp_path / "outbox",
        webhook_secret=WEBHOOK_SECRET,
    )
    return replace(base, **overrides)


def make_marketplace(
    tmp_path: Path, *, settings: Settings | None = None, **kwargs: Any
) -> tuple[App, MarketplaceJobs]:
    """A fresh App with the marketplace jobs registered, without schedules. Its jobs live in
    memory:// (the engine's test mode: no backend is the point of these tests); `close_app`
    frees them."""
    settings = settings or settings_for(tmp_path)
    app = App("memory://")
    db = open_database(settings.database_url)
    return app, register_marketplace_jobs(app, settings, db=db, schedules=False, **kwargs)


async def close_app(app: App) -> None:
    """Close the App's backend on this loop and its sync portal (and free a memory:// store)."""
    await app.aclose()
    app.close()
    if app.url.startswith("memory://"):
        forget(app.url)


def eml_files(folder: Path) -> list[Path]:
    """The .eml files in an outbox folder, oldest name first."""
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def read_eml(path: Path) -> EmailMessage:
    """Parse an .eml file."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


Condition = Callable[[], Any]
