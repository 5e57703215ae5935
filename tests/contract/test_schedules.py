"""Schedules on every backend: stored next runs, upsert and remove, DST through storage,
catch-up policies through the runner, the listing, and which clock the scheduler trusts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from hubjobs import App
from hubjobs.backends.base import Backend, RecordScheduleRun, StoredSchedule
from hubjobs.cli_schedules import schedules
from hubjobs.scheduler import Scheduler, run_scheduler
from hubjobs.scheduling import ScheduleError, ScheduleSpec, next_tick, tick_job_id
from hubjobs.scheduling.firing import fire_due
from hubjobs.scheduling.listing import list_schedule_rows
from hubjobs.scheduling.store import remove_schedule
from tests.helpers import wait_until

QUEUE = "scheduled"
HOUR = timedelta(hours=1)


@pytest.fixture
async def sapp(backend_url: str) -> AsyncIterator[App]:
    """An App on the backend under test, with no handlers (any job name may be scheduled)."""
    app = App(backend_url)
    yield app
    await app.aclose()
    app.close()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def at(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


async def stored(app: App, schedule_id: str) -> StoredSchedule:
    rows = {row.id: row for row in await (await app.backend()).list_schedules()}
    return rows[schedule_id]


async def backend_now(app: App) -> datetime:
    return datetime.fromtimestamp(await (await app.backend()).now(), UTC)


async def set_bookkeeping(app: App, schedule_id: str, last_run: datetime, next_run: datetime) -> None:
    """Move a schedule's bookkeeping as if it last ran at `last_run` (simulates downtime)."""
    backend = await app.backend()
    current = await stored(app, schedule_id)
    assert await backend.record_schedule_run(
        RecordScheduleRun(schedule_id, current.last_run, last_run.timestamp(), next_run.timestamp()))


async def job_ids(app: App) -> list[str]:
    jobs = await app.queue(QUEUE).ajobs("waiting", limit=10_000)
    return sorted(job.id for job in jobs)


def ids(spec: ScheduleSpec, *ticks: datetime) -> list[str]:
    return sorted(tick_job_id(spec, tick) for tick in ticks)


def whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


# --- declaration ----------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, named", [
    ({"cron": "61 * * * *"}, "61 * * * *"),
    ({"cron": "0 2 * *"}, "0 2 * *"),
    ({"cron": "0 2 * * *", "tz": "Mars/Olympus"}, "Mars/Olympus"),
    ({"every": timedelta(milliseconds=500)}, "every"),
    ({"every": 60, "catch_up": "burst"}, "burst"),
    ({"every": 60, "job_id": "fixed"}, "job_id"),
    ({"every": 60, "colour": "red"}, "colour"),
    ({"every": 60, "priority": "high"}, "priority"),
])
def test_bad_schedules_are_refused_when_declared(sqlite_url: str, kwargs: dict[str, Any], named: str) -> None:
    app = App(sqlite_url)
    with pytest.raises(ScheduleError, match="nightly") as info:
        app.schedule("nightly", queue=QUEUE, name="cleanup", **kwargs)
    assert named in str(info.value)
    assert app.schedules == {}


def test_a_declared_id_cannot_be_redeclared_differently(sqlite_url: str) -> None:
    app = App(sqlite_url)
    first = app.schedule("nightly", queue=QUEUE, name="cleanup", cron="0 2 * * *")
    assert app.schedule("nightly", queue=QUEUE, name="cleanup", cron="0 2 * * *") == first
    with pytest.raises(ScheduleError, match="already declared"):
        app.schedule("nightly", queue=QUEUE, name="cleanup", cron="0 3 * * *")


# --- next runs stored and listed ------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    {"cron": "0 2 * * *", "tz": "Europe/Berlin"},
    {"cron": "*/10 * * * * *"},
    {"cron": "0 9 * * 1", "tz": "America/New_York"},
    {"every": timedelta(minutes=5)},
    {"every": 7},
])
async def test_a_declared_schedule_is_stored_with_its_next_run(sapp: App, kwargs: dict[str, Any]) -> None:
    spec = sapp.schedule("s1", queue=QUEUE, name="tick", **kwargs)
    before = await backend_now(sapp)
    await Scheduler(sapp).tick_once()
    after = await backend_now(sapp)
    row = await stored(sapp, "s1")
    assert row.last_run is None
    assert at(row.next_run) in {next_tick(spec, before), next_tick(spec, after)}
    assert ScheduleSpec.from_json(json.loads(row.spec_json)) == spec
    [listed] = await list_schedule_rows(sapp)
    assert listed.id == "s1" and listed.stored and listed.next_run == at(row.next_run)


async def test_nothing_from_before_creation_fires(sapp: App) -> None:
    now = whole_second(await backend_now(sapp))
    anchor = now - timedelta(minutes=10)  # a tick 10 minutes ago, well within max_lateness
    spec = ScheduleSpec(id="hourly", queue=QUEUE, name="tick", every=HOUR, anchor=anchor)
    sapp.schedules[spec.id] = spec
    assert await Scheduler(sapp).tick_once() == []
    assert await job_ids(sapp) == []
    assert at((await stored(sapp, "hourly")).next_run) == anchor + HOUR


# --- upsert and remove ----------------------------------------------------------------------


async def test_upserting_an_unchanged_spec_keeps_the_bookkeeping(sapp: App) -> None:
    spec = sapp.schedule("s1", queue=QUEUE, name="tick", every=HOUR)
    await Scheduler(sapp).tick_once()
    now = await backend_now(sapp)
    last = next_tick(spec, now - 5 * HOUR)
    await set_bookkeeping(sapp, "s1", last, next_tick(spec, now))
    before = await stored(sapp, "s1")
    await Scheduler(sapp).tick_once()  # a new scheduler upserts the same spec again
    assert await stored(sapp, "s1") == before
    assert len(await (await sapp.backend()).list_schedules()) == 1


async def test_upserting_a_changed_spec_changes_it_in_place(sapp: App, backend_url: str) -> None:
    sapp.schedule("s1", queue=QUEUE, name="tick", cron="0 2 * * *", tz="Europe/Berlin")
    await Scheduler(sapp).tick_once()
    now = await backend_now(sapp)
    old_spec = sapp.schedules["s1"]
    last = next_tick(old_spec, now - timedelta(days=3))
    await set_bookkeeping(sapp, "s1", last, next_tick(old_spec, now))

    changed = App(backend_url)
    try:
        new_spec = changed.schedule("s1", queue=QUEUE, name="tick", cron="30 4 * * 1", tz="Asia/Tokyo")
        before = await backend_now(changed)
        await Scheduler(changed).tick_once()
        after = await backend_now(changed)
    finally:
        await changed.aclose()
        changed.close()
    [row] = await (await sapp.backend()).list_schedules()
    assert row.id == "s1"
    assert ScheduleSpec.from_json(json.loads(row.spec_json)) == new_spec
    assert at(row.next_run) in {next_tick(new_spec, before), next_tick(new_spec, after)}
    assert at(row.last_run) == last
    [listed] = await list_schedule_rows(sapp)
    assert listed.expression == "cron 30 4 * * 1 (Asia/Tokyo)" and listed.tz == "Asia/Tokyo"


async def test_a_removed_schedule_stops(sapp: App) -> None:
    spec = sapp.schedule("s1", queue=QUEUE, name="tick", every=HOUR)
    scheduler = Scheduler(sapp)
    await scheduler.tick_once()
    now = await backend_now(sapp)
    newest = next_tick(spec, now - HOUR)
    await set_bookkeeping(sapp, "s1", newest - 2 * HOUR, newest - HOUR)  # due now
    assert await remove_schedule(sapp, "s1") is True
    assert "s1" not in sapp.schedules
    assert await (await sapp.backend()).list_schedules() == []
    assert await scheduler.tick_once() == []
    assert await job_ids(sapp) == []
    assert await remove_schedule(sapp, "s1") is False


async def test_a_paused_schedule_adds_nothing_until_resumed(sapp: App) -> None:
    spec = sapp.schedule("s1", queue=QUEUE, name="tick", every=HOUR)
    await Scheduler(sapp).tick_once()
    now = await backend_now(sapp)
    newest = next_tick(spec, now - HOUR)
    await set_bookkeeping(sapp, "s1", newest - 2 * HOUR, newest - HOUR)  # due now
    runner = CliRunner()
    obj = SimpleNamespace(app=sapp)
    paused = await asyncio.to_thread(runner.invoke, schedules, ["pause", "s1"], obj=obj)
    assert paused.exit_code == 0 and "paused schedule s1" in paused.output
    assert (await stored(sapp, "s1")).paused is True
    assert await Scheduler(sapp).tick_once() == []  # a new scheduler re-stores the declaration: still paused
    assert await job_ids(sapp) == []
    [listed] = await list_schedule_rows(sapp)
    assert listed.paused is True and listed.to_json()["paused"] is True
    table = await asyncio.to_thread(runner.invoke, schedules, ["list"], obj=obj, env={"COLUMNS": "200"})
    assert "paused" in table.output

    resumed = await asyncio.to_thread(runner.invoke, schedules, ["resume", "s1"], obj=obj)
    assert resumed.exit_code == 0 and "resumed schedule s1" in resumed.output
    fired = await Scheduler(sapp).tick_once()  # catch-up "one": the newest missed tick, once
    assert [tick.job_id for tick in fired] == [tick_job_id(spec, newest)]
    assert await job_ids(sapp) == ids(spec, newest)
    assert (await stored(sapp, "s1")).paused is False

    unknown = await asyncio.to_thread(runner.invoke, schedules, ["pause", "nope"], obj=obj)
    assert unknown.exit_code != 0 and "no stored schedule 'nope'" in unknown.output
    await asyncio.to_thread(runner.invoke, schedules, ["pause", "s1"], obj=obj)
    assert await remove_schedule(sapp, "s1") is True
    sapp.schedule("s1", queue=QUEUE, name="tick", every=HOUR)
    await Scheduler(sapp).tick_once()
    assert (await stored(sapp, "s1")).paused is False  # a removed schedule's pause goes with it


def test_app_remove_schedule_removes_it_from_storage(backend_url: str) -> None:
    app = App(backend_url)
    try:
        app.schedule("s1", queue=QUEUE, name="tick", every=HOUR)
        app.portal.call(Scheduler(app).tick_once())
        assert app.remove_schedule("s1") is True
        assert app.portal.call(list_schedule_rows(app)) == []
        assert app.remove_schedule("s1") is False
    finally:
        app.close()


async def test_stored_schedules_run_in_a_scheduler_whose_app_does_not_declare_them(
        sapp: App, backend_url: str) -> None:
    spec = sapp.schedule("s1", queue=QUEUE, name="tick", every=HOUR, data={"k": 1}, priority=2)
    await Scheduler(sapp).tick_once()
    now = await backend_now(sapp)
    newest = next_tick(spec, now - HOUR)
    await set_bookkeeping(sapp, "s1", newest - HOUR, newest)

    other = App(backend_url)
    try:
        fired = await Scheduler(other).tick_once()
    finally:
        await other.aclose()
        other.close()
    assert [(tick.job_id, tick.created) for tick in fired] == [(tick_job_id(spec, newest), True)]
    job = await sapp.queue(QUEUE).aget(tick_job_id(spec, newest))
    assert job is not None and job.name == "tick" and job.data == {"k": 1} and job.priority == 2
    assert at((await stored(sapp, "s1")).last_run) == newest


# --- catch-up policies through the runner ---------------------------------------------------


async def _downtime(sapp: App, catch_up: str, missed_hours: int, **extra: Any) -> tuple[ScheduleSpec, datetime]:
    """An hourly schedule whose newest tick was 10 minutes ago, last run `missed_hours` ago."""
    now = whole_second(await backend_now(sapp))
    newest = now - timedelta(minutes=10)
    spec = ScheduleSpec(id="hourly", queue=QUEUE, name="tick", every=HOUR, anchor=newest,
                        catch_up=catch_up, **extra)  # type: ignore[arg-type]
    sapp.schedules[spec.id] = spec
    scheduler = Scheduler(sapp)
    await scheduler.tick_once()
    await set_bookkeeping(sapp, "hourly", newest - missed_hours * HOUR, newest - (missed_hours - 1) * HOUR)
    return spec, newest


async def test_catch_up_one_adds_one_job_after_downtime_never_a_burst(sapp: App) -> None:
    spec, newest = await _downtime(sapp, "one", missed_hours=1000)
    [listed] = await list_schedule_rows(sapp)
    assert listed.next_run == newest  # overdue: the one catch-up run
    fired = await Scheduler(sapp).tick_once()
    assert [tick.job_id for tick in fired] == [tick_job_id(spec, newest)]
    assert await job_ids(sapp) == ids(spec, newest)
    row = await stored(sapp, "hourly")
    assert at(row.last_run) == newest and at(row.next_run) == newest + HOUR
    assert await Scheduler(sapp).tick_once() == []  # nothing more until the next tick
    assert await job_ids(sapp) == ids(spec, newest)


async def test_catch_up_one_skips_a_run_later_than_max_lateness(sapp: App) -> None:
    _, newest = await _downtime(sapp, "one", missed_hours=3, max_lateness=timedelta(minutes=5))
    assert await Scheduler(sapp).tick_once() == []
    assert await job_ids(sapp) == []
    row = await stored(sapp, "hourly")
    assert at(row.last_run) == newest - 3 * HOUR and at(row.next_run) == newest + HOUR
    [listed] = await list_schedule_rows(sapp)
    assert listed.next_run == newest + HOUR


async def test_catch_up_all_adds_every_missed_tick_once(sapp: App) -> None:
    spec, newest = await _downtime(sapp, "all", missed_hours=3)
    [listed] = await list_schedule_rows(sapp)
    assert listed.next_run == newest - 2 * HOUR  # overdue: the oldest missed tick runs first
    fired = await Scheduler(sapp).tick_once()
    expected = [newest - 2 * HOUR, newest - HOUR, newest]
    assert [tick.tick for tick in fired] == expected
    assert await job_ids(sapp) == ids(spec, *expected)
    assert await Scheduler(sapp).tick_once() == []
    assert await job_ids(sapp) == ids(spec, *expected)


async def test_catch_up_none_skips_missed_ticks(sapp: App) -> None:
    _, newest = await _downtime(sapp, "none", missed_hours=3)
    assert await Scheduler(sapp).tick_once() == []
    assert await job_ids(sapp) == []
    assert at((await stored(sapp, "hourly")).next_run) == newest + HOUR


async def test_a_tick_is_added_once_by_racing_schedulers(sapp: App, backend_url: str) -> None:
    spec, newest = await _downtime(sapp, "one", missed_hours=1)
    apps = [App(backend_url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(Scheduler(app).tick_once() for app in apps))
    finally:
        for app in apps:
            await app.aclose()
            app.close()
    fired = [tick for result in results for tick in result]
    assert {tick.job_id for tick in fired} == {tick_job_id(spec, newest)}
    assert sum(tick.created for tick in fired) == 1
    assert await job_ids(sapp) == ids(spec, newest)


async def test_a_scheduler_frozen_after_reading_reads_again_before_adding(sapp: App) -> None:
    spec, newest = await _downtime(sapp, "one", missed_hours=1)
    backend = await sapp.backend()
    row = await stored(sapp, "hourly")
    outcome = await fire_due(sapp, backend, row, await backend_now(sapp), fresh=lambda: False)
    assert outcome.stale and outcome.fired == []
    assert await job_ids(sapp) == [] and await stored(sapp, "hourly") == row
    outcome = await fire_due(sapp, backend, row, await backend_now(sapp))
    assert [tick.job_id for tick in outcome.fired] == [tick_job_id(spec, newest)]


# --- DST through storage --------------------------------------------------------------------


async def test_spring_forward_runs_a_daily_0230_job_once(sapp: App) -> None:
    # Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    spec = sapp.schedule("nightly", queue=QUEUE, name="tick", cron="30 2 * * *", tz="Europe/Berlin")
    scheduler = Scheduler(sapp)
    assert await scheduler.tick_once(now=utc(2026, 3, 28, 1, 0)) == []
    assert at((await stored(sapp, "nightly")).next_run) == utc(2026, 3, 28, 1, 30)  # 02:30 CET
    await scheduler.tick_once(now=utc(2026, 3, 28, 1, 30, 1))
    assert at((await stored(sapp, "nightly")).next_run) == utc(2026, 3, 29, 1, 0)  # 03:00 CEST
    assert await scheduler.tick_once(now=utc(2026, 3, 29, 0, 59, 59)) == []
    fired = await scheduler.tick_once(now=utc(2026, 3, 29, 1, 0, 1))
    assert [tick.tick for tick in fired] == [utc(2026, 3, 29, 1, 0)]
    for moment in (utc(2026, 3, 29, 1, 30, 1), utc(2026, 3, 29, 2, 30, 1), utc(2026, 3, 30, 0, 0)):
        assert await scheduler.tick_once(now=moment) == []
    row = await stored(sapp, "nightly")
    assert at(row.last_run) == utc(2026, 3, 29, 1, 0) and at(row.next_run) == utc(2026, 3, 30, 0, 30)
    assert await job_ids(sapp) == ids(spec, utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0))


async def test_fall_back_runs_a_daily_0230_job_once(sapp: App) -> None:
    # Europe/Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
    spec = sapp.schedule("nightly", queue=QUEUE, name="tick", cron="30 2 * * *", tz="Europe/Berlin")
    scheduler = Scheduler(sapp)
    await scheduler.tick_once(now=utc(2026, 10, 24, 23, 0))
    assert at((await stored(sapp, "nightly")).next_run) == utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    fired = await scheduler.tick_once(now=utc(2026, 10, 25, 0, 30, 1))
    assert [tick.tick for tick in fired] == [utc(2026, 10, 25, 0, 30)]
    assert at((await stored(sapp, "nightly")).next_run) == utc(2026, 10, 26, 1, 30)  # 02:30 CET next day
    assert await scheduler.tick_once(now=utc(2026, 10, 25, 1, 30, 1)) == []  # 02:30 CET: not again
    assert await job_ids(sapp) == ids(spec, utc(2026, 10, 25, 0, 30))


async def test_fall_back_runs_an_hourly_job_in_both_repeated_hours(sapp: App) -> None:
    spec = sapp.schedule("hourly", queue=QUEUE, name="tick", cron="0 * * * *", tz="Europe/Berlin")
    scheduler = Scheduler(sapp)
    await scheduler.tick_once(now=utc(2026, 10, 24, 23, 30))
    fired = []
    for moment in (utc(2026, 10, 25, 0, 0, 1), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0, 1),
                   utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2, 0, 1)):
        fired += await scheduler.tick_once(now=moment)
    # 02:00 CEST, 02:00 CET (the repeated hour), 03:00 CET: one job each
    expected = [utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 2, 0)]
    assert [tick.tick for tick in fired] == expected
    assert await job_ids(sapp) == ids(spec, *expected)


# --- the runner -----------------------------------------------------------------------------


def _ticks_of(job_id_list: list[str]) -> list[datetime]:
    return sorted(datetime.strptime(job_id.rsplit(":", 1)[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                  for job_id in job_id_list)


async def test_run_scheduler_adds_one_job_per_second_until_stopped(sapp: App) -> None:
    # catch_up="all": a step delayed past the next tick (a busy machine) still adds every tick
    spec = sapp.schedule("pulse", queue=QUEUE, name="tick", every=1, data={"hello": "world"}, catch_up="all")
    await sapp.backend()  # opened before the runner shares it (see App.backend)
    stop = asyncio.Event()
    runner = asyncio.create_task(run_scheduler(sapp, stop))
    await wait_until(lambda: _count_at_least(sapp, 3), what="three ticks")
    stop.set()
    await asyncio.wait_for(runner, 10)
    ticks = _ticks_of(await job_ids(sapp))
    assert [later - earlier for earlier, later in pairwise(ticks)] == [timedelta(seconds=1)] * (len(ticks) - 1)
    job = await sapp.queue(QUEUE).aget(tick_job_id(spec, ticks[0]))
    assert job is not None and job.data == {"hello": "world"}


async def _count_at_least(app: App, count: int) -> bool:
    return len(await job_ids(app)) >= count


async def test_a_schedule_added_while_running_is_picked_up_and_a_removed_one_stops(
        sapp: App, backend_url: str) -> None:
    await sapp.backend()  # opened before the runner shares it (see App.backend)
    scheduler = Scheduler(sapp, poll_interval=0.2)
    runner = asyncio.create_task(scheduler.run())
    try:
        other = App(backend_url)
        try:
            other.schedule("late", queue=QUEUE, name="tick", every=1)
            await Scheduler(other).tick_once()  # stores it; the running scheduler fires it
            await wait_until(lambda: _count_at_least(sapp, 2), what="ticks of the added schedule")
            assert await remove_schedule(other, "late")
        finally:
            await other.aclose()
            other.close()
        # After removal at most one step that had already read it can add a job; then none.
        settled = len(await job_ids(sapp))
        marker = App(backend_url)
        try:
            marker.schedule("marker", queue="markers", name="tick", every=1)
            await Scheduler(marker).tick_once()
        finally:
            await marker.aclose()
            marker.close()
        for _ in range(2):  # two later ticks of another schedule prove two full steps ran
            await _wait_for_a_marker_tick(sapp)
        assert len(await job_ids(sapp)) <= settled + 1
    finally:
        scheduler.stop()
        await asyncio.wait_for(runner, 10)


async def _wait_for_a_marker_tick(app: App) -> None:
    before = len(await app.queue("markers").ajobs("waiting"))

    async def ticked() -> bool:
        return len(await app.queue("markers").ajobs("waiting")) > before

    await wait_until(ticked, what="a marker tick")


async def test_a_job_that_cannot_be_built_is_reported_and_the_tick_stays_pending(
        sapp: App, backend_url: str) -> None:
    @sapp.job("handled", "known")
    async def known(job: Any) -> None:
        return None

    spec = sapp.schedule("bad", queue="handled", name="unknown-name", every=HOUR)
    await Scheduler(sapp).tick_once()
    now = await backend_now(sapp)
    newest = next_tick(spec, now - HOUR)
    await set_bookkeeping(sapp, "bad", newest - HOUR, newest)
    assert await Scheduler(sapp).tick_once() == []
    assert at((await stored(sapp, "bad")).next_run) == newest  # still pending
    permissive = App(backend_url)  # an App without handlers on that queue adds it
    try:
        fired = await Scheduler(permissive).tick_once()
    finally:
        await permissive.aclose()
        permissive.close()
    assert [tick.job_id for tick in fired] == [tick_job_id(spec, newest)]


# --- the listing ----------------------------------------------------------------------------


async def test_schedules_list_shows_next_and_last_runs(sapp: App) -> None:
    nightly = sapp.schedule("daily-cleanup", queue=QUEUE, name="daily-cleanup", cron="0 2 * * *",
                            tz="Europe/Berlin")
    await Scheduler(sapp).tick_once()
    weekly = sapp.schedule("weekly-analytics", queue=QUEUE, name="weekly-analytics", cron="0 3 * * 1")
    now = await backend_now(sapp)
    last = next_tick(nightly, now - timedelta(days=2))
    await set_bookkeeping(sapp, "daily-cleanup", last, next_tick(nightly, now))
    runner = CliRunner()
    obj = SimpleNamespace(app=sapp)
    result = await asyncio.to_thread(runner.invoke, schedules, ["list", "--json"], obj=obj)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["id"] for row in rows] == ["daily-cleanup", "weekly-analytics"]
    daily, week = rows
    assert daily["expression"] == "cron 0 2 * * * (Europe/Berlin)" and daily["tz"] == "Europe/Berlin"
    assert daily["next_run"] == next_tick(nightly, now).isoformat().replace("+00:00", "Z")
    assert daily["last_run"] == last.isoformat().replace("+00:00", "Z") and daily["stored"] is True
    assert week["stored"] is False and week["last_run"] is None
    assert week["next_run"] == next_tick(weekly, now).isoformat().replace("+00:00", "Z")
    table = await asyncio.to_thread(runner.invoke, schedules, ["list"], obj=obj, env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "daily-cleanup" in table.output and "Europe/Berlin" in table.output
    assert f"{next_tick(nightly, now):%Y-%m-%d}" in table.output
    assert f"{next_tick(nightly, now):%H:%M:%S}Z" in table.output


# --- clocks ---------------------------------------------------------------------------------


async def test_the_clock_offset_applies_only_where_the_backend_has_no_server_clock(sapp: App) -> None:
    backend: Backend = await sapp.backend()
    scheduler = Scheduler(sapp, clock_offset=120)
    before = await backend.now()
    seen = (await scheduler.now()).timestamp()
    after = await backend.now()
    if backend.capabilities.server_clock:
        # Redis TIME / PostgreSQL now(): this process's clock error cannot move the schedule.
        assert before <= seen <= after
    else:
        # SQLite has no server clock: the process clock (with its offset) is the clock.
        assert before + 120 <= seen <= after + 120

