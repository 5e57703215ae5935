"""HeartbeatService: records what describe() returns, first at once."""

from __future__ import annotations

import asyncio

from hubjobs.worker.heartbeat import HeartbeatService, worker_info
from tests.helpers import wait_until
from tests.worker.conftest import Parts


async def test_a_heartbeat_is_listed_until_removed(parts: Parts) -> None:
    beats = 0

    def describe():  # type: ignore[no-untyped-def]
        nonlocal beats
        beats += 1
        return worker_info("w-1", ["q"], 1.0, running=2, concurrency=4, processed=beats, failed=0)

    service = HeartbeatService(parts.backend, describe, 3600)
    service.start()
    listed = await wait_until(parts.backend.list_workers, what="the worker listed")
    await service.stop()
    assert [(w.worker_id, w.running, w.concurrency, w.processed) for w in listed] == [("w-1", 2, 4, 1)]
    await parts.backend.remove_worker("w-1")
    assert await parts.backend.list_workers() == []
    await asyncio.sleep(0)
