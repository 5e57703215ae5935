"""A job's history as the job page tells it: runs (an admin's retry starts a new run, with
fresh tries), the try within the run, who retried it and when, and how long the job waited
since it was last made ready (its latest enqueue, retry or failed try), not since creation."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..backends.base import LogLine
from ..job import Job, TryError

RETRY_MARK = "retried by "
"""Log lines the dashboard and API add when an admin retries a job start with this."""


@dataclass(frozen=True)
class Run:
    """One run: the failed tries it holds and how it began."""

    number: int
    errors: list[TryError] = field(default_factory=list)
    retried_by: str | None = None
    """Who started it ("admin alice (dashboard)"), for runs after the first."""
    retried_at: float | None = None


@dataclass(frozen=True)
class JobHistory:
    """Runs oldest first; the current run and try; the latest wait."""

    runs: list[Run]
    current_try: int
    """The try of the current run: the one running or next to run, or the last one when failed."""
    waited: float | None

    @property
    def current_run(self) -> Run:
        """The latest run."""
        return self.runs[-1]


def retry_marks(logs: list[LogLine]) -> list[LogLine]:
    """The log lines an admin retry left, oldest first."""
    return [line for line in logs if line.line.startswith(RETRY_MARK)]


def job_history(job: Job, logs: list[LogLine]) -> JobHistory:
    """Split a job's failed tries into runs: a try numbered no higher than the one before it
    began a new run (a retry resets the tries). Retry log lines name who began each run."""
    groups: list[list[TryError]] = [[]]
    for err in job.errors:
        if groups[-1] and err.attempt <= groups[-1][-1].attempt:
            groups.append([])
        groups[-1].append(err)
    marks = retry_marks(logs)
    # the current run may have no failed try yet: a retry after the last error began it
    last_error_at = job.errors[-1].at if job.errors else None
    if last_error_at is not None and any(m.at >= last_error_at for m in marks):
        groups.append([])
    runs: list[Run] = []
    for index, errors in enumerate(groups):
        mark = marks[index - 1] if 0 < index <= len(marks) else None
        runs.append(Run(index + 1, errors, mark.line[len(RETRY_MARK):] if mark else ("an admin" if index else None),
                        mark.at if mark else None))
    waited = None
    if job.started_ts is not None:  # since it was last made ready before its latest start
        started = job.started_ts
        ready = max([job.created_ts, job.run_at_ts or 0.0]
                    + [t for t in [e.at for e in job.errors] + [m.at for m in marks] if t <= started])
        waited = started - ready if started >= ready else None
    current = len(runs[-1].errors) + (0 if job.state.value == "failed" else 1)
    return JobHistory(runs, max(1, current), waited)
