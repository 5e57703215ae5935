"""Streaming reader of FSEQ (v1.0, v2.0-2.2) and ESEQ sequence files.

Only the header area (at most 64 KiB, the channel data offset is a u16) and the embedded ``XS``
sequence are read to get metadata; channel data is checked block by block by
:func:`verify_channel_data` in :mod:`sequencehub.files.fseq_data`. The ``XN`` networks payload is
never read: only its code, offset and length are kept.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, Literal

from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.fseq_headers import (
    ExtendedData,
    VariableHeader,
    parse_variable_headers,
    read_embedded_xsq,
    text_header,
)
from sequencehub.files.limits import DEFAULT_LIMITS, SequenceLimits
from sequencehub.files.source import SourceLike, open_source, read_at, stream_size
from sequencehub.files.textutil import base_name
from sequencehub.files.xsq import XsqInfo

__all__ = [
    "BlockEntry",
    "Compression",
    "ExtendedData",
    "FseqInfo",
    "SparseRange",
    "VariableHeader",
    "read_fseq",
    "read_fseq_stream",
]

Compression = Literal["none", "zstd", "zlib"]
COMPRESSIONS: dict[int, Compression] = {0: "none", 1: "zstd", 2: "zlib"}
FSEQ_MAGICS = (b"PSEQ", b"FSEQ")
ESEQ_MAGIC = b"ESEQ"
V1_HEADER = 28
V2_HEADER = 32
ESEQ_HEADER = 20
ESEQ_STEP_MS = 50
INDEX_ENTRY = 8
SPARSE_ENTRY = 6
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Render times outside this window are not shown as dates (the id is then just a number).
_PLAUSIBLE_US = (946_684_800_000_000, 4_102_444_800_000_000)  # 2000-01-01 .. 2100-01-01


@dataclass(frozen=True)
class BlockEntry:
    """One used slot of the v2 block index: frames from ``first_frame`` stored at ``offset``."""

    index: int
    first_frame: int
    offset: int
    length: int
    entry_offset: int


@dataclass(frozen=True)
class SparseRange:
    """Channels ``start`` (0-based) .. ``start + count - 1`` are the ones stored in the file."""

    start: int
    count: int


@dataclass(frozen=True)
class FseqInfo:
    """Header facts of an FSEQ or ESEQ file; :attr:`sequence` is the embedded ``XS`` sequence, if any."""

    format: Literal["fseq", "eseq"]
    major: int | None
    minor: int | None
    file_size: int
    data_offset: int
    channels: int
    frames: int
    step_ms: int
    compression: Compression
    block_slots: int
    blocks: tuple[BlockEntry, ...]
    sparse_ranges: tuple[SparseRange, ...]
    media_file: str | None
    producer: str | None
    unique_id: int | None
    variable_headers: tuple[VariableHeader, ...]
    extended_data: tuple[ExtendedData, ...]
    sequence: XsqInfo | None
    eseq_model_count: int | None = None

    @property
    def version(self) -> str | None:
        """``"1.0"``, ``"2.2"``...; None for ESEQ, which has no version field."""
        return None if self.major is None else f"{self.major}.{self.minor}"

    @property
    def duration_s(self) -> float:
        """Frames × step time, in seconds."""
        return round(self.frames * self.step_ms / 1000, 3)

    @property
    def block_count(self) -> int:
        """Number of used (non-empty) blocks; :attr:`block_slots` counts the index slots."""
        return len(self.blocks)

    @property
    def variable_header_codes(self) -> tuple[str, ...]:
        """Codes of the variable headers, in file order (``mf``, ``sp``, ``ED``...)."""
        return tuple(item.code for item in self.variable_headers)

    @property
    def extended_data_codes(self) -> tuple[str, ...]:
        """Codes of the ``ED`` payloads (``XS``, ``XN``, ``XR``...); their contents are not kept."""
        return tuple(item.code for item in self.extended_data)

    @property
    def channel_data_bytes(self) -> int:
        """Frames × channels: the size of all channel data once decompressed."""
        return self.frames * self.channels

    @property
    def render_time(self) -> datetime | None:
        """The unique id read as a render time (µs since the Unix epoch), when it is plausible."""
        if self.unique_id is None or not _PLAUSIBLE_US[0] <= self.unique_id < _PLAUSIBLE_US[1]:
            return None
        return _EPOCH + timedelta(microseconds=self.unique_id)


@dataclass(frozen=True)
class _HeaderArea:
    """Everything up to the channel data offset, plus the fields every version shares."""

    stream: BinaryIO
    data: bytes
    size: int
    channels: int
    frames: int
    step_ms: int
    minor: int
    limits: SequenceLimits

    @property
    def data_offset(self) -> int:
        return len(self.data)


def _u16(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", data, at)[0])


def _u32(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", data, at)[0])


def _u24(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 3], "little")


def read_fseq(source: SourceLike, limits: SequenceLimits = DEFAULT_LIMITS) -> FseqInfo:
    """Read the metadata of an FSEQ/ESEQ file (path or seekable stream); raises SequenceFormatError."""
    with open_source(source) as stream:
        return read_fseq_stream(stream, limits)


def read_fseq_stream(stream: BinaryIO, limits: SequenceLimits = DEFAULT_LIMITS) -> FseqInfo:
    """Like :func:`read_fseq` on an open seekable binary stream."""
    size = stream_size(stream)
    if size < 4:
        raise SequenceFormatError(f"file is {size} bytes long: too short for a sequence header", offset=0)
    magic = read_at(stream, 0, 4, "the magic")
    if magic == ESEQ_MAGIC:
        return _read_eseq(stream, size, limits)
    if magic not in FSEQ_MAGICS:
        raise SequenceFormatError(
            f"bad magic {magic!r}: not an FSEQ file (expected PSEQ, FSEQ or ESEQ)", offset=0
        )
    if size < 8:
        raise SequenceFormatError("file ends before the version bytes (6-7)", offset=size)
    fixed = read_at(stream, 0, 8, "the version")
    major, minor = fixed[7], fixed[6]
    if major not in (1, 2):
        raise SequenceFormatError(f"unknown FSEQ major version {major} (only 1 and 2 exist)", offset=7)
    header_size = V1_HEADER if major == 1 else V2_HEADER
    if size < header_size:
        raise SequenceFormatError(
            f"file ends inside the {header_size}-byte v{major} header (file has {size} bytes)", offset=size
        )
    data_offset = _u16(fixed, 4)
    if data_offset < header_size:
        raise SequenceFormatError(
            f"channel data offset {data_offset} lies inside the {header_size}-byte fixed header", offset=4
        )
    if data_offset > size:
        raise SequenceFormatError(
            f"channel data offset {data_offset} is past the end of the file ({size} bytes)", offset=4
        )
    header = read_at(stream, 0, data_offset, "the header")
    area = _HeaderArea(stream, header, size, _u32(header, 10), _u32(header, 14), header[18], minor, limits)
    _check_geometry(area.channels, area.frames, area.step_ms, limits)
    return _finish_v1(area) if major == 1 else _finish_v2(area)


def _check_geometry(channels: int, frames: int, step_ms: int, limits: SequenceLimits) -> None:
    if channels == 0 and frames > 0:
        raise SequenceFormatError("channel count is 0 but the file has frames", offset=10)
    if step_ms == 0:
        raise SequenceFormatError("step time is 0 ms", offset=18)
    if frames * channels > limits.max_channel_data_bytes:
        raise SequenceFormatError(
            f"frames × channels = {frames} × {channels} = {frames * channels} bytes exceeds the limit "
            f"of {limits.max_channel_data_bytes} bytes",
            offset=10,
        )


def _check_uncompressed_size(size: int, data_offset: int, channels: int, frames: int) -> None:
    end = data_offset + frames * channels
    if end > size:
        raise SequenceFormatError(
            f"channel data ({frames} frames × {channels} channels = {frames * channels} bytes from offset "
            f"{data_offset}) runs past the end of the file ({size} bytes): the file is truncated",
            offset=data_offset,
        )


def _finish_v1(area: _HeaderArea) -> FseqInfo:
    var_start = _u16(area.data, 8)
    if not V1_HEADER <= var_start <= area.data_offset:
        var_start = V1_HEADER  # as FPP does: variable headers follow the 28-byte header
    _check_uncompressed_size(area.size, area.data_offset, area.channels, area.frames)
    return _build(
        area, major=1, compression="none", slots=0, blocks=(), ranges=(), var_start=var_start, unique_id=None
    )


def _finish_v2(area: _HeaderArea) -> FseqInfo:
    header, data_offset = area.data, area.data_offset
    compression_code = header[20] & 0x0F
    if compression_code not in COMPRESSIONS:
        raise SequenceFormatError(
            f"unknown compression type {compression_code} (0 none, 1 zstd, 2 zlib)", offset=20
        )
    compression = COMPRESSIONS[compression_code]
    slots = header[21] | ((header[20] >> 4) << 8)
    sparse_count = header[22]
    index_end = V2_HEADER + INDEX_ENTRY * slots + SPARSE_ENTRY * sparse_count
    if index_end > data_offset:
        raise SequenceFormatError(
            f"block index ({slots} slots × {INDEX_ENTRY} bytes) and sparse ranges ({sparse_count} × "
            f"{SPARSE_ENTRY} bytes) from offset {V2_HEADER} end at {index_end}, past the channel data "
            f"offset {data_offset}" + (" and the end of the file" if index_end > area.size else ""),
            offset=21,
        )
    ranges = _parse_sparse_ranges(header, V2_HEADER + INDEX_ENTRY * slots, sparse_count, area.channels)
    if compression == "none":
        _check_uncompressed_size(area.size, data_offset, area.channels, area.frames)
        blocks: tuple[BlockEntry, ...] = ()
    else:
        blocks = _parse_block_index(header, slots, data_offset, area.size, area.frames)
    unique_id = int(struct.unpack_from("<Q", header, 24)[0])
    return _build(
        area,
        major=2,
        compression=compression,
        slots=slots,
        blocks=blocks,
        ranges=ranges,
        var_start=index_end,
        unique_id=unique_id,
    )


def _build(
    area: _HeaderArea,
    *,
    major: int,
    compression: Compression,
    slots: int,
    blocks: tuple[BlockEntry, ...],
    ranges: tuple[SparseRange, ...],
    var_start: int,
    unique_id: int | None,
) -> FseqInfo:
    headers, extended = parse_variable_headers(area.data, var_start, area.size)
    media = text_header(area.data, headers, "mf")
    return FseqInfo(
        format="fseq",
        major=major,
        minor=area.minor,
        file_size=area.size,
        data_offset=area.data_offset,
        channels=area.channels,
        frames=area.frames,
        step_ms=area.step_ms,
        compression=compression,
        block_slots=slots,
        blocks=blocks,
        sparse_ranges=ranges,
        media_file=(base_name(media) or None) if media else None,
        producer=text_header(area.data, headers, "sp"),
        unique_id=unique_id,
        variable_headers=headers,
        extended_data=extended,
        sequence=read_embedded_xsq(area.stream, extended, area.limits),
    )


def _parse_sparse_ranges(header: bytes, start: int, count: int, channels: int) -> tuple[SparseRange, ...]:
    ranges = tuple(
        SparseRange(_u24(header, start + SPARSE_ENTRY * i), _u24(header, start + SPARSE_ENTRY * i + 3))
        for i in range(count)
    )
    if ranges and sum(r.count for r in ranges) != channels:
        raise SequenceFormatError(
            f"sparse ranges add up to {sum(r.count for r in ranges)} channels but the header says {channels}",
            offset=start,
        )
    return ranges


def _parse_block_index(
    header: bytes, slots: int, data_offset: int, size: int, frames: int
) -> tuple[BlockEntry, ...]:
    blocks: list[BlockEntry] = []
    cursor = data_offset
    for slot in range(slots):
        at = V2_HEADER + INDEX_ENTRY * slot
        first, length = _u32(header, at), _u32(header, at + 4)
        if length == 0:
            continue
        if blocks and first <= blocks[-1].first_frame:
            raise SequenceFormatError(
                f"block {slot} starts at frame {first}, not after the previous block's frame "
                f"{blocks[-1].first_frame}",
                offset=at,
            )
        if not blocks and first != 0:
            raise SequenceFormatError(f"the first data block starts at frame {first}, not 0", offset=at)
        if first >= frames:
            raise SequenceFormatError(
                f"block {slot} starts at frame {first}, past the {frames} frames", offset=at
            )
        if cursor + length > size:
            raise SequenceFormatError(
                f"block {slot} length {length} overruns the file: its data would span "
                f"{cursor}..{cursor + length} "
                f"but the file has {size} bytes",
                offset=at + 4,
            )
        blocks.append(BlockEntry(slot, first, cursor, length, at))
        cursor += length
    if frames > 0 and not blocks:
        raise SequenceFormatError("compressed file has no data blocks in its block index", offset=V2_HEADER)
    return tuple(blocks)


def _read_eseq(stream: BinaryIO, size: int, limits: SequenceLimits) -> FseqInfo:
    if size < ESEQ_HEADER:
        raise SequenceFormatError(
            f"file ends inside the {ESEQ_HEADER}-byte ESEQ header ({size} bytes)", offset=size
        )
    header = read_at(stream, 0, ESEQ_HEADER, "the ESEQ header")
    model_count, channels = header[4], _u32(header, 8)
    start_channel, model_size = _u32(header, 12), _u32(header, 16)
    if channels == 0:
        raise SequenceFormatError("ESEQ channel count is 0", offset=8)
    data = size - ESEQ_HEADER
    if data % channels:
        raise SequenceFormatError(
            f"ESEQ data ({data} bytes) is not a whole number of {channels}-channel frames", offset=ESEQ_HEADER
        )
    frames = data // channels
    _check_geometry(channels, frames, ESEQ_STEP_MS, limits)
    ranges = (SparseRange(start_channel - 1 if start_channel else 0, model_size),)
    return FseqInfo(
        format="eseq",
        major=None,
        minor=None,
        file_size=size,
        data_offset=ESEQ_HEADER,
        channels=channels,
        frames=frames,
        step_ms=ESEQ_STEP_MS,
        compression="none",
        block_slots=0,
        blocks=(),
        sparse_ranges=ranges,
        media_file=None,
        producer=None,
        unique_id=None,
        variable_headers=(),
        extended_data=(),
        sequence=None,
        eseq_model_count=model_count,
    )
