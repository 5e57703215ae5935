"""The benchmark matrix in one command:

    python -m bench.redis_side_by_side.setup_peers      # once: the Python peers' venvs
    (cd bench/bullmq_node && npm ci)                    # once: Node's BullMQ
    python -m bench.matrix.run [--quick] [--backends redis,postgres,sqlite] [--libs hubjobs,huey,...]
        [--kinds async,sync,process] [--concurrency 1,10,50] [--bodies noop,roundtrip,sleep,payload]
        [--producers sync,async,bulk|none] [--jobs 2000] [--rounds 3] ...

Every selected backend × handler kind × concurrency × body is a worker cell, run by each library
that has that kind (see `bench.matrix.measure`); every backend × producer kind × body (no-op and
2 KB payload only) is a producer cell; `--cells` narrows both to names matching its patterns. Libraries alternate within a round (their order rotates
from round to round), each figure is the median of the rounds, and every worker cell checks in
every round that each job ran exactly once. SQLite no-op cells also run the raw sqlite3 ceiling
(`bench.matrix.sqlite_ceiling`, batch = the cell's concurrency).

Writes bench/results/matrix.json and matrix.md after every round (a run cut short keeps the rounds it
finished), timestamped copies at the end, and prints the table."""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench.matrix import report
from bench.matrix.backends import Backend, PostgresBackend, RedisBackend, SqliteBackend, admin_dsn
from bench.matrix.bodies import BODIES
from bench.matrix.libraries import ROOT, Entry, catalogue, node_ready
from bench.matrix.measure import Harness, Options, ProducerCell, WorkerCell
from bench.matrix.sqlite_ceiling import measure as ceiling

RESULTS = ROOT / "bench" / "results"
BACKENDS = ("redis", "postgres", "sqlite")
KINDS = ("async", "sync", "process")
PRODUCERS = ("sync", "async", "bulk")
QUICK = {"jobs": 300, "producer_jobs": 300, "latency_jobs": 30, "rounds": 1, "concurrency": "10", "bodies": "noop",
         "kinds": "async,sync", "producers": "bulk"}


def _list(text: str, allowed: tuple[str, ...] | None, what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if allowed is not None:
        unknown = [t for t in items if t not in allowed]
        if unknown:
            sys.exit(f"unknown {what}: {', '.join(unknown)}; known: {', '.join(allowed)}")
    if not items:
        sys.exit(f"no {what} selected")
    return items


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (`--quick` fills the sizes and axes it names unless given)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--libs", default="", help="library names (hubjobs, huey, bullmq-node, pgqueuer, …); default all")
    p.add_argument("--kinds", default=None, help="async,sync,process")
    p.add_argument("--concurrency", default=None, help="e.g. 1,10,50")
    p.add_argument("--processes", default="1", help="worker processes, e.g. 1,2 (N > 1: hubjobs only, "
                   "`hubjobs worker --processes N`, compared with its own one-process cell)")
    p.add_argument("--bodies", default=None, help="noop,roundtrip,sleep,payload")
    p.add_argument("--producers", default=None, help="sync,async,bulk or none")
    p.add_argument("--jobs", type=int, default=None, help="jobs per worker cell (default 2,000)")
    p.add_argument("--producer-jobs", type=int, default=None, help="adds per producer cell (default 2,000)")
    p.add_argument("--latency-jobs", type=int, default=None, help="pickup-latency jobs per worker cell (default 200)")
    p.add_argument("--rate", type=float, default=100.0, help="adds/s of the pickup-latency phase")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3)")
    p.add_argument("--cells", default="*", help="glob patterns over cell names, comma-separated, e.g. "
                   "'redis/sync/c1/*,postgres/async/*/noop,*/add-bulk/*' (names: backend/kind/cN/body, "
                   "backend/add-producer/body)")
    p.add_argument("--skip", default="", help="library/kind or library/cell patterns to leave out, e.g. "
                   "'rq/process,arq/redis/async/c1/*'")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds one worker may take for one phase")
    p.add_argument("--profile", default="", help="libraries whose workers run under py-spy (see bench.matrix.profile)")
    p.add_argument("--trace", default="", help="libraries whose workers run under strace -f -c (system calls per job)")
    p.add_argument("--quick", action="store_true", help="a small selection: " + json.dumps(QUICK))
    p.add_argument("--out", default="matrix", help="file stem under bench/results")
    args = p.parse_args(argv)
    defaults = QUICK if args.quick else {"jobs": 2000, "producer_jobs": 2000, "latency_jobs": 200, "rounds": 3,
                                         "concurrency": "1,10,50", "bodies": ",".join(BODIES),
                                         "kinds": ",".join(KINDS), "producers": ",".join(PRODUCERS)}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if min(args.jobs, args.producer_jobs, args.rounds) < 1 or args.latency_jobs < 0:
        sys.exit("--jobs, --producer-jobs and --rounds must be at least 1, --latency-jobs at least 0")
    return args


def _backend(name: str, work: Path) -> Backend:
    if name == "redis":
        return RedisBackend(work)
    if name == "postgres":
        return PostgresBackend(admin_dsn())
    return SqliteBackend(work)


def _attempt(label: str, fn: Any) -> dict[str, Any]:
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - one library failing must not stop the matrix
        traceback.print_exc()
        return {"error": f"{type(exc).__name__}: {str(exc)[-300:]}"}
    return result if isinstance(result, dict) else {"unsupported": True}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the selection; returns the payload written to bench/results."""
    backends = _list(args.backends, BACKENDS, "backends")
    kinds = _list(args.kinds, KINDS, "handler kinds")
    bodies = _list(args.bodies, BODIES, "bodies")
    levels = [int(c) for c in _list(args.concurrency, None, "concurrency levels")]
    process_counts = [int(c) for c in _list(args.processes, None, "process counts")]
    if min(levels + process_counts) < 1:
        sys.exit("--concurrency and --processes must be at least 1")
    producers = [] if args.producers == "none" else _list(args.producers, PRODUCERS, "producer kinds")
    patterns = _list(args.cells, None, "cell patterns")
    skip = _list(args.skip, None, "skips") if args.skip else []
    wanted = set(_list(args.libs, None, "libraries")) if args.libs else None
    entries = [e for e in catalogue() if e.backend in backends and (wanted is None or e.name in wanted)]
    if wanted is not None:
        known = {e.name for e in catalogue()}
        if wanted - known:
            sys.exit(f"unknown libraries: {', '.join(sorted(wanted - known))}; known: {', '.join(sorted(known))}")
    if any(e.is_node for e in entries) and not node_ready():
        print("bench/bullmq_node/node_modules missing (run `npm ci` there): bullmq-node skipped", file=sys.stderr)
        entries = [e for e in entries if not e.is_node]
    work = Path(tempfile.mkdtemp(prefix="hubjobs-matrix-"))
    profiled = frozenset(_list(args.profile, None, "profiled libraries")) if args.profile else frozenset()
    traced = frozenset(_list(args.trace, None, "traced libraries")) if args.trace else frozenset()
    opts = Options(args.jobs, args.producer_jobs, args.latency_jobs, args.rate, args.timeout, profiled,
                   RESULTS / "profiles" if profiled or traced else None, traced)
    meta: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
        "python": platform.python_version(), "jobs": args.jobs, "producer_jobs": args.producer_jobs,
        "latency_jobs": args.latency_jobs, "rate": args.rate, "rounds": args.rounds,
        "selection": (f"backends {','.join(backends)}; kinds {','.join(kinds)}; concurrency "
                      f"{','.join(map(str, levels))}; processes {','.join(map(str, process_counts))}; bodies {','.join(bodies)}; producers "
                      f"{','.join(producers) or 'none'}; cells {args.cells}; libraries {', '.join(sorted({e.name for e in entries}))}"
                      + (f"; left out: {', '.join(sorted(skip))}" if skip else ""))}
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {}
    raw_producers: dict[str, dict[str, list[dict[str, Any]]]] = {}
    versions: dict[str, str] = {}
    opened: list[tuple[Backend, Harness, list[Entry], list[WorkerCell], list[ProducerCell]]] = []
    try:
        for backend_name in backends:
            backend = _backend(backend_name, work)
            opened.append((backend, Harness(backend, work, opts),
                           _describe([e for e in entries if e.backend == backend_name], backend, versions),
                           [cell for cell in (WorkerCell(backend_name, k, c, b, n) for k in kinds for c in levels
                                              for b in bodies for n in process_counts) if _chosen(cell.key, patterns)],
                           [cell for cell in (ProducerCell(backend_name, p, b) for p in producers for b in bodies
                                              if b in ("noop", "payload")) if _chosen(cell.key, patterns)]))
            meta[f"{backend_name}_version"] = getattr(backend, "version", "?")
        for round_no in range(args.rounds):
            for backend, harness, libs, worker_cells, producer_cells in opened:
                order = libs[round_no % len(libs):] + libs[:round_no % len(libs)] if libs else []
                ceilings_done: set[int] = set()
                for wcell in worker_cells:
                    for lib in order:
                        if (not lib.supports(wcell.kind, wcell.concurrency, wcell.processes)
                                or _chosen(f"{lib.name}/{wcell.kind}", skip) or _chosen(f"{lib.name}/{wcell.key}", skip)):
                            continue
                        result = _attempt(lib.name, lambda lib=lib, wcell=wcell, h=harness: h.worker_cell(lib, wcell))
                        raw.setdefault(wcell.key, {}).setdefault(lib.name, []).append(result)
                        _progress(round_no, wcell.key, lib.name, result)
                    if (backend.name == "sqlite" and wcell.body == "noop" and wcell.processes == 1
                            and wcell.concurrency not in ceilings_done):
                        ceilings_done.add(wcell.concurrency)
                        result = _attempt(report.CEILING, lambda c=wcell.concurrency: ceiling(args.jobs, c, work))
                        raw.setdefault(wcell.key, {}).setdefault(report.CEILING, []).append(result)
                        _progress(round_no, wcell.key, report.CEILING, result)
                for pcell in producer_cells:
                    for lib in order:
                        result = _attempt(lib.name, lambda lib=lib, pcell=pcell, h=harness: h.producer_cell(lib, pcell))
                        if result.get("unsupported"):
                            continue
                        raw_producers.setdefault(pcell.key, {}).setdefault(lib.name, []).append(result)
                        _progress(round_no, pcell.key, lib.name, result)
            meta["rounds_done"] = round_no + 1
            _write(args.out, _payload(meta, versions, raw, raw_producers, work))  # a cut-short run keeps its rounds
    finally:
        for backend, *_rest in opened:
            backend.close()
    return _payload(meta, versions, raw, raw_producers, work)


def _payload(meta: dict[str, Any], versions: dict[str, str], raw: dict[str, dict[str, list[dict[str, Any]]]],
             raw_producers: dict[str, dict[str, list[dict[str, Any]]]], work: Path) -> dict[str, Any]:
    cells = {key: {name: report.median_of_rounds(rs) for name, rs in libs_.items()} for key, libs_ in raw.items()}
    producers_out = {key: {name: report.median_of_rounds(rs) for name, rs in libs_.items()}
                     for key, libs_ in raw_producers.items()}
    meta["work_dir"] = str(work)
    return {"meta": meta, "versions": versions, "cells": cells, "producers": producers_out,
            "headline": report.headline(cells), "raw": raw, "raw_producers": raw_producers}


def _write(stem: str, payload: dict[str, Any], stamped: bool = False) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = report.markdown(payload)
    stems = [stem, f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"] if stamped else [stem]
    for name in stems:
        (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2))
        (RESULTS / f"{name}.md").write_text(text)
    return text


def _chosen(key: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)


def _describe(libs: list[Entry], backend: Backend, versions: dict[str, str]) -> list[Entry]:
    ready = []
    for lib in libs:
        env = {**os.environ, **backend.env(lib.name), "PYTHONPATH": str(ROOT)}
        try:
            lib.describe(env)
        except Exception as exc:  # noqa: BLE001 - a library that does not load is reported, not fatal
            print(f"{lib.backend}/{lib.name} skipped: {exc}", file=sys.stderr)
            versions[f"{lib.backend}/{lib.name}"] = f"not run: {str(exc)[:200]}"
            continue
        versions[f"{lib.backend}/{lib.name}"] = lib.version
        ready.append(lib)
    return ready


def _progress(round_no: int, key: str, name: str, result: dict[str, Any]) -> None:
    shown = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items()
             if k in ("steady_per_s", "pickup_p99_ms", "counter_per_job", "adds_per_s", "exactly_once", "error")}
    print(f"round {round_no + 1} {key} {name}: {json.dumps(shown)}", flush=True)


def main() -> None:
    """Parse, run, write bench/results/<out>.json and .md, print the Markdown."""
    args = parse()
    payload = run(args)
    print(_write(args.out, payload, stamped=True))
    print(f"written: {RESULTS / args.out}.json and .md; logs and ledgers in {payload['meta']['work_dir']}")


if __name__ == "__main__":
    main()
