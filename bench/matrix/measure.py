"""One library in one cell of the matrix.

Worker cell (handler kind, concurrency, body):
  1. empty the backend; the library's fastest producer (bulk, else concurrent adds) queues `jobs`
     jobs (2 KB of data each for the `payload` body);
  2. one worker process starts; the clock runs from its spawn ("with start-up") and from its first
     handler start ("steady") to the last handler start; worker CPU (the process and its descendants,
     from /proc) is taken from the first handler start to the last, RSS is the largest sample;
     the backend's counter is read before and after (Redis: right after the last start);
  3. with the same worker still running, one warm-up job (the producer's connections), then
     `latency_jobs` jobs are added one at a time at `rate` per second, each carrying the time it
     was added: pickup p50 / p99 (add → handler start);
  4. the ledger must show every job of both phases exactly once.
Producer cell (producer kind, body): one untimed add (connections, schema set-up), then `producer_jobs`
adds, no worker; adds/s and counter per add."""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.matrix import profile
from bench.matrix.backends import Backend
from bench.matrix.bodies import PAYLOAD_BYTES
from bench.matrix.libraries import ROOT, Entry
from bench.redis_side_by_side.ledger import count_lines, read_ledger


@dataclass(frozen=True)
class WorkerCell:
    """A worker cell's coordinates."""

    backend: str
    kind: str
    concurrency: int
    body: str
    processes: int = 1
    """Worker processes (hubjobs only: `hubjobs worker --processes N`)."""

    @property
    def key(self) -> str:
        """Stable name (JSON key, table label); `/pN` for N > 1 worker processes."""
        suffix = f"/p{self.processes}" if self.processes > 1 else ""
        return f"{self.backend}/{self.kind}/c{self.concurrency}/{self.body}{suffix}"


@dataclass(frozen=True)
class ProducerCell:
    """A producer cell's coordinates."""

    backend: str
    producer: str
    body: str

    @property
    def key(self) -> str:
        """Stable name (JSON key, table label)."""
        return f"{self.backend}/add-{self.producer}/{self.body}"


@dataclass(frozen=True)
class Options:
    """Sizes and limits of a run."""

    jobs: int
    producer_jobs: int
    latency_jobs: int
    rate: float
    timeout: float
    profile: frozenset[str] = frozenset()
    """Libraries whose workers run under py-spy (`bench.matrix.profile`)."""
    profile_dir: Path | None = None
    trace: frozenset[str] = frozenset()
    """Libraries whose workers run under `strace -f -c`."""


class Harness:
    """Runs cells for the libraries of one backend."""

    def __init__(self, backend: Backend, work: Path, opts: Options) -> None:
        self.backend, self.work, self.opts = backend, work, opts

    def _env(self, lib: Entry, ledger: Path, extra: dict[str, str]) -> dict[str, str]:
        return {**os.environ, **self.backend.env(lib.name), "BENCH_LEDGER_DIR": str(ledger), "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1", **extra}

    def _driver(self, lib: Entry, env: dict[str, str], *argv: str) -> float | None:
        out = subprocess.run(lib.driver_command(*argv), cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=self.opts.timeout * 2, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{lib.name} driver {argv} failed:\n{out.stderr[-2000:]}")
        seconds = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
        return None if seconds is None else float(seconds)

    def _ledger(self, lib: Entry) -> Path:
        path = self.work / "ledgers" / f"{lib.backend}-{lib.name}"
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob("*.txt"):
            old.unlink()
        return path

    # ------------------------------------------------------------ producer cells

    def producer_cell(self, lib: Entry, cell: ProducerCell) -> dict[str, Any] | None:
        """Adds/s and counter per add of one producer kind; None when the library lacks it."""
        self.backend.reset(lib.name)
        env = self._env(lib, self._ledger(lib), {"BENCH_BODY": cell.body})
        pad = PAYLOAD_BYTES if cell.body == "payload" else 0
        before = self.backend.counter()
        n = self.opts.producer_jobs
        seconds = self._driver(lib, env, "enqueue", "--n", str(n), "--mode", cell.producer, "--pad", str(pad),
                               "--warmup")
        if seconds is None:
            return None
        self.backend.settle()
        after = self.backend.counter()
        return {"adds_per_s": n / seconds,  # the untimed warm-up add is in the counter: n + 1 adds
                "counter_per_add": None if before is None or after is None else (after - before) / (n + 1)}

    # ------------------------------------------------------------ worker cells

    def worker_cell(self, lib: Entry, cell: WorkerCell) -> dict[str, Any]:
        """Measure one library in one worker cell (see the module docstring)."""
        n, opts = self.opts.jobs, self.opts
        self.backend.reset(lib.name)
        ledger = self._ledger(lib)
        env = self._env(lib, ledger, {"BENCH_BODY": cell.body, "BENCH_KIND": cell.kind,
                                      "BENCH_CONCURRENCY": str(cell.concurrency),
                                      "BENCH_PROCESSES": str(cell.processes)})
        pad = PAYLOAD_BYTES if cell.body == "payload" else 0
        c0, detail0 = self.backend.counter(), self._detail()
        clock = [time.monotonic()]
        self._driver(lib, env, "enqueue", "--n", str(n), "--mode", "fast", "--pad", str(pad))
        self.backend.settle()
        c1 = self.backend.counter()
        detail1 = self._detail()
        log = self.work / "logs" / f"{lib.backend}-{lib.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        command = lib.worker_command(env, cell.kind, cell.concurrency, cell.processes)
        stacks = syscalls = None
        if lib.name in opts.profile and opts.profile_dir is not None:
            stacks = opts.profile_dir / f"{cell.key.replace('/', '-')}-{lib.name}.stacks"
            command = profile.wrap(command, stacks)
        elif lib.name in opts.trace and opts.profile_dir is not None:
            syscalls = opts.profile_dir / f"{cell.key.replace('/', '-')}-{lib.name}.strace"
            command = profile.wrap_strace(command, syscalls)
        with open(log, "ab") as out:
            spawned = time.time()
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        result: dict[str, Any] = {}
        clock.append(time.monotonic())
        try:
            sample = _Sampler(proc.pid)
            timed_out = not self._wait(ledger, n, proc, sample)
            clock.append(time.monotonic())
            c2 = self.backend.counter()
            detail2 = self._detail()
            cpu_first, done_first, cpu_last = sample.cpu_at_first, sample.lines_at_first, sample.cpu()
            if not timed_out and opts.latency_jobs:
                self._driver(lib, env, "latency", "--n", str(opts.latency_jobs), "--rate", str(opts.rate),
                             "--warmup")
                timed_out = not self._wait(ledger, n + 1 + opts.latency_jobs, proc, sample)  # + the warm-up job
            result["rss_mb"] = sample.rss_max / 2**20
            clock.append(time.monotonic())
        finally:
            _stop(proc)
        clock.append(time.monotonic())
        result["harness_seconds"] = dict(zip(("fill", "start_and_drain", "latency", "stop"),
                                             (round(b - a, 2) for a, b in itertools.pairwise(clock)),
                                             strict=False))
        self.backend.settle()
        c3, detail3 = self.backend.counter(), self._detail()
        if stacks is not None and stacks.exists():
            stacks.with_suffix(".txt").write_text(profile.summarize(stacks))
            result["profile"] = str(stacks.with_suffix(".txt"))
        if syscalls is not None and syscalls.exists():
            syscalls.with_suffix(".syscalls.txt").write_text(profile.summarize_strace(syscalls, n + opts.latency_jobs))
            result["profile"] = str(syscalls.with_suffix(".syscalls.txt"))
        rows = read_ledger(ledger)
        drain = [r for r in rows if r[1] == 0.0]
        pickup = sorted((s - a) * 1000 for _i, a, s in rows if a > 0.0)
        starts = sorted(s for _i, _a, s in drain)
        result.update(_exactly_once(drain, n, "drain"))
        if opts.latency_jobs and not timed_out:
            latency_check = _exactly_once([r for r in rows if r[1] > 0.0], opts.latency_jobs, "latency")
            result["exactly_once"] = result["exactly_once"] and latency_check["exactly_once"]
            result["ledger_problems"] += latency_check["ledger_problems"]
        result["timed_out"] = timed_out
        if len(starts) > 1:
            result["steady_per_s"] = (len(starts) - 1) / max(starts[-1] - starts[0], 1e-9)
            result["with_startup_per_s"] = len(starts) / max(starts[-1] - spawned, 1e-9)
        if pickup:
            result["pickup_p50_ms"] = statistics.median(pickup)
            result["pickup_p99_ms"] = pickup[math.ceil(0.99 * len(pickup)) - 1]  # nearest rank
        if cpu_first is not None and n > done_first:
            result["cpu_us_per_job"] = 1e6 * (cpu_last - cpu_first) / (n - done_first)
        if self.backend.name == "redis" and c1 is not None and c2 is not None:
            result["counter_per_job"] = (c2 - c1) / n  # processing only; adds are the producer cells'
            if detail1 is not None and detail2 is not None:
                per_job = {k: (v - detail1.get(k, 0)) / n for k, v in detail2.items()}
                result["commands_per_job"] = {k: round(v, 2) for k, v in sorted(per_job.items(), key=lambda kv: -kv[1])
                                              if v >= 0.01}
        elif c0 is not None and c3 is not None:
            jobs = n + opts.latency_jobs
            result["counter_per_job"] = (c3 - c0) / jobs  # adds and runs, both phases
            if detail0 is not None and detail3 is not None:
                result["database_per_job"] = {k: round((v - detail0.get(k, 0)) / jobs, 2) for k, v in detail3.items()}
        return result

    def _detail(self) -> dict[str, int] | None:
        detail = getattr(self.backend, "detail", None)
        return None if detail is None else dict(detail())

    def _wait(self, ledger: Path, count: int, proc: subprocess.Popen[bytes], sample: _Sampler) -> bool:
        """Poll the ledger (10 ms) until `count` lines; False on timeout."""
        deadline = time.monotonic() + self.opts.timeout
        while True:
            lines = count_lines(ledger)
            sample.tick(lines)
            if lines >= count:
                return True
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode} after {lines} of {count} jobs; see the log")
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)


class _Sampler:
    """CPU and RSS of the worker process and its descendants, read from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu_at_first: float | None = None
        self.lines_at_first = 0
        self.rss_max = 0
        self._ticks = 0
        self._tick_s = os.sysconf("SC_CLK_TCK")
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _tree(self) -> list[int]:
        parents: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(parents.get(pid, []))
        return tree

    def cpu(self) -> float:
        """User + system seconds of the tree, reaped children included."""
        total = 0
        for pid in self._tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        return total / self._tick_s

    def tick(self, lines: int) -> None:
        """One poll: CPU at the first handler start, RSS every 5th poll."""
        if self.cpu_at_first is None and lines > 0:
            self.cpu_at_first, self.lines_at_first = self.cpu(), lines
        self._ticks += 1
        if self._ticks % 5 == 1:
            rss = 0
            for pid in self._tree():
                try:
                    rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
                except (OSError, IndexError, ValueError):
                    continue
            self.rss_max = max(self.rss_max, rss)


def _exactly_once(rows: list[tuple[int, float, float]], n: int, phase: str) -> dict[str, Any]:
    counts = Counter(i for i, _a, _s in rows)
    missing = sum(1 for i in range(n) if i not in counts)
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    strays = sum(1 for i in counts if not 0 <= i < n)
    problems = [f"{phase}: {label} {value}" for label, value in
                (("missing", missing), ("duplicates", duplicates), ("unknown indexes", strays)) if value]
    return {"exactly_once": not problems, "ledger_problems": problems}


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT, then SIGTERM, then SIGKILL to the worker's process group. Every figure is taken by
    now, so a library that takes its time to shut down (taskiq: 5 s) is not waited for long."""
    for sig, wait in ((signal.SIGINT, 2), (signal.SIGTERM, 2), (signal.SIGKILL, 5)):
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
