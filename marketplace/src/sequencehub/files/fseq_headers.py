"""FSEQ variable headers (``mf``, ``sp``, ``ED``, ``FC``, ...) and the embedded ``XS`` sequence.

Only codes, offsets and lengths are kept for every header; the texts of ``mf`` (reduced to a base
name) and ``sp`` are read, and the ``XS`` payload is decompressed straight into the XSQ reader.
``XN`` (controller addresses, computer name) is never read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

import zstandard

from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.inflate import inflate_zstd
from sequencehub.files.limits import SequenceLimits
from sequencehub.files.source import read_at
from sequencehub.files.textutil import c_string
from sequencehub.files.xsq import XsqInfo, XsqReader

ED_PAYLOAD = 14  # 2-char code, u64 offset, u32 length
ZSTD_FRAME_HEADER_MAX = 18


@dataclass(frozen=True)
class VariableHeader:
    """A variable header's code, where it sits and the length of its data (contents not kept)."""

    code: str
    offset: int
    length: int


@dataclass(frozen=True)
class ExtendedData:
    """An ``ED`` entry: a payload stored elsewhere in the file (``XS``, ``XN``, ``XR``...)."""

    code: str
    offset: int
    length: int
    header_offset: int


def parse_variable_headers(
    header: bytes, start: int, file_size: int
) -> tuple[tuple[VariableHeader, ...], tuple[ExtendedData, ...]]:
    """Walk the variable headers from ``start`` to the end of ``header`` (the channel data offset)."""
    headers: list[VariableHeader] = []
    extended: list[ExtendedData] = []
    end = len(header)
    at = start
    while at + 4 <= end:
        length = int(struct.unpack_from("<H", header, at)[0])
        if length <= 4:  # padding
            at += 4
            continue
        code = header[at + 2 : at + 4].decode("latin-1")
        if at + length > end:
            raise SequenceFormatError(
                f"variable header {code!r} claims {length} bytes, past the channel data offset {end}",
                offset=at,
            )
        headers.append(VariableHeader(code, at, length - 4))
        if code == "ED":
            extended.append(_parse_extended(header, at, length, file_size))
        at += length
    return tuple(headers), tuple(extended)


def _parse_extended(header: bytes, at: int, length: int, file_size: int) -> ExtendedData:
    if length - 4 < ED_PAYLOAD:
        raise SequenceFormatError(f"ED header has {length - 4} data bytes, needs {ED_PAYLOAD}", offset=at)
    code = header[at + 4 : at + 6].decode("latin-1")
    offset, payload = struct.unpack_from("<QI", header, at + 6)
    if offset + payload > file_size:
        raise SequenceFormatError(
            f"extended data {code!r}: payload at offset {offset} with length {payload} runs past the end of "
            f"the file ({file_size} bytes)",
            offset=at + 6,
        )
    return ExtendedData(code, int(offset), int(payload), at)


def text_header(header: bytes, headers: tuple[VariableHeader, ...], code: str) -> str | None:
    """The NUL-terminated text of the first header with ``code``, if any."""
    for item in headers:
        if item.code == code:
            return c_string(header[item.offset + 4 : item.offset + 4 + item.length]) or None
    return None


def read_embedded_xsq(
    stream: BinaryIO, extended: tuple[ExtendedData, ...], limits: SequenceLimits
) -> XsqInfo | None:
    """Decompress the ``XS`` payload, if there is one, piece by piece straight into the XSQ reader."""
    item = next((entry for entry in extended if entry.code == "XS" and entry.length > 0), None)
    if item is None:
        return None
    declared = _declared_zstd_size(stream, item)
    if declared is not None and declared > limits.max_embedded_xsq_bytes:
        raise SequenceFormatError(
            f"embedded XS sequence declares {declared} bytes, more than the limit of "
            f"{limits.max_embedded_xsq_bytes}",
            offset=item.offset,
        )
    reader = XsqReader()
    pieces = inflate_zstd(
        stream,
        item.offset,
        item.length,
        what="embedded XS sequence",
        max_output=limits.max_embedded_xsq_bytes,
        chunk=limits.read_chunk_bytes,
        max_window=limits.max_zstd_window_bytes,
    )
    try:
        for piece in pieces:
            reader.feed(piece)
        return reader.close()
    except SequenceFormatError as exc:
        if exc.offset is not None:
            raise
        raise SequenceFormatError(f"embedded XS sequence: {exc}", offset=item.offset) from None


def _declared_zstd_size(stream: BinaryIO, item: ExtendedData) -> int | None:
    """The content size in a zstd frame header, when the frame has one."""
    head = read_at(stream, item.offset, min(item.length, ZSTD_FRAME_HEADER_MAX), "the XS frame header")
    try:
        size = zstandard.get_frame_parameters(head).content_size
    except zstandard.ZstdError as exc:
        raise SequenceFormatError(
            f"embedded XS sequence is not valid zstd data: {exc}", offset=item.offset
        ) from None
    return None if size == zstandard.CONTENTSIZE_UNKNOWN else int(size)
