"""Run the dashboard's ASGI server inside a process that handles its own signals."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import uvicorn


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT/SIGTERM to its host (the worker or demo decides
    when to stop it, by setting `should_exit`)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Capture nothing: the host process owns the signal handlers."""
        yield


def server_config(asgi: Any, *, host: str, port: int, forwarded_allow_ips: Sequence[str] = (),
                  log_level: str = "warning", graceful: int = 3) -> uvicorn.Config:
    """The uvicorn config every dashboard server uses: forwarded headers are honoured only from
    the proxies named in `forwarded_allow_ips` (none by default, whatever the environment says),
    so a client cannot pick its own address by sending X-Forwarded-For."""
    trusted = [ip.strip() for ip in forwarded_allow_ips if ip.strip()]
    return uvicorn.Config(asgi, host=host, port=port, log_level=log_level, lifespan="on",
                          timeout_graceful_shutdown=graceful, proxy_headers=bool(trusted),
                          forwarded_allow_ips=trusted or [])
