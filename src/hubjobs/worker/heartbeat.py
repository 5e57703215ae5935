"""Maintenance: record the worker's heartbeat (who it is, what it runs) with a time to live."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable

from ..backends.base import Backend, Heartbeat, WorkerInfo
from .service import PeriodicService

log = logging.getLogger("hubjobs.worker")


class HeartbeatService(PeriodicService):
    """Records `describe()` every `interval` seconds, first at once; it expires after three
    missed beats."""

    name = "heartbeat"
    step_at_start = True

    def __init__(self, backend: Backend, describe: Callable[[], WorkerInfo], interval: float) -> None:
        super().__init__(interval)
        self.backend = backend
        self.describe = describe

    async def step(self) -> None:
        """Record one heartbeat (a failure is logged)."""
        try:
            await self.backend.record_heartbeat(Heartbeat(self.describe(), ttl=self.interval * 3))
        except Exception as exc:
            log.warning("heartbeat failed: %s", exc)


def worker_info(worker_id: str, queues: list[str], started_at: float, running: int, concurrency: int,
                processed: int, failed: int) -> WorkerInfo:
    """A WorkerInfo for this process and host, as of now."""
    return WorkerInfo(worker_id=worker_id, queues=queues, hostname=socket.gethostname(), pid=os.getpid(),
                      started_at=started_at, heartbeat_at=time.time(), running=running,
                      concurrency=concurrency, processed=processed, failed=failed)
