"""Worker end-to-end A/B: `python -m bench.worker_e2e [--backends sqlite,redis,postgres]
[--kinds async,sync] [--jobs 3000] [--rounds 3] [--concurrency 10]`.

For each round, backend and handler kind (interleaved): bulk-add `--jobs` no-op jobs, then time
one in-process worker (`burst`) draining them: jobs/s from its start to its end. Prints the
median of the rounds per cell and the sync/async ratio per backend. Whatever `hubjobs` is
importable is measured, so two trees can be compared with PYTHONPATH. Uses the machine's Redis
(127.0.0.1:6379, a key prefix of its own) and PostgreSQL (a schema of its own, dropped after)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import redis

from hubjobs import App

REDIS = "redis://127.0.0.1:6379/0"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _url(backend: str, folder: Path) -> str:
    tag = uuid.uuid4().hex[:10]
    if backend == "sqlite":
        return f"sqlite:///{folder / (tag + '.db')}"
    if backend == "redis":
        return f"{REDIS}?prefix=bench-{tag}"
    return f"{POSTGRES}?schema=bench_{tag}"


def _cleanup(backend: str, url: str) -> None:
    if backend == "redis":
        client = redis.Redis.from_url(REDIS)
        prefix = url.split("prefix=")[1]
        keys = list(client.scan_iter(match=f"{{{prefix}[:}}]*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])
        client.close()
    elif backend == "postgres":
        schema = url.split("schema=")[1]
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def _cell(backend: str, kind: str, jobs: int, concurrency: int, folder: Path) -> float:
    url = _url(backend, folder)
    app = App(url)
    ran = [0]
    if kind == "async":
        async def noop(job: Any) -> None:
            ran[0] += 1
        app.job("bench", "noop")(noop)
    else:
        def noop_sync(job: Any) -> None:
            ran[0] += 1
        app.job("bench", "noop")(noop_sync)
    queue = app.queue("bench")
    try:
        for start in range(0, jobs, 500):
            await queue.aadd_bulk([{"name": "noop", "data": i} for i in range(start, min(jobs, start + 500))])
        worker = app.worker(["bench"], concurrency=concurrency, install_signals=False)
        began = time.perf_counter()
        await worker.arun(burst=True)
        elapsed = time.perf_counter() - began
        if ran[0] != jobs:
            raise RuntimeError(f"{backend}/{kind}: {ran[0]} of {jobs} ran")
        return jobs / elapsed
    finally:
        await app.aclose()
        app.close()
        _cleanup(backend, url)


def main() -> None:
    """Run the cells and print the medians."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backends", default="sqlite,redis,postgres")
    p.add_argument("--kinds", default="async,sync")
    p.add_argument("--jobs", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=10)
    args = p.parse_args()
    backends = args.backends.split(",")
    kinds = args.kinds.split(",")
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for backend in backends:
                order = kinds if r % 2 == 0 else kinds[::-1]
                for kind in order:
                    rate = asyncio.run(_cell(backend, kind, args.jobs, args.concurrency, Path(tmp)))
                    results.setdefault((backend, kind), []).append(rate)
    for backend in backends:
        line = [f"{backend:9}"]
        for kind in kinds:
            rates = results[(backend, kind)]
            line.append(f"{kind} {statistics.median(rates):8.0f}/s ({', '.join(f'{x:.0f}' for x in rates)})")
        if "async" in kinds and "sync" in kinds:
            ratio = statistics.median(results[(backend, "sync")]) / statistics.median(results[(backend, "async")])
            line.append(f"sync/async {ratio:.2f}")
        print("  ".join(line))


if __name__ == "__main__":
    main()
