"""A garbage row written straight into the SQLite database (not through the engine): the job ends
`failed` with a "corrupt job row" reason naming the bad column, and the worker process goes on
with the other jobs, those claimed in the same batch included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hubjobs import App
from tests.apps import build_app
from tests.faults.support import WorkerProcesses
from tests.helpers import state_is, wait_until

GARBAGE = [
    pytest.param("data", "'not json{'", "column data is not JSON", id="data-not-json"),
    pytest.param("data", "''", "column data is not JSON", id="data-empty"),
    pytest.param("data", "CAST(x'ff7b22' AS TEXT)", "column data is not valid UTF-8", id="data-not-utf8"),
    pytest.param("data", "(SELECT printf('%.*c', 100000, '[') || printf('%.*c', 100000, ']'))",
                 "column data is not JSON", id="data-nested-100000"),
    pytest.param("options", "'{\"attempts\": \"many\"}'", "column options is invalid", id="options-bad-value"),
    pytest.param("options", "'null'", "column options is invalid", id="options-null"),
    pytest.param("options", "'{\"priority\": 5'", "column options is invalid", id="options-not-json"),
    pytest.param("errors", "'[{oops'", "row is invalid", id="errors-not-json"),
]


def _db_path(url: str) -> str:
    return url[len("sqlite:///"):]


def _corrupt(url: str, job_id: str, column: str, sql_value: str) -> None:
    db = sqlite3.connect(_db_path(url), timeout=30)
    try:
        with db:
            changed = db.execute(f"UPDATE jobs SET {column} = {sql_value} WHERE id = ?", (job_id,)).rowcount
        assert changed == 1
    finally:
        db.close()


def _row(url: str, job_id: str) -> tuple[str, str | None]:
    db = sqlite3.connect(_db_path(url), timeout=30)
    try:
        state, reason = db.execute("SELECT state, failed_reason FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return state, reason
    finally:
        db.close()


@pytest.mark.parametrize("column, sql_value, reason", GARBAGE)
async def test_a_garbage_row_fails_as_corrupt_and_other_jobs_complete(
        sqlite_url: str, tmp_path: Path, column: str, sql_value: str, reason: str) -> None:
    app: App = build_app(sqlite_url)
    q = app.queue("q")
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    workers = WorkerProcesses(sqlite_url, log_dir)
    try:
        await q.apause()  # the worker must not claim the row before it is spoilt
        a = workers.start("A", "--concurrency", "10")
        first = await q.aadd("noop", {"n": 1}, priority=1)
        garbage = await q.aadd("noop", {"n": 2}, priority=1)
        last = await q.aadd("noop", {"n": 3}, priority=1)
        _corrupt(sqlite_url, garbage.id, column, sql_value)
        await q.aresume()  # all three are claimed in one batch

        await wait_until(lambda: _row(sqlite_url, garbage.id)[0] == "failed", timeout=60,
                         what="the garbage row failed")
        for job in (first, last):
            await wait_until(state_is(app, "q", job.id, "completed"), what="the good jobs completed")
        failed_reason = _row(sqlite_url, garbage.id)[1]
        assert failed_reason is not None and failed_reason.startswith("corrupt job row in storage: ")
        assert reason in failed_reason

        later = await q.aadd("noop", {"n": 4})  # and the worker goes on
        await wait_until(state_is(app, "q", later.id, "completed"), what="a later job completed")
        assert (await q.acounts())["failed"] == 1
        assert a.proc.poll() is None, a.log_text()
        assert "Traceback" not in a.log_text()
    finally:
        workers.kill_all()
        await app.aclose()
        app.close()
