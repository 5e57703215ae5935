"""Run a handler without a queue, recording progress and logs (for unit tests of handlers)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .job import Job, JobOptions, JobState
from .payload import model_to_data
from .task import Task


@dataclass
class JobRun:
    """What a handler did in `run_job`: its result or error, progress updates and log lines."""

    job: Job
    result: Any = None
    error: BaseException | None = None
    progress: list[float | dict[str, Any]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the handler returned without raising."""
        return self.error is None


class _RecordingReporter:
    def __init__(self, run: JobRun) -> None:
        self.run = run

    async def report_progress(self, job: Job, progress: float | dict[str, Any]) -> None:
        self.run.progress.append(progress)

    async def report_log(self, job: Job, line: str) -> None:
        self.run.logs.append(line)

    def call_sync(self, make: Callable[[], Awaitable[None]]) -> None:
        asyncio.run(_await(make))


async def _await(make: Callable[[], Awaitable[None]]) -> None:
    await make()


def make_job(data: Any, *, name: str = "test", queue: str = "test", job_id: str = "test-job",
             attempts_made: int = 0, options: JobOptions | None = None) -> Job:
    """A Job value in the `active` state, as a worker would hand it to a handler."""
    now = time.time()
    return Job(id=job_id, queue=queue, name=name, data=data, state=JobState.ACTIVE,
               options=options or JobOptions(), attempts_made=attempts_made, created_ts=now, started_ts=now)


def run_job(handler: Callable[[Job], Any], data: Any, *, raise_errors: bool = False, **job_kwargs: Any) -> JobRun:
    """Run `handler` (sync or async, or a Task from `@app.job`) on a job with `data`; returns a
    JobRun record. A Task with a schema gets `job.data` as its model, as a worker gives it."""
    if isinstance(handler, Task):
        if handler.schema is not None:
            data = model_to_data(data)
        job = make_job(data, **job_kwargs)
        if handler.schema is not None:
            job.with_model(handler.schema)
        handler = handler.fn
    else:
        job = make_job(data, **job_kwargs)
    run = JobRun(job)
    job.bind(_RecordingReporter(run))
    try:
        if inspect.iscoroutinefunction(handler):
            run.result = asyncio.run(_call_async(handler, job))
        else:
            run.result = handler(job)
    except Exception as exc:
        run.error = exc
        if raise_errors:
            raise
    return run


async def _call_async(handler: Callable[[Job], Any], job: Job) -> Any:
    result = handler(job)
    if inspect.isawaitable(result):
        result = await result
    # let progress/log calls made without await finish
    await asyncio.sleep(0)
    return result
