"""Helpers for the admin tests: the test App, seeding jobs, tokens, a real uvicorn server."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import BaseModel
from starlette.types import ASGIApp

from hubjobs import App, UnrecoverableError
from hubjobs.job import Job
from hubjobs.serving import server_config

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(2)>"
XSS = f"{XSS_SCRIPT} {XSS_IMG}"


class EmailData(BaseModel):
    """Schema of the `send-email` test job."""

    to: str
    template: str


@dataclass
class Switch:
    """A flag the `flaky` handler reads: fail while on."""

    on: bool = True


def make_app(url: str, switch: Switch | None = None) -> App:
    """The App the admin tests use: queues `email`, `files` and `flaky`."""
    app = App(url)
    switch = switch or Switch()

    @app.job("email", "send-email", schema=EmailData)
    async def send_email(job: Job) -> dict[str, Any]:
        data = job.data if isinstance(job.data, dict) else job.data.model_dump()  # the schema's model
        await job.alog(f"sending {data['template']} to {data['to']}")
        return {"sent": True}

    @app.job("files", "process-file")
    async def process_file(job: Job) -> dict[str, Any]:
        await job.alog(f"processing {job.data.get('fileId')}")
        await job.alog(f"note: {XSS}")
        if job.data.get("fail"):
            raise UnrecoverableError(f"cannot process {XSS}")
        return {"ok": True}

    @app.job("flaky", "flaky")
    async def flaky(job: Job) -> str:
        await job.alog(f"try while switch is {'on' if switch.on else 'off'}")
        if switch.on:
            raise UnrecoverableError("switch is on")
        return "done"

    return app


async def run_burst(app: App, queues: list[str]) -> None:
    """Run a worker until the queues have no waiting, delayed or active job."""
    await app.worker(queues, install_signals=False, lease=5.0).arun(burst=True)


async def seed(app: App) -> dict[str, list[str]]:
    """Add and run jobs: 3 completed + 2 failed on `files` (with XSS in data and error), 1 waiting
    and 1 delayed email. Returns ids by kind."""
    files = app.queue("files")
    ok = [(await files.aadd("process-file", {"fileId": f"ok-{i}"})).id for i in range(3)]
    bad = [(await files.aadd("process-file", {"fileId": f"bad-{i}", "fail": True, "note": XSS})).id
           for i in range(2)]
    await run_burst(app, ["files"])
    email = app.queue("email")
    waiting = (await email.aadd("send-email", {"to": "a@example.com", "template": "welcome"})).id
    delayed = (await email.aadd("send-email", {"to": "b@example.com", "template": "later"}, delay=3600)).id
    return {"completed": ok, "failed": bad, "waiting": [waiting], "delayed": [delayed]}


def bearer(token: str) -> dict[str, str]:
    """Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


async def sign_in(client: httpx.AsyncClient, token: str, base: str = "") -> str:
    """Sign in through the login form; returns the page's CSRF token."""
    page = await client.get(f"{base}/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce is not None
    origin = str(client.base_url).rstrip("/")
    r = await client.post(f"{base}/login", data={"nonce": nonce.group(1), "token": token, "next": "/"},
                          headers={"Origin": origin})
    assert r.status_code == 303, r.text
    home = await client.get(f"{base}/")
    csrf = re.search(r'<meta name="csrf-token" content="([^"]*)">', home.text)
    assert csrf is not None and csrf.group(1)
    return csrf.group(1)


def free_socket() -> socket.socket:
    """A listening-ready socket bound to a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def served(asgi: ASGIApp, app: App, forwarded_allow_ips: tuple[str, ...] = ()) -> Iterator[str]:
    """Serve `asgi` with uvicorn on a free loopback port in a thread, configured as the dashboard
    server is (`server_config`); yields the base URL."""
    sock = free_socket()
    port = sock.getsockname()[1]
    config = server_config(asgi, host="127.0.0.1", port=port, forwarded_allow_ips=forwarded_allow_ips,
                           graceful=2)
    server = uvicorn.Server(config)
    errors: list[BaseException] = []

    def run() -> None:
        async def main() -> None:
            try:
                await server.serve(sockets=[sock])
            finally:
                await app.aclose()
        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    thread = threading.Thread(target=run, name="admin-test-server", daemon=True)
    thread.start()
    started = threading.Event()

    def wait_started() -> None:
        while not server.started and thread.is_alive():
            started.wait(0.01)

    wait_started()
    if not server.started:
        raise RuntimeError(f"server did not start: {errors}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        assert not thread.is_alive(), "server thread did not stop"


def token_store_path(tmp_path: Path) -> Path:
    """Where the tests keep tokens."""
    return tmp_path / "tokens.db"
