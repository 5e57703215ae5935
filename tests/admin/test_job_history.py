"""The job page tells a job's history: runs numbered after admin retries ("run 3 · try 1 of 1,
retried by admin alice (dashboard) at …"), tries grouped per run, the wait counted from the
latest retry, and a process-isolated handler's own file and line in its traceback."""

from __future__ import annotations

import html
import inspect
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hubjobs.admin import AdminSettings, create_admin_app
from tests import apps

from .conftest import Tokens
from .support import make_app, run_burst, sign_in, token_store_path


@pytest.fixture
async def jobs_client(tmp_path: Path, tokens: Tokens) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    app = make_app(f"sqlite:///{tmp_path / 'jobs.db'}")
    admin = create_admin_app(app, settings=AdminSettings(token_store=token_store_path(tmp_path)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://testserver") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c, await sign_in(c, tokens.admin)
    await admin.state.admin.aclose()
    await app.aclose()


async def test_runs_are_numbered_after_two_retries(jobs_client: tuple[httpx.AsyncClient, str]) -> None:
    client, csrf = jobs_client
    app = client.app  # type: ignore[attr-defined]
    job = await app.queue("flaky").aadd("flaky", {"order": 1})
    await run_burst(app, ["flaky"])
    for _ in range(2):
        r = await client.post("/actions", data={"csrf_token": csrf, "action": "retry", "queue": "flaky",
                                                "job_id": job.id, "next": "/"},
                              headers={"Origin": "http://testserver"})
        assert r.status_code == 303
        await run_burst(app, ["flaky"])
    page = await client.get(f"/queues/flaky/jobs/{job.id}")
    text = html.unescape(re.sub(r"<[^>]+>", "", page.text))
    run_line = re.search(r"run (\d+) · try (\d+) of (\d+), retried by ([^\n]+?) at (\S+ \S+ UTC)", text)
    assert run_line is not None, text
    assert run_line.groups()[:4] == ("3", "1", "1", "admin alice (dashboard)")
    summaries = re.findall(r"Run (\d) · try (\d) of 1", text)
    assert summaries == [("1", "1"), ("2", "1"), ("3", "1")]
    assert "Try 1 ·" not in text


async def test_a_process_handlers_traceback_shows_its_own_file_and_line(tmp_path: Path, tokens: Tokens) -> None:
    app = apps.build_app(f"sqlite:///{tmp_path / 'p.db'}")
    job = await app.queue(apps.QUEUE).aadd("process_echo", {"fail": True}, attempts=1)
    await app.worker([apps.QUEUE], install_signals=False).arun(burst=True)
    admin = create_admin_app(app, settings=AdminSettings(token_store=token_store_path(tmp_path)))
    source, first = inspect.getsourcelines(apps.process_echo)
    line = first + next(i for i, text in enumerate(source) if "raise ValueError" in text)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://testserver") as c:
            await sign_in(c, tokens.admin)
            page = await c.get(f"/queues/{apps.QUEUE}/jobs/{job.id}")
        text = html.unescape(page.text)
        assert f'apps.py", line {line}, in process_echo' in text, text[-3000:]
        assert "process handler failed on purpose" in text
    finally:
        await admin.state.admin.aclose()
        await app.aclose()


def test_wait_counts_from_the_latest_readiness_before_the_start() -> None:
    from hubjobs.admin.job_history import job_history
    from hubjobs.backends.base import LogLine
    from hubjobs.job import Job, JobState, TryError

    job = Job(id="j", queue="q", name="n", data={}, state=JobState.FAILED, created_ts=100.0, started_ts=500.0,
              errors=[TryError(1, "boom", "", 200.0), TryError(1, "boom", "", 510.0)])
    history = job_history(job, [LogLine(300.0, "retried by admin alice (dashboard)")])
    assert history.waited == 200.0  # from the retry at 300 to the start at 500, not from creation
    assert [len(r.errors) for r in history.runs] == [1, 1] and history.current_run.retried_by == "admin alice (dashboard)"
