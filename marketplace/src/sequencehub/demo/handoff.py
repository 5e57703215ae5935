"""The end of the demo's output: what a warning repeated per file amounts to (said once), how
the e-mail counts add up, and what to type next (the dashboard has stopped with the demo unless
it was kept running)."""

from __future__ import annotations

import logging
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..processing.tasks import NOT_SCANNED_WARNING


class NotScannedCounter(logging.Filter):
    """Counts the per-file "NOT SCANNED" warnings and keeps them off the live table (the demo
    says it once, at the end)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop (and count) a NOT SCANNED warning; keep every other record."""
        if NOT_SCANNED_WARNING in record.getMessage():
            self.count += 1
            return False
        return True


@contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Send this process's and its children's standard error (file descriptor 2) to `path` while
    the demo runs: worker processes write their warnings there instead of across the live table."""
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("ab") as target:
        os.dup2(target.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def not_scanned_in(path: Path) -> int:
    """How many NOT SCANNED warnings a captured standard error file holds."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").count(NOT_SCANNED_WARNING)
    except FileNotFoundError:
        return 0


def jobs_url_of(workdir: Path, jobs_url: str | None) -> str:
    """The job engine URL the demo used."""
    return jobs_url or f"sqlite:///{workdir.resolve() / 'jobs.db'}"


def email_explanation(sent: int, email_jobs_completed: int, alerts_sent: int) -> str:
    """ "12 sent: 11 by the email queue's jobs, 1 admin alert about dead letters" """
    parts = [f"{email_jobs_completed} by the email queue's jobs"]
    other = sent - email_jobs_completed
    if other > 0:
        alerts = min(other, alerts_sent)
        if alerts:
            parts.append(f"{alerts} admin alert{'s' if alerts != 1 else ''} about dead letters")
        if other > alerts:
            parts.append(f"{other - alerts} by other jobs")
    return f"{sent} sent: " + ", ".join(parts)


def next_steps(jobs_url: str, *, dashboard_url: str | None, kept_running: bool, workdir: Path) -> list[str]:
    """Lines telling what to type next; every command reads the demo's own job database."""
    url = shlex.quote(jobs_url)
    lines: list[str] = []
    if dashboard_url is not None and not kept_running:
        lines.append("The dashboard stopped with the demo. To look around, run the demo again with it kept up:")
        lines.append(f"  sequencehub demo --dir {shlex.quote(str(workdir))} --keep-running")
        lines.append("or serve a dashboard on this demo's database:")
        lines.append(f"  hubjobs --url {url} dashboard")
        lines.append(f"  hubjobs --url {url} tokens create --role admin    # the token to sign in with")
    lines.append("Read the demo's jobs from the command line:")
    lines.append(f"  hubjobs --url {url} stats")
    lines.append(f"  hubjobs --url {url} jobs list file-processing --state failed")
    lines.append(f"  hubjobs --url {url} schedules list")
    return lines
