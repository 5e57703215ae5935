"""Job meta on every backend: added with the job (sync and async twins), seen by the handler on
every try, carried across retries, set by producer middleware, refused when malformed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hubjobs import AddContext, App, InvalidJobOptions, Job, Middleware
from tests.helpers import running_worker, wait_until


@pytest.fixture
async def app(backend_url: str) -> AsyncIterator[App]:
    """An App on the backend under test, its loop's backend closed after the test."""
    a = App(backend_url)
    yield a
    await a.aclose()
    a.close()


async def test_meta_round_trip_across_retries(app: App) -> None:
    seen: list[dict[str, str]] = []

    @app.job("q", attempts=3)
    async def flaky(job: Job) -> str:
        seen.append(job.meta)
        if job.attempts_made < 2:
            raise RuntimeError("not yet")
        return "done"

    q = app.queue("q")
    added = await q.aadd("flaky", {}, job_id="m1", meta={"tenant": "acme", "trace": "00-abc-def-01"})
    assert added.meta == {"tenant": "acme", "trace": "00-abc-def-01"}
    stored = await q.aget("m1")
    assert stored is not None and stored.meta == added.meta
    async with running_worker(app, "q"):
        await wait_until(lambda: _state(q, "m1", "completed"), what="the job done on its third try")
    assert seen == [added.meta] * 3
    done = await q.aget("m1")
    assert done is not None and done.meta == added.meta and done.summary()["meta"] == added.meta


async def test_sync_add_and_bulk_keep_meta(app: App) -> None:
    q = app.queue("q")
    await asyncio.to_thread(q.add, "x", None, job_id="s1", meta={"k": "v"})
    await asyncio.to_thread(q.add_bulk, [{"name": "x", "job_id": "s2", "meta": {"a": "1"}},
                                         {"name": "x", "job_id": "s3"}])
    assert [(await q.aget(i)).meta for i in ("s1", "s2", "s3")] == [  # type: ignore[union-attr]
        {"k": "v"}, {"a": "1"}, {}]


@pytest.mark.parametrize("meta, field", [
    ({"k": 1}, "meta.k"), ({"": "v"}, "meta"), ({"k": "v" * 1025}, "meta.k"),
    ({f"k{i}": "v" for i in range(33)}, "meta"), ("text", "meta")])
async def test_bad_meta_is_refused_naming_it(app: App, meta: Any, field: str) -> None:
    with pytest.raises(InvalidJobOptions) as err:
        await app.queue("q").aadd("x", meta=meta)
    assert err.value.field == field


async def test_producer_middleware_sets_meta_in_order(app: App) -> None:
    calls: list[str] = []

    class Tag(Middleware):
        def __init__(self, name: str) -> None:
            self.name = name

        def before_add(self, add: AddContext) -> None:
            calls.append(f"{self.name}.before")
            add.meta[self.name] = add.job_id

        def after_add(self, add: AddContext, error: BaseException | None) -> None:
            assert error is None and add.added is not None and add.added.created
            calls.append(f"{self.name}.after")

    app.middleware(Tag("outer"))
    app.middleware(Tag("inner"))
    q = app.queue("q")
    job = await q.aadd("x", job_id="p1", meta={"own": "1"})
    assert job.meta == {"own": "1", "outer": "p1", "inner": "p1"}
    assert calls == ["outer.before", "inner.before", "inner.after", "outer.after"]
    assert (await q.aget("p1")).meta == job.meta  # type: ignore[union-attr]
    await asyncio.to_thread(q.add, "x", None, job_id="p2")
    assert (await q.aget("p2")).meta == {"outer": "p2", "inner": "p2"}  # type: ignore[union-attr]


async def _state(q: Any, job_id: str, state: str) -> bool:
    job = await q.aget(job_id)
    return job is not None and job.state.value == state
