"""Benchmark: the admin overview, a queue page and job search with 100,000 jobs in a queue.

Fills a queue with N jobs (default 100,000; each with an e-mail address in its data), then times,
in-process through the ASGI app (httpx.ASGITransport, so HTTP parsing, auth, rendering and the
backend are all included, the network is not):

- overview JSON   GET /api/queues
- overview page   GET /                      (HTML, with the throughput chart of the last hour)
- overview (week) GET /?range=week           (HTML, chart and percentiles over 7 days)
- queue page      GET /queues/bench          (HTML, the queue's chart and its first 50 jobs)
- search (queue)  GET /api/search?q=<the oldest job's e-mail>&queue=bench   (worst case: the
                  match is the last row a newest-first scan reaches)
- search (all)    GET /api/search?q=<same>
- search page     GET /queues/bench?q=<same> (HTML)

on SQLite (a temporary file) and on Redis (the machine's server, own key prefix, removed after)
when `hubjobs.backends.redis` is importable and the server answers.

    python bench/bench_admin.py [--jobs 100000] [--runs 15] [--backends sqlite,redis] [--json]

The throughput history is filled with a week of per-minute counts first (as busy workers would
leave it), so the charts read a full history. Prints the median and 95th percentile per request;
exits 1 if a median is over its goal (50 ms for the pages with charts, 200 ms otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from hubjobs import App
from hubjobs.admin import AdminSettings, TokenStore, create_admin_app

GOAL_MS = 200.0
PAGE_GOAL_MS = 50.0
PAGES = ("overview page", "overview (week)", "queue page")
"""Dashboard pages with charts: their goal is PAGE_GOAL_MS; the others' is GOAL_MS."""


def goal(label: str) -> float:
    """The goal of a request, in milliseconds."""
    return PAGE_GOAL_MS if label in PAGES else GOAL_MS
QUEUE = "bench"
BATCH = 5000
REDIS_URL = "redis://127.0.0.1:6379/0"


def needle(i: int) -> str:
    """The e-mail address in job i's data."""
    return f"customer{i:06d}@example.com"


async def fill(app: App, jobs: int) -> float:
    """Add `jobs` jobs in bulk; returns seconds taken."""
    queue = app.queue(QUEUE)
    start = time.perf_counter()
    for first in range(0, jobs, BATCH):
        await queue.aadd_bulk([{"name": "deliver", "data": {"orderId": i, "email": needle(i),
                                                            "items": [{"sku": f"SEQ-{i % 977}", "qty": 1}]}}
                               for i in range(first, min(first + BATCH, jobs))])
    return time.perf_counter() - start


async def fill_history(app: App) -> None:
    """A week of per-minute history for the queue (skipped on engines without it)."""
    backend = await app.backend()
    if not hasattr(backend, "record_history"):
        return
    from hubjobs.backends.base import QueueMinute, RecordHistory

    now = int(time.time())
    first = now - now % 60 - 7 * 86_400
    minutes = [QueueMinute(QUEUE, m, completed=50 + m % 7, failed=m % 3, wait_buckets={12: 40, 20: 10},
                           run_buckets={16: 45, 24: 5}) for m in range(first, now, 60)]
    for start in range(0, len(minutes), 1440):
        await backend.record_history(RecordHistory(minutes[start:start + 1440]))


async def measure(url: str, jobs: int, runs: int, tmp: Path) -> dict[str, Any]:
    """Fill the queue behind `url` and time each request `runs` times."""
    app = App(url)
    store = TokenStore(tmp / f"tokens-{uuid.uuid4().hex[:6]}.db")
    token = store.create("viewer").token
    admin = create_admin_app(app, settings=AdminSettings(token_store=store.path))
    fill_seconds = await fill(app, jobs)
    await fill_history(app)
    counts = await app.queue(QUEUE).acounts()
    target = needle(0)
    requests = {
        "overview JSON": "/api/queues",
        "overview page": "/",
        "overview (week)": "/?range=week",
        "queue page": f"/queues/{QUEUE}",
        "search (queue)": f"/api/search?q={target}&queue={QUEUE}",
        "search (all)": f"/api/search?q={target}",
        "search page": f"/queues/{QUEUE}?q={target}",
    }
    results: dict[str, Any] = {}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(admin), base_url="http://bench",
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            for label, path in requests.items():
                first = await client.get(path)
                if first.status_code != 200:
                    raise RuntimeError(f"{label}: HTTP {first.status_code}: {first.text[:200]}")
                if "search" in label and target not in first.text:
                    raise RuntimeError(f"{label}: the job with {target} was not found")
                times = []
                for _ in range(runs):
                    start = time.perf_counter()
                    r = await client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                    assert r.status_code == 200
                times.sort()
                results[label] = {"median_ms": statistics.median(times),
                                  "p95_ms": times[min(len(times) - 1, int(len(times) * 0.95))]}
    finally:
        await admin.state.admin.aclose()
        await app.aclose()
    return {"jobs": counts, "fill_seconds": fill_seconds, "requests": results}


def redis_available() -> bool:
    """The Redis backend exists and the server answers."""
    try:
        import redis

        import hubjobs.backends.redis  # noqa: F401
    except ImportError:
        return False
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


def redis_cleanup(prefix: str) -> None:
    """Delete the benchmark's keys."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{{{prefix}[:}}]*", count=2000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    finally:
        client.close()


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--backends", default="sqlite,redis")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    report: dict[str, Any] = {"goal_ms": GOAL_MS, "page_goal_ms": PAGE_GOAL_MS, "backends": {}}
    with tempfile.TemporaryDirectory(prefix="bench-admin-") as raw_tmp:
        tmp = Path(raw_tmp)
        for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if name == "sqlite":
                report["backends"]["sqlite"] = asyncio.run(measure(f"sqlite:///{tmp / 'jobs.db'}", args.jobs,
                                                                   args.runs, tmp))
            elif name == "redis":
                if not redis_available():
                    report["backends"]["redis"] = {"skipped": "hubjobs.backends.redis or the server is unavailable"}
                    continue
                prefix = f"bench-admin-{uuid.uuid4().hex[:8]}"
                try:
                    report["backends"]["redis"] = asyncio.run(measure(f"{REDIS_URL}?prefix={prefix}", args.jobs,
                                                                      args.runs, tmp))
                finally:
                    redis_cleanup(prefix)
            else:
                parser.error(f"unknown backend {name!r}; use sqlite and/or redis")
    over = [(b, label) for b, r in report["backends"].items() for label, t in r.get("requests", {}).items()
            if t["median_ms"] > goal(label)]
    report["ok"] = not over
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"admin benchmark: {args.jobs:,} jobs in one queue, {args.runs} runs per request, goal < {PAGE_GOAL_MS:g} ms "
              f"for pages with charts, < {GOAL_MS:g} ms otherwise")
        for backend, result in report["backends"].items():
            if "skipped" in result:
                print(f"\n{backend}: skipped ({result['skipped']})")
                continue
            print(f"\n{backend}: filled in {result['fill_seconds']:.1f} s; counts {result['jobs']}")
            for label, t in result["requests"].items():
                mark = "ok" if t["median_ms"] <= goal(label) else "OVER GOAL"
                print(f"  {label:<16} median {t['median_ms']:8.1f} ms   p95 {t['p95_ms']:8.1f} ms   {mark}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
