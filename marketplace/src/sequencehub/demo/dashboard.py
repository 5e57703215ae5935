"""Serve the hubjobs dashboard inside the demo process, with a fresh admin token, showing the
marketplace's dead letters and writing admin actions to its audit log."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..app import Marketplace


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


async def start_dashboard(marketplace: Marketplace, token_store: Path, port: int) -> RunningDashboard:
    """Start the marketplace's dashboard on 127.0.0.1 and wait until it answers."""
    import uvicorn

    from hubjobs.admin.application import create_standalone_app
    from hubjobs.admin.tokens import Role, TokenStore
    from hubjobs.serving import EmbeddedServer

    from ..admin_integration import marketplace_admin_settings

    token = TokenStore(token_store).create(Role.ADMIN, "demo-admin").token
    settings = marketplace_admin_settings(marketplace, token_store=token_store)
    port = free_port(port)
    admin = create_standalone_app(marketplace.app, settings=settings)
    config = uvicorn.Config(admin, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=2)
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.02)
    if task.done():
        task.result()
    return RunningDashboard(f"http://127.0.0.1:{port}{settings.mount_path}/", token, server, task)
