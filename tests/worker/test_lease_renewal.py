"""LeaseRenewal: renews held and running leases; a lost lease drops a held job and marks a
running one; an admin's cancel request reaches the running job."""

from __future__ import annotations

from hubjobs.backends.base import ClaimedJob
from hubjobs.job import JobState
from hubjobs.worker.lease_renewal import LeaseRenewal
from hubjobs.worker.slots import RunningJob
from tests.worker.conftest import Parts


async def test_lost_and_cancelled_jobs_are_acted_on(parts: Parts) -> None:
    q = parts.app.queue("q")
    for job_id in ("run", "held", "lost-held", "lost-run"):
        await q.aadd("x", job_id=job_id)
    claimed = {cj.job.id: cj for cj in await parts.claim(4)}
    parts.slots.running["run"] = RunningJob(claimed["run"].job, claimed["run"].token, None)
    parts.slots.running["lost-run"] = RunningJob(claimed["lost-run"].job, "stale", None)
    parts.slots.hold([claimed["held"], ClaimedJob(claimed["lost-held"].job, "stale", 0.0)])
    await q.acancel("run")
    cancelled: list[tuple[str, str]] = []
    renewal = LeaseRenewal(parts.backend, parts.slots, 30.0, lambda rj, why: cancelled.append((rj.job.id, why)))
    await renewal.step()
    assert [cj.job.id for cj in parts.slots.held] == ["held"]
    assert parts.slots.running["lost-run"].lease_lost and not parts.slots.running["run"].lease_lost
    assert cancelled == [("run", "cancel")]
    assert (await q.aget("held")).state == JobState.ACTIVE  # type: ignore[union-attr]


def test_it_renews_every_third_of_the_lease(parts: Parts) -> None:
    assert LeaseRenewal(parts.backend, parts.slots, 30.0, lambda rj, why: None).interval == 10.0
