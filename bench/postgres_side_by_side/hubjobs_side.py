"""The hubjobs side: handlers and the worker process (`python -m bench.postgres_side_by_side.hubjobs_side URL N`)."""

from __future__ import annotations

import sys

from bench.postgres_side_by_side.common import record_latency, touch
from hubjobs import App
from hubjobs.job import Job


def build_app(url: str) -> App:
    """An App with the benchmark handlers on queue `bench` (default retention: the newest 1,000
    completed jobs are kept, older ones removed in the finishing transactions)."""
    app = App(url)
    app.queue("bench")

    @app.job("bench", "noop")
    async def noop(job: Job) -> None:
        return None

    @app.job("bench", "marker")
    async def marker(job: Job) -> None:
        touch(job.data["path"])

    @app.job("bench", "latency")
    async def latency(job: Job) -> None:
        record_latency(job.data["file"], job.data["t"])

    return app


def main() -> None:
    """Run one worker process with concurrency N."""
    url, concurrency = sys.argv[1], int(sys.argv[2])
    build_app(url).worker("bench", concurrency=concurrency).run()


if __name__ == "__main__":
    main()
