"""Serve the hubjobs dashboard inside the demo process, with a fresh admin token."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubjobs import App


@dataclass
class RunningDashboard:
    """The dashboard's address, its admin token and the server task."""

    url: str
    token: str
    server: Any
    task: asyncio.Task[None]

    async def stop(self) -> None:
        """Stop serving."""
        self.server.should_exit = True
        try:
            await asyncio.wait_for(self.task, 10)
        except (TimeoutError, asyncio.CancelledError):
            self.task.cancel()


def free_port(preferred: int) -> int:
    """`preferred` if it is free on 127.0.0.1, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


async def start_dashboard(app: App, token_store: Path, port: int) -> RunningDashboard:
    """Start the dashboard on 127.0.0.1 and wait until it answers."""
    import uvicorn

    from hubjobs.admin.application import create_standalone_app
    from hubjobs.admin.settings import AdminSettings
    from hubjobs.admin.tokens import Role, TokenStore
    from hubjobs.serving import EmbeddedServer

    token = TokenStore(token_store).create(Role.ADMIN, "demo-admin").token
    settings = AdminSettings(token_store=token_store)
    port = free_port(port)
    config = uvicorn.Config(create_standalone_app(app, settings=settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.02)
    if task.done():
        task.result()
    return RunningDashboard(f"http://127.0.0.1:{port}{settings.mount_path}/", token, server, task)
