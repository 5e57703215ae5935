"""Producer: claims into free slots through paced round trips and, in burst mode, returns once
every job ran and its outcome was applied."""

from __future__ import annotations

from hubjobs.job import Job
from hubjobs.worker.producer import Producer
from tests.worker.conftest import Parts, build_executor


async def test_burst_runs_every_job_and_applies_every_outcome(parts: Parts) -> None:
    ran: list[str] = []

    @parts.app.job("q")
    async def note(job: Job) -> None:
        ran.append(job.id)

    q = parts.app.queue("q")
    await q.aadd_bulk([{"name": "note", "job_id": f"j{i}"} for i in range(25)])
    executor, pacer = build_executor(parts)
    producer = Producer(parts.backend, ["q"], "w", 30.0, parts.slots, parts.completer, executor, parts.events,
                        pacer, parts.app, set())
    await producer.run(burst=True)
    assert sorted(ran) == sorted(f"j{i}" for i in range(25))
    assert (await q.acounts())["completed"] == 25
    assert producer.reserved == 0 and parts.completer.pending_count() == 0
    executor.close()


async def test_a_stopping_producer_returns_and_refuses_received_jobs(parts: Parts) -> None:
    executor, pacer = build_executor(parts)
    producer = Producer(parts.backend, ["q"], "w", 30.0, parts.slots, parts.completer, executor, parts.events,
                        pacer, parts.app, set())
    parts.slots.stopping = True
    await producer.run(burst=False)
    assert producer.receive("q", []) is False
    executor.close()
