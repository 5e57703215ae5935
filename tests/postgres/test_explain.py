"""The claim, finish and list queries are served by indexes (EXPLAIN), with custom and generic
plans, on a table holding two busy queues."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from hubjobs.backends.base import AddJobs, ClaimJobs, FinishJobs, JobOutcome, NewJob
from hubjobs.backends.postgres import PostgresBackend
from hubjobs.job import JobOptions
from tests.backends.postgres import libpq_url, schema_of

JOBS_PER_QUEUE = 20_000


@pytest.fixture
async def loaded(pg_url: str) -> AsyncIterator[PostgresBackend]:
    """A backend whose queues `q` and `other` hold waiting, delayed, active and completed jobs."""
    backend = PostgresBackend(pg_url)
    await backend.open()
    for queue in ("q", "other"):
        for start in range(0, JOBS_PER_QUEUE, 5000):
            await backend.add_jobs(AddJobs(queue, [
                NewJob(f"{queue}-{i}", "n", "{}", JobOptions(priority=1 + i % 7), delay=3600 if i % 10 == 0 else 0)
                for i in range(start, start + 5000)]))
    done = await backend.claim_jobs(ClaimJobs("q", "w", 2000, 60))
    await backend.finish_jobs(FinishJobs("q", [
        JobOutcome(c.job.id, c.token, "completed", result_json="1") for c in done]))
    await backend.claim_jobs(ClaimJobs("q", "w", 50, 60))
    yield backend
    await backend.close()


def _plan(conn: psycopg.Connection[Any], query: str, params: dict[str, Any]) -> str:
    return "\n".join(str(r[0]) for r in conn.execute(f"EXPLAIN {query}", params))


ACTIVE_JOB = ("jobs_pkey", "ix_jobs_active")
"""A job of a worker is found by its id, or among the (few) active jobs of its queue."""

CASES: list[tuple[str, str, list[tuple[str, ...]]]] = [
    # operation, statement, indexes the plan must use (each entry: one of these)
    ("add_jobs", "insert", [("jobs_pkey",)]),
    ("claim_jobs", "claim", [("ix_jobs_waiting",), ("ix_jobs_delayed",)]),
    ("finish_jobs", "apply", [ACTIVE_JOB]),
    ("finish_jobs", "complete", [ACTIVE_JOB]),
    ("apply_retention", "trim", [("ix_jobs_finished",)]),
    ("extend_leases", "extend", [ACTIVE_JOB]),
    ("recover_stalled", "recover", [("ix_jobs_active",)]),
    ("read_jobs", "get", [("jobs_pkey",)]),
    ("read_jobs", "list_run_order", [("ix_jobs_waiting",)]),
    ("read_jobs", "list_delayed", [("ix_jobs_delayed",)]),
    ("read_jobs", "list_active", [("ix_jobs_active",)]),
    ("read_jobs", "list_finished_desc", [("ix_jobs_finished",)]),
    ("read_jobs", "next_delayed", [("ix_jobs_delayed",)]),
    ("update_progress", "update", [("jobs_pkey",)]),
    ("append_log", "append", [("jobs_pkey",)]),
    ("admin_jobs", "retry_some", [("jobs_pkey", "ix_jobs_finished")]),
    ("admin_jobs", "remove", [("jobs_pkey",)]),
    ("admin_jobs", "promote", [("jobs_pkey", "ix_jobs_delayed")]),
    ("admin_jobs", "cancel", [("jobs_pkey", "ix_jobs_active")]),
    ("admin_jobs", "clean_finished", [("ix_jobs_finished",)]),
    ("admin_jobs", "retry_all", [("ix_jobs_finished",)]),
]

PARAMS: dict[str, Any] = {
    "queue": "q", "limit": 10, "promote_limit": 1000, "token": "t", "lease_seconds": 30.0, "worker_id": "w",
    "channel": "c", "states": ["completed"], "keeps": [100], "ages": [3600.0], "batch": 1000,
    "outcomes": json.dumps([{"id": "q-1", "token": "t", "kind": "completed", "result": "1", "delay": 0,
                             "drop": False},
                            {"id": "q-2", "token": "t", "kind": "retry", "reason": "e", "stack": "s",
                             "delay": 1.0, "drop": False}]),
    "leases": json.dumps([{"id": "q-1", "token": "t"}]),
    "jobs": json.dumps([{"id": "q-1", "name": "n", "data": "{}", "priority": 5, "max_attempts": 1,
                         "max_stalled": 1, "options": "{}", "delay": 0, "run_at": None}]),
    "id": "q-5", "state": "completed", "offset": 0, "progress": "50", "line": "hello", "max_lines": 100,
    "older_than": 60.0, "after": 0, "ids": ["q-1", "q-2"],
}


async def test_claim_finish_and_list_queries_use_indexes(loaded: PostgresBackend, pg_url: str) -> None:
    with psycopg.connect(libpq_url(pg_url), autocommit=True,
                         options=f"-c search_path={schema_of(pg_url)}") as conn:
        conn.execute("ANALYZE")
        for plan_mode in ("force_custom_plan", "force_generic_plan"):  # first executions, then prepared
            conn.execute(f"SET plan_cache_mode = {plan_mode}")
            for op, name, indexes in CASES:
                plan = _plan(conn, loaded._q(op, name), PARAMS)
                for choices in indexes:
                    assert any(i in plan for i in choices), (
                        f"{op}.{name} ({plan_mode}) uses none of {choices}:\n{plan}")
                assert "Seq Scan on jobs" not in plan, f"{op}.{name} ({plan_mode}) scans all jobs:\n{plan}"
