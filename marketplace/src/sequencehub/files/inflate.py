"""Bounded, streamed decompression of one zstd or zlib stream lying in a byte range of a file.

Output comes in pieces of at most ``chunk`` bytes and never past ``max_output``: a stream that
would inflate further is refused as soon as it crosses the bound, so a decompression bomb
costs at most one chunk of memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import IO, BinaryIO, cast

import zstandard

from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.source import RangeReader

ZLIB_INPUT_CHUNK = 64 * 1024


def inflate_zstd(
    stream: BinaryIO,
    offset: int,
    length: int,
    *,
    what: str,
    max_output: int,
    chunk: int,
    max_window: int,
) -> Iterator[bytes]:
    """Yield the decompressed bytes of the zstd frame(s) at ``offset``; at most ``max_output`` in all."""
    decompressor = zstandard.ZstdDecompressor(max_window_size=max_window)
    source = RangeReader(stream, offset, length)
    reader = decompressor.stream_reader(
        cast(IO[bytes], source), read_size=min(chunk, 256 * 1024), read_across_frames=True
    )
    produced = 0
    try:
        while True:
            piece = reader.read(min(chunk, max_output - produced + 1))
            if not piece:
                return
            produced += len(piece)
            if produced > max_output:
                raise SequenceFormatError(
                    f"{what} inflates past its {max_output} expected bytes "
                    "(decompression bomb or corrupt data)",
                    offset=offset,
                )
            yield piece
    except zstandard.ZstdError as exc:
        raise SequenceFormatError(f"{what} is not valid zstd data: {exc}", offset=offset) from None


def inflate_zlib(
    stream: BinaryIO,
    offset: int,
    length: int,
    *,
    what: str,
    max_output: int,
    chunk: int,
) -> Iterator[bytes]:
    """Yield the decompressed bytes of the zlib stream at ``offset``; at most ``max_output`` in all."""
    decompressor = zlib.decompressobj()
    source = RangeReader(stream, offset, length)
    produced = 0
    try:
        while not decompressor.eof:
            pending = source.read(ZLIB_INPUT_CHUNK)
            if not pending:
                break
            while pending and not decompressor.eof:
                piece = decompressor.decompress(pending, min(chunk, max_output - produced + 1))
                pending = decompressor.unconsumed_tail
                produced += len(piece)
                if produced > max_output:
                    raise SequenceFormatError(
                        f"{what} inflates past its {max_output} expected bytes "
                        "(decompression bomb or corrupt data)",
                        offset=offset,
                    )
                if piece:
                    yield piece
    except zlib.error as exc:
        raise SequenceFormatError(f"{what} is not valid zlib data: {exc}", offset=offset) from None
    if not decompressor.eof:
        raise SequenceFormatError(f"{what}: the zlib stream is truncated", offset=offset)
    if decompressor.unused_data or source.consumed < length:
        raise SequenceFormatError(f"{what}: unexpected bytes after the end of the zlib stream", offset=offset)
