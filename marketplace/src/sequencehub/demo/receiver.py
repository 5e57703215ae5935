"""A local webhook receiver that fails twice, then accepts (so the demo shows retries)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..webhooks import RETRY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature


@dataclass
class ReceivedCall:
    """One POST the receiver saw."""

    retry_header: str | None
    status: int
    signature_ok: bool


@dataclass
class FlakyReceiver:
    """HTTP server on 127.0.0.1 answering 500 to the first `failures` POSTs, then 200."""

    secret: str
    failures: int = 2
    calls: list[ReceivedCall] = field(default_factory=list)

    def start(self) -> str:
        """Start serving in a thread; returns the URL to post to."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ok = verify_signature(receiver.secret, self.headers.get(TIMESTAMP_HEADER, ""), body,
                                      self.headers.get(SIGNATURE_HEADER, ""))
                status = 500 if len(receiver.calls) < receiver.failures else 200
                receiver.calls.append(ReceivedCall(self.headers.get(RETRY_HEADER), status, ok))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="demo-webhook-receiver").start()
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/orders"

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
