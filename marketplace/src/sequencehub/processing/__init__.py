"""The ``file-processing`` queue: virus scan, sequence metadata, thumbnails, image optimisation
and checksums of every upload, as the process-isolated ``process-file`` job.

Public API: :func:`register_file_processing` (declare queue and handler on an App),
:func:`enqueue_file_processing` / :func:`aenqueue_file_processing` (producers, job id
``file-<fileId>``), :func:`watch_file_failures` (attach to workers), :class:`FileProcessingSettings`.
"""

from .handler import FILE_PROCESSING_ATTEMPTS, process_file
from .register import (
    FILE_PROCESSING_QUEUE,
    PROCESS_FILE_JOB,
    aenqueue_file_processing,
    enqueue_file_processing,
    record_unreported_failure,
    register_file_processing,
    watch_file_failures,
)
from .request import ALL_TASKS, DEFAULT_TASKS, ProcessFileRequest, TaskName, job_id_for
from .settings import FileProcessingSettings

__all__ = [
    "ALL_TASKS", "DEFAULT_TASKS", "FILE_PROCESSING_ATTEMPTS", "FILE_PROCESSING_QUEUE", "PROCESS_FILE_JOB",
    "FileProcessingSettings", "ProcessFileRequest", "TaskName", "aenqueue_file_processing",
    "enqueue_file_processing", "job_id_for", "process_file", "record_unreported_failure",
    "register_file_processing", "watch_file_failures",
]
