"""The raw SQLite ceiling: a plain sqlite3 loop running hubjobs' own claim and complete statements
(read from the engine's SQL files, so the two stay the same) on a file hubjobs filled, with the
engine's connection settings (WAL, synchronous NORMAL). One write transaction per batch finishes
the jobs claimed by the previous one (complete, then delete: the benchmark queue keeps no
completed jobs) and claims the next `batch`, like a worker's finish-and-claim call; no handler,
no event loop, no threads.

    python -m bench.matrix.sqlite_ceiling [--jobs 2000] [--batch 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from hubjobs.backends.sql_files import load_sql_dir


def fill(path: Path, n: int) -> None:
    """Queue n `ledger` jobs through hubjobs (its schema, its rows)."""
    os.environ["BENCH_URL"] = f"sqlite:///{path}"
    from bench.sqlite_side_by_side.hubjobs_tasks import Producer

    async def add() -> None:
        producer = Producer()
        try:
            for base in range(0, n, 1000):
                await producer.add_bulk([(i, 0.0, "") for i in range(base, min(base + 1000, n))])
        finally:
            await producer.close()

    asyncio.run(add())


def drain(path: Path, batch: int) -> tuple[int, float]:
    """Claim and complete every waiting job; (jobs, seconds)."""
    sql = load_sql_dir("hubjobs.backends.sqlite.sql")
    claim, complete, delete = sql["claim_jobs"]["claim"], sql["finish_jobs"]["complete"], sql["finish_jobs"]["delete_job"]
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    held: list[tuple[str, str]] = []
    done = 0
    start = time.perf_counter()
    while True:
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        for job_id, token in held:
            params: dict[str, Any] = {"queue": "bench", "id": job_id, "token": token, "now": now, "result": None}
            if conn.execute(complete, params).rowcount != 1:
                raise RuntimeError(f"job {job_id} was not active under its token")
            conn.execute(delete, params)
        token = secrets.token_hex(8)
        rows = conn.execute(claim, {"queue": "bench", "now": now, "limit": batch, "token": token,
                                    "lease_expires": now + 30, "worker_id": "ceiling"}).fetchall()
        conn.execute("COMMIT")
        done += len(held)
        held = [(str(r["id"]), token) for r in rows]
        if not held:
            break
    seconds = time.perf_counter() - start
    left = conn.execute("SELECT count(*) FROM jobs WHERE queue = 'bench'").fetchone()[0]
    conn.close()
    if left:
        raise RuntimeError(f"{left} jobs left after the ceiling loop")
    return done, seconds


def measure(n: int, batch: int, directory: Path | None = None) -> dict[str, Any]:
    """Fill a fresh file with n jobs and drain it; jobs/s and CPU µs per job."""
    with tempfile.TemporaryDirectory(dir=directory) as d:
        path = Path(d) / "ceiling.db"
        fill(path, n)
        cpu0 = time.process_time()
        done, seconds = drain(path, batch)
        cpu = time.process_time() - cpu0
    return {"steady_per_s": done / seconds, "cpu_us_per_job": 1e6 * cpu / done, "exactly_once": done == n,
            "ledger_problems": [] if done == n else [f"claimed {done} of {n}"]}


def main() -> None:
    """Print one measurement as JSON."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=2000)
    p.add_argument("--batch", type=int, default=10)
    args = p.parse_args()
    print(json.dumps(measure(args.jobs, args.batch)))


if __name__ == "__main__":
    main()
