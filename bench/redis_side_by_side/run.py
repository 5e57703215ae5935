"""Run the Redis benchmark: `python -m bench.redis_side_by_side.run [--libs hubjobs,rq,...] [--jobs 20000]`.

On one private redis-server (no persistence), library after library:
  1. enqueue `--jobs` no-op jobs one by one (single enqueue jobs/s);
  2. start one worker process at the library's usual concurrency and let it drain them
     (end-to-end jobs/s, first to last handler start); check each job ran exactly once;
     Redis commands per job from INFO commandstats (enqueue + processing, and processing only);
  3. bulk enqueue (where the library has a bulk API), with its Redis commands per job, and
     concurrent single adds (asyncio.gather of 200, or 8 threads for synchronous libraries);
  4. Redis used_memory per queued job: `--memory-jobs` jobs of about 100 bytes of data;
  5. pickup latency (add -> handler start) at a low steady rate: p50 / p99 (2,000 jobs at 100/s by default),
     after the other phases, in `--latency-rounds` rounds that interleave the libraries; medians of the rounds;
  6. sync single add: `--sync-jobs` adds one after another through each library's synchronous API from a
     plain thread (no event loop), in `--sync-rounds` rounds that interleave the libraries; medians of the
     rounds, and each library's ratio to Huey's from the same rounds.
Writes bench/results/redis.json and redis.md (and timestamped copies) and prints the table.
Peers run in their own venvs: `python -m bench.redis_side_by_side.setup_peers` first."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis

from bench.redis_side_by_side.ledger import count_lines, read_ledger
from bench.redis_side_by_side.peers import LIBRARIES, Library

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
PAD = 76
"""Padding that makes each job's data about 100 bytes (index, time, padding)."""
WARMUP = 20


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The benchmark's own redis-server."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(directory), "--logfile", str(directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis(port=self.port, decode_responses=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def reset(self) -> None:
        """Empty the server and its statistics."""
        self.client.flushall()
        self.client.config_resetstat()

    def commands(self) -> int:
        """Commands executed (scripts' commands included), less this harness's own."""
        stats = self.client.info("commandstats")
        return sum(int(v["calls"]) for k, v in stats.items()
                   if not k.startswith(("cmdstat_info", "cmdstat_config", "cmdstat_flushall", "cmdstat_ping")))

    def used_memory(self) -> int:
        """INFO used_memory."""
        return int(self.client.info("memory")["used_memory"])

    def stop(self) -> None:
        """Stop the server."""
        self.client.close()
        self.proc.terminate()
        self.proc.wait(30)


class Bench:
    """Runs the phases for one library."""

    def __init__(self, lib: Library, server: Server, work: Path, args: argparse.Namespace) -> None:
        self.lib, self.server, self.args = lib, server, args
        self.ledger = work / lib.name
        self.ledger.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "BENCH_REDIS_URL": server.url, "BENCH_LEDGER_DIR": str(self.ledger),
                    "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.log = work / f"{lib.name}.log"

    def driver(self, *argv: str) -> dict[str, Any]:
        out = subprocess.run([self.lib.python, "-m", "bench.redis_side_by_side.driver", self.lib.adapter, *argv], cwd=ROOT,
                             env=self.env, capture_output=True, text=True, timeout=1800, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{self.lib.name} driver {argv} failed:\n{out.stderr[-3000:]}")
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))

    def worker_command(self) -> list[str]:
        code = (f"import importlib, json; m = importlib.import_module({self.lib.adapter!r}); "
                f"print(json.dumps(m.worker_command({self.lib.python!r})))")
        out = subprocess.run([self.lib.python, "-c", code], cwd=ROOT, env=self.env, capture_output=True, text=True,
                             check=True)
        return list(json.loads(out.stdout))

    def start_worker(self) -> subprocess.Popen[bytes]:
        with open(self.log, "ab") as log:
            return subprocess.Popen(self.worker_command(), cwd=ROOT, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    @staticmethod
    def stop_worker(proc: subprocess.Popen[bytes]) -> None:
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if proc.poll() is not None:
                return
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue

    def wait_lines(self, count: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while count_lines(self.ledger) < count:
            if proc.poll() is not None:
                raise RuntimeError(f"{self.lib.name} worker exited; see {self.log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.lib.name}: {count_lines(self.ledger)} of {count} jobs ran in {timeout}s")
            time.sleep(0.02)

    def clear_ledger(self) -> None:
        for path in self.ledger.glob("*.txt"):
            path.unlink()

    def run(self) -> dict[str, Any]:
        n = self.args.jobs
        result: dict[str, Any] = {"library": self.lib.name, "version": self.driver("version")["version"]}
        # 1-2: single enqueue, then one worker drains them
        self.server.reset()
        self.clear_ledger()
        seconds = self.driver("enqueue", "--n", str(n), "--mode", "single")["seconds"]
        result["enqueue_single_per_s"] = n / seconds
        after_enqueue = self.server.commands()
        proc = self.start_worker()
        try:
            self.wait_lines(n, proc, self.args.timeout)
            total = self.server.commands()
        finally:
            self.stop_worker(proc)
        rows = read_ledger(self.ledger)
        counts = Counter(i for i, _a, _s in rows)
        starts = sorted(s for _i, _a, s in rows)
        result["end_to_end_per_s"] = (len(starts) - 1) / (starts[-1] - starts[0])
        result["ran"] = len(rows)
        result["missing"] = sum(1 for i in range(n) if i not in counts)
        result["duplicates"] = sum(c - 1 for c in counts.values() if c > 1)
        result["exactly_once"] = result["missing"] == 0 and result["duplicates"] == 0 and len(counts) == n
        result["commands_per_job"] = total / n
        result["commands_per_job_processing"] = (total - after_enqueue) / n
        # 3: bulk enqueue, concurrent single adds
        self.server.reset()
        bulk = self.driver("enqueue", "--n", str(n), "--mode", "bulk")["seconds"]
        result["enqueue_bulk_per_s"] = None if bulk is None else n / bulk
        result["commands_per_job_bulk_enqueue"] = None if bulk is None else self.server.commands() / n
        self.server.reset()
        result["enqueue_concurrent_per_s"] = n / self.driver("enqueue", "--n", str(n), "--mode", "concurrent")["seconds"]
        # 4: memory per queued job
        self.server.reset()
        base = self.server.used_memory()
        self.driver("enqueue", "--n", str(self.args.memory_jobs), "--mode", "fast", "--pad", str(PAD))
        result["bytes_per_queued_job"] = (self.server.used_memory() - base) / self.args.memory_jobs
        return result

    def sync_add(self) -> float | None:
        """Sync single adds per second (None: no synchronous API)."""
        self.server.reset()
        seconds = self.driver("sync_enqueue", "--n", str(self.args.sync_jobs))["seconds"]
        return None if seconds is None else self.args.sync_jobs / seconds

    def latency(self) -> tuple[float, float]:
        """Pickup latency at a low steady rate, add -> handler start: (p50, p99) in ms."""
        self.server.reset()
        self.clear_ledger()
        proc = self.start_worker()
        try:
            self.driver("latency", "--n", str(WARMUP), "--rate", "50")
            self.wait_lines(WARMUP, proc, 120)
            phase_start = time.time()
            self.driver("latency", "--n", str(self.args.latency_jobs), "--rate", str(self.args.rate))
            self.wait_lines(WARMUP + self.args.latency_jobs, proc, 120)
        finally:
            self.stop_worker(proc)
        lat = sorted((s - a) * 1000 for _i, a, s in read_ledger(self.ledger) if a >= phase_start)
        return statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))]


def sync_phase(chosen: list[Library], results: list[dict[str, Any]], server: Server, work: Path,
               args: argparse.Namespace) -> None:
    """6: sync single adds in rounds that interleave the libraries; medians into `results`."""
    by_name = {r["library"]: r for r in results}
    rounds: dict[str, list[float]] = {}
    for n in range(args.sync_rounds):
        for lib in chosen:
            if lib.name in by_name and "error" in by_name[lib.name]:
                continue
            try:
                rate = Bench(lib, server, work, args).sync_add()
            except Exception as exc:  # noqa: BLE001 - reported, the other libraries go on
                print(f"sync add round {n + 1}: {lib.name} failed: {exc}", flush=True)
                continue
            if rate is None:
                continue
            rounds.setdefault(lib.name, []).append(rate)
            print(f"sync add round {n + 1}: {lib.name} {rate:,.0f}/s", flush=True)
    for name, rates in rounds.items():
        row = by_name.get(name)
        if row is None:
            row = by_name[name] = {"library": name}
            results.append(row)
        row["sync_add_per_s"] = statistics.median(rates)
        row["sync_add_rounds"] = rates


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The results as a markdown table."""
    lines = [
        f"# Redis job queues side by side ({meta['date']})",
        "",
        (f"{meta['jobs']:,} no-op jobs per library, one worker process each at its usual concurrency; "
         f"memory with {meta['memory_jobs']:,} queued jobs of ~100 bytes of data; pickup latency over "
         f"{meta['latency_jobs']} jobs added at {meta['rate']:g}/s (median of {meta['latency_rounds']} interleaved "
         f"rounds). Redis {meta['redis_version']} on loopback "
         f"(no persistence), {meta['cpus']} CPUs, Python {meta['python']}."),
        "",
        ("| library | enqueue jobs/s (single) | enqueue jobs/s (concurrent) | enqueue jobs/s (bulk) "
         "| end-to-end jobs/s | pickup p50 ms | pickup p99 ms | Redis cmds/job (single add + run) "
         "| cmds/job (run only) | cmds/job (bulk add) | bytes/queued job | exactly once |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    sync_rows = [r for r in results if r.get("sync_add_per_s")]
    for r in results:
        if "error" not in r and "enqueue_single_per_s" not in r:
            continue  # a run of the sync-add phase only
        if "error" in r:
            lines.append(f"| {r['library']} | error: {r['error'][:80]} |||||||||||")
            continue
        lines.append(
            f"| {r['library']} | {_fmt(r['enqueue_single_per_s'])} | {_fmt(r['enqueue_concurrent_per_s'])} "
            f"| {_fmt(r['enqueue_bulk_per_s'])} "
            f"| {_fmt(r['end_to_end_per_s'])} | {_fmt(r['pickup_p50_ms'], 2)} | {_fmt(r['pickup_p99_ms'], 2)} "
            f"| {_fmt(r['commands_per_job'], 1)} | {_fmt(r['commands_per_job_processing'], 1)} "
            f"| {_fmt(r['commands_per_job_bulk_enqueue'], 2)} "
            f"| {_fmt(r['bytes_per_queued_job'])} | {_fmt(r['exactly_once'])} |")
    if sync_rows:
        huey = next((r["sync_add_per_s"] for r in results if r["library"] == "huey" and r.get("sync_add_per_s")),
                    None)
        lines += ["", (f"Sync single add from a plain thread (no event loop), {meta['sync_jobs']:,} adds per round, "
                       f"median of {meta['sync_rounds']} interleaved rounds:"), "",
                  "| library | sync add jobs/s | rounds | ratio to Huey |", "|---|---:|---|---:|"]
        for r in sorted(sync_rows, key=lambda r: -r["sync_add_per_s"]):
            ratio = "—" if not huey else f"{r['sync_add_per_s'] / huey:.2f}×"
            rounds = ", ".join(f"{v:,.0f}" for v in r["sync_add_rounds"])
            lines.append(f"| {r['library']} | {_fmt(r['sync_add_per_s'])} | {rounds} | {ratio} |")
    lines += ["", "Versions:", ""]
    lines += [f"- {r['library']}: {r.get('version', '?')}" for r in results]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse arguments, run every library, write and print the results."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--libs", default=",".join(lib.name for lib in LIBRARIES))
    p.add_argument("--jobs", type=int, default=20_000)
    p.add_argument("--memory-jobs", type=int, default=100_000)
    p.add_argument("--latency-jobs", type=int, default=2000,
                   help="jobs of the latency phase; p99 of 500 would be the 5th-worst sample, mostly noise")
    p.add_argument("--rate", type=float, default=100.0)
    p.add_argument("--latency-rounds", type=int, default=3, help="interleaved rounds of the latency phase")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds one worker may take for --jobs")
    p.add_argument("--sync-jobs", type=int, default=3000, help="sync single adds per library and round")
    p.add_argument("--sync-rounds", type=int, default=5, help="interleaved rounds of the sync-add phase")
    p.add_argument("--only-sync-add", action="store_true", help="run only the sync-add phase")
    args = p.parse_args()
    chosen = [lib for name in args.libs.split(",") for lib in LIBRARIES if lib.name == name.strip()]
    if not chosen:
        sys.exit(f"no known library in {args.libs!r}; known: {', '.join(lib.name for lib in LIBRARIES)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hubjobs-bench-"))
    server = Server(work)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "jobs": args.jobs,
            "memory_jobs": args.memory_jobs, "latency_jobs": args.latency_jobs, "rate": args.rate,
            "latency_rounds": args.latency_rounds, "sync_jobs": args.sync_jobs, "sync_rounds": args.sync_rounds,
            "redis_version": server.client.info("server")["redis_version"], "cpus": os.cpu_count(),
            "python": platform.python_version()}
    results: list[dict[str, Any]] = []
    try:
        for lib in chosen if not args.only_sync_add else []:
            print(f"== {lib.name}", flush=True)
            try:
                results.append(Bench(lib, server, work, args).run())
            except Exception as exc:  # noqa: BLE001 - one library failing must not stop the others
                results.append({"library": lib.name, "error": f"{type(exc).__name__}: {exc}"})
            print(json.dumps(results[-1]), flush=True)
        # 5: pickup latency, in rounds that interleave the libraries (a machine's speed drifts
        # over minutes; each library gets every phase of it), median of the rounds
        rounds: dict[str, list[tuple[float, float]]] = {r["library"]: [] for r in results if "error" not in r}
        for n in range(args.latency_rounds):
            for lib in chosen:
                if lib.name not in rounds:
                    continue
                try:
                    rounds[lib.name].append(Bench(lib, server, work, args).latency())
                    p50, p99 = rounds[lib.name][-1]
                    print(f"latency round {n + 1}: {lib.name} p50 {p50:.2f} ms, p99 {p99:.2f} ms", flush=True)
                except Exception as exc:  # noqa: BLE001 - reported in the table
                    print(f"latency round {n + 1}: {lib.name} failed: {exc}", flush=True)
        for r in results:
            measured = rounds.get(r["library"])
            r["pickup_p50_ms"] = statistics.median(p for p, _ in measured) if measured else None
            r["pickup_p99_ms"] = statistics.median(p for _, p in measured) if measured else None
            r["pickup_rounds"] = measured
        sync_phase(chosen, results, server, work, args)
    finally:
        server.stop()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {"meta": meta, "results": results}
    text = markdown(results, meta)
    for name in ("redis", f"redis-{stamp}"):
        (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2))
        (RESULTS / f"{name}.md").write_text(text)
    print(text)
    print(f"logs and ledgers: {work}")


if __name__ == "__main__":
    main()
