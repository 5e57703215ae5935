"""A local stand-in for Resend's ``POST /emails`` for the demo: answers ``{"id": "re_demo_<n>"}``
and drops each email it accepts into the outbox folder as an .eml file, so the demo's mail can be
read while the real Resend transport code path (and its ids) is exercised."""

from __future__ import annotations

import itertools
import json
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DEMO_API_KEY = "re_demo_key"


class LocalResend:
    """The server; `start()` returns the API base URL to give the transport."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self.ids: list[str] = []
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        """Serve on a free loopback port in a thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self._server.serve_forever, name="demo-resend", daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def accept(self, body: dict[str, Any]) -> str:
        """Store one email; return its id."""
        with self._lock:
            email_id = f"re_demo_{next(self._counter):04d}"
            self.ids.append(email_id)
        message = EmailMessage()
        message["From"], message["To"] = str(body.get("from", "")), ", ".join(body.get("to") or [])
        message["Subject"] = str(body.get("subject", ""))
        message["X-Resend-Id"] = email_id
        for name, value in (body.get("headers") or {}).items():
            if name.lower() not in ("from", "to", "subject"):
                message[name] = str(value)
        message.set_content(str(body.get("text") or ""))
        if body.get("html"):
            message.add_alternative(str(body["html"]), subtype="html")
        self.outbox.mkdir(parents=True, exist_ok=True)
        (self.outbox / f"{email_id}.eml").write_bytes(bytes(message))
        return email_id


def _handler(server: LocalResend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if self.path != "/emails" or self.headers.get("Authorization") != f"Bearer {DEMO_API_KEY}":
                self._answer(401 if self.path == "/emails" else 404, {"name": "unauthorized", "message": "no"})
                return
            self._answer(200, {"id": server.accept(body)})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
