"""Run a test worker process: `python -m tests.worker_main URL [--queue Q] [--concurrency N]
[--lease S] [--grace S] [--burst] [--rate MAX/PERIOD] [--global-concurrency N]
[--queue-concurrency N] [--stop-marker PATH]`.

Without `--concurrency` the worker takes its slots from its queues' `concurrency` (set with
`--queue-concurrency`, else the default).

`--stop-marker PATH` handles SIGTERM here instead of in the Worker: it asks the worker to stop
and, once the stop has begun, writes PATH, so a test knows the worker is shutting down."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from hubjobs import App, Worker
from tests.apps import build_app


def _write_marker(path: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(str(os.getpid()))
    os.replace(tmp, path)


async def _run_announcing_stop(worker: Worker, marker: str, burst: bool) -> None:
    """Run the worker; on SIGTERM ask it to stop, then write `marker` once its stop has begun."""
    loop = asyncio.get_running_loop()

    def on_term() -> None:
        worker.stop()  # schedules the stop on this loop ...
        loop.call_soon(_write_marker, marker)  # ... so the marker is written after it began

    loop.add_signal_handler(signal.SIGTERM, on_term)
    await worker.arun(burst=burst)


def build_worker(argv: list[str] | None = None, *,
                 install_signals: bool | None = None) -> tuple[Worker, argparse.Namespace, App]:
    """The worker the arguments describe, the parsed arguments and the worker's own App."""
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--queue", action="append")
    p.add_argument("--concurrency", type=int, default=None)
    p.add_argument("--lease", type=float, default=30.0)
    p.add_argument("--grace", type=float, default=30.0)
    p.add_argument("--burst", action="store_true")
    p.add_argument("--rate", default=None)
    p.add_argument("--global-concurrency", type=int, default=None)
    p.add_argument("--queue-concurrency", type=int, default=None)
    p.add_argument("--ready-file", default=None)
    p.add_argument("--stop-marker", default=None)
    args = p.parse_args(argv)
    app = build_app(args.url)
    queues = args.queue or ["q"]
    for q in queues:
        extra = {}
        if args.rate:
            n, period = args.rate.split("/")
            extra["rate_limit"] = (int(n), float(period))
        if args.global_concurrency:
            extra["global_concurrency"] = args.global_concurrency
        if args.queue_concurrency:
            extra["concurrency"] = args.queue_concurrency
        if extra:
            app.queue(q, **extra)
    signals = args.stop_marker is None if install_signals is None else install_signals
    worker = app.worker(queues, concurrency=args.concurrency, lease=args.lease, grace=args.grace,
                        install_signals=signals)
    return worker, args, app


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run the worker until stopped."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    worker, args, _app = build_worker(argv)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write(str(os.getpid()))
    if args.stop_marker:
        asyncio.run(_run_announcing_stop(worker, args.stop_marker, args.burst))
    else:
        worker.run(burst=args.burst)


if __name__ == "__main__":
    main()
