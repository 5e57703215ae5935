"""Random access to a file's bytes without loading it whole."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sequencehub.files.errors import SequenceFormatError

SourceLike = str | os.PathLike[str] | BinaryIO


@contextmanager
def open_source(source: SourceLike) -> Iterator[BinaryIO]:
    """Yield a seekable binary stream for a path or an already open stream (left open)."""
    if isinstance(source, (str, os.PathLike)):
        with open(Path(source), "rb") as stream:
            yield stream
    else:
        if not source.seekable():
            raise ValueError("the stream must be seekable to read sequence metadata")
        yield source


def stream_size(stream: BinaryIO) -> int:
    """Size in bytes of a seekable stream (its position is left unchanged)."""
    here = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(here)
    return size


def read_at(stream: BinaryIO, offset: int, length: int, what: str) -> bytes:
    """Read exactly ``length`` bytes at ``offset``, or fail naming ``what`` was being read."""
    stream.seek(offset)
    data = stream.read(length)
    if len(data) != length:
        raise SequenceFormatError(
            f"file ends while reading {what}: needed {length} bytes, got {len(data)}", offset=offset
        )
    return data


class RangeReader(io.RawIOBase):
    """A read-only view of ``length`` bytes at ``offset`` of another stream."""

    def __init__(self, stream: BinaryIO, offset: int, length: int) -> None:
        super().__init__()
        self._stream = stream
        self._offset = offset
        self._end = offset + length
        self._pos = offset

    def readable(self) -> bool:
        """Always true: this is a read-only view."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` from the range; 0 at its end."""
        want = min(len(buffer), self._end - self._pos)
        if want <= 0:
            return 0
        self._stream.seek(self._pos)
        data = self._stream.read(want)
        if not data:
            raise SequenceFormatError("file ends inside a data block", offset=self._pos)
        n = len(data)
        memoryview(buffer)[:n] = data
        self._pos += n
        return n

    @property
    def consumed(self) -> int:
        """Bytes of the range read so far."""
        return self._pos - self._offset
