"""Errors raised by the engine. Every error names what is wrong."""

from __future__ import annotations

from typing import Any


class HubJobsError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(HubJobsError):
    """The App, a queue, a handler or a backend URL is configured wrongly."""


class InvalidJobData(HubJobsError, ValueError):
    """Job data was refused when added: not JSON, too large, too deep or against the schema."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidJobOptions(HubJobsError, ValueError):
    """A job option (priority, attempts, delay, backoff, retention...) has a bad value; `field`
    names the option (or `job_id`, `name`) when one is to blame."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownQueue(HubJobsError, KeyError):
    """A queue name that the App does not know."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown queue"


class JobNotFound(HubJobsError, KeyError):
    """No job with that id exists in that queue."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "job not found"


class InvalidJobState(HubJobsError):
    """The operation does not apply to the job in its current state."""


class UnknownJobName(HubJobsError):
    """A worker claimed a job whose name has no registered handler."""


class BackendUnavailable(HubJobsError, ConnectionError):
    """The storage backend cannot be reached (a dead Redis, a stopped PostgreSQL)."""


class BackendFull(HubJobsError):
    """The storage backend refused a write because it is out of memory or space."""


class UnrecoverableError(HubJobsError):
    """Raise from a handler to fail the job at once, whatever tries are left."""


class JobTimeoutError(HubJobsError, TimeoutError):
    """A try ran past the job's timeout."""


class JobCancelled(HubJobsError):
    """An admin cancelled the job while it was running."""


class LeaseLost(HubJobsError):
    """The worker no longer holds the job's lease; its result was refused."""


class RetryAfter(HubJobsError):
    """Raise from a handler to fail this try and wait exactly `delay` seconds before the next
    one (e.g. an HTTP 429 Retry-After), if tries are left."""

    def __init__(self, delay: float, message: str | None = None) -> None:
        super().__init__(message or f"retry after {delay:g} s")
        self.delay = max(0.0, float(delay))


class JobFailed(HubJobsError):
    """The job a caller waited for failed for good: `error` is its failure reason, `job` the
    failed Job (its `errors` hold every try's message and stack trace)."""

    def __init__(self, message: str, *, error: str | None, job: Any) -> None:
        super().__init__(message)
        self.error = error
        self.job = job


class ResultTimeout(HubJobsError, TimeoutError):
    """Waiting for a job's result took longer than the caller's timeout (the job is untouched)."""
