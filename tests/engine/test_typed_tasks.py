"""Typed tasks: `@app.job(..., schema=M)` returns a Task whose `enqueue` takes the model (or its
fields) and job options; the handler's `job.data` is the model, `raw_data` the stored JSON."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import BaseModel

from hubjobs import App, InvalidJobData, InvalidJobOptions, Job
from hubjobs.testing import run_job

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "typing_fixtures"


class Greet(BaseModel):
    who: str
    times: int = 1


def test_mypy_rejects_a_wrong_field_and_accepts_the_right_one() -> None:
    from mypy import api

    ok, _, _ = api.run(["--strict", "--no-incremental", "--follow-imports=silent", "-p",
                        "tests.engine.typing_fixtures.producers_ok"])
    assert "Success" in ok, ok
    report, _, code = api.run(["--strict", "--no-incremental", "--follow-imports=silent", "-p",
                               "tests.engine.typing_fixtures.producers_bad"])
    assert code == 1, report
    bad = (FIXTURES / "producers_bad.py").read_text().splitlines()
    expected = {i + 1 for i, line in enumerate(bad) if line.endswith("# error")}
    flagged = {int(line.split(":")[1]) for line in report.splitlines() if ": error:" in line}
    assert flagged == expected, report
    assert 'Unexpected keyword argument "whom"' in report


async def test_typed_task_enqueues_the_model_and_the_handler_reads_it(tmp_path: Path) -> None:
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")
    seen: list[tuple[str, object]] = []

    @app.job("greetings", schema=Greet, attempts=2)
    async def greet(job: Job[Greet]) -> str:
        seen.append((job.data.who, job.raw_data))
        return job.data.who * job.data.times

    @app.job("greetings")
    def untyped(job: Job) -> object:
        return job.data

    first = await greet.aenqueue(Greet(who="ab", times=2), priority=3)
    assert isinstance(first.data, Greet) and first.raw_data == {"who": "ab", "times": 2}
    assert first.priority == 3 and first.max_attempts == 2
    second = await greet.options(job_id="g2").aenqueue(who="c")
    assert second.id == "g2" and second.data == Greet(who="c")
    plain = await untyped.aenqueue({"k": [1]})
    assert plain.data == {"k": [1]}
    by_name = await app.queue("greetings").aadd("greet", {"who": "d"})  # the string-name API stays
    assert by_name.data == {"who": "d"}
    with pytest.raises(InvalidJobData, match="missing field 'who'"):
        await greet.aenqueue(times=3)
    with pytest.raises(InvalidJobOptions):
        greet.options(prio=1)  # type: ignore[call-arg]
    await app.worker(concurrency=1).arun(burst=True)
    assert sorted(seen) == [("ab", {"who": "ab", "times": 2}), ("c", {"who": "c", "times": 1}),
                            ("d", {"who": "d"})]
    done = await app.queue("greetings").aget(first.id)
    assert done is not None and done.result == "abab" and done.data == {"who": "ab", "times": 2}
    assert (await app.queue("greetings").aget(plain.id)).result == {"k": [1]}  # type: ignore[union-attr]
    assert greet.__name__ == "greet" and asyncio.iscoroutine(coro := greet(first)) and await coro == "abab"
    await app.aclose()
    app.close()


def test_run_job_gives_a_task_its_model() -> None:
    app = App("sqlite:///./never-opened.db")

    @app.job("greetings", schema=Greet)
    def greet(job: Job[Greet]) -> str:
        return job.data.who

    run = run_job(greet, Greet(who="zed"))
    assert run.ok and run.result == "zed" and run.job.raw_data == {"who": "zed", "times": 1}
