"""StallRescue: a job whose lease expired goes back to waiting, with a `stalled` event and a
wake-up for the claim loop."""

from __future__ import annotations

from hubjobs.job import JobState
from hubjobs.worker.stall_rescue import StallRescue
from tests.helpers import wait_until
from tests.worker.conftest import Parts


async def test_an_expired_lease_is_requeued_and_reported(parts: Parts) -> None:
    q = parts.app.queue("q")
    await q.aadd("x", job_id="gone")
    await parts.claim(lease=0.05)
    rescue = StallRescue(parts.backend, ["q"], parts.events, parts.slots, 60.0)

    async def rescued() -> bool:
        await rescue.step()
        job = await q.aget("gone")
        return job is not None and job.state == JobState.WAITING

    await wait_until(rescued, what="the stalled job back in waiting")
    assert [(e.name, e.data) for e in parts.seen] == [("stalled", {"requeued": True})]
    assert parts.slots.wake.is_set()
