"""Side by side on one PostgreSQL server: hubjobs vs pgqueuer vs procrastinate, one worker
process each, every library in its own schema of the same database.

Per library:
- enqueue jobs/s: single adds (one awaited call per job) and bulk adds (1,000 per call);
- end-to-end jobs/s for N no-op jobs: jobs are queued first between a start marker (runs first
  by priority) and an end marker (runs last); the clock runs from the start marker's handler to
  the end marker's, in a worker process started after the queueing;
- pickup latency (add -> handler start) at a low steady rate with the worker idle between jobs:
  p50 and p99 over K jobs.

Then the sync-add cell: hubjobs' sync `Queue.add` from a plain thread (psycopg's blocking
connection, no event loop) against pgqueuer's single `enqueue` (asyncpg, awaited on its loop),
interleaved rounds of `--sync-jobs` adds, medians and ratio.

    python -m bench.postgres_side_by_side.bench_postgres [--jobs 10000] [--latency-jobs 200] [--dsn ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
BULK = 1000


# ---------------------------------------------------------------- plumbing


def reset_schema(dsn: str, schema: str) -> None:
    """Drop and recreate a schema."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


def spawn(module: str, *args: str) -> subprocess.Popen[bytes]:
    """Start a worker process of one side."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a worker process (SIGTERM, then SIGKILL)."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu() -> float:
    """User + system CPU seconds of every PostgreSQL server process on this machine."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if "(postgres)" in stat:
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def wait_file(path: Path, timeout: float = 900.0) -> float:
    """Poll (1 ms) for a marker file; returns the time its writer recorded in it."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        await asyncio.sleep(0.001)
    return float(path.read_text())


async def wait_lines(path: Path, count: int, timeout: float = 60.0) -> None:
    """Poll (0.5 ms) until a file has `count` lines."""
    deadline = time.monotonic() + timeout
    while True:
        if path.exists() and path.read_text().count("\n") >= count:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never reached {count} lines")
        await asyncio.sleep(0.0005)


# ---------------------------------------------------------------- the three sides


class HubjobsSide:
    """hubjobs through its public API (App / Queue), worker concurrency `concurrency`."""

    name = "hubjobs"
    schema = "bench_hubjobs"

    def __init__(self, dsn: str, concurrency: int) -> None:
        from bench.postgres_side_by_side.hubjobs_side import build_app

        self.url = f"{dsn}?schema={self.schema}"
        self.concurrency = concurrency
        self.app = build_app(self.url)
        self.q = self.app.queue("bench")

    @property
    def version(self) -> str:
        return version("hubjobs")

    async def setup(self) -> None:
        await self.app.backend()  # migrations

    async def add(self) -> None:
        await self.q.aadd("noop", None)

    async def add_bulk(self, n: int, priority: int = 5) -> None:
        await self.q.aadd_bulk([{"name": "noop", "priority": priority}] * n)

    async def add_marker(self, path: Path, first: bool) -> None:
        await self.q.aadd("marker", {"path": str(path)}, priority=1 if first else 9)

    async def add_latency(self, file: Path) -> None:
        await self.q.aadd("latency", {"file": str(file), "t": time.time()})

    async def remaining(self) -> int:
        counts = await self.q.acounts()
        return counts["waiting"] + counts["active"] + counts["delayed"]

    def worker(self) -> subprocess.Popen[bytes]:
        return spawn("bench.postgres_side_by_side.hubjobs_side", self.url, str(self.concurrency))

    async def close(self) -> None:
        await self.app.aclose()


class PgqueuerSide:
    """pgqueuer (asyncpg driver), worker `batch_size` = `concurrency`."""

    name = "pgqueuer"
    schema = "bench_pgqueuer"

    def __init__(self, dsn: str, concurrency: int) -> None:
        self.dsn = dsn
        self.concurrency = concurrency
        self.conn: Any = None
        self.queries: Any = None

    @property
    def version(self) -> str:
        return version("pgqueuer")

    async def setup(self) -> None:
        from pgqueuer import AsyncpgDriver, Queries

        from bench.postgres_side_by_side.pgqueuer_side import connect

        self.conn = await connect(self.dsn, self.schema)
        self.queries = Queries(AsyncpgDriver(self.conn))
        await self.queries.install()

    async def add(self) -> None:
        await self.queries.enqueue("noop", None, 5)

    async def add_bulk(self, n: int, priority: int = 5) -> None:
        await self.queries.enqueue(["noop"] * n, [None] * n, [priority] * n)

    async def add_marker(self, path: Path, first: bool) -> None:  # higher priority runs first
        await self.queries.enqueue("marker", str(path).encode(), 10 if first else 0)

    async def add_latency(self, file: Path) -> None:
        await self.queries.enqueue("latency", json.dumps({"file": str(file), "t": time.time()}).encode(), 5)

    async def remaining(self) -> int:
        return int(await self.conn.fetchval("SELECT count(*) FROM pgqueuer"))

    def worker(self) -> subprocess.Popen[bytes]:
        return spawn("bench.postgres_side_by_side.pgqueuer_side", self.dsn, self.schema, str(self.concurrency))

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


class ProcrastinateSide:
    """procrastinate (psycopg connector, LISTEN/NOTIFY on), worker concurrency `concurrency`."""

    name = "procrastinate"
    schema = "bench_procrastinate"

    def __init__(self, dsn: str, concurrency: int) -> None:
        from bench.postgres_side_by_side.procrastinate_side import build_app

        self.dsn = dsn
        self.concurrency = concurrency
        self.app = build_app(dsn, self.schema)

    @property
    def version(self) -> str:
        return version("procrastinate")

    async def setup(self) -> None:
        await self.app.open_async()
        await self.app.schema_manager.apply_schema_async()

    async def add(self) -> None:
        await self.app.tasks["noop"].defer_async()

    async def add_bulk(self, n: int, priority: int = 5) -> None:
        await self.app.tasks["noop"].configure(priority=priority).batch_defer_async(*([{}] * n))

    async def add_marker(self, path: Path, first: bool) -> None:  # higher priority runs first
        await self.app.tasks["marker"].configure(priority=10 if first else 0).defer_async(path=str(path))

    async def add_latency(self, file: Path) -> None:
        await self.app.tasks["latency"].defer_async(file=str(file), t=time.time())

    async def remaining(self) -> int:
        async with await psycopg.AsyncConnection.connect(
                self.dsn, options=f"-c search_path={self.schema}") as conn:
            cur = await conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    def worker(self) -> subprocess.Popen[bytes]:
        return spawn("bench.postgres_side_by_side.procrastinate_side", self.dsn, self.schema, str(self.concurrency))

    async def close(self) -> None:
        await self.app.close_async()


# ---------------------------------------------------------------- measuring one side


async def measure(side: Any, jobs: int, single_jobs: int, latency_jobs: int, tmp: Path) -> dict[str, Any]:
    """Enqueue rates, end-to-end rate and pickup latency of one side."""
    await side.setup()
    try:
        t = time.perf_counter()
        for _ in range(single_jobs):
            await side.add()
        single = single_jobs / (time.perf_counter() - t)
        t = time.perf_counter()
        for start in range(0, jobs, BULK):
            await side.add_bulk(min(BULK, jobs - start))
        bulk = jobs / (time.perf_counter() - t)
    finally:
        await side.close()
    reset_schema(side.dsn if hasattr(side, "dsn") else DSN_OF[side.name], side.schema)

    await side.setup()
    start_marker, end_marker = tmp / f"{side.name}-start", tmp / f"{side.name}-end"
    latency_file = tmp / f"{side.name}-latency"
    proc = None
    try:
        await side.add_marker(start_marker, first=True)
        for start in range(0, jobs, BULK):
            await side.add_bulk(min(BULK, jobs - start))
        await side.add_marker(end_marker, first=False)
        proc = side.worker()
        t0 = await wait_file(start_marker)
        cpu0, server0 = process_cpu(proc.pid), server_cpu()
        t1 = await wait_file(end_marker)
        cpu1, server1 = process_cpu(proc.pid), server_cpu()
        end_to_end = jobs / (t1 - t0)
        left = await side.remaining()

        rng = random.Random(7)
        for i in range(latency_jobs):  # one job at a time, the worker idle in between
            await asyncio.sleep(rng.uniform(0.005, 0.015))
            await side.add_latency(latency_file)
            await wait_lines(latency_file, i + 1)
        delays = sorted(float(x) for x in latency_file.read_text().split())
    finally:
        if proc is not None:
            stop(proc)
        await side.close()
    return {
        "library": side.name, "version": side.version, "concurrency": side.concurrency,
        "enqueue_single": single, "enqueue_bulk": bulk, "end_to_end": end_to_end,
        "left_unfinished_after_end_marker": left,
        "worker_cpu_us_per_job": 1e6 * (cpu1 - cpu0) / jobs, "server_cpu_us_per_job": 1e6 * (server1 - server0) / jobs,
        "latency_p50_ms": 1000 * statistics.median(delays),
        "latency_p99_ms": 1000 * delays[min(len(delays) - 1, int(0.99 * len(delays)))],
    }


DSN_OF: dict[str, str] = {}


def sync_add_cell(dsn: str, n: int, rounds: int) -> dict[str, Any]:
    """hubjobs sync add vs pgqueuer single enqueue, interleaved rounds, fresh schemas."""
    from bench.postgres_side_by_side.hubjobs_side import build_app
    from bench.sync_add import interleaved, summary

    schema = "bench_hubjobs_sync"
    reset_schema(dsn, schema)
    reset_schema(dsn, PgqueuerSide.schema)
    app = build_app(f"{dsn}?schema={schema}")
    q = app.queue("bench")
    peer = PgqueuerSide(dsn, 1)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(peer.setup())

    def hubjobs_adds(count: int) -> None:
        for _ in range(count):
            q.add("noop", None)

    async def pgqueuer_adds(count: int) -> None:
        for _ in range(count):
            await peer.add()

    try:
        return summary(interleaved({"hubjobs (sync add)": hubjobs_adds,
                                    "pgqueuer (enqueue)": lambda c: loop.run_until_complete(pgqueuer_adds(c))},
                                   n, rounds), "pgqueuer (enqueue)")
    finally:
        loop.run_until_complete(peer.close())
        loop.close()
        app.close()
        reset_schema(dsn, schema)
        reset_schema(dsn, PgqueuerSide.schema)


METRICS = ("enqueue_single", "enqueue_bulk", "end_to_end", "latency_p50_ms", "latency_p99_ms",
           "worker_cpu_us_per_job", "server_cpu_us_per_job")


def median_row(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One library's result: the median of each metric over the rounds, and every round's
    end-to-end rate."""
    out = dict(runs[0])
    for key in METRICS:
        out[key] = statistics.median(r[key] for r in runs)
    out["end_to_end_rounds"] = [r["end_to_end"] for r in runs]
    out["left_unfinished_after_end_marker"] = max(r["left_unfinished_after_end_marker"] for r in runs)
    return out


def main() -> None:
    """Run the sides in rounds (interleaved, so a busy moment of the machine hits all of them)
    and print the medians (JSON in bench/results/postgres.json)."""
    p = argparse.ArgumentParser()
    p.add_argument("--dsn", default=os.environ.get("HUBJOBS_TEST_POSTGRES_URL", DEFAULT_DSN))
    p.add_argument("--jobs", type=int, default=10_000)
    p.add_argument("--single-jobs", type=int, default=2_000)
    p.add_argument("--latency-jobs", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", action="append", choices=["hubjobs", "pgqueuer", "procrastinate"])
    p.add_argument("--json-out", default=str(ROOT / "bench" / "results" / "postgres.json"))
    p.add_argument("--sync-jobs", type=int, default=1000, help="sync single adds per library and round")
    p.add_argument("--sync-rounds", type=int, default=5)
    p.add_argument("--only-sync-add", action="store_true", help="run only the sync-add cell")
    args = p.parse_args()
    from bench.sync_add import table

    sync_cell = sync_add_cell(args.dsn, args.sync_jobs, args.sync_rounds)
    print(table(sync_cell, f"PostgreSQL sync single add, {args.sync_jobs:,} adds per round, median of "
                           f"{args.sync_rounds} interleaved rounds"))
    print()
    if args.only_sync_add:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"sync_add": sync_cell}, indent=2))
        return
    sides = {"hubjobs": HubjobsSide, "pgqueuer": PgqueuerSide, "procrastinate": ProcrastinateSide}
    names = args.only or list(sides)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as d:
        for round_no in range(args.rounds):
            for name in names:
                cls = sides[name]
                DSN_OF[name] = args.dsn
                reset_schema(args.dsn, cls.schema)
                side = cls(args.dsn, args.concurrency)
                tmp = Path(d) / f"round{round_no}"
                tmp.mkdir(exist_ok=True)
                runs[name].append(asyncio.run(measure(side, args.jobs, args.single_jobs, args.latency_jobs, tmp)))
                reset_schema(args.dsn, cls.schema)
                print(f"round {round_no + 1}: {name} end-to-end {runs[name][-1]['end_to_end']:,.0f} jobs/s",
                      file=sys.stderr)
    rows = [median_row(runs[name]) for name in names]
    with psycopg.connect(args.dsn) as conn:
        server = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    out = Path(args.json_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"jobs": args.jobs, "concurrency": args.concurrency, "rounds": args.rounds,
                               "server": server, "results": rows, "sync_add": sync_cell}, indent=2))

    print(f"PostgreSQL {server}, {args.jobs:,} no-op jobs, one worker process each "
          f"(concurrency / batch size {args.concurrency}); medians of {args.rounds} interleaved rounds")
    print("| library | version | add (jobs/s) | add bulk (jobs/s) | end-to-end (jobs/s) | pickup p50 (ms) "
          "| pickup p99 (ms) | worker CPU (µs/job) | server CPU (µs/job) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['library']} | {r['version']} | {r['enqueue_single']:,.0f} | {r['enqueue_bulk']:,.0f} | "
              f"{r['end_to_end']:,.0f} | {r['latency_p50_ms']:.1f} | {r['latency_p99_ms']:.1f} | "
              f"{r['worker_cpu_us_per_job']:.0f} | {r['server_cpu_us_per_job']:.0f} |")
    by = {r["library"]: r for r in rows}
    if "hubjobs" in by:
        for other in ("pgqueuer", "procrastinate"):
            if other in by:
                print(f"end-to-end hubjobs / {other}: {by['hubjobs']['end_to_end'] / by[other]['end_to_end']:.2f}x")


if __name__ == "__main__":
    main()
