"""The benchmark matrix's harness on its smallest cell: SQLite, hubjobs, 200 jobs. Checks the
ledger (every job once), the SQLite ceiling loop and the report; never a timing."""

from __future__ import annotations

from pathlib import Path

from bench.matrix import report
from bench.matrix.backends import SqliteBackend
from bench.matrix.libraries import catalogue
from bench.matrix.measure import Harness, Options, WorkerCell
from bench.matrix.sqlite_ceiling import measure as ceiling


def test_one_sqlite_cell_runs_every_job_exactly_once(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path)
    hubjobs = next(e for e in catalogue() if e.backend == "sqlite" and e.name == "hubjobs")
    hubjobs.describe({"PATH": "/usr/bin:/bin", **backend.env("hubjobs"), "PYTHONPATH": str(Path.cwd())})
    assert "async" in hubjobs.kinds
    cell = WorkerCell("sqlite", "async", 10, "noop")
    result = Harness(backend, tmp_path, Options(jobs=200, producer_jobs=200, latency_jobs=20, rate=500.0,
                                                 timeout=60.0)).worker_cell(hubjobs, cell)
    assert result["exactly_once"], result["ledger_problems"]
    assert not result["timed_out"]
    assert result["steady_per_s"] > 0 and result["pickup_p99_ms"] >= result["pickup_p50_ms"]

    raw = ceiling(200, 10, tmp_path)
    assert raw["exactly_once"]

    cells = {cell.key: {"hubjobs": report.median_of_rounds([result]),
                        report.CEILING: report.median_of_rounds([raw])}}
    payload = {"meta": {"date": "now", "cpus": 2, "python": "3", "jobs": 200, "latency_jobs": 20, "rate": 500.0,
                        "producer_jobs": 200, "rounds": 1, "selection": "smoke"},
               "versions": {"sqlite/hubjobs": hubjobs.version}, "cells": cells, "producers": {},
               "headline": report.headline(cells)}
    text = report.markdown(payload)
    assert "| sqlite/async/c10/noop | hubjobs |" in text
    assert "of the sqlite3 ceiling" in text
