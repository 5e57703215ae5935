"""Side-by-side on SQLite: hubjobs vs Huey's SqliteHuey, one worker process each.

Reports enqueue jobs/s (single add and add_bulk) and end-to-end jobs/s for N no-op jobs, and
the sync-add cell: hubjobs' sync `Queue.add` against SqliteHuey's enqueue, single adds from a
plain thread in interleaved rounds (`--sync-jobs` per round, `--sync-rounds`), medians and ratio.
End-to-end: jobs are enqueued first; a marker job placed before them starts the clock once the
worker process is running, and a marker after them stops it.

    python -m bench.sqlite_side_by_side.bench_sqlite [--jobs 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _wait_file(path: Path, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.001)
    return time.perf_counter()


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    full = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    return subprocess.Popen(args, cwd=ROOT, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_hubjobs(n: int, tmp: Path) -> dict[str, Any]:
    """Measure hubjobs on a fresh SQLite file."""
    url = f"sqlite:///{tmp / 'hubjobs.db'}"
    os.environ["BENCH_URL"] = url
    from bench.sqlite_side_by_side.hubjobs_tasks import build_app

    app = build_app()
    q = app.queue("bench")

    async def enqueue_single() -> float:
        t = time.perf_counter()
        for _ in range(n):
            await q.aadd("noop", None)
        return n / (time.perf_counter() - t)

    async def enqueue_bulk() -> float:
        t = time.perf_counter()
        for start in range(0, n, 1000):
            await q.aadd_bulk([{"name": "noop"}] * min(1000, n - start))
        return n / (time.perf_counter() - t)

    async def prepare(start_marker: Path, end_marker: Path) -> None:
        await q.adrain()
        await q.aadd("marker", {"path": str(start_marker)}, priority=1)
        for start in range(0, n, 1000):
            await q.aadd_bulk([{"name": "noop", "priority": 5}] * min(1000, n - start))
        await q.aadd("marker", {"path": str(end_marker)}, priority=9)
        await app.aclose()

    single = asyncio.run(enqueue_single())
    t = time.perf_counter()
    for _ in range(min(n, 2000)):
        q.add("noop", None)
    single_sync = min(n, 2000) / (time.perf_counter() - t)
    bulk = asyncio.run(_fresh(enqueue_bulk, app))
    start_marker, end_marker = tmp / "hj-start", tmp / "hj-end"
    asyncio.run(prepare(start_marker, end_marker))
    app.close()
    proc = _spawn([sys.executable, "-m", "bench.sqlite_side_by_side.hubjobs_tasks"], {"BENCH_URL": url})
    try:
        t0 = _wait_file(start_marker)
        t1 = _wait_file(end_marker)
    finally:
        proc.terminate()
        proc.wait(30)
    return {"library": "hubjobs", "version": version("hubjobs"), "enqueue_single_async": single,
            "enqueue_single_sync": single_sync, "enqueue_bulk": bulk, "end_to_end": n / (t1 - t0)}


async def _fresh(fn: Any, app: Any) -> float:
    try:
        return float(await fn())
    finally:
        await app.aclose()


def bench_huey(n: int, tmp: Path) -> dict[str, Any]:
    """Measure Huey's SqliteHuey with one worker thread (its default consumer)."""
    db = tmp / "huey.db"
    os.environ["BENCH_HUEY_DB"] = str(db)
    from bench.sqlite_side_by_side import huey_tasks

    t = time.perf_counter()
    for _ in range(n):
        huey_tasks.noop()
    single = n / (time.perf_counter() - t)
    huey_tasks.huey.flush()
    start_marker, end_marker = tmp / "hu-start", tmp / "hu-end"
    huey_tasks.marker(str(start_marker))
    for _ in range(n):
        huey_tasks.noop()
    huey_tasks.marker(str(end_marker))
    proc = _spawn([sys.executable, "-m", "huey.bin.huey_consumer", "bench.sqlite_side_by_side.huey_tasks.huey", "-w", "1",
                   "-k", "thread", "-q"], {"BENCH_HUEY_DB": str(db)})
    try:
        t0 = _wait_file(start_marker)
        t1 = _wait_file(end_marker)
    finally:
        proc.terminate()
        proc.wait(30)
    return {"library": "huey (SqliteHuey)", "version": version("huey"), "enqueue_single_async": None,
            "enqueue_single_sync": single, "enqueue_bulk": None, "end_to_end": n / (t1 - t0)}


def sync_add_cell(tmp: Path, n: int, rounds: int) -> dict[str, Any]:
    """hubjobs sync add vs SqliteHuey enqueue, each on a fresh file, interleaved rounds."""
    from huey import SqliteHuey

    from bench.sync_add import interleaved, summary
    from hubjobs import App

    app = App(f"sqlite:///{tmp / 'sync-hubjobs.db'}")

    @app.job("bench", "noop")
    async def noop(job: Any) -> None:
        return None

    q = app.queue("bench")
    huey = SqliteHuey(filename=str(tmp / "sync-huey.db"), results=False)

    @huey.task()
    def huey_noop() -> None:
        return None

    def hubjobs_adds(count: int) -> None:
        for _ in range(count):
            q.add("noop", None)

    def huey_adds(count: int) -> None:
        for _ in range(count):
            huey_noop()

    try:
        return summary(interleaved({"hubjobs": hubjobs_adds, "huey (SqliteHuey)": huey_adds}, n, rounds),
                       "huey (SqliteHuey)")
    finally:
        app.close()


def main() -> None:
    """Run both and print a table (and JSON with --json-out)."""
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, default=10_000)
    p.add_argument("--json-out", default=str(ROOT / "bench" / "results" / "sqlite.json"))
    p.add_argument("--sync-jobs", type=int, default=2000, help="sync single adds per library and round")
    p.add_argument("--sync-rounds", type=int, default=5)
    p.add_argument("--only-sync-add", action="store_true", help="run only the sync-add cell")
    args = p.parse_args()
    from bench.sync_add import table

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        sync_cell = sync_add_cell(tmp, args.sync_jobs, args.sync_rounds)
        rows = [] if args.only_sync_add else [bench_hubjobs(args.jobs, tmp), bench_huey(args.jobs, tmp)]
    out = Path(args.json_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"jobs": args.jobs, "results": rows, "sync_add": sync_cell}, indent=2))
    print(table(sync_cell, f"SQLite sync single add from a plain thread, {args.sync_jobs:,} adds per round, "
                           f"median of {args.sync_rounds} interleaved rounds"))
    print()
    if not rows:
        return

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:,.0f}"

    print(f"SQLite, {args.jobs:,} no-op jobs, one worker process each (jobs/s)")
    print("| library | version | add (sync) | add (async) | add_bulk | end-to-end |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['library']} | {r['version']} | {f(r['enqueue_single_sync'])} | "
              f"{f(r['enqueue_single_async'])} | {f(r['enqueue_bulk'])} | {f(r['end_to_end'])} |")
    ratio = rows[0]["end_to_end"] / rows[1]["end_to_end"]
    print(f"end-to-end ratio hubjobs / huey: {ratio:.2f}x")


if __name__ == "__main__":
    main()
