"""Declaring the ``file-processing`` queue and its ``process-file`` job on a hubjobs App, the
producer helpers, and a worker listener that records failures the handler could not report."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from typing import Any

from hubjobs import App, Backoff, Job, JobEvent, Queue, Retention, Worker
from sequencehub.config import Settings
from sequencehub.db import Database
from sequencehub.priorities import NEW_UPLOAD, process_file_options

from .handler import FILE_PROCESSING_ATTEMPTS, process_file
from .records import mark_failed_unless_settled
from .request import DEFAULT_TASKS, ProcessFileRequest, TaskName, file_id_from_job_id, job_id_for
from .settings import FileProcessingSettings

log = logging.getLogger("sequencehub.processing")

FILE_PROCESSING_QUEUE = "file-processing"
PROCESS_FILE_JOB = "process-file"
FILE_PROCESSING_CONCURRENCY = 3
FILE_BACKOFF = Backoff.exponential(2.0)
KEEP_COMPLETED = Retention(count=100, age=24 * 3600)
KEEP_FAILED = Retention(count=1000)


def file_processing_settings(settings: Settings | FileProcessingSettings | None) -> FileProcessingSettings:
    """FileProcessingSettings from the marketplace Settings (database) plus the environment, as given,
    or all from the environment."""
    if isinstance(settings, FileProcessingSettings):
        return settings
    if isinstance(settings, Settings):
        return FileProcessingSettings.from_settings(settings)
    return FileProcessingSettings.from_env()


def register_file_processing(app: App, settings: Settings | FileProcessingSettings | None = None) -> Queue:
    """Declare ``file-processing`` (DESIGN §6: 3 tries, exponential 2 s, keep 100 completed / 24 h
    and 1,000 failed, concurrency 3) and its process-isolated ``process-file`` handler.

    The handler's child processes read their settings from the environment, so the settings are
    exported to ``os.environ`` here (``SEQUENCEHUB_*`` variables, see FileProcessingSettings):
    workers started afterwards in this process, and processes it starts, see exactly these.
    Returns the queue.
    """
    files = file_processing_settings(settings)
    os.environ.update(files.to_env())
    queue = app.queue(FILE_PROCESSING_QUEUE, attempts=FILE_PROCESSING_ATTEMPTS, backoff=FILE_BACKOFF,
                      remove_on_complete=KEEP_COMPLETED, remove_on_fail=KEEP_FAILED,
                      concurrency=FILE_PROCESSING_CONCURRENCY)
    app.job(FILE_PROCESSING_QUEUE, PROCESS_FILE_JOB, process=True, timeout=files.job_timeout,
            schema=ProcessFileRequest, options_from_data=process_file_options)(process_file)
    return queue


def _job_data(file_id: str, storage_key: str, tasks: Sequence[TaskName] | None,
              priority: int | None = NEW_UPLOAD) -> dict[str, Any]:
    data: dict[str, Any] = {"fileId": file_id, "storageKey": storage_key,
                            "tasks": list(DEFAULT_TASKS if tasks is None else tasks)}
    if priority is not None:
        data["priority"] = priority
    return data


def enqueue_file_processing(app: App, file_id: str, storage_key: str, tasks: Sequence[TaskName] | None = None,
                            **options: Any) -> Job:
    """Add ``process-file`` for a file with job id ``file-<fileId>``: while that job exists, adding
    it again adds nothing and returns the existing job. Bad data raises InvalidJobData naming the
    field. The data carries ``priority`` (default HIGH 3, a new upload; pass `priority` to change
    it); other `options` (delay, ...) go to `Queue.add`."""
    priority = options.pop("priority", NEW_UPLOAD)
    return app.get_queue(FILE_PROCESSING_QUEUE).add(
        PROCESS_FILE_JOB, _job_data(file_id, storage_key, tasks, priority), job_id=job_id_for(file_id), **options)


async def aenqueue_file_processing(app: App, file_id: str, storage_key: str,
                                   tasks: Sequence[TaskName] | None = None, **options: Any) -> Job:
    """Async twin of `enqueue_file_processing`."""
    priority = options.pop("priority", NEW_UPLOAD)
    return await app.get_queue(FILE_PROCESSING_QUEUE).aadd(
        PROCESS_FILE_JOB, _job_data(file_id, storage_key, tasks, priority), job_id=job_id_for(file_id), **options)


def record_unreported_failure(settings: FileProcessingSettings, event: JobEvent) -> bool:
    """For a ``failed`` event of ``process-file``: mark the file FAILED with an audit entry unless
    the handler already recorded the outcome (it cannot when its process was killed on timeout or
    died). True if it wrote."""
    if event.name != "failed" or event.queue != FILE_PROCESSING_QUEUE or event.job_id is None:
        return False
    job = event.job
    if job is not None and job.name != PROCESS_FILE_JOB:
        return False
    data = job.data if job is not None else None
    file_id = data.get("fileId") if isinstance(data, dict) else file_id_from_job_id(event.job_id)
    if not isinstance(file_id, str):
        return False
    attempts = event.data.get("attempt") or (job.attempts_made + 1 if job is not None else 0)
    error = str(event.data.get("error") or (job.failed_reason if job is not None else "") or "unknown error")
    db = Database(settings.database_url)
    try:
        return mark_failed_unless_settled(db, file_id, error=error, attempts=int(attempts), job_id=event.job_id)
    finally:
        db.dispose()


def watch_file_failures(worker: Worker, settings: Settings | FileProcessingSettings | None = None) -> None:
    """Make `worker` record ``process-file`` failures its handler could not (timeouts, killed
    processes): the file becomes FAILED with an audit entry. Attach to every worker that runs
    ``file-processing``."""
    files = file_processing_settings(settings)

    async def on_failed(event: JobEvent) -> None:
        try:
            await asyncio.to_thread(record_unreported_failure, files, event)
        except Exception:
            log.exception("could not record the failure of job %s", event.job_id)

    worker.on("failed", on_failed)
