"""The ``process-file`` handler. It runs in a spawned child process (``process=True``), so it
rebuilds its database, storage and scanner from the environment (:class:`FileProcessingSettings`);
the job data holds nothing but the file id, the storage key and the task names.

Outcomes:

- every task done: file COMPLETED (audit FILE_PROCESSED); returns the app's shape
  ``{"success": true, "fileId", "tasksCompleted": <count>, "tasks": [...], "results": {task: summary}}``;
- infected: file QUARANTINED (audit SECURITY_ALERT, entityType ``file-processing``, metadata
  ``{"error", "attempts"}``), UnrecoverableError, no further task;
- corrupt file, key outside the storage, missing upload, scanner refusal: file FAILED (audit
  SECURITY_ALERT with the error and tries), UnrecoverableError, no retry;

Each task logs ``Completed: <task>`` or ``Failed: <task> - <message>`` (the app's log lines) to the
job's log, after the task's own detail line.
- anything else (clamd unreachable, database busy...): the try fails and the engine retries; the
  file goes back to PENDING with the error, or FAILED (plus audit) after the last try.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from pydantic import ValidationError

from hubjobs import UnrecoverableError
from sequencehub.db import Database
from sequencehub.files.storage import LocalFileStorage, StorageKeyError, StorageNotFound
from sequencehub.models import ProcessingStatus, ProductFile

from .errors import FileQuarantined, PermanentFileError
from .records import (
    FileRecordMissing,
    FileSnapshot,
    load_file,
    mark_completed,
    mark_failed,
    mark_processing,
    mark_retrying,
)
from .request import ProcessFileRequest, TaskName
from .settings import FileProcessingSettings
from .tasks import TASKS, TaskContext, build_scanner

log = logging.getLogger("sequencehub.processing")

FILE_PROCESSING_ATTEMPTS = 3
"""Tries of a ``process-file`` job (DESIGN §6); the last one records a permanent failure."""


class ProcessJob(Protocol):
    """What the handler uses of the job it is given (the engine's child-process job)."""

    id: str
    data: Any
    attempts_made: int

    def update_progress(self, progress: float | dict[str, Any]) -> None:
        """Report progress 0..100."""

    def log(self, line: str) -> None:
        """Append a log line to the job."""


def process_file(job: ProcessJob) -> dict[str, Any]:
    """Run the requested tasks on one uploaded file (see the module docstring for outcomes)."""
    try:
        request = ProcessFileRequest.model_validate(job.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(root)"
        raise UnrecoverableError(f"process-file data refused: field {where!r}: {first.get('msg')}") from None
    settings = FileProcessingSettings.from_env()
    db = Database(settings.database_url)
    try:
        return _FileRun(job, request, settings, db).run()
    finally:
        db.dispose()


class _FileRun:
    """One try of one file."""

    def __init__(self, job: ProcessJob, request: ProcessFileRequest, settings: FileProcessingSettings,
                 db: Database) -> None:
        self.job = job
        self.request = request
        self.settings = settings
        self.db = db
        self.file_id = request.file_id
        self.attempt = job.attempts_made + 1
        self.max_attempts = int(getattr(job, "max_attempts", 0) or FILE_PROCESSING_ATTEMPTS)

    def run(self) -> dict[str, Any]:
        snapshot = self._load()
        if snapshot.deleted_at is not None:
            self.job.log(f"file {self.file_id} was deleted; nothing to do")
            return {"success": True, "fileId": self.file_id, "tasksCompleted": 0, "tasks": [],
                    "skipped": "the file was deleted", "results": {}}
        mark_processing(self.db, self.file_id)
        try:
            results = self._run_tasks(snapshot)
        except FileQuarantined as exc:
            self.job.log(f"virus-scan: INFECTED ({exc.signature}); file quarantined, no further tasks")
            raise UnrecoverableError(str(exc)) from None
        except PermanentFileError as exc:
            self._record_failure(str(exc), final=True)
            raise UnrecoverableError(str(exc)) from None
        except Exception as exc:
            self._record_failure(f"{type(exc).__name__}: {exc}", final=self.attempt >= self.max_attempts)
            raise
        summary = {"checksum_sha256": results.get("checksum", {}).get("sha256")}
        mark_completed(self.db, self.file_id, job_id=self.job.id, tasks=list(results), attempts=self.attempt,
                       summary=summary)
        self.job.log(f"file {self.file_id}: COMPLETED ({len(results)} task(s))")
        return {"success": True, "fileId": self.file_id, "tasksCompleted": len(results), "tasks": list(results),
                "results": results}

    def _load(self) -> FileSnapshot:
        try:
            snapshot = load_file(self.db, self.file_id)
        except FileRecordMissing as exc:
            raise UnrecoverableError(str(exc)) from None
        if snapshot.status == ProcessingStatus.QUARANTINED:
            raise UnrecoverableError(f"file {self.file_id!r} is quarantined (infected); it is never processed again")
        if snapshot.storage_key != self.request.storage_key:
            message = (f"job storageKey {self.request.storage_key!r} is not the storage key of file "
                       f"{self.file_id!r} ({snapshot.storage_key!r}); refusing to process it")
            self._record_failure(message, final=True)
            raise UnrecoverableError(message)
        return snapshot

    def _context(self, snapshot: FileSnapshot) -> TaskContext:
        with self.db.session() as session:
            row = session.get(ProductFile, self.file_id)
            existing = dict(row.file_metadata or {}) if row is not None else {}
        return TaskContext(snapshot=snapshot, storage_key=self.request.storage_key, settings=self.settings,
                           db=self.db, storage=LocalFileStorage(self.settings.storage_root),
                           scanner=build_scanner(self.settings), job_id=self.job.id, attempt=self.attempt,
                           metadata=existing)

    def _run_tasks(self, snapshot: FileSnapshot) -> dict[TaskName, dict[str, Any]]:
        ctx = self._context(snapshot)
        tasks = self.request.ordered_tasks()
        self.job.update_progress(0)
        self.job.log(f"processing file {self.file_id} ({snapshot.file_type}, {self.request.storage_key!r}), "
                     f"try {self.attempt} of {self.max_attempts}: {', '.join(tasks)}")
        results: dict[TaskName, dict[str, Any]] = {}
        for number, name in enumerate(tasks, start=1):
            try:
                try:
                    summary, line = TASKS[name](ctx)
                except StorageKeyError as exc:
                    raise PermanentFileError(f"{name}: storage key refused: {exc}") from None
                except StorageNotFound as exc:
                    raise PermanentFileError(f"{name}: the upload is missing: {exc}") from None
            except Exception as exc:
                self.job.log(f"Failed: {name} - {exc}")
                raise
            results[name] = summary
            self.job.log(line)
            self.job.log(f"Completed: {name}")
            self.job.update_progress(round(100 * number / len(tasks)))
        return results

    def _record_failure(self, error: str, *, final: bool) -> None:
        """Write the failed try to the row; never let that hide the original error."""
        try:
            if final:
                mark_failed(self.db, self.file_id, error=error, attempts=self.attempt, job_id=self.job.id)
                self.job.log(f"file {self.file_id}: FAILED after {self.attempt} try(s): {error}")
            else:
                mark_retrying(self.db, self.file_id, error=error, attempt=self.attempt, max_attempts=self.max_attempts)
                self.job.log(f"try {self.attempt} of {self.max_attempts} failed, will retry: {error}")
        except Exception:
            log.exception("could not record the failure of file %s", self.file_id)
