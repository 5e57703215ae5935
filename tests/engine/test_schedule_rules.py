"""Storage-independent schedule rules: tick times, DST, catch-up, validation, job ids."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hubjobs.scheduling import (
    CATCH_UP_ALL_LIMIT,
    ON_TIME_WINDOW,
    ScheduleError,
    ScheduleSpec,
    describe,
    due_ticks,
    next_tick,
    previous_tick,
    tick_job_id,
    upcoming_ticks,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOURLY = "0 * * * *"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def cron_spec(cron: str, tz: str = "UTC", **extra: Any) -> ScheduleSpec:
    return ScheduleSpec(id="nightly", queue="scheduled-jobs", name="daily-cleanup", cron=cron, tz=tz, **extra)


def every_spec(every: timedelta, **extra: Any) -> ScheduleSpec:
    return ScheduleSpec(id="pulse", queue="scheduled-jobs", name="pulse", every=every, **extra)


def local(ticks: list[datetime], zone: ZoneInfo) -> list[str]:
    """Render ticks as local wall time with offset, e.g. '03-29 03:00+0200'."""
    return [f"{tick.astimezone(zone):%m-%d %H:%M%z}" for tick in ticks]


def ticks_between(spec: ScheduleSpec, start: datetime, end: datetime) -> list[datetime]:
    ticks = []
    tick = next_tick(spec, start)
    while tick <= end:
        ticks.append(tick)
        tick = next_tick(spec, tick)
    return ticks


# --- next run -------------------------------------------------------------------------------


def test_five_field_cron_next_run_is_strictly_after() -> None:
    spec = cron_spec("0 2 * * *")
    assert next_tick(spec, utc(2026, 5, 1, 1, 59, 59)) == utc(2026, 5, 1, 2, 0)
    assert next_tick(spec, utc(2026, 5, 1, 2, 0)) == utc(2026, 5, 2, 2, 0)
    assert next_tick(spec, utc(2026, 5, 1, 2, 0) - timedelta(microseconds=1)) == utc(2026, 5, 1, 2, 0)


def test_five_field_cron_weekday_and_month_names() -> None:
    spec = cron_spec("30 9 * * MON-FRI")
    # 2026-05-01 is a Friday: the next run after Friday's is Monday's.
    assert upcoming_ticks(spec, utc(2026, 5, 1, 9, 0), 2) == [utc(2026, 5, 1, 9, 30), utc(2026, 5, 4, 9, 30)]


def test_six_field_cron_has_seconds_first() -> None:
    spec = cron_spec("*/15 * * * * *")
    assert upcoming_ticks(spec, utc(2026, 5, 1, 0, 0, 7), 3) == [
        utc(2026, 5, 1, 0, 0, 15),
        utc(2026, 5, 1, 0, 0, 30),
        utc(2026, 5, 1, 0, 0, 45),
    ]
    assert next_tick(cron_spec("30 0 12 * * *"), utc(2026, 5, 1)) == utc(2026, 5, 1, 12, 0, 30)


def test_cron_in_a_time_zone_runs_at_local_wall_time() -> None:
    spec = cron_spec("0 2 * * *", tz="Europe/Berlin")
    assert next_tick(spec, utc(2026, 1, 10)) == utc(2026, 1, 10, 1, 0)  # 02:00 CET
    assert next_tick(spec, utc(2026, 7, 9, 12)) == utc(2026, 7, 10, 0, 0)  # 02:00 CEST


def test_cron_aliases_keep_their_classic_meaning() -> None:
    assert next_tick(cron_spec("@daily"), utc(2026, 5, 1, 10)) == utc(2026, 5, 2)
    assert next_tick(cron_spec("@hourly"), utc(2026, 5, 1, 10, 5)) == utc(2026, 5, 1, 11)
    assert describe(cron_spec("@daily", tz="Europe/Berlin")) == "cron @daily (Europe/Berlin)"


def test_hashed_cron_fields_are_stable_per_schedule_id() -> None:
    first = cron_spec("H H * * *")
    again = cron_spec("H H * * *")
    other = ScheduleSpec(id="other-schedule", queue="q", name="n", cron="H H * * *")
    start = utc(2026, 5, 1)
    assert next_tick(first, start) == next_tick(again, start)
    assert upcoming_ticks(first, start, 3) != upcoming_ticks(other, start, 3)


def test_interval_ticks_are_aligned_to_the_epoch() -> None:
    spec = every_spec(timedelta(hours=1))
    assert next_tick(spec, utc(2026, 5, 1, 10, 17, 3)) == utc(2026, 5, 1, 11, 0)
    assert next_tick(spec, utc(2026, 5, 1, 11, 0)) == utc(2026, 5, 1, 12, 0)  # strictly after
    assert previous_tick(spec, utc(2026, 5, 1, 11, 0)) == utc(2026, 5, 1, 11, 0)
    seven_minutes = every_spec(timedelta(minutes=7))
    tick = next_tick(seven_minutes, utc(2026, 5, 1, 10, 17, 3))
    assert (tick - utc(1970, 1, 1)) % timedelta(minutes=7) == timedelta(0)
    assert timedelta(0) < tick - utc(2026, 5, 1, 10, 17, 3) <= timedelta(minutes=7)


def test_interval_ticks_follow_a_custom_anchor_and_ignore_dst() -> None:
    spec = every_spec(timedelta(days=1), anchor=datetime(2026, 1, 1, 3, 0, tzinfo=BERLIN), tz="Europe/Berlin")
    # Anchored at 02:00 UTC: 24 real hours apart, also across the spring-forward day.
    assert upcoming_ticks(spec, utc(2026, 3, 28, 12), 3) == [
        utc(2026, 3, 29, 2, 0),
        utc(2026, 3, 30, 2, 0),
        utc(2026, 3, 31, 2, 0),
    ]


def test_every_process_computes_the_same_ticks_whatever_its_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = cron_spec("30 * * * *", tz="Europe/Berlin")
    start = utc(2026, 10, 24, 22)
    expected = upcoming_ticks(spec, start, 6)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert upcoming_ticks(spec, start, 6) == expected
    finally:
        monkeypatch.undo()
        time.tzset()


def test_ticks_reject_naive_datetimes() -> None:
    spec = cron_spec("0 2 * * *")
    with pytest.raises(ValueError, match="after must be time-zone aware"):
        next_tick(spec, datetime(2026, 5, 1))
    with pytest.raises(ValueError, match="now must be time-zone aware"):
        due_ticks(spec, utc(2026, 5, 1), datetime(2026, 5, 2))


def test_results_are_utc_for_aware_input_in_any_zone() -> None:
    spec = cron_spec("0 2 * * *", tz="Europe/Berlin")
    tick = next_tick(spec, datetime(2026, 1, 10, 0, 0, tzinfo=BERLIN))
    assert tick.tzinfo is UTC and tick == utc(2026, 1, 10, 1, 0)


# --- DST ------------------------------------------------------------------------------------


def test_berlin_daily_time_in_the_spring_gap_runs_once_at_the_end_of_the_gap() -> None:
    spec = cron_spec("30 2 * * *", tz="Europe/Berlin")
    ticks = upcoming_ticks(spec, utc(2026, 3, 27), 4)
    assert local(ticks, BERLIN) == [
        "03-27 02:30+0100",
        "03-28 02:30+0100",
        "03-29 03:00+0200",
        "03-30 02:30+0200",
    ]


def test_berlin_daily_time_repeated_at_fall_back_runs_once_at_first_occurrence() -> None:
    spec = cron_spec("30 2 * * *", tz="Europe/Berlin")
    ticks = upcoming_ticks(spec, utc(2026, 10, 24), 3)
    assert local(ticks, BERLIN) == ["10-24 02:30+0200", "10-25 02:30+0200", "10-26 02:30+0100"]


def test_new_york_daily_times_across_both_changes() -> None:
    spring = upcoming_ticks(cron_spec("30 2 * * *", tz="America/New_York"), utc(2026, 3, 7), 3)
    assert local(spring, NEW_YORK) == ["03-07 02:30-0500", "03-08 03:00-0400", "03-09 02:30-0400"]
    fall = upcoming_ticks(cron_spec("30 1 * * *", tz="America/New_York"), utc(2026, 10, 31), 3)
    assert local(fall, NEW_YORK) == ["10-31 01:30-0400", "11-01 01:30-0400", "11-02 01:30-0500"]


@pytest.mark.parametrize(
    ("tz", "start", "end"),
    [
        ("Europe/Berlin", utc(2026, 3, 28, 22), utc(2026, 3, 29, 4)),
        ("Europe/Berlin", utc(2026, 10, 24, 22), utc(2026, 10, 25, 4)),
        ("America/New_York", utc(2026, 3, 8, 4), utc(2026, 3, 8, 10)),
        ("America/New_York", utc(2026, 11, 1, 3), utc(2026, 11, 1, 9)),
    ],
)
def test_hourly_cron_stays_hourly_in_real_time_across_dst(tz: str, start: datetime, end: datetime) -> None:
    ticks = ticks_between(cron_spec("30 * * * *", tz=tz), start, end)
    assert ticks == [start + timedelta(minutes=30) + timedelta(hours=n) for n in range(6)]


def test_hourly_cron_wall_times_at_berlin_changes() -> None:
    spec = cron_spec("30 * * * *", tz="Europe/Berlin")
    spring = ticks_between(spec, utc(2026, 3, 28, 23), utc(2026, 3, 29, 2, 30))
    assert local(spring, BERLIN) == [
        "03-29 00:30+0100",
        "03-29 01:30+0100",
        "03-29 03:30+0200",
        "03-29 04:30+0200",
    ]
    fall = ticks_between(spec, utc(2026, 10, 24, 23), utc(2026, 10, 25, 2, 30))
    assert local(fall, BERLIN) == [
        "10-25 01:30+0200",
        "10-25 02:30+0200",
        "10-25 02:30+0100",
        "10-25 03:30+0100",
    ]


@pytest.mark.parametrize(
    ("tz", "start"),
    [
        ("Europe/Berlin", utc(2026, 3, 28, 23)),
        ("Europe/Berlin", utc(2026, 10, 24, 23)),
        ("America/New_York", utc(2026, 3, 8, 5)),
        ("America/New_York", utc(2026, 11, 1, 4)),
    ],
)
def test_minutely_cron_neither_skips_nor_duplicates_real_minutes(tz: str, start: datetime) -> None:
    ticks = ticks_between(cron_spec("* * * * *", tz=tz), start, start + timedelta(hours=4))
    assert ticks == [start + timedelta(minutes=n) for n in range(1, 4 * 60 + 1)]


def test_named_hour_minutely_cron_runs_once_for_a_missing_hour_and_once_per_repeated_time() -> None:
    spec = cron_spec("*/20 2 * * *", tz="Europe/Berlin")
    spring = upcoming_ticks(spec, utc(2026, 3, 28, 12), 2)
    assert local(spring, BERLIN) == ["03-29 03:00+0200", "03-30 02:00+0200"]
    fall = upcoming_ticks(spec, utc(2026, 10, 24, 12), 4)
    assert local(fall, BERLIN) == [
        "10-25 02:00+0200",
        "10-25 02:20+0200",
        "10-25 02:40+0200",
        "10-26 02:00+0100",
    ]


def test_midnight_gap_runs_at_the_end_of_the_gap() -> None:
    # America/Santiago springs forward at 00:00 -> 01:00 (2026-09-06).
    santiago = ZoneInfo("America/Santiago")
    ticks = upcoming_ticks(cron_spec("0 0 * * *", tz="America/Santiago"), utc(2026, 9, 4, 12), 3)
    assert local(ticks, santiago) == ["09-05 00:00-0400", "09-06 01:00-0300", "09-07 00:00-0300"]


def test_next_tick_from_inside_the_repeated_hour() -> None:
    # 2026-10-25 01:10 UTC is 02:10 CET, the second pass of Berlin's repeated hour.
    inside = utc(2026, 10, 25, 1, 10)
    assert next_tick(cron_spec("30 2 * * *", tz="Europe/Berlin"), inside) == utc(2026, 10, 26, 1, 30)
    assert next_tick(cron_spec("30 * * * *", tz="Europe/Berlin"), inside) == utc(2026, 10, 25, 1, 30)
    assert previous_tick(cron_spec("30 2 * * *", tz="Europe/Berlin"), inside) == utc(2026, 10, 25, 0, 30)
    assert previous_tick(cron_spec("30 * * * *", tz="Europe/Berlin"), inside) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    ("cron", "tz", "start"),
    [
        ("30 2 * * *", "Europe/Berlin", utc(2026, 3, 27)),
        ("30 2 * * *", "Europe/Berlin", utc(2026, 10, 23)),
        ("30 * * * *", "Europe/Berlin", utc(2026, 10, 24, 20)),
        ("*/20 * * * *", "America/New_York", utc(2026, 11, 1, 3)),
        ("*/20 1 * * *", "America/New_York", utc(2026, 10, 30)),
    ],
)
def test_previous_tick_walks_back_over_the_same_ticks(cron: str, tz: str, start: datetime) -> None:
    spec = cron_spec(cron, tz=tz)
    ticks = upcoming_ticks(spec, start, 12)
    assert ticks == sorted(set(ticks))
    for earlier, later in pairwise(ticks):
        assert previous_tick(spec, later) == later
        assert previous_tick(spec, later - timedelta(microseconds=1)) == earlier
        assert previous_tick(spec, later - timedelta(seconds=1)) == earlier


# --- catch-up -------------------------------------------------------------------------------


def test_on_time_tick_fires_under_every_policy() -> None:
    for policy in ("one", "all", "none"):
        spec = cron_spec(HOURLY, catch_up=policy)
        assert due_ticks(spec, utc(2026, 5, 1, 9), utc(2026, 5, 1, 10, 0, 2)) == [utc(2026, 5, 1, 10)]


def test_nothing_is_due_before_the_next_tick() -> None:
    spec = cron_spec(HOURLY)
    assert due_ticks(spec, utc(2026, 5, 1, 10), utc(2026, 5, 1, 10, 59, 59)) == []
    assert due_ticks(spec, utc(2026, 5, 1, 10), utc(2026, 5, 1, 10)) == []
    assert due_ticks(spec, utc(2026, 5, 1, 11), utc(2026, 5, 1, 10, 30)) == []  # clock behind


def test_new_schedule_waits_for_its_first_tick_after_creation() -> None:
    spec = cron_spec(HOURLY)
    created_at = utc(2026, 5, 1, 10, 20)
    assert due_ticks(spec, None, utc(2026, 5, 1, 10, 21)) == []
    assert due_ticks(spec, created_at, utc(2026, 5, 1, 10, 59)) == []
    assert due_ticks(spec, created_at, utc(2026, 5, 1, 11, 0, 1)) == [utc(2026, 5, 1, 11)]


def test_catch_up_one_fires_only_the_newest_missed_tick() -> None:
    spec = cron_spec(HOURLY)
    # Down from 03:00 to 09:40: six ticks missed, one run, for the newest.
    assert due_ticks(spec, utc(2026, 5, 1, 3), utc(2026, 5, 1, 9, 40)) == [utc(2026, 5, 1, 9)]


def test_catch_up_one_skips_a_tick_later_than_max_lateness() -> None:
    spec = cron_spec("0 2 * * *", max_lateness=timedelta(hours=2))
    last = utc(2026, 5, 1, 2)
    assert due_ticks(spec, last, utc(2026, 5, 2, 4)) == [utc(2026, 5, 2, 2)]  # exactly 2 h late
    assert due_ticks(spec, last, utc(2026, 5, 2, 4, 0, 1)) == []
    # Back on schedule: the next day's tick fires normally.
    assert due_ticks(spec, last, utc(2026, 5, 3, 2, 0, 5)) == [utc(2026, 5, 3, 2)]


def test_catch_up_one_default_lateness_is_one_hour() -> None:
    spec = cron_spec("0 2 * * *")
    last = utc(2026, 5, 1, 2)
    assert due_ticks(spec, last, utc(2026, 5, 2, 3)) == [utc(2026, 5, 2, 2)]
    assert due_ticks(spec, last, utc(2026, 5, 2, 3, 0, 1)) == []


def test_catch_up_all_fires_every_missed_tick_oldest_first() -> None:
    spec = cron_spec(HOURLY, catch_up="all")
    assert due_ticks(spec, utc(2026, 5, 1, 3), utc(2026, 5, 1, 6, 30)) == [
        utc(2026, 5, 1, 4),
        utc(2026, 5, 1, 5),
        utc(2026, 5, 1, 6),
    ]


def test_catch_up_all_is_capped_to_the_newest_ticks() -> None:
    spec = every_spec(timedelta(minutes=1), catch_up="all")
    now = utc(2026, 5, 10)
    ticks = due_ticks(spec, utc(2026, 5, 1), now)
    assert len(ticks) == CATCH_UP_ALL_LIMIT == 1000
    assert ticks[-1] == now
    assert ticks[0] == now - timedelta(minutes=999)
    assert ticks == sorted(ticks)


def test_catch_up_none_skips_missed_ticks() -> None:
    spec = cron_spec(HOURLY, catch_up="none")
    last = utc(2026, 5, 1, 3)
    assert due_ticks(spec, last, utc(2026, 5, 1, 9, 40)) == []
    assert due_ticks(spec, last, utc(2026, 5, 1, 9) + ON_TIME_WINDOW) == [utc(2026, 5, 1, 9)]
    assert due_ticks(spec, last, utc(2026, 5, 1, 9) + ON_TIME_WINDOW + timedelta(seconds=1)) == []


def test_catch_up_for_intervals() -> None:
    spec = every_spec(timedelta(minutes=10))
    assert due_ticks(spec, utc(2026, 5, 1, 9), utc(2026, 5, 1, 9, 47)) == [utc(2026, 5, 1, 9, 40)]


def test_catch_up_across_a_fall_back_hour_counts_both_passes() -> None:
    spec = cron_spec("30 * * * *", tz="Europe/Berlin", catch_up="all")
    ticks = due_ticks(spec, utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 2, 0))
    assert local(ticks, BERLIN) == ["10-25 02:30+0200", "10-25 02:30+0100"]


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("61 * * * *", "'61 \\* \\* \\* \\*'"),
        ("* * * *", "expected 5 or 6 fields.*got 4"),
        ("0 0 * * * * 2026", "expected 5 or 6 fields.*got 7"),
        ("", "expected 5 or 6 fields"),
        ("0 0 31 2 *", "never matches"),
        ("R 2 * * *", "random"),
        ("@reboot", "unknown alias"),
        ("0 2 * * funday", "funday"),
    ],
)
def test_invalid_cron_is_refused_naming_schedule_and_expression(cron: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=f"schedule 'nightly': invalid cron expression .*{message}"):
        cron_spec(cron)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ScheduleError, match="schedule 'nightly': unknown time zone 'Europe/Atlantis'"):
        cron_spec("0 2 * * *", tz="Europe/Atlantis")
    with pytest.raises(ScheduleError, match="unknown time zone '../etc/passwd'"):
        cron_spec("0 2 * * *", tz="../etc/passwd")


def test_cron_and_every_are_exclusive_and_one_is_required() -> None:
    with pytest.raises(ScheduleError, match="'both'.*exactly one of cron and every.*cron='0 2 \\* \\* \\*'"):
        ScheduleSpec(id="both", queue="q", name="n", cron="0 2 * * *", every=timedelta(hours=1))
    with pytest.raises(
        ScheduleError, match="'neither'.*exactly one of cron and every.*cron=None and every=None"
    ):
        ScheduleSpec(id="neither", queue="q", name="n")


@pytest.mark.parametrize(
    ("every", "message"),
    [
        (timedelta(0), "got 0 s"),
        (timedelta(seconds=-30), "got -30 s"),
        (timedelta(milliseconds=1500), "got 1.5 s"),
        (60, "every must be a timedelta, got 60"),
    ],
)
def test_bad_interval_is_refused(every: Any, message: str) -> None:
    with pytest.raises(ScheduleError, match=f"schedule 'pulse': .*{message}"):
        every_spec(every)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"catch_up": "burst"}, "catch_up must be 'one', 'all' or 'none', got 'burst'"),
        ({"max_lateness": timedelta(0)}, "max_lateness must be a positive timedelta"),
        ({"data": {"when": datetime(2026, 1, 1)}}, "data must be JSON"),
        ({"job_options": {1: "x"}}, "job_options must be a dict with string keys"),
        ({"anchor": datetime(2026, 1, 1)}, "anchor must be a time-zone-aware datetime"),
        ({"queue": ""}, "queue must be a non-empty string"),
    ],
)
def test_other_bad_fields_are_refused(extra: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"id": "pulse", "queue": "q", "name": "n", "every": timedelta(hours=1)} | extra
    with pytest.raises(ScheduleError, match=f"schedule 'pulse': {message}"):
        ScheduleSpec(**fields)


def test_bad_schedule_id_is_refused() -> None:
    with pytest.raises(ScheduleError, match="'has space'"):
        ScheduleSpec(id="has space", queue="q", name="n", every=timedelta(hours=1))
    with pytest.raises(ScheduleError, match="non-empty string"):
        ScheduleSpec(id="", queue="q", name="n", every=timedelta(hours=1))


def test_anchor_is_only_for_intervals() -> None:
    with pytest.raises(ScheduleError, match="anchor applies to every schedules only"):
        cron_spec("0 2 * * *", anchor=utc(2026, 1, 1))


def test_spec_keeps_its_own_copy_of_job_options() -> None:
    options = {"priority": 10, "attempts": 3}
    spec = cron_spec("0 2 * * *", job_options=options, data={"days": 90})
    options["priority"] = 1
    assert spec.job_options == {"priority": 10, "attempts": 3}
    assert spec == cron_spec("0 2 * * *", job_options={"priority": 10, "attempts": 3}, data={"days": 90})


# --- job ids and descriptions ---------------------------------------------------------------


def test_tick_job_id_is_deterministic_and_utc() -> None:
    spec = cron_spec("30 2 * * *", tz="Europe/Berlin")
    tick = next_tick(spec, utc(2026, 3, 28, 12))
    assert tick_job_id(spec, tick) == "sched:nightly:20260329T010000Z"
    assert tick_job_id(cron_spec("30 2 * * *", tz="Europe/Berlin"), tick) == "sched:nightly:20260329T010000Z"
    assert tick_job_id(spec, tick.astimezone(BERLIN)) == "sched:nightly:20260329T010000Z"


def test_tick_job_ids_differ_per_tick_and_per_schedule() -> None:
    spec = every_spec(timedelta(seconds=1))
    ticks = upcoming_ticks(spec, utc(2026, 5, 1), 5)
    assert len({tick_job_id(spec, tick) for tick in ticks}) == 5
    other = ScheduleSpec(id="pulse-2", queue="scheduled-jobs", name="pulse", every=timedelta(seconds=1))
    assert tick_job_id(spec, ticks[0]) != tick_job_id(other, ticks[0])


def test_tick_job_id_refuses_a_non_tick_instant() -> None:
    spec = every_spec(timedelta(seconds=1))
    with pytest.raises(ValueError, match="whole second"):
        tick_job_id(spec, utc(2026, 5, 1) + timedelta(milliseconds=5))
    with pytest.raises(ValueError, match="time-zone aware"):
        tick_job_id(spec, datetime(2026, 5, 1))


def test_describe() -> None:
    assert describe(cron_spec("0 2 * * *", tz="Europe/Berlin")) == "cron 0 2 * * * (Europe/Berlin)"
    assert describe(cron_spec("0  2 * *   *")) == "cron 0 2 * * * (UTC)"
    assert describe(every_spec(timedelta(hours=1))) == "every 1h"
    assert describe(every_spec(timedelta(days=1, minutes=30, seconds=5))) == "every 1d30m5s"
    assert describe(every_spec(timedelta(minutes=15), anchor=utc(2026, 1, 1, 0, 5))) == (
        "every 15m from 2026-01-01T00:05:00Z"
    )


# --- storage form ---------------------------------------------------------------------------


def test_spec_round_trips_through_json() -> None:
    specs = [
        cron_spec("0 2 * * *", tz="Europe/Berlin", data={"days": 90}, job_options={"priority": 10}),
        every_spec(timedelta(minutes=15), anchor=utc(2026, 1, 1, 0, 5), catch_up="all"),
        every_spec(timedelta(hours=1), max_lateness=timedelta(minutes=5), catch_up="none"),
    ]
    for spec in specs:
        stored = json.loads(json.dumps(spec.to_json()))
        assert ScheduleSpec.from_json(stored) == spec


def test_malformed_stored_spec_is_refused() -> None:
    stored = cron_spec("0 2 * * *").to_json()
    with pytest.raises(ScheduleError, match="schedule 'nightly': stored spec must have keys"):
        ScheduleSpec.from_json({key: value for key, value in stored.items() if key != "tz"})
    with pytest.raises(ScheduleError, match="schedule 'nightly': malformed stored spec"):
        ScheduleSpec.from_json(stored | {"anchor": "yesterday"})
    with pytest.raises(ScheduleError, match="schedule 'nightly': invalid cron expression '0 25 \\* \\* \\*'"):
        ScheduleSpec.from_json(stored | {"cron": "0 25 * * *"})
