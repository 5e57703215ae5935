"""A queued job with 100 bytes of data costs at most 300 bytes of Redis memory (one hash field
holding the compact job, one entry in its priority's waiting list)."""

from __future__ import annotations

import json
from pathlib import Path

from hubjobs import App
from tests.redis.servers import RedisServer

JOBS = 20_000
DATA = {"payload": "x" * 86}


async def test_a_queued_job_costs_at_most_300_bytes(tmp_path: Path) -> None:
    assert len(json.dumps(DATA, separators=(",", ":"))) == 100
    server = RedisServer(tmp_path / "redis", extra=("--appendonly", "no")).start()
    app = App(f"{server.url}?prefix=hubjobs")
    q = app.queue("bench")
    admin = server.client()
    try:
        await q.aadd_bulk([{"name": "noop", "data": {}}])  # the queue's fixed keys exist from here on
        before = int(admin.info("memory")["used_memory"])
        for _ in range(0, JOBS, 5000):
            await q.aadd_bulk([{"name": "noop", "data": DATA}] * 5000)
        per_job = (int(admin.info("memory")["used_memory"]) - before) / JOBS
        assert (await q.acounts())["waiting"] == JOBS + 1
        assert per_job <= 300, f"{per_job:.0f} bytes of Redis memory per queued job"
    finally:
        admin.close()
        await app.aclose()
        app.close()
        server.stop()
