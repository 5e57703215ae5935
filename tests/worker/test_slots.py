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
    slots.held.append(ClaimedJob(_job("b", "other"), "tb", 0.0))
    slots.held.append(ClaimedJob(_job("c"), "tc", 0.0))
    assert slots.leased() == {"q": [("a", "ta"), ("c", "tc")], "other": [("b", "tb")]}


async def test_drop_held_forgets_only_the_named_jobs_and_keeps_order() -> None:
    slots = Slots(2)
    for name in "xyz":
        slots.held.append(ClaimedJob(_job(name), "t", 0.0))
    slots.drop_held({"y"})
    assert [cj.job.id for cj in slots.held] == ["x", "z"]
