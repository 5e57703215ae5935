"""A small streaming FSEQ v2 writer: test inputs, benchmarks and demo files.

Writes the layout xLights and FPP write: 32-byte header, block index, sparse ranges, variable
headers (``mf``, ``sp``, ``ED``), channel data in blocks (each block its own zstd frame without a
content size, or its own zlib stream), then ``ED`` payloads, zstd-compressed with their size in
the frame header. Frames are consumed one at a time, so a large file never sits in memory.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Sequence
from typing import BinaryIO, Protocol

import zstandard

from sequencehub.files.fseq import INDEX_ENTRY, SPARSE_ENTRY, V2_HEADER, Compression

MAX_BLOCKS = 0xFFF
_CODES = {"none": 0, "zstd": 1, "zlib": 2}


class _BlockCompressor(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


def _variable_header(code: str, data: bytes) -> bytes:
    return struct.pack("<H", len(data) + 4) + code.encode("latin-1") + data


def _build_header(
    *,
    data_offset: int,
    minor: int,
    channels: int,
    frame_count: int,
    step_ms: int,
    compression: Compression,
    index: Sequence[tuple[int, int]],
    slots: int,
    sparse_ranges: Sequence[tuple[int, int]],
    variable: bytes,
    unique_id: int,
) -> bytes:
    header_len = V2_HEADER + INDEX_ENTRY * slots + SPARSE_ENTRY * len(sparse_ranges)
    fixed = struct.pack(
        "<4sHBBHIIBBBBBxQ",
        b"PSEQ",
        data_offset,
        minor,
        2,
        header_len,
        channels,
        frame_count,
        step_ms,
        0,
        _CODES[compression] | ((slots >> 8) << 4),
        slots & 0xFF,
        len(sparse_ranges),
        unique_id,
    )
    entries = b"".join(struct.pack("<II", first, length) for first, length in index)
    entries += bytes(INDEX_ENTRY * (slots - len(index)))
    ranges = b"".join(
        start.to_bytes(3, "little") + count.to_bytes(3, "little") for start, count in sparse_ranges
    )
    body = fixed + entries + ranges + variable
    return body + bytes(data_offset - len(body))


def _new_compressor(compression: Compression, level: int) -> _BlockCompressor:
    if compression == "zstd":
        return zstandard.ZstdCompressor(level=level, write_content_size=False).compressobj()
    return zlib.compressobj(level)


def write_fseq_v2(
    target: BinaryIO,
    frames: Iterable[bytes],
    *,
    channels: int,
    frame_count: int,
    step_ms: int = 50,
    compression: Compression = "none",
    frames_per_block: int = 10,
    minor: int = 2,
    media_file: str | None = None,
    producer: str | None = "SequenceHUB fseq writer",
    sparse_ranges: Sequence[tuple[int, int]] = (),
    extended: Sequence[tuple[str, bytes]] = (),
    unique_id: int = 0,
    level: int = 1,
    spare_slots: int = 0,
) -> None:
    """Write an FSEQ v2 file to a seekable ``target`` from ``frame_count`` frames of ``channels`` bytes.

    ``extended`` holds (code, raw payload) pairs stored through ``ED`` headers (zstd-compressed);
    ``spare_slots`` adds unused (zero-length) index slots, as xLights does.
    """
    if not 1 <= step_ms <= 255:
        raise ValueError(f"step_ms must be 1..255, got {step_ms}")
    slots = 0 if compression == "none" else -(-frame_count // frames_per_block) + spare_slots
    if slots > MAX_BLOCKS:
        raise ValueError(f"{slots} blocks needed, at most {MAX_BLOCKS} fit: raise frames_per_block")

    # Header size is known up front: ED entries have a fixed size, their offsets are patched in later.
    def variable(ed_offsets: Sequence[tuple[int, int]]) -> bytes:
        parts = []
        if media_file is not None:
            parts.append(_variable_header("mf", media_file.encode() + b"\0"))
        if producer is not None:
            parts.append(_variable_header("sp", producer.encode() + b"\0"))
        for (code, _), (offset, length) in zip(extended, ed_offsets):
            parts.append(_variable_header("ED", code.encode("latin-1") + struct.pack("<QI", offset, length)))
        return b"".join(parts)

    placeholder = variable([(0, 0)] * len(extended))
    raw = V2_HEADER + INDEX_ENTRY * slots + SPARSE_ENTRY * len(sparse_ranges) + len(placeholder)
    data_offset = (raw + 3) // 4 * 4
    if data_offset > 0xFFFF:
        raise ValueError(f"header of {data_offset} bytes does not fit the u16 channel data offset")
    base = target.tell()
    target.write(bytes(data_offset))
    index = _write_channel_data(target, frames, channels, frame_count, compression, frames_per_block, level)
    ed_offsets = []
    for _code, payload in extended:
        packed = zstandard.ZstdCompressor(level=3, write_content_size=True).compress(payload)
        ed_offsets.append((target.tell() - base, len(packed)))
        target.write(packed)
    end = target.tell()
    target.seek(base)
    target.write(
        _build_header(
            data_offset=data_offset,
            minor=minor,
            channels=channels,
            frame_count=frame_count,
            step_ms=step_ms,
            compression=compression,
            index=index,
            slots=slots,
            sparse_ranges=sparse_ranges,
            variable=variable(ed_offsets),
            unique_id=unique_id,
        )
    )
    target.seek(end)


def _write_channel_data(
    target: BinaryIO,
    frames: Iterable[bytes],
    channels: int,
    frame_count: int,
    compression: Compression,
    frames_per_block: int,
    level: int,
) -> list[tuple[int, int]]:
    index: list[tuple[int, int]] = []
    compressor: _BlockCompressor | None = None
    block_start = block_first = 0
    written = 0
    for number, frame in enumerate(frames):
        if len(frame) != channels:
            raise ValueError(f"frame {number} has {len(frame)} bytes, expected {channels}")
        if number >= frame_count:
            raise ValueError(f"more than frame_count={frame_count} frames given")
        if compression == "none":
            target.write(frame)
        else:
            if compressor is None:
                compressor, block_first, block_start = (
                    _new_compressor(compression, level),
                    number,
                    target.tell(),
                )
            target.write(compressor.compress(frame))
            if number + 1 - block_first == frames_per_block:
                target.write(compressor.flush())
                index.append((block_first, target.tell() - block_start))
                compressor = None
        written += 1
    if compressor is not None:
        target.write(compressor.flush())
        index.append((block_first, target.tell() - block_start))
    if written != frame_count:
        raise ValueError(f"{written} frames given, frame_count says {frame_count}")
    return index
