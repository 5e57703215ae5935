"""Job lines: start and success at INFO, each retry at WARNING, the final failure at ERROR, with
queue, name, id, try, duration and error type and never the job's data; `--log-format json`
and `--log-level` on the worker command."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hubjobs import App, Job
from tests.helpers import ROOT, running_worker, wait_until

SECRET = "card-4111-1111"


async def test_one_line_per_start_success_retry_and_final_failure(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")

    @app.job("q")
    async def fine(job: Job) -> str:
        return "ok"

    @app.job("q", attempts=2)
    async def broken(job: Job) -> None:
        raise ConnectionError("upstream down")

    q = app.queue("q")
    try:
        with caplog.at_level(logging.INFO, logger="hubjobs.jobs"):
            async with running_worker(app, "q", concurrency=1):
                await q.aadd("fine", {"secret": SECRET}, job_id="ok-1")
                await q.aadd("broken", {"secret": SECRET}, job_id="bad-1")
                await wait_until(lambda: _failed(q, "bad-1"), what="the final failure")
    finally:
        await app.aclose()
    lines = [(r.levelname, r.getMessage(), r) for r in caplog.records if r.name == "hubjobs.jobs"]
    kinds = [(level, msg.split(":")[0], r.__dict__["job_id"], r.__dict__["try"]) for level, msg, r in lines]
    assert kinds == [("INFO", "job started", "ok-1", 1), ("INFO", "job completed", "ok-1", 1),
                     ("INFO", "job started", "bad-1", 1), ("WARNING", "job failed, will retry in 0.0 s", "bad-1", 1),
                     ("INFO", "job started", "bad-1", 2), ("ERROR", "job failed for good", "bad-1", 2)]
    final = lines[-1][2]
    assert final.__dict__["error_type"] == "ConnectionError" and final.__dict__["queue"] == "q"
    assert final.__dict__["job_name"] == "broken" and final.__dict__["duration_s"] >= 0
    assert all(SECRET not in msg for _level, msg, _r in lines)


async def _failed(q: object, job_id: str) -> bool:
    job = await q.aget(job_id)  # type: ignore[attr-defined]
    return job is not None and job.state.value == "failed"


def test_the_worker_command_writes_json_lines(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    env = {**os.environ, "HUBJOBS_URL": url}
    app = App(url)
    try:
        app.queue("q").add("fatal", {"secret": SECRET}, job_id="f-1")
        app.queue("q").add("noop", {"secret": SECRET}, job_id="n-1")
    finally:
        app.close()
    proc = subprocess.run([sys.executable, "-m", "hubjobs.cli", "--app", "tests.apps:build_app_from_env", "worker",
                           "--queue", "q", "--burst", "--log-level", "info", "--log-format", "json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    jobs = [r for r in records if r["logger"] == "hubjobs.jobs"]
    assert {(r["job_id"], r["level"], r["message"].split(":")[0]) for r in jobs} == {
        ("f-1", "info", "job started"), ("f-1", "error", "job failed for good"),
        ("n-1", "info", "job started"), ("n-1", "info", "job completed")}
    failure = next(r for r in jobs if r["level"] == "error")
    assert failure["error_type"] == "UnrecoverableError" and failure["try"] == 1 and failure["queue"] == "q"
    assert SECRET not in proc.stderr
    quiet = subprocess.run([sys.executable, "-m", "hubjobs.cli", "--app", "tests.apps:build_app_from_env", "worker",
                            "--queue", "q", "--burst", "--log-level", "nope"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert quiet.returncode != 0 and "nope" in quiet.stderr
