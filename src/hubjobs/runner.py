"""`hubjobs run`: workers, the scheduler and the dashboard in one process."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from .app import App
from .extras import require

if TYPE_CHECKING:
    from .admin.settings import AdminSettings

log = logging.getLogger("hubjobs.runner")


async def arun_all(app: App, *, concurrency: int | None = None, host: str = "127.0.0.1", port: int = 8080,
                   dashboard: bool = True, lease: float = 30.0, grace: float = 30.0,
                   admin_settings: AdminSettings | None = None) -> None:
    """Run a worker on every queue with handlers, a scheduler and (optionally) the dashboard until
    SIGTERM/SIGINT; the worker stops gracefully. `admin_settings` configures the dashboard (token
    store, dead-letter source, audit hooks...; default `AdminSettings()`)."""
    if dashboard:
        require("dashboard")  # before anything starts: one line naming the extra
    admin_settings = admin_settings or app.admin_settings
    from .scheduler import run_scheduler

    await app.backend()
    worker = app.worker(concurrency=concurrency, lease=lease, grace=grace, install_signals=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_stop() -> None:
        if stop.is_set():
            worker.stop()  # a second signal: hand running jobs back now
        stop.set()
        worker.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    tasks = [asyncio.create_task(worker.arun()), asyncio.create_task(run_scheduler(app, stop))]
    server = None
    if dashboard:
        from .admin.application import create_standalone_app
        from .admin.settings import DEFAULT_MOUNT_PATH
        from .serving import EmbeddedServer, server_config

        admin = create_standalone_app(app, settings=admin_settings)
        config = server_config(admin, host=host, port=port, forwarded_allow_ips=(
            admin_settings.forwarded_allow_ips if admin_settings is not None else ()))
        server = EmbeddedServer(config)
        tasks.append(asyncio.create_task(server.serve()))
        mount = admin_settings.mount_path if admin_settings is not None else DEFAULT_MOUNT_PATH
        log.warning("dashboard on http://%s:%d%s/", host, port, mount.rstrip("/"))
    try:
        await stop.wait()
    finally:
        if server is not None:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await app.aclose()


def run_all(app: App, **kwargs: object) -> None:
    """Blocking form of `arun_all`."""
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(arun_all(app, **kwargs))  # type: ignore[arg-type]
