"""hubjobs.testing.run_job runs a handler without a queue."""

from __future__ import annotations

from hubjobs import UnrecoverableError
from hubjobs.job import Job
from hubjobs.testing import run_job


async def _async_handler(job: Job) -> dict[str, int]:
    await job.aupdate_progress(40)
    await job.alog("working")
    return {"n": job.data["n"] * 2}


def _sync_handler(job: Job) -> str:
    job.update_progress(100)
    job.log("sync line")
    if job.data.get("fail"):
        raise UnrecoverableError("bad file")
    return "ok"


def test_async_handler_records_progress_logs_result() -> None:
    run = run_job(_async_handler, {"n": 21})
    assert run.ok and run.result == {"n": 42}
    assert run.progress == [40.0] and run.logs == ["working"]


def test_sync_handler_and_errors() -> None:
    run = run_job(_sync_handler, {})
    assert run.result == "ok" and run.progress == [100.0] and run.logs == ["sync line"]
    failed = run_job(_sync_handler, {"fail": True})
    assert not failed.ok and isinstance(failed.error, UnrecoverableError)
