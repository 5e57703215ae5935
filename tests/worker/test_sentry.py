"""Sentry: the real sentry-sdk, its DSN pointing at an HTTP server on loopback, receives one
event for a job's final failure (none for the try that was retried) with the job's tags."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk

from hubjobs import App, Job
from hubjobs.contrib.sentry import instrument
from tests.helpers import running_worker, wait_until


class _Receiver(BaseHTTPRequestHandler):
    events: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2]):  # envelope: header, then item pairs
            if json.loads(header).get("type") == "event":
                type(self).events.append(json.loads(payload))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Receiver.events = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://public@127.0.0.1:{server.server_port}/1", _Receiver.events
    finally:
        server.shutdown()
        server.server_close()


async def test_the_final_failure_reaches_sentry_with_the_job_tags(
        tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]]) -> None:
    dsn, events = receiver
    sentry_sdk.init(dsn=dsn, default_integrations=False)
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")
    instrument(app)

    @app.job("q", attempts=2)
    async def charge(job: Job) -> None:
        raise ValueError(f"card declined on try {job.attempts_made + 1}")

    try:
        await app.queue("q").aadd("charge", {"card": "secret"}, job_id="pay-1", meta={"tenant": "acme"})
        async with running_worker(app, "q"):
            await wait_until(lambda: _failed(app, "pay-1"), what="the final failure")
        sentry_sdk.flush(10)
        await wait_until(lambda: len(events) >= 1, what="the event at the receiver")
    finally:
        sentry_sdk.get_client().close()
        await app.aclose()
    assert len(events) == 1, events
    event = events[0]
    assert event["tags"]["hubjobs.queue"] == "q" and event["tags"]["hubjobs.job_name"] == "charge"
    assert event["tags"]["hubjobs.job_id"] == "pay-1" and event["tags"]["hubjobs.try"] == "2"
    assert event["contexts"]["hubjobs job"]["meta"] == {"tenant": "acme"}
    exc = event["exception"]["values"][-1]
    assert exc["type"] == "ValueError" and exc["value"] == "card declined on try 2"


async def _failed(app: App, job_id: str) -> bool:
    job = await app.queue("q").aget(job_id)
    return job is not None and job.state.value == "failed"
