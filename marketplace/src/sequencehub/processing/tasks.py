"""The five tasks of ``process-file``. Each reads the upload through the storage, writes its results
to the file's row, and returns a JSON-ready summary plus one log line.

Errors that another try cannot fix are raised as :class:`PermanentFileError` (or
:class:`FileQuarantined`); anything else (clamd down, database busy...) propagates and the job retries.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from sequencehub.db import Database
from sequencehub.files.checksum import sha256_stream
from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.metadata import inspect_file
from sequencehub.files.scan import ClamdScanner, NoScanner, ScanError, Scanner, ScanStatus
from sequencehub.files.storage import FileStorage, LocalFileStorage, StorageNotFound
from sequencehub.files.thumbnails import (
    ImageFile,
    MediaFormatError,
    image_thumbnails,
    optimise_image,
    video_thumbnails,
)

from .errors import FileQuarantined, PermanentFileError
from .records import NOT_SCANNED, FileSnapshot, mark_quarantined, record_scan, update_file
from .request import TaskName
from .settings import FileProcessingSettings

log = logging.getLogger("sequencehub.processing")

SEQUENCE_TYPES = frozenset({"SEQUENCE"})
VIDEO_TYPES = frozenset({"VIDEO"})
IMAGE_TYPES = frozenset({"IMAGE"})
NOT_SCANNED_WARNING = "NOT SCANNED: no virus scanner is configured; this file was NOT checked for malware"

TaskResult = tuple[dict[str, Any], str]
"""(summary for the job's return value, log line)."""


@dataclass
class TaskContext:
    """One file being processed: where it is, what it is, and the services the tasks use."""

    snapshot: FileSnapshot
    storage_key: str
    settings: FileProcessingSettings
    db: Database
    storage: FileStorage
    scanner: Scanner
    job_id: str
    attempt: int
    metadata: dict[str, Any] = field(default_factory=dict)
    """The row's `file_metadata`, grown by the tasks (sequence fields, thumbnails, optimised copy)."""

    @property
    def file_id(self) -> str:
        """The product file's id."""
        return self.snapshot.id

    def derived_key(self, name: str) -> str:
        """Storage key of a file derived from this upload (thumbnail, optimised copy)."""
        return f"{self.settings.derived_prefix}/{self.file_id}/{name}"

    def save_metadata(self) -> None:
        """Write the grown metadata to the row."""
        update_file(self.db, self.file_id, file_metadata=dict(self.metadata))


def build_scanner(settings: FileProcessingSettings) -> Scanner:
    """clamd over the configured socket or TCP address, else NoScanner ("not scanned")."""
    if settings.clamd_socket:
        return ClamdScanner(socket_path=settings.clamd_socket, timeout=settings.scan_timeout)
    if (address := settings.clamd_address) is not None:
        return ClamdScanner(host=address[0], port=address[1], timeout=settings.scan_timeout)
    return NoScanner()


@contextmanager
def local_path(storage: FileStorage, key: str) -> Iterator[Path]:
    """A local file path holding the upload: the file itself for local storage, else a temporary copy."""
    if isinstance(storage, LocalFileStorage):
        path = storage.path(key)
        if not path.is_file():
            raise StorageNotFound(f"no file stored under {key!r}")
        yield path
        return
    suffix = PurePosixPath(key).suffix
    with tempfile.TemporaryDirectory(prefix="sequencehub-") as folder:
        copy = Path(folder) / f"upload{suffix}"
        with storage.open_read(key) as source, open(copy, "wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        yield copy


# --------------------------------------------------------------------- the tasks


def virus_scan(ctx: TaskContext) -> TaskResult:
    """Stream the upload to clamd. Infected: QUARANTINED and FileQuarantined. No scanner: NOT_SCANNED."""
    with ctx.storage.open_read(ctx.storage_key) as stream:
        try:
            result = ctx.scanner.scan_stream(stream)
        except ScanError as exc:
            record_scan(ctx.db, ctx.file_id, "ERROR", None)
            raise PermanentFileError(f"virus-scan: {exc}") from None
    if result.infected:
        mark_quarantined(ctx.db, ctx.file_id, signature=result.signature, detail=result.detail, job_id=ctx.job_id,
                         attempt=ctx.attempt)
        log.warning("file %s is infected (%s): quarantined", ctx.file_id, result.signature)
        raise FileQuarantined(ctx.file_id, result.signature)
    if result.status is ScanStatus.NOT_SCANNED:
        record_scan(ctx.db, ctx.file_id, NOT_SCANNED, None)
        log.warning("file %s: %s", ctx.file_id, NOT_SCANNED_WARNING)
        return ({"status": "not_scanned", "scanner": result.scanner, "warning": NOT_SCANNED_WARNING},
                f"virus-scan: WARNING {NOT_SCANNED_WARNING}")
    record_scan(ctx.db, ctx.file_id, "CLEAN", None)
    return {"status": "clean", "scanner": result.scanner}, f"virus-scan: clean ({result.scanner})"


def metadata_extraction(ctx: TaskContext) -> TaskResult:
    """Read a sequence file's metadata (all channel data verified, bounded) into `file_metadata`."""
    if ctx.snapshot.file_type not in SEQUENCE_TYPES:
        return _skipped("metadata-extraction", f"a {ctx.snapshot.file_type} file is not a sequence")
    with ctx.storage.open_read(ctx.storage_key) as stream:
        try:
            found = inspect_file(stream, verify=True)
        except SequenceFormatError as exc:
            raise PermanentFileError(
                f"metadata-extraction: {ctx.snapshot.file_name!r} is not a readable sequence file: {exc}") from None
        size = stream.seek(0, os.SEEK_END)
    ctx.metadata.update(found)
    update_file(ctx.db, ctx.file_id, file_metadata=dict(ctx.metadata), size_bytes=size)
    summary = {key: found.get(key) for key in ("format", "version", "channels", "frames", "step_ms", "duration_s",
                                               "compression", "tesla_compatible")}
    described = ", ".join(f"{k}={v}" for k, v in summary.items() if v is not None)
    return summary, f"metadata-extraction: {described}"


def thumbnail_generation(ctx: TaskContext) -> TaskResult:
    """Thumbnails of a preview video (frame at ~10 %) or image, written through the storage."""
    kind = ctx.snapshot.file_type
    if kind not in VIDEO_TYPES | IMAGE_TYPES:
        return _skipped("thumbnail-generation", f"a {kind} file has no preview image")
    s = ctx.settings
    with local_path(ctx.storage, ctx.storage_key) as source, \
            tempfile.TemporaryDirectory(prefix="sequencehub-thumbs-") as out:
        make: Callable[..., list[ImageFile]] = video_thumbnails if kind in VIDEO_TYPES else image_thumbnails
        try:
            written = make(source, out, s.thumbnail_sizes, s.thumbnail_format, s.thumbnail_quality)
        except MediaFormatError as exc:
            raise PermanentFileError(f"thumbnail-generation: {ctx.snapshot.file_name!r}: {exc}") from None
        thumbs = []
        for (box_w, box_h), image in zip(s.thumbnail_sizes, written):
            key = ctx.derived_key(f"thumbnail-{box_w}x{box_h}{image.path.suffix}")
            with open(image.path, "rb") as data:
                ctx.storage.write(key, data)
            thumbs.append({"key": key, "width": image.width, "height": image.height, "format": image.format,
                           "size_bytes": image.size_bytes})
    ctx.metadata["thumbnails"] = thumbs
    update_file(ctx.db, ctx.file_id, thumbnail_key=thumbs[0]["key"], file_metadata=dict(ctx.metadata))
    sizes = ", ".join(f"{t['width']}x{t['height']}" for t in thumbs)
    return {"thumbnails": thumbs}, f"thumbnail-generation: {len(thumbs)} {s.thumbnail_format} thumbnail(s) ({sizes})"


def image_optimisation(ctx: TaskContext) -> TaskResult:
    """An optimised copy of an image (orientation applied, metadata dropped, bounded size)."""
    if ctx.snapshot.file_type not in IMAGE_TYPES:
        return _skipped("image-optimisation", f"a {ctx.snapshot.file_type} file is not an image")
    with local_path(ctx.storage, ctx.storage_key) as source, \
            tempfile.TemporaryDirectory(prefix="sequencehub-optimise-") as out:
        try:
            image = optimise_image(source, out, max_side=ctx.settings.optimised_max_side)
        except MediaFormatError as exc:
            raise PermanentFileError(f"image-optimisation: {ctx.snapshot.file_name!r}: {exc}") from None
        key = ctx.derived_key(f"optimised{image.path.suffix}")
        with open(image.path, "rb") as data:
            ctx.storage.write(key, data)
    copy = {"key": key, "width": image.width, "height": image.height, "format": image.format,
            "size_bytes": image.size_bytes}
    ctx.metadata["optimised_image"] = copy
    ctx.save_metadata()
    return copy, f"image-optimisation: {image.width}x{image.height} {image.format}, {image.size_bytes} bytes"


def checksum(ctx: TaskContext) -> TaskResult:
    """Streaming SHA-256 of the upload."""
    with ctx.storage.open_read(ctx.storage_key) as stream:
        digest = sha256_stream(stream)
        size = stream.tell()
    update_file(ctx.db, ctx.file_id, checksum_sha256=digest, size_bytes=size)
    return {"sha256": digest, "size_bytes": size}, f"checksum: sha256 {digest}"


def _skipped(task: str, reason: str) -> TaskResult:
    return {"skipped": True, "reason": reason}, f"{task}: skipped ({reason})"


TASKS: Mapping[TaskName, Callable[[TaskContext], TaskResult]] = MappingProxyType({
    "virus-scan": virus_scan,
    "metadata-extraction": metadata_extraction,
    "thumbnail-generation": thumbnail_generation,
    "checksum": checksum,
    "image-optimisation": image_optimisation,
})
"""Task name -> implementation."""
