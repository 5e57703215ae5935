"""Producer side of one library, run in that library's interpreter:

    python -m bench.redis_side_by_side.driver ADAPTER version
    python -m bench.redis_side_by_side.driver ADAPTER enqueue --n N --mode MODE [--pad BYTES]

single: one add after another; bulk: the library's bulk call (1,000 per call); concurrent: single
adds issued concurrently (asyncio.gather of 200, or 8 threads for synchronous libraries); fast:
bulk when the library has it, else concurrent; sync: one blocking add after another from a plain
thread (no event loop in it); async: one awaited add after another. A mode the library lacks
prints `{"seconds": null}`. `--warmup` makes
one untimed add first (connections, schema set-up).
    python -m bench.redis_side_by_side.driver ADAPTER latency --n N --rate PER_SECOND
    python -m bench.redis_side_by_side.driver ADAPTER sync_enqueue --n N

sync_enqueue: single adds one after another through the library's synchronous API, from a plain
thread with no event loop (a Django/Flask view's situation); `{"seconds": null}` for a library
without one. The adapter's `SyncProducer`, else its `Producer` when that one is synchronous.

Prints one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

BULK_SIZE = 1000
FAST_CONCURRENCY = 200


async def _call(fn: Any, *args: Any) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        return await result
    return result


def supports(producer: Any, mode: str) -> bool:
    """Whether the library has what a mode needs."""
    if mode == "bulk":
        return bool(producer.has_bulk)
    if mode == "sync":
        return not producer.is_async or hasattr(producer, "add_sync")
    if mode == "async":
        return bool(producer.is_async) or hasattr(producer, "add_async")
    return True


def _sync_adds(producer: Any, n: int, pad: str) -> None:
    add = producer.add_sync if producer.is_async else producer.add
    for i in range(n):
        add(i, 0.0, pad)


async def enqueue(producer: Any, n: int, mode: str, pad: str) -> float:
    """Add n jobs; returns the seconds it took."""
    start = time.perf_counter()
    if mode == "sync":
        await asyncio.to_thread(_sync_adds, producer, n, pad)
    elif mode == "async":
        add = producer.add if producer.is_async else producer.add_async
        for i in range(n):
            await add(i, 0.0, pad)
    elif mode == "bulk" or (mode == "fast" and producer.has_bulk):
        for base in range(0, n, BULK_SIZE):
            await _call(producer.add_bulk, [(i, 0.0, pad) for i in range(base, min(base + BULK_SIZE, n))])
    elif mode == "single":
        for i in range(n):
            await _call(producer.add, i, 0.0, pad)
    elif producer.is_async:  # concurrent, or fast without a bulk call
        for base in range(0, n, FAST_CONCURRENCY):
            await asyncio.gather(*[producer.add(i, 0.0, pad) for i in range(base, min(base + FAST_CONCURRENCY, n))])
    else:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: producer.add(i, 0.0, pad), range(n)))
    return time.perf_counter() - start


async def latency(producer: Any, n: int, rate: float) -> float:
    """Add n jobs at a steady rate, each carrying the time it was added."""
    start = time.perf_counter()
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await _call(producer.add, i, time.time(), "")
    return time.perf_counter() - start


def sync_enqueue(adapter: Any, n: int) -> float | None:
    """Add n jobs one by one through the synchronous API; None without one."""
    cls = getattr(adapter, "SyncProducer", None)
    if cls is None and not adapter.Producer.is_async:
        cls = adapter.Producer
    if cls is None:
        return None
    producer = cls()
    try:
        producer.add(-1, 0.0, "")  # connect first: steady-state adds are measured
        start = time.perf_counter()
        for i in range(n):
            producer.add(i, 0.0, "")
        return time.perf_counter() - start
    finally:
        producer.close()


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("adapter")
    p.add_argument("action", choices=["version", "enqueue", "latency", "sync_enqueue"])
    p.add_argument("--n", type=int, default=0)
    p.add_argument("--mode", default="single", choices=["single", "bulk", "concurrent", "fast", "sync", "async"])
    p.add_argument("--pad", type=int, default=0)
    p.add_argument("--rate", type=float, default=100.0)
    p.add_argument("--warmup", action="store_true", help="one untimed add first (connections, schema set-up); for latency: "
                   "job -1, added at -1")
    args = p.parse_args()
    adapter = importlib.import_module(args.adapter)
    if args.action == "version":
        print(json.dumps({"version": adapter.version()}))
        return
    producer = adapter.Producer()
    if args.action == "enqueue" and not supports(producer, args.mode):
        print(json.dumps({"seconds": None}))
        return
    try:
        if args.action == "enqueue":
            if args.warmup:
                await enqueue(producer, 1, args.mode, "")
            seconds = await enqueue(producer, args.n, args.mode, "x" * args.pad)
        else:
            if args.warmup:  # index -1, added at -1: the ledger readers skip it
                await _call(producer.add, -1, -1.0, "")
            seconds = await latency(producer, args.n, args.rate)
    finally:
        await _call(producer.close)
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    if sys.argv[2:3] == ["sync_enqueue"]:  # no event loop anywhere in the process for this one
        _n = int(sys.argv[sys.argv.index("--n") + 1])
        print(json.dumps({"seconds": sync_enqueue(importlib.import_module(sys.argv[1]), _n)}))
    else:
        asyncio.run(main())
