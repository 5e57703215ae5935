"""Slots: what the services share about running and held jobs."""

from __future__ import annotations

from hubjobs.backends.base import ClaimedJob
from hubjobs.job import Job, JobOptions, JobState
from hubjobs.worker.slots import RunningJob, Slots


def _job(job_id: str, queue: str = "q") -> Job:
    return Job(id=job_id, queue=queue, name="n", data=None, state=JobState.ACTIVE, options=JobOptions())


async def test_leased_lists_running_and_held_jobs_by_queue() -> None:
    slots = Slots(2)
    slots.running["a"] = RunningJob(_job("a"), "ta", None)
    slots.hold([ClaimedJob(_job("b", "other"), "tb", 0.0), ClaimedJob(_job("c"), "tc", 0.0)])
    assert slots.leased() == {"q": [("a", "ta"), ("c", "tc")], "other": [("b", "tb")]}


async def test_drop_held_forgets_only_the_named_jobs_and_keeps_order() -> None:
    slots = Slots(2)
    slots.hold([ClaimedJob(_job(name), "t", 0.0) for name in "xyz"])
    slots.drop_held({"y"})
    assert [cj.job.id for cj in slots.held] == ["x", "z"]
    assert slots.taken_in == {"q": 2}


async def test_room_counts_held_and_running_jobs_of_the_queue() -> None:
    slots = Slots(5, caps={"q": 3, "other": 2})
    slots.hold([ClaimedJob(_job("a"), "t", 0.0), ClaimedJob(_job("b"), "t", 0.0)])
    assert slots.room("q", 0) == 1 and slots.room("other", 0) == 2
    assert slots.room("q", 4) == 13
    rj = RunningJob(slots.held.popleft().job, "t", None)
    slots.begin(rj)
    assert slots.running_in == {"q": 1} and slots.room("q", 0) == 1
    slots.end(rj)
    assert slots.room("q", 0) == 2 and slots.running_in == {"q": 0}
    assert Slots(5).room("q", 0) is None
