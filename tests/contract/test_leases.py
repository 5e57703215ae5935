"""Leases at the storage boundary: token fencing and automatic stall recovery."""

from __future__ import annotations

import asyncio

from hubjobs import App, JobState
from hubjobs.backends.base import (
    ClaimJobs,
    ExtendLeases,
    FinishJobs,
    JobOutcome,
    LeaseRef,
    RecoverStalled,
    UpdateProgress,
)
from tests.helpers import wait_until


async def _expire(backend, seconds: float) -> None:  # type: ignore[no-untyped-def]
    start = await backend.now()
    while await backend.now() < start + seconds:
        await asyncio.sleep(0.02)


async def test_a_lost_lease_cannot_overwrite_the_new_owners_result(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {}, max_stalled=5)
    backend = await tapp.backend()
    [a] = await backend.claim_jobs(ClaimJobs("q", "worker-a", 1, 0.2))
    await _expire(backend, 0.25)
    rec = await backend.recover_stalled(RecoverStalled("q"))
    assert rec.requeued == [job.id]
    [b] = await backend.claim_jobs(ClaimJobs("q", "worker-b", 1, 30))
    assert b.token != a.token and b.job.stalled_count == 1
    late = await backend.finish_jobs(FinishJobs("q", [JobOutcome(job.id, a.token, "completed", result_json='"A"')]))
    assert late.refused == [job.id] and late.applied == []
    assert not await backend.update_progress(UpdateProgress("q", job.id, a.token, "50"))
    status = await backend.extend_leases(ExtendLeases("q", [LeaseRef(job.id, a.token)], 30))
    assert status.lost == [job.id]
    ok = await backend.finish_jobs(FinishJobs("q", [JobOutcome(job.id, b.token, "completed", result_json='"B"')]))
    assert ok.applied == [job.id]
    done = await q.aget(job.id)
    assert done is not None and done.state == JobState.COMPLETED and done.result == "B"


async def test_renewed_leases_do_not_stall(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {})
    backend = await tapp.backend()
    [c] = await backend.claim_jobs(ClaimJobs("q", "w", 1, 0.3))
    for _ in range(3):
        await _expire(backend, 0.15)
        status = await backend.extend_leases(ExtendLeases("q", [LeaseRef(job.id, c.token)], 0.3))
        assert status.lost == []
        assert (await backend.recover_stalled(RecoverStalled("q"))).requeued == []
    assert (await q.aget(job.id)).state == JobState.ACTIVE  # type: ignore[union-attr]


async def test_stalled_past_max_stalled_fails_with_a_clear_reason(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {}, max_stalled=1)
    backend = await tapp.backend()
    for round_ in range(2):
        [c] = await backend.claim_jobs(ClaimJobs("q", f"w{round_}", 1, 0.1))
        assert c.job.id == job.id
        await _expire(backend, 0.15)
        rec = await backend.recover_stalled(RecoverStalled("q"))
        if round_ == 0:
            assert rec.requeued == [job.id]
        else:
            assert rec.failed == [job.id]
    failed = await q.aget(job.id)
    assert failed is not None and failed.state == JobState.FAILED
    assert failed.failed_reason is not None and "stalled more than 1 time" in failed.failed_reason
    assert failed.stalled_count == 2


async def test_worker_recovers_a_stalled_job_automatically(tapp: App) -> None:
    from tests.helpers import running_worker, state_is

    q = tapp.queue("q")
    job = await q.aadd("noop", {"x": 1})
    backend = await tapp.backend()
    await backend.claim_jobs(ClaimJobs("q", "dead-worker", 1, 0.2))  # claimed by a worker that "died"
    async with running_worker(tapp, "q", lease=0.6):
        await wait_until(state_is(tapp, "q", job.id, "completed"), what="stalled job recovered and done")
    done = await q.aget(job.id)
    assert done is not None and done.stalled_count == 1 and done.result == {"x": 1}


async def test_released_jobs_go_back_to_waiting_without_using_an_attempt(tapp: App) -> None:
    q = tapp.queue("q")
    job = await q.aadd("noop", {})
    backend = await tapp.backend()
    [c] = await backend.claim_jobs(ClaimJobs("q", "w", 1, 30))
    res = await backend.finish_jobs(FinishJobs("q", [JobOutcome(job.id, c.token, "released")]))
    assert res.applied == [job.id]
    again = await q.aget(job.id)
    assert again is not None and again.state == JobState.WAITING and again.attempts_made == 0


async def test_finish_and_claim_in_one_call(tapp: App) -> None:
    q = tapp.queue("q")
    first = await q.aadd("noop", {}, priority=1)
    second = await q.aadd("noop", {}, priority=2)
    backend = await tapp.backend()
    [c] = await backend.claim_jobs(ClaimJobs("q", "w", 1, 30))
    assert c.job.id == first.id
    res = await backend.finish_jobs(FinishJobs("q", [JobOutcome(first.id, c.token, "completed", result_json="1")],
                                               ClaimJobs("q", "w", 5, 30)))
    assert res.applied == [first.id] and [cj.job.id for cj in res.claimed] == [second.id]
