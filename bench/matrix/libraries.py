"""The libraries of the matrix: which backend each runs on, how to start its producer (the
protocol of `bench.redis_side_by_side.driver`) and its worker, and what it supports (read from
its adapter: `KINDS`, `MAX_CONCURRENCY`, `version()`)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_SCRIPT = ROOT / "bench" / "bullmq_node" / "bench.mjs"
DRIVER = "bench.redis_side_by_side.driver"


@dataclass
class Entry:
    """One library on one backend."""

    name: str
    backend: str
    """`redis`, `postgres` or `sqlite`."""
    adapter: str | None
    """The Python adapter module; None for Node's BullMQ."""
    python: str = "python3"
    kinds: tuple[str, ...] = ()
    max_concurrency: int | None = None
    multi_process: bool = False
    """Whether the adapter can run N worker processes (`BENCH_PROCESSES`)."""
    version: str = "?"
    _worker_commands: dict[tuple[str, int, int], list[str]] = field(default_factory=dict)

    @property
    def is_node(self) -> bool:
        """Whether this is Node's BullMQ (bench/bullmq_node)."""
        return self.adapter is None

    def supports(self, kind: str, concurrency: int, processes: int = 1) -> bool:
        """Whether a worker cell applies to this library."""
        return (kind in self.kinds and (self.max_concurrency is None or concurrency <= self.max_concurrency)
                and (processes == 1 or self.multi_process))

    def driver_command(self, *argv: str) -> list[str]:
        """The producer command for one driver action."""
        if self.is_node:
            return ["node", str(NODE_SCRIPT), *argv]
        return [self.python, "-m", DRIVER, str(self.adapter), *argv]

    def describe(self, env: dict[str, str]) -> None:
        """Fill in kinds, concurrency limit and version from the adapter."""
        if self.is_node:
            self.kinds = ("async",)
            out = subprocess.run(["node", str(NODE_SCRIPT), "version"], env=env, capture_output=True, text=True,
                                 check=True, cwd=ROOT)
            self.version = str(json.loads(out.stdout)["version"])
            return
        code = (f"import importlib, json; m = importlib.import_module({self.adapter!r}); "
                "print(json.dumps({'kinds': list(m.KINDS), 'max': getattr(m, 'MAX_CONCURRENCY', None), "
                "'version': m.version(), 'multi': getattr(m, 'MULTI_PROCESS', False)}))")
        out = subprocess.run([self.python, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{self.name}: adapter {self.adapter} does not load:\n{out.stderr[-2000:]}")
        info = json.loads(out.stdout.strip().splitlines()[-1])
        self.kinds, self.max_concurrency, self.version = tuple(info["kinds"]), info["max"], info["version"]
        self.multi_process = bool(info["multi"])

    def worker_command(self, env: dict[str, str], kind: str, concurrency: int, processes: int = 1) -> list[str]:
        """The worker command for a kind, concurrency and number of processes (asked of the adapter
        once, then cached)."""
        if self.is_node:
            return ["node", str(NODE_SCRIPT), "worker"]
        key = (kind, concurrency, processes)
        if key not in self._worker_commands:
            code = (f"import importlib, json; m = importlib.import_module({self.adapter!r}); "
                    f"print(json.dumps(m.worker_command({self.python!r})))")
            out = subprocess.run([self.python, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                                 check=True)
            self._worker_commands[key] = list(json.loads(out.stdout.strip().splitlines()[-1]))
        return self._worker_commands[key]



def catalogue() -> list[Entry]:
    """Every library of the matrix, hubjobs first on each backend."""
    from bench.redis_side_by_side.peers import LIBRARIES

    entries = [Entry(lib.name, "redis", lib.adapter, lib.python) for lib in LIBRARIES]
    entries.append(Entry("bullmq-node", "redis", None))
    own = LIBRARIES[0].python
    entries += [
        Entry("hubjobs", "postgres", "bench.postgres_side_by_side.hubjobs_side", own),
        Entry("pgqueuer", "postgres", "bench.postgres_side_by_side.pgqueuer_side", own),
        Entry("procrastinate", "postgres", "bench.postgres_side_by_side.procrastinate_side", own),
        Entry("hubjobs", "sqlite", "bench.sqlite_side_by_side.hubjobs_tasks", own),
        Entry("huey", "sqlite", "bench.sqlite_side_by_side.huey_tasks", own),
    ]
    return entries


def node_ready() -> bool:
    """Whether `npm ci` has been run in bench/bullmq_node."""
    return (NODE_SCRIPT.parent / "node_modules" / "bullmq").is_dir() and bool(os.environ.get("PATH"))
