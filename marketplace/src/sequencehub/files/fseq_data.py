"""Channel data of an FSEQ/ESEQ file, decompressed block by block with bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.fseq import BlockEntry, FseqInfo, read_fseq_stream
from sequencehub.files.inflate import inflate_zlib, inflate_zstd
from sequencehub.files.limits import DEFAULT_LIMITS, SequenceLimits
from sequencehub.files.source import RangeReader, SourceLike, open_source


@dataclass(frozen=True)
class DataCheck:
    """Outcome of a full pass over the channel data: it decompressed to exactly frames × channels."""

    decompressed_bytes: int
    blocks_checked: int


def _block_frames(info: FseqInfo, position: int) -> tuple[int, int]:
    block = info.blocks[position]
    following = info.blocks[position + 1].first_frame if position + 1 < len(info.blocks) else info.frames
    return block.first_frame, min(following, info.frames)


def _inflate_block(
    stream: BinaryIO, info: FseqInfo, block: BlockEntry, expected: int, what: str, limits: SequenceLimits
) -> Iterator[bytes]:
    if info.compression == "zstd":
        return inflate_zstd(
            stream,
            block.offset,
            block.length,
            what=what,
            max_output=expected,
            chunk=limits.read_chunk_bytes,
            max_window=limits.max_zstd_window_bytes,
        )
    return inflate_zlib(
        stream, block.offset, block.length, what=what, max_output=expected, chunk=limits.read_chunk_bytes
    )


def iter_channel_data(
    stream: BinaryIO, info: FseqInfo, limits: SequenceLimits = DEFAULT_LIMITS
) -> Iterator[bytes]:
    """Yield all channel data in order (frames × channels bytes in all), in pieces of bounded size.

    A compressed block must inflate to exactly its frames × channels: more is refused as soon as it
    happens (a bomb costs one chunk), less is reported as a truncated or corrupt block.
    """
    if info.compression == "none":
        reader = RangeReader(stream, info.data_offset, info.channel_data_bytes)
        while piece := reader.read(limits.read_chunk_bytes):
            yield piece
        if reader.consumed != info.channel_data_bytes:
            raise SequenceFormatError(
                "file ends inside the channel data", offset=info.data_offset + reader.consumed
            )
        return
    for position, block in enumerate(info.blocks):
        first, end = _block_frames(info, position)
        expected = (end - first) * info.channels
        what = (
            f"block {block.index} (frames {first}-{end - 1} × {info.channels} channels, {block.length} bytes)"
        )
        produced = 0
        for piece in _inflate_block(stream, info, block, expected, what, limits):
            produced += len(piece)
            yield piece
        if produced != expected:
            raise SequenceFormatError(
                f"{what} decompressed to {produced} bytes, expected {expected}: truncated or corrupt block",
                offset=block.offset,
            )


def check_channel_data_stream(
    stream: BinaryIO, info: FseqInfo, limits: SequenceLimits = DEFAULT_LIMITS
) -> DataCheck:
    """Decompress every block of an open file and check the total is exactly frames × channels."""
    total = 0
    for piece in iter_channel_data(stream, info, limits):
        total += len(piece)
    if total != info.channel_data_bytes:
        raise SequenceFormatError(
            f"channel data decompressed to {total} bytes, expected frames × channels = "
            f"{info.frames} × {info.channels} = {info.channel_data_bytes}",
            offset=info.data_offset,
        )
    return DataCheck(decompressed_bytes=total, blocks_checked=len(info.blocks))


def verify_channel_data(
    source: SourceLike, limits: SequenceLimits = DEFAULT_LIMITS
) -> tuple[FseqInfo, DataCheck]:
    """Read an FSEQ/ESEQ file's metadata and verify all of its channel data, streamed."""
    with open_source(source) as stream:
        info = read_fseq_stream(stream, limits)
        return info, check_channel_data_stream(stream, info, limits)
