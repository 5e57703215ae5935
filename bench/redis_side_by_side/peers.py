"""The libraries compared, their pinned versions and the interpreter each one runs in."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

VENV_ROOT = Path(os.environ.get("HUBJOBS_BENCH_VENVS", Path.home() / ".cache" / "hubjobs-bench"))

PEER_PINS = ["rq==2.12.0", "saq==0.26.4", "dramatiq[redis]==2.2.1", "celery[redis]==5.7.0", "taskiq==0.13.0",
             "taskiq-redis==1.2.4", "bullmq==3.4.4", "huey==3.5.4", "redis==8.1.0", "hiredis==3.5.0"]
"""Installed together in the `peers` venv."""
ARQ_PINS = ["arq==0.28.0", "redis==5.3.1", "hiredis==3.5.0"]
"""arq 0.28 needs redis-py < 6: a venv of its own."""


@dataclass(frozen=True)
class Library:
    """A library under test: its adapter module and interpreter."""

    name: str
    adapter: str
    venv: str | None
    """None: this project's own interpreter."""

    @property
    def python(self) -> str:
        """The interpreter that runs its producer and worker."""
        if self.venv is None:
            return sys.executable
        return str(VENV_ROOT / f"venv-{self.venv}" / "bin" / "python")


LIBRARIES = [
    Library("hubjobs", "bench.redis_side_by_side.adapters.hubjobs_bench", None),
    Library("taskiq", "bench.redis_side_by_side.adapters.taskiq_bench", "peers"),
    Library("huey", "bench.redis_side_by_side.adapters.huey_bench", "peers"),
    Library("dramatiq", "bench.redis_side_by_side.adapters.dramatiq_bench", "peers"),
    Library("saq", "bench.redis_side_by_side.adapters.saq_bench", "peers"),
    Library("bullmq", "bench.redis_side_by_side.adapters.bullmq_bench", "peers"),
    Library("celery", "bench.redis_side_by_side.adapters.celery_bench", "peers"),
    Library("rq", "bench.redis_side_by_side.adapters.rq_bench", "peers"),
    Library("arq", "bench.redis_side_by_side.adapters.arq_bench", "arq"),
]
