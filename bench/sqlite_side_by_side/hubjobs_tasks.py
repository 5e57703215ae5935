"""The hubjobs side of the SQLite benchmark: a no-op handler and marker handlers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hubjobs import App
from hubjobs.job import Job


def build_app() -> App:
    """App on BENCH_URL with the benchmark handlers."""
    app = App(os.environ["BENCH_URL"])
    app.queue("bench", remove_on_complete=True)

    @app.job("bench", "noop")
    async def noop(job: Job) -> None:
        return None

    @app.job("bench", "marker")
    async def marker(job: Job) -> None:
        Path(job.data["path"]).write_text("x")

    return app


def run_worker() -> None:
    """Entry point of the worker process."""
    app = build_app()
    app.worker("bench", concurrency=int(os.environ.get("BENCH_CONCURRENCY", "50"))).run()


if __name__ == "__main__":
    run_worker()
