"""Where uploaded files live: a small interface and a local-folder implementation.

A storage key is a relative path with ``/`` separators. Keys that could reach outside the storage
root (``..`` parts, absolute paths, drive letters, backslashes, NUL bytes, symlinks leading out)
are refused with :class:`StorageKeyError`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

COPY_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


class StorageKeyError(ValueError):
    """A storage key that is malformed or would escape the storage root."""


class StorageNotFound(FileNotFoundError):
    """No file is stored under the key."""


@runtime_checkable
class FileStorage(Protocol):
    """What the file-processing jobs need from a file store."""

    def open_read(self, key: str) -> AbstractContextManager[BinaryIO]:
        """Open the file under ``key`` for binary reading (seekable)."""
        ...

    def write(self, key: str, data: bytes | BinaryIO) -> None:
        """Store ``data`` (bytes or a readable stream) under ``key``, replacing any old file atomically."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the file under ``key``; no error if it is already gone."""
        ...

    def size(self, key: str) -> int:
        """Size in bytes of the file under ``key``."""
        ...


def check_key(key: str) -> list[str]:
    """Validate a storage key and return its path parts; raise StorageKeyError naming the problem."""
    if not isinstance(key, str) or not key:
        raise StorageKeyError(f"storage key must be a non-empty string, got {key!r}")
    if "\0" in key:
        raise StorageKeyError(f"storage key {key!r} contains a NUL byte")
    if "\\" in key:
        raise StorageKeyError(f"storage key {key!r} contains a backslash; use '/' separators")
    if key.startswith("/") or _DRIVE.match(key):
        raise StorageKeyError(
            f"storage key {key!r} is an absolute path; keys are relative to the storage root"
        )
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise StorageKeyError(f"storage key {key!r} has an empty, '.' or '..' part: it could escape the root")
    return parts


class LocalFileStorage:
    """Files in a local folder; the storage key is a path inside it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        """The file path for ``key``, guaranteed inside the root (symlinks included)."""
        candidate = self.root.joinpath(*check_key(key))
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise StorageKeyError(f"storage key {key!r} resolves outside the storage root")
        return candidate

    def open_read(self, key: str) -> AbstractContextManager[BinaryIO]:
        """Open the file under ``key`` for binary reading."""
        target = self.path(key)
        try:
            return open(target, "rb")
        except FileNotFoundError:
            raise StorageNotFound(f"no file stored under {key!r}") from None

    def write(self, key: str, data: bytes | BinaryIO) -> None:
        """Store ``data`` under ``key`` atomically (temporary file in the same folder, then rename)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.path(key)  # re-check: a parent created above must not be a link leading out
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, COPY_CHUNK)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def exists(self, key: str) -> bool:
        """Whether a regular file is stored under ``key``."""
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file under ``key`` (nothing happens if it is not there)."""
        self.path(key).unlink(missing_ok=True)

    def size(self, key: str) -> int:
        """Size in bytes of the file under ``key``."""
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise StorageNotFound(f"no file stored under {key!r}") from None
