"""A differential property test: Hypothesis generates sequences of engine operations and runs each
against the backend under test and against a reference model written in plain Python; final
states, attempts, results, failure reasons, counts and the run order must agree exactly.

Operations: adds (ids from a small pool, so repeats happen; priorities; no delay or a long one),
removes, pause/resume, retries (one, or all failed), promotions (one, or several at once),
cleans, and worker runs (one slot, no claim-ahead) over handlers that fail deterministically.
Time advances with the operations: each one that makes jobs due does so later than the last, and
the model orders runs as the engine must (priority, then the time the job became due, then the
order added); a long delay runs only when promoted.

Examples are bounded (`EXAMPLES`, operations per example `MAX_OPS`). One test runs a fixed
sequence of examples; the other a random seed (`HUBJOBS_DIFFERENTIAL_SEED`, else a new one),
which a failure prints so it can be replayed. Shrunk failures become regular tests below
(`test_found_*`)."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from hubjobs import App, InvalidJobOptions, JobNotFound
from hubjobs.backends.base import JobIds
from hubjobs.job import Job
from tests.helpers import running_worker, wait_until

EXAMPLES = 25
MAX_OPS = 9
IDS = ("a", "b", "c", "d", "e")
HANDLERS = ("ok", "flaky", "bad")
LONG_DELAY = 3600.0
RANDOM_SEED = int(os.environ.get("HUBJOBS_DIFFERENTIAL_SEED") or random.randrange(2**32))


# ------------------------------------------------------------------ the reference model

@dataclass
class ModelJob:
    """What the model knows of one job."""

    id: str
    handler: str
    n: int
    priority: int
    attempts: int
    seq: int
    state: str
    due: int = 0
    attempts_made: int = 0
    result: Any = None
    failed_reason: str | None = None


@dataclass
class Model:
    """The engine's semantics for this test's operations, in Python."""

    jobs: dict[str, ModelJob] = field(default_factory=dict)
    paused: bool = False
    clock: int = 0
    seq: int = 0
    runs: list[str] = field(default_factory=list)

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def add(self, job_id: str, handler: str, priority: int, attempts: int, delayed: bool) -> None:
        if job_id in self.jobs:
            return
        self.seq += 1
        self.jobs[job_id] = ModelJob(job_id, handler, self.seq, priority, attempts, self.seq,
                                     "delayed" if delayed else "waiting", 0 if delayed else self.tick())

    def remove(self, job_id: str) -> None:
        if job_id in self.jobs:
            del self.jobs[job_id]

    def retry(self, ids: list[str]) -> None:
        now = self.tick()
        for job_id in ids:
            job = self.jobs.get(job_id)
            if job is not None and job.state == "failed":
                job.state, job.due, job.attempts_made = "waiting", now, 0
                job.result = job.failed_reason = None

    def retry_all(self) -> None:
        self.retry([j.id for j in self.jobs.values() if j.state == "failed"])

    def promote(self, ids: list[str]) -> None:
        now = self.tick()
        for job_id in ids:
            job = self.jobs.get(job_id)
            if job is not None and job.state == "delayed":
                job.state, job.due = "waiting", now

    def clean(self, state: str) -> None:
        for job_id in [j.id for j in self.jobs.values() if j.state == state]:
            del self.jobs[job_id]

    def run_worker(self) -> list[str]:
        """Run every waiting job to the end, one at a time; returns the start order."""
        started: list[str] = []
        if self.paused:
            return started
        while True:
            ready = [j for j in self.jobs.values() if j.state == "waiting"]
            if not ready:
                return started
            job = min(ready, key=lambda j: (j.priority, j.due, j.seq))
            started.append(job.id)
            fails = job.handler == "bad" or (job.handler == "flaky" and job.attempts_made == 0)
            job.attempts_made += 1
            if not fails:
                job.state, job.result, job.failed_reason = "completed", {"n": job.n}, None
                continue
            job.failed_reason = _reason(job)
            if job.attempts_made < job.attempts:
                job.state, job.due = "waiting", self.tick()
            else:
                job.state = "failed"

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("waiting", "delayed", "active", "completed", "failed"), 0)
        for job in self.jobs.values():
            out[job.state] += 1
        return out


def _reason(job: ModelJob) -> str:
    return f"RuntimeError: {job.handler} fails try {job.attempts_made} of job {job.n}"


# ------------------------------------------------------------------ operations

Op = tuple[Any, ...]
ADD = st.tuples(st.just("add"), st.sampled_from(IDS), st.sampled_from(HANDLERS), st.sampled_from((1, 5, 10)),
                st.integers(1, 2), st.booleans())
OPS = st.one_of(
    ADD, ADD, ADD,
    st.tuples(st.just("remove"), st.sampled_from(IDS)),
    st.tuples(st.just("pause")),
    st.tuples(st.just("resume")),
    st.tuples(st.just("retry"), st.sampled_from(IDS)),
    st.tuples(st.just("retry_all")),
    st.tuples(st.just("promote"), st.lists(st.sampled_from(IDS), min_size=1, max_size=4, unique=True)),
    st.tuples(st.just("clean"), st.sampled_from(("waiting", "delayed", "completed", "failed"))),
    st.tuples(st.just("run")), st.tuples(st.just("run")),
)
SEQUENCES = st.tuples(st.lists(ADD, min_size=2, max_size=5), st.lists(OPS, min_size=1, max_size=MAX_OPS)).map(
    lambda parts: [*parts[0], *parts[1], ("resume",), ("run",)])
"""A few adds first (so the other operations find jobs), then anything, then a final run."""


def _app(url: str, queue: str) -> App:
    app = App(url)
    app.queue(queue)
    seqs: dict[str, int] = {}

    async def handle(job: Job) -> Any:
        n = int(job.data["n"])
        seqs[job.id] = n
        handler = job.name
        if handler == "bad" or (handler == "flaky" and job.attempts_made == 0):
            raise RuntimeError(f"{handler} fails try {job.attempts_made + 1} of job {n}")
        return {"n": n}

    for name in HANDLERS:
        app.job(queue, name)(handle)
    return app


async def _apply(app: App, queue: str, model: Model, op: Op, started: list[str]) -> None:
    q = app.queue(queue)
    kind = op[0]
    if kind == "add":
        _, job_id, handler, priority, attempts, delayed = op
        n = model.seq + 1 if job_id not in model.jobs else 0
        model.add(job_id, handler, priority, attempts, delayed)
        await q.aadd(handler, {"n": n}, job_id=job_id, priority=priority, attempts=attempts,
                     delay=LONG_DELAY if delayed else None)
    elif kind == "remove":
        if model.jobs.get(op[1]) is not None:
            model.remove(op[1])
        try:
            await q.aremove(op[1])
        except JobNotFound:
            pass
    elif kind == "pause":
        model.paused = True
        await q.apause()
    elif kind == "resume":
        model.paused = False
        await q.aresume()
    elif kind == "retry":
        model.retry([op[1]])
        try:
            await q.aretry(op[1])
        except (JobNotFound, InvalidJobOptions):
            pass
    elif kind == "retry_all":
        model.retry_all()
        await q.aretry_all_failed()
    elif kind == "promote":
        model.promote(list(op[1]))
        await (await app.backend()).promote_jobs(JobIds(queue, list(op[1])))
    elif kind == "clean":
        model.clean(op[1])
        await q.aclean(op[1])
    elif kind == "run":
        expected = model.run_worker()
        model.runs += expected
        if not expected:
            return
        before = len(started)
        async with running_worker(app, queue, concurrency=1, claim_ahead=False) as worker:
            worker.on("active", lambda e: started.append(e.job_id or ""))

            async def settled() -> bool:
                counts = await q.acounts()
                return len(started) - before >= len(expected) and counts["waiting"] == counts["active"] == 0
            await wait_until(settled, timeout=60, what=f"the worker to run {expected}")


async def _check(app: App, queue: str, model: Model, started: list[str], ops: list[Op]) -> None:
    q = app.queue(queue)
    where = f"after {ops}"
    assert started == model.runs, f"run order {started} != model {model.runs} {where}"
    assert await q.acounts() == model.counts(), f"counts {await q.acounts()} != model {model.counts()} {where}"
    for job_id in IDS:
        job, expect = await q.aget(job_id), model.jobs.get(job_id)
        if expect is None:
            assert job is None, f"{job_id} exists as {job.state if job else None} but the model has none {where}"
            continue
        assert job is not None, f"{job_id} is missing; the model has it {expect.state} {where}"
        got = (job.state.value, job.priority, job.attempts_made, job.result, job.failed_reason)
        want = (expect.state, expect.priority, expect.attempts_made, expect.result, expect.failed_reason)
        assert got == want, f"{job_id}: {got} != model {want} {where}"


async def _run_sequence(url: str, ops: list[Op]) -> None:
    queue = f"diff-{uuid.uuid4().hex[:10]}"
    app = _app(url, queue)
    model = Model()
    started: list[str] = []
    try:
        for op in ops:
            await _apply(app, queue, model, op, started)
        await _check(app, queue, model, started, ops)
    finally:
        await app.aclose()
        app.close()


def _replay(url: str, ops: list[Op]) -> None:
    asyncio.run(_run_sequence(url, ops))


@given(ops=SEQUENCES)
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def _fixed(url: str, ops: list[Op]) -> None:
    _replay(url, ops)


def test_backend_matches_the_model_on_fixed_examples(backend_url: str) -> None:
    _fixed(backend_url)


def test_backend_matches_the_model_on_a_random_seed(backend_url: str) -> None:
    @seed(RANDOM_SEED)
    @given(ops=SEQUENCES)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def random_examples(ops: list[Op]) -> None:
        _replay(backend_url, ops)

    try:
        random_examples()
    except BaseException:
        print(f"\ndifferential test failed with seed {RANDOM_SEED}: replay with "
              f"HUBJOBS_DIFFERENTIAL_SEED={RANDOM_SEED}")
        raise


# ------------------------------------------------------------------ shrunk failures, kept

FOUND: list[list[Op]] = [
    # a delayed job promoted together with others, then an add: runs in the order added
    [("add", "c", "ok", 5, 1, True), ("add", "a", "ok", 5, 1, True), ("promote", ("a", "c")),
     ("add", "b", "ok", 5, 1, False), ("run",)],
    # retry_all after failures in an order other than the order added (b failed last)
    [("add", "b", "bad", 5, 1, False), ("add", "a", "bad", 5, 1, False), ("run",), ("retry", "b"), ("run",),
     ("retry_all",), ("add", "c", "ok", 5, 1, False), ("run",)],
]


@pytest.mark.parametrize("ops", FOUND, ids=[f"found-{i}" for i in range(len(FOUND))])
def test_found(backend_url: str, ops: list[Op]) -> None:
    _replay(backend_url, [*ops, ("resume",), ("run",)])
