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
    JobFailed,
    JobNotFound,
    JobTimeoutError,
    ResultTimeout,
    RetryAfter,
    UnknownJobName,
    UnknownQueue,
    UnrecoverableError,
)
from .events import JobEvent
from .job import Job, JobOptions, JobState, Priority
from .middleware import AddContext, Middleware
from .queue import Queue
from .registry import RateLimit
from .retention import Retention
from .task import Task
from .worker import Worker

__all__ = [
    "AddContext", "App", "Backoff", "BackendFull", "BackendUnavailable", "ConfigurationError", "HubJobsError", "InvalidJobData",
    "InvalidJobOptions", "Job", "JobCancelled", "JobFailed", "JobEvent", "JobNotFound", "JobOptions", "JobState",
    "JobTimeoutError", "Middleware", "Priority", "Queue", "RateLimit", "ResultTimeout", "Retention", "RetryAfter", "Task", "UnknownJobName",
    "UnknownQueue", "UnrecoverableError", "Worker",
]
