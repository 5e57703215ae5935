"""Run a test scheduler process: `python -m tests.scheduler_main URL --fired-log PATH
[--every SECONDS] [--catch-up one|all|none] [--clock-offset SECONDS]`.

Declares schedule `pulse` (job `pulse` on queue `ticks`) and runs a Scheduler until SIGTERM or
SIGINT. Each tick it handles is appended to the fired log as `<job id> <1 if this process
created the job else 0>`, flushed at once, so a test can tell which process added which job.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import TextIO

from hubjobs import App
from hubjobs.scheduler import FiredTick, Scheduler

QUEUE = "ticks"
SCHEDULE_ID = "pulse"


async def _run(args: argparse.Namespace, log: TextIO) -> None:
    app = App(args.url)
    app.schedule(SCHEDULE_ID, queue=QUEUE, name="pulse", every=args.every, catch_up=args.catch_up)

    def write(tick: FiredTick) -> None:
        log.write(f"{tick.job_id} {int(tick.created)}\n")
        log.flush()

    scheduler = Scheduler(app, clock_offset=args.clock_offset, on_fire=write)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, scheduler.stop)
    try:
        await scheduler.run()
    finally:
        await app.aclose()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run the scheduler until stopped."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--fired-log", required=True)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--catch-up", default="one", choices=["one", "all", "none"])
    parser.add_argument("--clock-offset", type=float, default=0.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with open(args.fired_log, "a", encoding="utf-8") as log:
        asyncio.run(_run(args, log))


if __name__ == "__main__":
    main()
