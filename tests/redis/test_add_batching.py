"""Concurrent single adds to a queue share script calls, yet each caller gets its own outcome:
its job's id and state, the existing job for a duplicate id, or the typed error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hubjobs import App, BackendUnavailable, JobState
from tests.backends.redis import cleanup, make_url
from tests.redis.servers import RedisServer


async def test_concurrent_adds_each_get_their_outcome(tmp_path: Path) -> None:
    url = make_url(tmp_path, "batching")
    app = App(url)
    q = app.queue("q")
    try:
        jobs = await asyncio.gather(*[q.aadd("noop", {"i": i}, job_id=f"j{i % 150}") for i in range(300)])
        assert [j.id for j in jobs] == [f"j{i % 150}" for i in range(300)]
        assert all(j.data == {"i": int(j.id[1:])} for j in jobs)  # a duplicate id returns the first job
        assert (await q.acounts())["waiting"] == 150
        assert [j.id for j in await q.ajobs("waiting", 0, 150)] == [f"j{i}" for i in range(150)]
        delayed = await asyncio.gather(*[q.aadd("noop", {}, delay=60) for _ in range(20)])
        assert {j.state for j in delayed} == {JobState.DELAYED}
    finally:
        await app.aclose()
        app.close()
        cleanup(url)


async def test_concurrent_adds_all_get_the_typed_error_when_redis_is_down(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", extra=("--appendonly", "no")).start()
    app = App(f"{server.url}?prefix=down")
    q = app.queue("q")
    try:
        await q.aadd("noop", {})
        server.stop()
        results = await asyncio.gather(*[q.aadd("noop", {"i": i}) for i in range(50)], return_exceptions=True)
        assert all(isinstance(r, BackendUnavailable) for r in results), results[:3]
        with pytest.raises(BackendUnavailable):
            await q.aadd("noop", {})
    finally:
        await app.aclose()
        app.close()
        server.stop()
