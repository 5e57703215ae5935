"""Soak bench: mixed traffic on one backend for a set time, sampling memory and throughput.

A worker process runs three handlers on queue `soak`: `ok` (returns a small result), `flaky`
(fails its first try, succeeds on the second after a 50 ms backoff) and `bad` (fails for good
twice: it succeeds once `retry_all_failed` has sent it back two times).
This process adds jobs at a steady rate (80% ok, 10% flaky, 5% bad, 5% delayed by 0.5-2 s),
sends the failed jobs back with `retry_all_failed()` every 10 s, and reads the dashboard API
(`GET /api/queues`, the failed list and a search) every second through the admin ASGI app.
Retention is the default (completed: newest 1,000; failed: newest 10,000), so a steady state
exists and memory should stop growing once it is reached.

Every `--sample` seconds it records: the worker's RSS (from /proc), the backend's memory (Redis
`used_memory`, SQLite database + WAL file size, PostgreSQL size of the schema's tables), jobs
finished per second in the interval, and the counts per state.

    python -m bench.soak --backend redis --minutes 30 [--rate 200] [--sample 30] [--json out.json]

The verdict compares the median of the second quarter of the run with the median of the last
quarter (the first quarter is warm-up): "flat" when both memories moved by at most 5%.
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
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from hubjobs import App, Backoff
from hubjobs.admin import AdminSettings, TokenStore, create_admin_app
from hubjobs.job import Job

QUEUE = "soak"
REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
FLAT_TOLERANCE = 0.05


def build_app(url: str) -> App:
    """The soak App: three handlers on `soak`."""
    app = App(url)
    app.queue(QUEUE)

    @app.job(QUEUE, "ok")
    async def ok(job: Job) -> Any:
        return {"n": job.data.get("n")}

    @app.job(QUEUE, "flaky", attempts=2, backoff=Backoff.fixed(0.05))
    async def flaky(job: Job) -> Any:
        if job.attempts_made == 0:
            raise RuntimeError("first try fails on purpose")
        return "second try"

    @app.job(QUEUE, "bad")
    async def bad(job: Job) -> Any:
        if len(job.errors) < 2:  # the error history survives retry_all_failed
            raise RuntimeError("fails twice on purpose")
        return "third time"

    return app


# ------------------------------------------------------------------ the worker process

async def _worker_main(url: str, counters: Path, concurrency: int) -> None:
    app = build_app(url)
    finished = {"completed": 0, "failed": 0}
    worker = app.worker(QUEUE, concurrency=concurrency, install_signals=True)
    worker.on("completed", lambda e: finished.__setitem__("completed", finished["completed"] + 1))
    worker.on("failed", lambda e: finished.__setitem__("failed", finished["failed"] + 1))

    async def report() -> None:
        while True:
            tmp = counters.with_suffix(".tmp")
            tmp.write_text(json.dumps(finished))
            tmp.replace(counters)
            await asyncio.sleep(1.0)

    reporter = asyncio.create_task(report())
    try:
        await worker.arun()
    finally:
        reporter.cancel()
        await app.aclose()


# ------------------------------------------------------------------ measuring

def rss_mb(pid: int) -> float:
    """Resident set size of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def backend_bytes(app: App, url: str) -> int:
    """What the backend holds for this run, in bytes."""
    backend: Any = await app.backend()
    if url.startswith("redis"):  # this run's keys only: the server is shared
        total = 0
        async for key in backend.client.scan_iter(match=f"*{backend.settings.prefix}*", count=1000):
            total += int(await backend.client.memory_usage(key, samples=0) or 0)
        return total
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    rows = await backend._rows("sizing", "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) "
                               "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                               "WHERE n.nspname = current_schema() AND c.relkind = 'r'")
    return int(rows[0][0])


@dataclass
class Sample:
    """One sample of the run."""

    elapsed_s: float
    worker_rss_mb: float
    backend_mb: float
    finished_per_s: float
    added_per_s: float
    counts: dict[str, int]


# ------------------------------------------------------------------ traffic

async def produce(app: App, rate: float, stop: asyncio.Event, added: list[int]) -> None:
    """Add jobs at `rate` per second in small batches."""
    q = app.queue(QUEUE)
    rng = random.Random(7)
    tick = 0.1
    per_tick = max(1, round(rate * tick))
    n = 0
    next_at = time.monotonic()
    while not stop.is_set():
        batch = []
        for _ in range(per_tick):
            n += 1
            roll = rng.random()
            if roll < 0.80:
                batch.append({"name": "ok", "data": {"n": n, "pad": "x" * 100}})
            elif roll < 0.90:
                batch.append({"name": "flaky", "data": {"n": n}})
            elif roll < 0.95:
                batch.append({"name": "bad", "data": {"n": n}})
            else:
                batch.append({"name": "ok", "data": {"n": n}, "delay": rng.uniform(0.5, 2.0)})
        await q.aadd_bulk(batch)
        added[0] += len(batch)
        next_at += tick
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def retry_failed(app: App, stop: asyncio.Event) -> None:
    """Send failed jobs back every 10 s."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 10.0)
        except TimeoutError:
            await app.queue(QUEUE).aretry_all_failed(limit=5000)


async def read_dashboard(client: httpx.AsyncClient, headers: dict[str, str], stop: asyncio.Event) -> None:
    """The dashboard's reads, once a second."""
    while not stop.is_set():
        for path in ("/api/queues", f"/api/queues/{QUEUE}/jobs?state=failed&limit=50",
                     f"/api/search?q=twice&queue={QUEUE}"):
            r = await client.get(path, headers=headers)
            if r.status_code != 200:
                raise RuntimeError(f"dashboard read {path} answered {r.status_code}: {r.text[:200]}")
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


def _finished(counters: Path) -> int:
    try:
        data = json.loads(counters.read_text())
    except (OSError, ValueError):
        return 0
    return int(data["completed"]) + int(data["failed"])


async def soak(url: str, minutes: float, rate: float, sample_every: float, concurrency: int,
               workdir: Path) -> list[Sample]:
    """Run the traffic for `minutes`; returns the samples."""
    counters = workdir / "counters.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    worker = subprocess.Popen([sys.executable, "-m", "bench.soak", "--worker", url, "--counters", str(counters),
                               "--concurrency", str(concurrency)], env=env)
    app = build_app(url)
    store = TokenStore(workdir / "tokens.db")
    headers = {"Authorization": f"Bearer {store.create('viewer', 'soak').token}"}
    admin = create_admin_app(app, settings=AdminSettings(token_store=workdir / "tokens.db"))
    stop = asyncio.Event()
    added = [0]
    samples: list[Sample] = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://soak") as client:
            tasks = [asyncio.create_task(produce(app, rate, stop, added)),
                     asyncio.create_task(retry_failed(app, stop)),
                     asyncio.create_task(read_dashboard(client, headers, stop))]
            start = time.monotonic()
            last_t, last_done, last_added = start, _finished(counters), 0
            end = start + minutes * 60
            while time.monotonic() < end:
                await asyncio.sleep(min(sample_every, max(0.0, end - time.monotonic())))
                for t in tasks:
                    if t.done() and t.exception() is not None:
                        raise RuntimeError("traffic task failed") from t.exception()
                if worker.poll() is not None:
                    raise RuntimeError(f"the worker exited with {worker.returncode}")
                now, done = time.monotonic(), _finished(counters)
                sample = Sample(round(now - start, 1), round(rss_mb(worker.pid), 1),
                                round(await backend_bytes(app, url) / 2**20, 2),
                                round((done - last_done) / (now - last_t), 1),
                                round((added[0] - last_added) / (now - last_t), 1),
                                await app.queue(QUEUE).acounts())
                samples.append(sample)
                print(json.dumps(asdict(sample)), flush=True)
                last_t, last_done, last_added = now, done, added[0]
            stop.set()
            await asyncio.gather(*tasks)
    finally:
        stop.set()
        worker.terminate()
        worker.wait(60)
        await admin.state.admin.aclose()
        await _forget(app, url)
        await app.aclose()
    return samples


async def _forget(app: App, url: str) -> None:
    """Remove what the run stored on a shared server (Redis keys, the PostgreSQL schema)."""
    backend: Any = await app.backend()
    if url.startswith("redis"):
        keys = [k async for k in backend.client.scan_iter(match=f"*{backend.settings.prefix}*", count=1000)]
        for i in range(0, len(keys), 500):
            await backend.client.delete(*keys[i:i + 500])


def verdict(samples: list[Sample]) -> dict[str, Any]:
    """Second-quarter vs last-quarter medians of both memories, and the throughput."""
    n = len(samples)
    if n < 4:
        return {"error": f"only {n} samples; run longer or sample more often"}
    second = samples[n // 4: n // 2]
    last = samples[3 * n // 4:]

    def change(pick: Any) -> float:
        before = statistics.median(pick(s) for s in second)
        after = statistics.median(pick(s) for s in last)
        return (after - before) / before if before else 0.0

    rss = change(lambda s: s.worker_rss_mb)
    mem = change(lambda s: s.backend_mb)
    return {"worker_rss_change": round(rss, 4), "backend_memory_change": round(mem, 4),
            "flat_within_5pct": abs(rss) <= FLAT_TOLERANCE and abs(mem) <= FLAT_TOLERANCE,
            "throughput_median_per_s": statistics.median(s.finished_per_s for s in samples),
            "throughput_first_quarter": statistics.median(s.finished_per_s for s in samples[:max(1, n // 4)]),
            "throughput_last_quarter": statistics.median(s.finished_per_s for s in last),
            "worker_rss_mb": [samples[0].worker_rss_mb, samples[-1].worker_rss_mb],
            "backend_mb": [samples[0].backend_mb, samples[-1].backend_mb]}


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="redis", choices=["sqlite", "redis", "postgres"])
    parser.add_argument("--url", help="backend URL (default: a fresh prefix/file/schema for --backend)")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0, help="jobs added per second")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", help="write samples and verdict to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--counters", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(_worker_main(args.worker, Path(args.counters), args.concurrency))
        return
    run_id = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="hubjobs-soak-") as tmp:
        workdir = Path(tmp)
        url = args.url or {"sqlite": f"sqlite:///{workdir / 'soak.db'}",
                           "redis": f"{REDIS_URL}?prefix=soak-{run_id}",
                           "postgres": f"{POSTGRES_URL}?schema=soak_{run_id}"}[args.backend]
        samples = asyncio.run(soak(url, args.minutes, args.rate, args.sample, args.concurrency, workdir))
        result = {"backend": args.backend, "minutes": args.minutes, "rate": args.rate,
                  "verdict": verdict(samples), "samples": [asdict(s) for s in samples]}
    print(json.dumps(result["verdict"], indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
