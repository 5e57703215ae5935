"""Outcomes of a file-processing try that end the job at once, without another try."""

from __future__ import annotations


class PermanentFileError(Exception):
    """The file cannot be processed and trying again will not change that (corrupt file, key
    outside the storage, missing upload...). The job marks the file FAILED and does not retry."""


class FileQuarantined(Exception):
    """The virus scanner found a signature: the file is QUARANTINED and nothing else reads it."""

    def __init__(self, file_id: str, signature: str | None) -> None:
        self.file_id = file_id
        self.signature = signature
        super().__init__(f"file {file_id!r} is infected ({signature or 'unknown signature'}) and was quarantined; "
                         "no further tasks ran")
