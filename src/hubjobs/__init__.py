"""hubjobs: a background job engine on SQLite (embedded), Redis and PostgreSQL."""

from .app import App
from .backoff import Backoff
from .errors import (
    BackendFull,
    BackendUnavailable,
    ConfigurationError,
    HubJobsError,
    InvalidJobData,
    InvalidJobOptions,
    JobCancelled,
    JobNotFound,
    JobTimeoutError,
    RetryAfter,
    UnknownJobName,
    UnknownQueue,
    UnrecoverableError,
)
from .events import JobEvent
from .job import Job, JobOptions, JobState, Priority
from .queue import Queue
from .registry import RateLimit
from .retention import Retention
from .worker import Worker

__all__ = [
    "App", "Backoff", "BackendFull", "BackendUnavailable", "ConfigurationError", "HubJobsError", "InvalidJobData",
    "InvalidJobOptions", "Job", "JobCancelled", "JobEvent", "JobNotFound", "JobOptions", "JobState",
    "JobTimeoutError", "Priority", "Queue", "RateLimit", "Retention", "RetryAfter", "UnknownJobName",
    "UnknownQueue", "UnrecoverableError", "Worker",
]
