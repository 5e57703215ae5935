"""Try the real ``process-file`` handler on a local file, as the app's ``testJobHandler`` does:
``sequencehub try process-file --file show.fseq [--tasks virus-scan,checksum]`` or, from Python,
:func:`try_process_file`.

A throw-away marketplace (SQLite in a temporary folder, removed afterwards) gets one product file
row pointing at a copy of the file; the handler runs in this process on a job built as a worker
would build it, and every progress update and log line is printed as it happens, then the result
(or the error) and the row's final status. Payload fields the app's example uses (``fileId``,
``storageKey``, ``tasks``, ``priority``) may be given as ``data``. A clamd configured with
``SEQUENCEHUB_CLAMD_SOCKET``/``SEQUENCEHUB_CLAMD_TCP`` scans the file; without one it is recorded as
not scanned.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from hubjobs import Job
from hubjobs.testing import make_job

from .db import open_database
from .models import Creator, Product, ProductFile
from .processing.handler import ProcessJob, process_file
from .processing.register import FILE_PROCESSING_QUEUE, PROCESS_FILE_JOB
from .processing.request import job_id_for
from .processing.settings import FileProcessingSettings

Printer = Callable[[str], None]
FILE_TYPES = {".fseq": "SEQUENCE", ".eseq": "SEQUENCE", ".xsq": "SEQUENCE", ".mp3": "AUDIO", ".wav": "AUDIO",
              ".mp4": "VIDEO", ".mov": "VIDEO", ".webm": "VIDEO", ".png": "IMAGE", ".jpg": "IMAGE",
              ".jpeg": "IMAGE", ".webp": "IMAGE"}


@dataclass
class TryRun:
    """What the handler did: its result or error, progress, log lines and the row's final status."""

    result: Any = None
    error: str | None = None
    progress: list[Any] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    status: str = ""

    @property
    def ok(self) -> bool:
        """True when the handler returned."""
        return self.error is None


class _PrintingReporter:
    """A JobReporter that prints and records what the handler reports."""

    def __init__(self, run: TryRun, out: Printer) -> None:
        self.run = run
        self.out = out

    async def report_progress(self, job: Job, progress: float | dict[str, Any]) -> None:
        self.run.progress.append(progress)
        self.out(f"Progress: {progress}%" if isinstance(progress, (int, float)) else f"Progress: {progress}")

    async def report_log(self, job: Job, line: str) -> None:
        self.run.logs.append(line)
        self.out(line)

    def call_sync(self, make: Callable[[], Awaitable[None]]) -> None:
        asyncio.run(_await(make))


async def _await(make: Callable[[], Awaitable[None]]) -> None:
    await make()


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def try_process_file(file: Path, tasks: Sequence[str] | None = None, *, data: dict[str, Any] | None = None,
                     out: Printer = print) -> TryRun:
    """Run ``process-file`` on `file` with a throw-away database row; see the module docstring."""
    if not file.is_file():
        raise FileNotFoundError(f"no such file: {file}")
    payload = dict(data or {})
    file_id = str(payload.get("fileId") or "try-file")
    key = str(payload.get("storageKey") or f"uploads/{file.name}")
    if tasks:
        payload["tasks"] = list(tasks)
    payload.update(fileId=file_id, storageKey=key)
    run = TryRun()
    with tempfile.TemporaryDirectory(prefix="sequencehub-try-") as folder:
        root = Path(folder)
        url = f"sqlite:///{root / 'marketplace.db'}"
        settings = FileProcessingSettings.from_env(database_url=url, storage_root=root / "storage")
        target = settings.storage_root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
        db = open_database(url)
        try:
            with db.session() as session:
                creator = Creator(display_name="Try", email="try@example.invalid")
                product = Product(creator=creator, title=file.stem, slug=f"try-{file_id}")
                session.add_all([creator, product,
                                 ProductFile(id=file_id, product=product, file_name=file.name, storage_key=key,
                                             file_type=FILE_TYPES.get(file.suffix.lower(), "OTHER"),
                                             size_bytes=file.stat().st_size)])
            out(f"Testing job handler: {PROCESS_FILE_JOB}")
            out(f"Job data: {payload}")
            job = make_job(payload, name=PROCESS_FILE_JOB, queue=FILE_PROCESSING_QUEUE, job_id=job_id_for(file_id))
            job.bind(_PrintingReporter(run, out))
            with _environment(settings.to_env()):
                try:
                    run.result = process_file(cast(ProcessJob, job))  # called from a thread: no awaitables
                    out(f"Job completed successfully: {run.result}")
                except Exception as exc:
                    run.error = f"{type(exc).__name__}: {exc}"
                    out(f"Job failed: {run.error}")
            with db.session() as session:
                row = session.get(ProductFile, file_id)
                run.status = str(row.processing_status) if row is not None else ""
            out(f"File status: {run.status}")
        finally:
            db.dispose()
    return run
