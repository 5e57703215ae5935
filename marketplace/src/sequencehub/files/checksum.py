"""Streaming SHA-256 of files and streams (constant memory)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1024 * 1024


def sha256_stream(stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> str:
    """Hex SHA-256 of everything left to read in ``stream``, read in chunks."""
    digest = hashlib.sha256()
    while piece := stream.read(chunk_bytes):
        digest.update(piece)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike[str], chunk_bytes: int = CHUNK_BYTES) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    with open(Path(path), "rb") as stream:
        return sha256_stream(stream, chunk_bytes)
