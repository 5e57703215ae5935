"""The ``process-file`` job's data: ``{fileId, storageKey, tasks}``, checked when a job is added."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sequencehub.files.storage import check_key

TaskName = Literal["virus-scan", "metadata-extraction", "thumbnail-generation", "checksum", "image-optimisation"]
"""What a ``process-file`` job can do to a file."""

ALL_TASKS: tuple[TaskName, ...] = (
    "virus-scan", "metadata-extraction", "thumbnail-generation", "checksum", "image-optimisation")
DEFAULT_TASKS: tuple[TaskName, ...] = ("virus-scan", "metadata-extraction", "thumbnail-generation", "checksum")
"""The seed's tasks, plus the checksum every file gets."""

FILE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class ProcessFileRequest(BaseModel):
    """Job data of ``process-file``. Only ids and keys: settings and secrets come from the environment."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    file_id: str = Field(alias="fileId", pattern=FILE_ID_PATTERN,
                         description="The product file's id (letters, digits, '-' and '_', at most 64).")
    storage_key: str = Field(alias="storageKey", max_length=1000,
                             description="Where the upload is stored: a relative path inside the storage root.")
    tasks: list[TaskName] = Field(default_factory=lambda: list(DEFAULT_TASKS), min_length=1,
                                  description="Tasks to run; virus-scan always runs first.")
    priority: int | None = Field(default=None, ge=1, le=10,
                                 description="Job priority 1 (first) to 10; absent: 5 (new uploads: 3).")

    @field_validator("storage_key")
    @classmethod
    def _key_stays_inside_storage(cls, value: str) -> str:
        check_key(value)  # StorageKeyError is a ValueError: pydantic reports it on the field
        return value

    @field_validator("tasks")
    @classmethod
    def _tasks_once_each(cls, value: list[TaskName]) -> list[TaskName]:
        repeated = sorted({t for t in value if value.count(t) > 1})
        if repeated:
            raise ValueError(f"each task may be listed once; repeated: {', '.join(repeated)}")
        return value

    def ordered_tasks(self) -> list[TaskName]:
        """The tasks in the order they run: virus-scan first (nothing reads an unscanned file),
        the rest as given."""
        scan: list[TaskName] = ["virus-scan"] if "virus-scan" in self.tasks else []
        return scan + [t for t in self.tasks if t != "virus-scan"]

    def to_job_data(self) -> dict[str, object]:
        """The JSON job data, with the seed's field names."""
        data: dict[str, object] = {"fileId": self.file_id, "storageKey": self.storage_key, "tasks": list(self.tasks)}
        if self.priority is not None:
            data["priority"] = self.priority
        return data


def job_id_for(file_id: str) -> str:
    """The job id of a file's processing job, ``file-<fileId>``: the duplicate guard."""
    return f"file-{file_id}"


def file_id_from_job_id(job_id: str) -> str | None:
    """The file id inside a ``file-<fileId>`` job id, or None for any other id."""
    if not job_id.startswith("file-") or len(job_id) == len("file-"):
        return None
    return job_id[len("file-"):]
