"""A marketplace worker process for the dead-letter crash test:
`python -m tests.sequencehub.dead_letter_worker JOBS_URL [--crash-after-failure]`.

Marketplace settings come from SEQUENCEHUB_* variables. The `reports` queue's `build-report`
always fails (one try). With `--crash-after-failure` a `failed` listener registered before the
dead-letter hook SIGKILLs this process: the engine has committed the final failure, no other
listener has run."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from sequencehub.config import Settings
from sequencehub.jobs import register_marketplace_jobs

from hubjobs import App, Job, JobEvent

QUEUE = "reports"


def main(argv: list[str] | None = None) -> None:
    """Run the worker until SIGTERM (or until it kills itself)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("jobs_url")
    parser.add_argument("--crash-after-failure", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = App(args.jobs_url)
    marketplace = register_marketplace_jobs(app, Settings.from_env(), schedules=False)

    @app.job(QUEUE, "build-report", attempts=1)
    def build_report(job: Job) -> None:
        raise RuntimeError("upstream unavailable")

    worker = app.worker(install_signals=True)
    if args.crash_after_failure:
        def crash(event: JobEvent) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        worker.on("failed", crash)
    marketplace.attach_dead_letter_hook(worker)
    worker.run()


if __name__ == "__main__":
    main()
