"""Run a test worker process: `python -m tests.worker_main URL [--queue Q] [--concurrency N]
[--lease S] [--grace S] [--burst] [--rate MAX/PERIOD] [--global-concurrency N]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from tests.apps import build_app


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run the worker until stopped."""
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--queue", action="append")
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--lease", type=float, default=30.0)
    p.add_argument("--grace", type=float, default=30.0)
    p.add_argument("--burst", action="store_true")
    p.add_argument("--rate", default=None)
    p.add_argument("--global-concurrency", type=int, default=None)
    p.add_argument("--ready-file", default=None)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = build_app(args.url)
    queues = args.queue or ["q"]
    for q in queues:
        extra = {}
        if args.rate:
            n, period = args.rate.split("/")
            extra["rate_limit"] = (int(n), float(period))
        if args.global_concurrency:
            extra["concurrency"] = args.global_concurrency
        if extra:
            app.queue(q, **extra)
    worker = app.worker(queues, concurrency=args.concurrency, lease=args.lease, grace=args.grace)
    if args.ready_file:
        def ready(_e: object) -> None:
            pass
        with open(args.ready_file, "w") as f:
            f.write(str(os.getpid()))
    worker.run(burst=args.burst)


if __name__ == "__main__":
    main()
