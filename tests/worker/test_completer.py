"""Completer: outcomes queue per queue, are applied in one round trip, are counted, and emit
their events only once applied; a refused outcome (lease lost) emits `lease_lost`."""

from __future__ import annotations

from hubjobs.backends.base import JobOutcome
from hubjobs.events import JobEvent
from hubjobs.worker.slots import RunningJob
from tests.worker.conftest import Parts


async def test_outcomes_are_applied_counted_and_emitted(parts: Parts) -> None:
    q = parts.app.queue("q")
    await q.aadd("a", job_id="one")
    await q.aadd("b", job_id="two")
    claimed = await parts.claim(2)
    for cj in claimed:
        kind = "completed" if cj.job.id == "one" else "failed"
        parts.completer.add("q", (JobOutcome(cj.job.id, cj.token, kind, result_json="1", error="E"),  # type: ignore[arg-type]
                                  RunningJob(cj.job, cj.token, None), JobEvent(kind, "q", cj.job.id, cj.job)))
    assert parts.slots.wake.is_set() and parts.completer.pending_count() == 2
    assert not parts.seen, "nothing is emitted before the backend applied it"
    pending = parts.completer.take("q", 5)
    assert parts.completer.pending_count() == 0
    parts.completer.begin()
    await parts.completer.finish(parts.backend, "q", pending, None)
    assert parts.completer.finishing == 0
    assert (parts.tally.processed, parts.tally.failed) == (1, 1)
    assert [e.name for e in parts.seen] == ["completed", "failed"]
    assert (await q.aget("one")).state.value == "completed"  # type: ignore[union-attr]


async def test_a_refused_outcome_emits_lease_lost(parts: Parts) -> None:
    await parts.app.queue("q").aadd("a", job_id="one")
    cj = (await parts.claim())[0]
    pending = (JobOutcome("one", "not-the-token", "completed", result_json="1"), RunningJob(cj.job, "x", None),
               JobEvent("completed", "q", "one", cj.job))
    parts.completer.begin()
    await parts.completer.finish(parts.backend, "q", [pending], None)
    assert [e.name for e in parts.seen] == ["lease_lost"]
    assert parts.tally.processed == 0


async def test_take_keeps_the_rest_in_order(parts: Parts) -> None:
    for i in range(3):
        parts.completer.add("q", (JobOutcome(str(i), "t", "released"), None, None))  # type: ignore[arg-type]
    assert [p[0].job_id for p in parts.completer.take("q", 2)] == ["0", "1"]
    assert parts.completer.queued("q") == 1
    assert [p[0].job_id for p in parts.completer.take("q", 2)] == ["2"]
    assert "q" not in parts.completer.outcomes
