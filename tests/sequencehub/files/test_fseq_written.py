"""FSEQ files written by the tests: zstd and zlib blocks, >255 blocks, sparse ranges, ED payloads, ESEQ."""

from __future__ import annotations

import hashlib
import io
import json
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sequencehub.files.fseq import read_fseq
from sequencehub.files.fseq_data import iter_channel_data, verify_channel_data
from sequencehub.files.fseq_writer import write_fseq_v2
from sequencehub.files.metadata import inspect_file

Sample = Callable[[str], Path]


def frames(count: int, channels: int) -> Iterator[bytes]:
    """Deterministic frames with some structure (compressible, but not trivially)."""
    for number in range(count):
        seed = hashlib.sha256(number.to_bytes(4, "little")).digest()
        yield (
            (seed * (channels // len(seed) + 1))[:channels]
            if number % 3
            else bytes([number % 256]) * channels
        )


def expected_digest(count: int, channels: int) -> str:
    digest = hashlib.sha256()
    for frame in frames(count, channels):
        digest.update(frame)
    return digest.hexdigest()


def write(path: Path, count: int, channels: int, **options: object) -> Path:
    with open(path, "wb") as out:
        write_fseq_v2(
            out,
            frames(count, channels),
            channels=channels,
            frame_count=count,
            **options,  # type: ignore[arg-type]
        )
    return path


@pytest.mark.parametrize("compression", ["none", "zstd", "zlib"])
def test_blocks_decompress_to_exactly_frames_times_channels(tmp_path: Path, compression: str) -> None:
    path = write(tmp_path / f"{compression}.fseq", 1234, 517, compression=compression, frames_per_block=16)
    info, check = verify_channel_data(path)
    assert info.compression == compression
    assert check.decompressed_bytes == 1234 * 517
    with open(path, "rb") as stream:
        digest = hashlib.sha256()
        for piece in iter_channel_data(stream, info):
            digest.update(piece)
    assert digest.hexdigest() == expected_digest(1234, 517)


@pytest.mark.parametrize("compression", ["zstd", "zlib"])
def test_more_than_255_blocks(tmp_path: Path, compression: str) -> None:
    path = write(tmp_path / "many.fseq", 3000, 64, compression=compression, frames_per_block=10, step_ms=25)
    raw = path.read_bytes()
    assert raw[21] == 300 & 0xFF and raw[20] >> 4 == 1  # 300 slots: bit 8 in byte 20's high nibble
    info, check = verify_channel_data(path)
    assert info.block_slots == 300 and len(info.blocks) == 300
    assert info.blocks[-1].first_frame == 2990
    assert check.decompressed_bytes == 3000 * 64
    assert inspect_file(path)["duration_s"] == 75.0


def test_sparse_ranges(tmp_path: Path) -> None:
    path = write(tmp_path / "sparse.fseq", 50, 30, compression="zstd", sparse_ranges=[(100, 10), (500, 20)])
    metadata = inspect_file(path)
    assert metadata["sparse_ranges"] == [[100, 10], [500, 20]]
    assert metadata["channels"] == 30


def test_unused_index_slots_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "spare.fseq", 20, 10, compression="zstd", frames_per_block=8, spare_slots=4)
    info, check = verify_channel_data(path)
    assert info.block_slots == 7 and [b.first_frame for b in info.blocks] == [0, 8, 16]
    assert check.decompressed_bytes == 200


def test_extended_data_xs_is_read_and_xn_never_kept(tmp_path: Path, sample: Sample) -> None:
    networks = b'<Networks computer="SELLERS-LAPTOP"><Controller IP="10.1.2.3" Name="Garage"/></Networks>'
    path = tmp_path / "ed.fseq"
    with open(path, "wb") as out:
        write_fseq_v2(
            out,
            frames(100, 48),
            channels=48,
            frame_count=100,
            compression="none",
            media_file="C:\\Users\\seller\\Music\\song.mp3",
            extended=[("XN", networks), ("XS", sample("10").read_bytes())],
        )
    metadata = inspect_file(path)
    assert metadata["version"] == "2.2"
    assert metadata["song"] == "Heat Miser Snow Miser"
    assert metadata["models"] == 50 and metadata["effects"] == 546
    assert metadata["lyric_tracks"] == ["MrsClaus", "Miser bros", "background"]
    assert metadata["media_file"] == "song.mp3"
    assert metadata["tesla_compatible"] is True
    assert [e["code"] for e in metadata["extended_data"]] == ["XN", "XS"]
    text = json.dumps(metadata)
    for secret in ("SELLERS-LAPTOP", "10.1.2.3", "Garage", "seller\\"):
        assert secret not in text


def test_unix_media_path_is_reduced(tmp_path: Path) -> None:
    path = tmp_path / "m.fseq"
    with open(path, "wb") as out:
        write_fseq_v2(
            out, frames(5, 8), channels=8, frame_count=5, media_file="/home/someone/Show/Jingle.mp3"
        )
    assert read_fseq(path).media_file == "Jingle.mp3"


def eseq_bytes(channels: int, count: int, start: int = 101, models: int = 1) -> bytes:
    header = b"ESEQ" + bytes([models, 0, 0, 0]) + struct.pack("<III", channels, start, channels)
    return header + b"".join(frames(count, channels))


def test_eseq(tmp_path: Path) -> None:
    path = tmp_path / "effect.eseq"
    path.write_bytes(eseq_bytes(90, 40))
    metadata = inspect_file(path)
    assert metadata["format"] == "eseq"
    assert (metadata["channels"], metadata["frames"], metadata["step_ms"]) == (90, 40, 50)
    assert metadata["duration_s"] == 2.0
    assert metadata["sparse_ranges"] == [[100, 90]]
    assert metadata["eseq_model_count"] == 1
    assert metadata["tesla_compatible"] is False


def test_stream_input(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    write_fseq_v2(buffer, frames(30, 16), channels=16, frame_count=30, compression="zlib")
    buffer.seek(0)
    assert inspect_file(buffer)["compression"] == "zlib"
