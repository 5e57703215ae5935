"""Adding jobs: ids, the duplicate guard, payload rules and schemas."""

from __future__ import annotations

import pytest

from hubjobs import App, ConfigurationError, InvalidJobData, InvalidJobOptions, JobState, UnknownJobName
from tests.contract.producers import Producers


async def test_add_returns_a_waiting_job_with_its_fields(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    job = await producer(q).add("noop", {"a": 1}, priority=3, attempts=4, timeout=9)
    assert job.id and job.queue == "q" and job.name == "noop"
    assert job.data == {"a": 1}
    assert job.state == JobState.WAITING
    assert job.priority == 3 and job.max_attempts == 4 and job.options.timeout == 9
    assert job.attempts_made == 0 and job.progress is None and job.result is None
    assert job.created_at.tzinfo is not None and job.started_at is None and job.finished_at is None
    assert (await producer(q).counts()) == {"waiting": 1, "delayed": 0, "active": 0, "completed": 0, "failed": 0}


async def test_duplicate_job_id_returns_the_existing_job(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    first = await producer(q).add("noop", {"v": 1}, job_id="file-42")
    again = await producer(q).add("noop", {"v": 2}, job_id="file-42")
    assert again.id == "file-42" and again.data == {"v": 1}
    assert (await producer(q).counts())["waiting"] == 1
    assert first.created_at == again.created_at


async def test_duplicate_guard_holds_after_completion(tapp: App, producer: Producers) -> None:
    from tests.helpers import running_worker, state_is, wait_until

    q = tapp.queue("q")
    await producer(q).add("noop", {"v": 1}, job_id="once")
    async with running_worker(tapp, "q"):
        await wait_until(state_is(tapp, "q", "once", "completed"), what="job completed")
    again = await producer(q).add("noop", {"v": 2}, job_id="once")
    assert again.state == JobState.COMPLETED and again.data == {"v": 1}


async def test_add_bulk_adds_all_and_skips_duplicates(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    await producer(q).add("noop", {}, job_id="x1")
    ids = await producer(q).add_bulk([{"name": "noop", "data": {"i": i}} for i in range(50)]
                            + [{"name": "noop", "data": {}, "job_id": "x1"}])
    assert len(ids) == 51 and ids[-1] == "x1"
    assert (await producer(q).counts())["waiting"] == 51


@pytest.mark.parametrize("data, message", [
    ({"when": object()}, "JSON"),
    ({"blob": "x" * (512 * 1024 + 1)}, "512"),
    ({"f": float("nan")}, "JSON"),
])
async def test_bad_data_is_refused_at_add(tapp: App, data: object, message: str, producer: Producers) -> None:
    with pytest.raises(InvalidJobData, match=message):
        await producer(tapp.queue("q")).add("noop", data)
    assert (await producer(tapp.queue("q")).counts())["waiting"] == 0


async def test_nesting_over_64_is_refused(tapp: App, producer: Producers) -> None:
    deep: object = "leaf"
    for _ in range(65):
        deep = [deep]
    with pytest.raises(InvalidJobData, match="deeper than 64"):
        await producer(tapp.queue("q")).add("noop", deep)
    ok: object = "leaf"
    for _ in range(63):
        ok = [ok]
    await producer(tapp.queue("q")).add("noop", ok)


async def test_schema_violation_names_the_field_at_add_time(tapp: App, producer: Producers) -> None:
    q = tapp.queue("q")
    with pytest.raises(InvalidJobData, match="email") as info:
        await producer(q).add("order", {"order_id": 5})
    assert info.value.field == "email"
    with pytest.raises(InvalidJobData, match="order_id"):
        await producer(q).add("order", {"order_id": "five", "email": "a@b.c"})
    await producer(q).add("order", {"order_id": 5, "email": "a@b.c"})


async def test_unknown_job_name_is_refused_by_a_producer_that_knows_the_handlers(tapp: App, producer: Producers) -> None:
    with pytest.raises(UnknownJobName, match="nope"):
        await producer(tapp.queue("q")).add("nope", {})


@pytest.mark.parametrize("options", [
    {"priority": -1}, {"attempts": 0}, {"timeout": -5}, {"delay": -1}, {"job_id": ""},
    {"backoff": "soon"}, {"remove_on_complete": "yes"},
])
async def test_bad_options_are_refused_by_name(tapp: App, options: dict[str, object], producer: Producers) -> None:
    with pytest.raises(InvalidJobOptions):
        await producer(tapp.queue("q")).add("noop", {}, **options)


async def test_run_at_must_be_timezone_aware(tapp: App, producer: Producers) -> None:
    from datetime import datetime

    with pytest.raises(InvalidJobOptions, match="timezone-aware"):
        await producer(tapp.queue("q")).add("noop", {}, run_at=datetime(2030, 1, 1))


def test_sync_api_works_without_an_event_loop(backend_url: str) -> None:
    from tests.apps import build_app

    app = build_app(backend_url)
    try:
        q = app.queue("q")
        job = q.add("noop", {"sync": True}, job_id="s1")
        assert q.get("s1") is not None and job.data == {"sync": True}
        assert q.counts()["waiting"] == 1
        assert [j.id for j in q.jobs("waiting")] == ["s1"]
    finally:
        app.close()


def test_sync_adds_from_many_threads_at_once(backend_url: str) -> None:
    """Sync producers talk to storage from their own threads: several threads (a web server's
    request threads) add at once, each job is stored once, and no background loop is started."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.apps import build_app

    app = build_app(backend_url)
    try:
        q = app.queue("q")
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(lambda i: q.add("noop", {"i": i}, job_id=f"t{i}").id, range(120)))
            again = list(pool.map(lambda _i: q.add("noop", {"v": "dup"}, job_id="same").id, range(16)))
            bulk = list(pool.map(lambda i: q.add_bulk([{"name": "noop", "data": {"b": i}}] * 3), range(8)))
        assert again == ["same"] * 16
        assert sum(len(b) for b in bulk) == 24
        assert q.counts()["waiting"] == 120 + 1 + 24
        assert {j.id for j in q.jobs("waiting", 0, 500)} >= set(ids)
        assert app._portal is None  # no hop through a background event loop
    finally:
        app.close()


def test_sync_adds_in_a_forked_child_use_connections_of_its_own(backend_url: str) -> None:
    """A pre-forking web server (gunicorn --preload) forks after the App made sync calls: the
    child opens its own connections and the parent's keep working."""
    import multiprocessing

    from hubjobs.backends.registry import create_backend
    from tests.apps import build_app

    shared = create_backend(backend_url).capabilities.multi_process
    app = build_app(backend_url)
    try:
        q = app.queue("q")
        q.add("noop", {"who": "parent"}, job_id="before-fork")

        def child() -> None:
            child_q = app.queue("q")
            if not shared:  # a one-process store (memory://) refuses, rather than lose the writes
                with pytest.raises(ConfigurationError, match="another process cannot reach it"):
                    child_q.add("noop", {"who": "child"}, job_id="child-0")
                return
            for i in range(20):
                child_q.add("noop", {"who": "child", "i": i}, job_id=f"child-{i}")
            assert child_q.get("before-fork") is not None

        proc = multiprocessing.get_context("fork").Process(target=child)
        proc.start()
        for i in range(20):  # the parent adds meanwhile on its own connections
            q.add("noop", {"who": "parent", "i": i}, job_id=f"parent-{i}")
        proc.join(60)
        assert proc.exitcode == 0
        assert q.counts()["waiting"] == (41 if shared else 21)
        assert (q.get("child-19") is not None) is shared and q.get("parent-19") is not None
    finally:
        app.close()
