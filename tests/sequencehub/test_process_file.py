"""The ``process-file`` job end to end: a real engine (SQLite), a real marketplace database (SQLite),
real files in a local storage folder, a real clamd, and the handler in real child processes."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image
from sqlalchemy import select

from hubjobs import App, Backoff, InvalidJobData, Job, JobEvent, JobState
from sequencehub.db import Database, open_database
from sequencehub.files.checksum import sha256_file
from sequencehub.files.fseq_writer import write_fseq_v2
from sequencehub.files.metadata import inspect_file
from sequencehub.files.storage import LocalFileStorage
from sequencehub.models import AuditLog, Creator, ProcessingStatus, Product, ProductFile
from sequencehub.processing import (
    FILE_PROCESSING_QUEUE,
    PROCESS_FILE_JOB,
    FileProcessingSettings,
    enqueue_file_processing,
    record_unreported_failure,
    register_file_processing,
    watch_file_failures,
)
from tests.helpers import running_worker, wait_until
from tests.sequencehub.marketplace_support import marketplace_url

Sample = Callable[[str], Path]
SEQUENCE_TASKS = ["virus-scan", "metadata-extraction", "checksum"]

# The billion-laughs entity expansion attack, as an upload.
XML_BOMB = b'<?xml version="1.0"?>\n<!DOCTYPE xsequence [\n  <!ENTITY lol "lol">\n' + b"".join(
    f'  <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'.encode()
    for n in range(1, 10)) + b"]>\n<xsequence><head><song>&lol9;</song></head></xsequence>\n"


@pytest.fixture(autouse=True)
def restore_environ() -> Iterator[None]:
    """register_file_processing exports its settings to os.environ (for the child processes):
    put the environment back after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@dataclass
class Harness:
    """An engine App with the file-processing job registered, its marketplace database and storage."""

    app: App
    db: Database
    settings: FileProcessingSettings
    storage: LocalFileStorage
    product_id: str

    def add_file(self, key: str, content: bytes | Path, file_type: str = "SEQUENCE") -> str:
        """Store an upload under `key` and create its product file row (PENDING); returns the id."""
        data = content.read_bytes() if isinstance(content, Path) else content
        self.storage.write(key, data)
        return self.add_row(key, file_type)

    def add_row(self, key: str, file_type: str = "SEQUENCE") -> str:
        """Only the product file row (for uploads placed by the test itself)."""
        with self.db.session() as session:
            row = ProductFile(product_id=self.product_id, file_name=key.rsplit("/", 1)[-1], storage_key=key,
                              file_type=file_type)
            session.add(row)
            session.flush()
            return row.id

    def enqueue(self, file_id: str, tasks: list[str] | None = None, **options: Any) -> Job:
        return enqueue_file_processing(self.app, file_id, self.row(file_id).storage_key, tasks,  # type: ignore[arg-type]
                                       **options)

    def run_until_idle(self) -> None:
        """A worker in this process until no file-processing job is left."""
        worker = self.app.worker(FILE_PROCESSING_QUEUE, install_signals=False, lease=10.0)
        watch_file_failures(worker, self.settings)
        worker.run(burst=True)

    def row(self, file_id: str) -> ProductFile:
        with self.db.session() as session:
            found = session.get(ProductFile, file_id)
            assert found is not None
            return found

    def audits(self, file_id: str, action: str | None = None) -> list[AuditLog]:
        with self.db.session() as session:
            query = select(AuditLog).where(AuditLog.entity_id == file_id).order_by(AuditLog.id)
            if action is not None:
                query = query.where(AuditLog.action == action)
            return list(session.scalars(query))

    def job(self, file_id: str) -> Job:
        found = self.app.get_queue(FILE_PROCESSING_QUEUE).get(f"file-{file_id}")
        assert found is not None
        return found

    def job_log(self, file_id: str) -> list[str]:
        return [entry.line for entry in self.app.get_queue(FILE_PROCESSING_QUEUE).logs(f"file-{file_id}")]


@pytest.fixture
def make_harness(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    """Build a Harness; keyword arguments override FileProcessingSettings fields."""
    made: list[Harness] = []

    def make(**overrides: Any) -> Harness:
        number = len(made)
        db = open_database(marketplace_url(tmp_path, f"market{number}"))
        with db.session() as session:
            creator = Creator(display_name="Seller", email="seller@example.test")
            product = Product(creator=creator, title="Show", slug=f"show-{number}")
            session.add_all([creator, product])
            session.flush()
            product_id = product.id
        settings = FileProcessingSettings(database_url=db.url, storage_root=tmp_path / f"storage{number}",
                                          **overrides)
        app = App(f"sqlite:///{tmp_path / f'jobs{number}.db'}")
        register_file_processing(app, settings)
        harness = Harness(app, db, settings, LocalFileStorage(settings.storage_root), product_id)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.app.close()
        harness.db.dispose()


def metadata_without_blobs(metadata: dict[str, Any]) -> None:
    text = json.dumps(metadata)
    assert "<Networks" not in text and "Palmers-Mac-Mini" not in text  # the XN blob of sample 08


# --------------------------------------------------------------------- registration and producers


def test_queue_and_handler_follow_the_design(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(job_timeout=120.0)
    queue = h.app.get_queue(FILE_PROCESSING_QUEUE)
    options = queue.options_for(PROCESS_FILE_JOB)
    assert options.attempts == 3
    assert options.backoff == Backoff.exponential(2.0)
    assert (options.remove_on_complete.count, options.remove_on_complete.age) == (100, 24 * 3600)
    assert (options.remove_on_fail.count, options.remove_on_fail.age) == (1000, None)
    assert options.timeout == 120.0
    assert queue.defaults.concurrency == 3
    spec = h.app.handlers[(FILE_PROCESSING_QUEUE, PROCESS_FILE_JOB)]
    assert spec.process and spec.import_path == "sequencehub.processing.handler:process_file"
    # the child processes will read these settings from the environment
    assert FileProcessingSettings.from_env() == h.settings


@pytest.mark.parametrize("data, field_name", [
    ({"fileId": "a", "storageKey": "../outside.fseq", "tasks": ["checksum"]}, "storageKey"),
    ({"fileId": "a", "storageKey": "/etc/passwd", "tasks": ["checksum"]}, "storageKey"),
    ({"fileId": "a", "storageKey": "a/b.fseq", "tasks": ["virus-scan", "virus-scan"]}, "tasks"),
    ({"fileId": "a", "storageKey": "a/b.fseq", "tasks": ["transcode"]}, "tasks.0"),
    ({"fileId": "a", "storageKey": "a/b.fseq", "tasks": []}, "tasks"),
    ({"fileId": "../a", "storageKey": "a/b.fseq", "tasks": ["checksum"]}, "fileId"),
    ({"fileId": "a", "storageKey": "a/b.fseq", "tasks": ["checksum"], "userId": "x"}, "userId"),
])
def test_bad_job_data_is_refused_when_added(make_harness: Callable[..., Harness], data: dict[str, Any],
                                            field_name: str) -> None:
    h = make_harness()
    with pytest.raises(InvalidJobData) as caught:
        h.app.get_queue(FILE_PROCESSING_QUEUE).add(PROCESS_FILE_JOB, data, job_id="file-a")
    assert repr(field_name) in str(caught.value)
    assert h.app.get_queue(FILE_PROCESSING_QUEUE).counts()["waiting"] == 0


def test_duplicate_enqueue_of_a_file_is_one_job(make_harness: Callable[..., Harness], sample: Sample) -> None:
    h = make_harness()
    file_id = h.add_file("uploads/reindeer.fseq", sample("07"))
    first = h.enqueue(file_id, ["metadata-extraction", "checksum"])
    second = h.enqueue(file_id, ["metadata-extraction", "checksum"])
    assert first.id == second.id == f"file-{file_id}"
    assert h.app.get_queue(FILE_PROCESSING_QUEUE).counts()["waiting"] == 1
    h.run_until_idle()
    again = h.enqueue(file_id, ["metadata-extraction", "checksum"])
    assert again.state is JobState.COMPLETED and again.attempts_made == 1
    assert h.app.get_queue(FILE_PROCESSING_QUEUE).counts()["waiting"] == 0
    assert len(h.audits(file_id, "FILE_PROCESSED")) == 1


# --------------------------------------------------------------------- the real samples


def test_every_sample_is_processed_with_its_metadata(make_harness: Callable[..., Harness], samples_dir: Path,
                                                     clamd: Any) -> None:
    h = make_harness(clamd_socket=str(clamd.socket_path))
    paths = sorted(p for p in samples_dir.iterdir() if p.name[:2].isdigit())
    assert len(paths) == 10
    ids = {path.name: h.add_file(f"uploads/{path.name}", path) for path in paths}
    for file_id in ids.values():
        h.enqueue(file_id, SEQUENCE_TASKS)
    h.run_until_idle()

    for path in paths:
        file_id = ids[path.name]
        row = h.row(file_id)
        assert row.processing_status == ProcessingStatus.COMPLETED, (path.name, row.processing_error)
        assert row.processing_error is None and row.processed_at is not None
        assert row.file_metadata == inspect_file(path), path.name
        metadata_without_blobs(row.file_metadata)
        assert row.checksum_sha256 == sha256_file(path)
        assert row.size_bytes == path.stat().st_size
        assert (row.scan_result, row.scan_signature) == ("CLEAN", None) and row.scanned_at is not None
        job = h.job(file_id)
        assert job.state is JobState.COMPLETED and job.attempts_made == 1 and job.progress == 100
        assert job.result["success"] is True and job.result["fileId"] == file_id
        assert job.result["tasksCompleted"] == len(SEQUENCE_TASKS) and job.result["tasks"] == SEQUENCE_TASKS
        assert list(job.result["results"]) == SEQUENCE_TASKS
        assert job.result["results"]["virus-scan"]["status"] == "clean"
        assert job.result["results"]["checksum"]["sha256"] == row.checksum_sha256
        log_lines = h.job_log(file_id)
        for task in SEQUENCE_TASKS:
            assert sum(line.startswith(f"{task}:") for line in log_lines) == 1, (task, log_lines)
            assert log_lines.count(f"Completed: {task}") == 1, (task, log_lines)
        [audit] = h.audits(file_id, "FILE_PROCESSED")
        assert audit.metadata_dict is not None and audit.metadata_dict["attempts"] == 1

    by_number = {path.name[:2]: h.row(ids[path.name]).file_metadata or {} for path in paths}
    assert {k: by_number["01"][k] for k in ("format", "version", "channels", "frames", "step_ms")} == {
        "format": "fseq", "version": "1.0", "channels": 20, "frames": 4744, "step_ms": 50}
    assert by_number["02"]["format"] == "xsq" and by_number["02"]["effects"] == 1042
    assert by_number["04"]["tesla_compatible"] is True
    assert by_number["08"]["compression"] == "zstd" and by_number["08"]["embedded_sequence"] is True
    assert by_number["09"]["legacy_table"] is True


# --------------------------------------------------------------------- bad uploads


def test_corrupt_uploads_fail_at_once_and_the_worker_carries_on(make_harness: Callable[..., Harness],
                                                               sample: Sample, clamd: Any) -> None:
    h = make_harness(clamd_socket=str(clamd.socket_path))
    truncated = h.add_file("uploads/truncated.fseq", sample("08").read_bytes()[:700_000])
    bomb = h.add_file("uploads/bomb.xsq", XML_BOMB)
    good = h.add_file("uploads/good.fseq", sample("07"))
    for file_id in (truncated, bomb, good):
        h.enqueue(file_id, SEQUENCE_TASKS)
    h.run_until_idle()

    for file_id, expected in ((truncated, "byte offset"), (bomb, "DTD")):
        row = h.row(file_id)
        assert row.processing_status == ProcessingStatus.FAILED
        assert row.file_metadata is None and row.checksum_sha256 is None
        assert row.processing_error is not None and expected in row.processing_error
        assert "is not a readable sequence file" in row.processing_error
        job = h.job(file_id)
        assert job.state is JobState.FAILED and job.attempts_made == 1  # no retry for a corrupt file
        assert job.failed_reason is not None and expected in job.failed_reason
        [audit] = h.audits(file_id, "SECURITY_ALERT")
        assert audit.entity_type == "file-processing" and audit.details is not None
        assert list(json.loads(audit.details)) == ["error", "attempts"]  # the app's metadata string
        assert audit.metadata_dict is not None
        assert audit.metadata_dict["attempts"] == 1 and expected in audit.metadata_dict["error"]
        assert any(line.startswith("Failed: metadata-extraction - ") for line in h.job_log(file_id))
    assert h.row(good).processing_status == ProcessingStatus.COMPLETED
    assert h.job(good).state is JobState.COMPLETED


def test_eicar_is_quarantined_and_never_read(make_harness: Callable[..., Harness], clamd: Any,
                                             eicar: bytes) -> None:
    h = make_harness(clamd_socket=str(clamd.socket_path))
    file_id = h.add_file("uploads/show.fseq", eicar)
    h.enqueue(file_id, ["checksum", "metadata-extraction", "virus-scan"])  # the scan still runs first
    h.run_until_idle()

    row = h.row(file_id)
    assert row.processing_status == ProcessingStatus.QUARANTINED
    assert row.scan_result == "INFECTED" and row.scan_signature is not None and "Test.EICAR" in row.scan_signature
    assert row.file_metadata is None and row.checksum_sha256 is None
    job = h.job(file_id)
    assert job.state is JobState.FAILED and job.attempts_made == 1
    assert job.failed_reason is not None and "quarantined" in job.failed_reason
    # one alert: the failure listener leaves a quarantine alone
    [audit] = h.audits(file_id, "SECURITY_ALERT")
    assert audit.metadata_dict is not None and "Test.EICAR" in audit.metadata_dict["error"]
    assert not any("metadata-extraction:" in line or "checksum:" in line for line in h.job_log(file_id))


def test_storage_key_leading_out_of_the_root_fails_clearly(make_harness: Callable[..., Harness],
                                                           tmp_path: Path) -> None:
    h = make_harness()
    outside = tmp_path / "outside.fseq"
    outside.write_bytes(b"secret")
    (h.settings.storage_root / "uploads").mkdir(parents=True)
    (h.settings.storage_root / "uploads" / "link.fseq").symlink_to(outside)
    file_id = h.add_row("uploads/link.fseq")
    h.enqueue(file_id, ["checksum"])
    h.run_until_idle()

    row = h.row(file_id)
    assert row.processing_status == ProcessingStatus.FAILED and row.checksum_sha256 is None
    assert row.processing_error is not None and "resolves outside the storage root" in row.processing_error
    job = h.job(file_id)
    assert job.state is JobState.FAILED and job.attempts_made == 1
    [audit] = h.audits(file_id, "SECURITY_ALERT")
    assert audit.metadata_dict is not None and "outside the storage root" in audit.metadata_dict["error"]


def test_missing_row_or_mismatched_key_is_refused(make_harness: Callable[..., Harness], sample: Sample) -> None:
    h = make_harness()
    file_id = h.add_file("uploads/a.fseq", sample("07"))
    h.storage.write("uploads/b.fseq", sample("07").read_bytes())
    enqueue_file_processing(h.app, file_id, "uploads/b.fseq", ["checksum"])
    enqueue_file_processing(h.app, "nosuchfile", "uploads/a.fseq", ["checksum"])
    h.run_until_idle()

    assert h.row(file_id).processing_status == ProcessingStatus.FAILED
    assert "is not the storage key of file" in (h.job(file_id).failed_reason or "")
    assert h.job(file_id).attempts_made == 1
    missing = h.job("nosuchfile")
    assert missing.attempts_made == 1 and "no product file with id 'nosuchfile'" in (missing.failed_reason or "")


# --------------------------------------------------------------------- the scanner


@pytest.fixture
def socket_link() -> Iterator[Path]:
    """A short path (Unix sockets are limited to ~100 characters) for a symlink to a clamd socket."""
    folder = Path(tempfile.mkdtemp(prefix="fpsock-"))
    yield folder / "clamd.sock"
    shutil.rmtree(folder, ignore_errors=True)


def point(link: Path, target: Path) -> None:
    temporary = link.with_name("next.sock")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    os.replace(temporary, link)


async def test_clamd_stopped_fails_the_try_which_succeeds_once_clamd_is_back(
        make_harness: Callable[..., Harness], clamd_factory: Callable[..., Any], socket_link: Path,
        sample: Sample) -> None:
    first = clamd_factory()
    point(socket_link, first.socket_path)
    first.stop()
    h = make_harness(clamd_socket=str(socket_link))
    file_id = h.add_file("uploads/reindeer.fseq", sample("07"))
    h.enqueue(file_id, SEQUENCE_TASKS, backoff=Backoff.fixed(3600))  # retried only when promoted
    queue = h.app.get_queue(FILE_PROCESSING_QUEUE)

    async with running_worker(h.app, FILE_PROCESSING_QUEUE) as worker:
        watch_file_failures(worker, h.settings)

        async def retrying() -> bool:
            job = await queue.aget(f"file-{file_id}")
            return job is not None and job.state is JobState.DELAYED and job.attempts_made == 1

        await wait_until(retrying, what="the first try to fail")
        row = h.row(file_id)
        assert row.processing_status == ProcessingStatus.PENDING
        assert row.processing_error is not None and "cannot be reached" in row.processing_error
        assert "try 1 of 3 failed, will retry" in row.processing_error
        assert h.audits(file_id, "SECURITY_ALERT") == []

        point(socket_link, clamd_factory().socket_path)
        await queue.apromote(f"file-{file_id}")

        async def completed() -> bool:
            job = await queue.aget(f"file-{file_id}")
            return job is not None and job.state is JobState.COMPLETED

        await wait_until(completed, what="the second try to succeed")

    job = h.job(file_id)
    assert job.attempts_made == 2 and job.result["success"] is True
    assert "ScannerUnavailable" in job.errors[0].message
    row = h.row(file_id)
    assert row.processing_status == ProcessingStatus.COMPLETED and row.scan_result == "CLEAN"
    assert row.processing_error is None


def test_clamd_stopped_for_good_fails_after_three_tries(make_harness: Callable[..., Harness],
                                                       clamd_factory: Callable[..., Any], sample: Sample) -> None:
    daemon = clamd_factory()
    daemon.stop()
    h = make_harness(clamd_socket=str(daemon.socket_path))
    h.app.queue(FILE_PROCESSING_QUEUE, backoff=Backoff.exponential(0.05))  # keep the test fast
    file_id = h.add_file("uploads/reindeer.fseq", sample("07"))
    h.enqueue(file_id, SEQUENCE_TASKS)
    h.run_until_idle()

    job = h.job(file_id)
    assert job.state is JobState.FAILED and job.attempts_made == 3
    assert [e.attempt for e in job.errors] == [1, 2, 3]
    assert all("cannot be reached" in e.message for e in job.errors)
    row = h.row(file_id)
    assert row.processing_status == ProcessingStatus.FAILED and row.file_metadata is None
    assert row.processing_error is not None and "cannot be reached" in row.processing_error
    [audit] = h.audits(file_id, "SECURITY_ALERT")
    assert audit.metadata_dict is not None and audit.metadata_dict["attempts"] == 3


def test_without_a_scanner_the_file_is_recorded_as_not_scanned(make_harness: Callable[..., Harness],
                                                               sample: Sample) -> None:
    h = make_harness()
    assert h.settings.clamd_socket is None and h.settings.clamd_tcp is None
    file_id = h.add_file("uploads/reindeer.fseq", sample("07"))
    h.enqueue(file_id, SEQUENCE_TASKS)
    h.run_until_idle()

    row = h.row(file_id)
    assert row.processing_status == ProcessingStatus.COMPLETED
    assert row.scan_result == "NOT_SCANNED" and row.scanned_at is None
    scan = h.job(file_id).result["results"]["virus-scan"]
    assert scan["status"] == "not_scanned" and "NOT SCANNED" in scan["warning"]
    assert any("WARNING" in line and "NOT SCANNED" in line for line in h.job_log(file_id))


# --------------------------------------------------------------------- preview media


def make_video(path: Path, width: int = 320, height: int = 240, frames: int = 20) -> None:
    """An MPEG-4 video, 10 frames a second, whose frames darken to bright over time."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for number in range(frames):
            image = Image.new("RGB", (width, height), (min(255, 12 * number), 40, 200))
            for packet in stream.encode(av.VideoFrame.from_image(image)):  # type: ignore[no-untyped-call]
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_preview_video_and_image_get_thumbnails(make_harness: Callable[..., Harness], tmp_path: Path,
                                                clamd: Any) -> None:
    h = make_harness(clamd_socket=str(clamd.socket_path), thumbnail_sizes=((160, 160), (64, 64)),
                     thumbnail_format="webp")
    video_path = tmp_path / "preview.mp4"
    make_video(video_path)
    png = io.BytesIO()
    Image.new("RGBA", (800, 600), (10, 200, 30, 255)).save(png, "PNG")
    video = h.add_file("previews/preview.mp4", video_path, "VIDEO")
    image = h.add_file("previews/cover.png", png.getvalue(), "IMAGE")
    tasks = ["virus-scan", "metadata-extraction", "thumbnail-generation", "image-optimisation", "checksum"]
    h.enqueue(video, tasks)
    h.enqueue(image, tasks)
    h.run_until_idle()

    row = h.row(video)
    assert row.processing_status == ProcessingStatus.COMPLETED, row.processing_error
    assert row.thumbnail_key == f"derived/{video}/thumbnail-160x160.webp"
    with Image.open(h.storage.path(row.thumbnail_key)) as thumb:
        assert thumb.format == "WEBP" and thumb.size == (160, 120)
        red, _green, blue = thumb.convert("RGB").getpixel((80, 60))  # type: ignore[misc]
        assert blue > 150 and red < 100  # a frame near 10 %, not the bright end
    assert row.file_metadata is not None
    assert [(t["width"], t["height"], t["format"]) for t in row.file_metadata["thumbnails"]] == [
        (160, 120, "webp"), (64, 48, "webp")]
    results = h.job(video).result["results"]
    assert results["metadata-extraction"]["skipped"] and results["image-optimisation"]["skipped"]

    row = h.row(image)
    assert row.processing_status == ProcessingStatus.COMPLETED, row.processing_error
    assert row.thumbnail_key is not None
    with Image.open(h.storage.path(row.thumbnail_key)) as thumb:
        assert thumb.format == "WEBP" and thumb.size == (160, 120)
    assert row.file_metadata is not None
    optimised = row.file_metadata["optimised_image"]
    with Image.open(h.storage.path(optimised["key"])) as copy:
        assert copy.format == "PNG" and copy.size == (800, 600)


def test_corrupt_preview_video_fails_without_retry(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    file_id = h.add_file("previews/broken.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, "VIDEO")
    h.enqueue(file_id, ["thumbnail-generation"])
    h.run_until_idle()
    assert h.row(file_id).processing_status == ProcessingStatus.FAILED
    job = h.job(file_id)
    assert job.attempts_made == 1 and "thumbnail-generation" in (job.failed_reason or "")


# --------------------------------------------------------------------- failures the handler cannot report


def test_a_try_killed_on_timeout_is_recorded_by_the_worker(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(job_timeout=2.0)
    (h.settings.storage_root / "uploads").mkdir(parents=True)
    os.mkfifo(h.settings.storage_root / "uploads" / "stuck.fseq")  # reading it blocks: no writer ever comes
    file_id = h.add_row("uploads/stuck.fseq")
    h.enqueue(file_id, ["checksum"], attempts=1)
    h.run_until_idle()

    job = h.job(file_id)
    assert job.state is JobState.FAILED and "timed out" in (job.failed_reason or "")
    row = h.row(file_id)
    assert row.processing_status == ProcessingStatus.FAILED
    assert row.processing_error is not None and "timed out" in row.processing_error
    [audit] = h.audits(file_id, "SECURITY_ALERT")
    assert audit.metadata_dict is not None and audit.metadata_dict["attempts"] == 1


def test_failure_listener_leaves_recorded_outcomes_alone(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    file_id = h.add_row("uploads/x.fseq")
    event = JobEvent("failed", FILE_PROCESSING_QUEUE, f"file-{file_id}", None,
                     {"error": "ProcessDied: exit code -9", "attempt": 2})
    assert record_unreported_failure(h.settings, event) is True
    assert record_unreported_failure(h.settings, event) is False  # already FAILED: nothing more
    assert h.row(file_id).processing_status == ProcessingStatus.FAILED
    assert len(h.audits(file_id, "SECURITY_ALERT")) == 1
    other = replace(event, queue="email")
    assert record_unreported_failure(h.settings, other) is False


def test_settings_round_trip_through_the_environment() -> None:
    settings = FileProcessingSettings(database_url="sqlite:///x.db", storage_root=Path("/srv/files"),
                                      clamd_tcp="127.0.0.1:3310", thumbnail_sizes=((100, 50),),
                                      thumbnail_format="jpeg", job_timeout=30.0)
    assert FileProcessingSettings.from_env(settings.to_env()) == settings
    assert settings.clamd_address == ("127.0.0.1", 3310)
    with pytest.raises(ValueError, match="SEQUENCEHUB_THUMBNAIL_SIZES entry 'big'"):
        FileProcessingSettings.from_env({"SEQUENCEHUB_THUMBNAIL_SIZES": "big"})
    with pytest.raises(ValueError, match="SEQUENCEHUB_CLAMD_TCP"):
        FileProcessingSettings(clamd_tcp="localhost")


def test_written_fseq_with_zlib_blocks_is_processed(make_harness: Callable[..., Harness]) -> None:
    h = make_harness()
    buffer = io.BytesIO()
    write_fseq_v2(buffer, (bytes([n % 256]) * 48 for n in range(300)), channels=48, frame_count=300,
                  step_ms=20, compression="zlib", frames_per_block=25)
    file_id = h.add_file("uploads/zlib.fseq", buffer.getvalue())
    h.enqueue(file_id, ["metadata-extraction"])
    h.run_until_idle()
    metadata = h.row(file_id).file_metadata
    assert metadata is not None
    assert (metadata["compression"], metadata["channels"], metadata["frames"]) == ("zlib", 48, 300)
    assert metadata["data_verified"] is True
