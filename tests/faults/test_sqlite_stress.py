"""Four worker processes on one SQLite file process 20,000 jobs while a producer keeps adding:
each job runs exactly once, no "database is locked" reaches a caller (producer or worker), and
the file passes `PRAGMA integrity_check`."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

from hubjobs import Queue
from tests.apps import build_app
from tests.faults.support import WorkerProcesses
from tests.helpers import wait_until

JOBS = 20_000
CHUNK = 950
SINGLE = 50
"""Each round adds CHUNK jobs with one add_bulk and SINGLE with one add each: 20 rounds."""
WORKERS = 4


def _ledger_ids(ledger_dir: Path) -> Counter[str]:
    ids: Counter[str] = Counter()
    for f in ledger_dir.glob("*.txt"):
        ids.update(line for line in f.read_text().splitlines() if line)
    return ids


async def test_four_worker_processes_process_20000_jobs_exactly_once(sqlite_url: str, tmp_path: Path) -> None:
    app = build_app(sqlite_url)
    q = app.queue("q")
    ledger_dir = tmp_path / "ledger"
    ledger_dir.mkdir()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    workers = WorkerProcesses(sqlite_url, log_dir)
    try:
        await q.acounts()  # create the schema before the workers race to
        procs = [workers.start(f"w{i}", "--concurrency", "50") for i in range(WORKERS)]
        item = {"name": "ledger_line", "data": {"ledger_dir": str(ledger_dir)}, "remove_on_complete": False}
        added: list[str] = []
        started = time.monotonic()
        for _ in range(JOBS // (CHUNK + SINGLE)):  # the producer writes while four workers claim and finish
            added += await q.aadd_bulk([item] * CHUNK)
            for _ in range(SINGLE):
                added.append((await q.aadd("ledger_line", item["data"], remove_on_complete=False)).id)
        await wait_until(lambda: _completed(q), timeout=240, interval=0.2, what="20,000 jobs completed")
        elapsed = time.monotonic() - started
        for wp in procs:
            wp.proc.send_signal(signal.SIGTERM)
        assert [wp.proc.wait(60) for wp in procs] == [0] * WORKERS
    finally:
        workers.kill_all()
        await app.aclose()
        app.close()

    assert len(set(added)) == JOBS
    db = sqlite3.connect(sqlite_url[len("sqlite:///"):])
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute("SELECT state, attempts_made, stalled_count, count(*) FROM jobs GROUP BY 1, 2, 3").fetchall()
        assert rows == [("completed", 1, 0, JOBS)], rows
        workers_used = db.execute("SELECT count(DISTINCT worker_id) FROM jobs").fetchone()[0]
    finally:
        db.close()
    ran = _ledger_ids(ledger_dir)
    assert set(ran) == set(added), "a job never ran, or the ledger names a job never added"
    assert max(ran.values()) == 1, f"jobs ran more than once: {[j for j, n in ran.items() if n > 1][:5]}"
    assert workers_used == WORKERS
    for wp in procs:
        text = wp.log_text()
        assert "locked" not in text.lower() and "Traceback" not in text, f"worker {wp.name} log:\n{text[-2000:]}"
    print(f"\n{JOBS} jobs added and processed by {WORKERS} worker processes in {elapsed:.1f} s")


async def _completed(q: Queue) -> bool:
    return (await q.acounts())["completed"] == JOBS
