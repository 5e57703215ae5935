"""Every real sample file: header fields, derived values, and cross-checks between pairs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zstandard

from sequencehub.files.checksum import sha256_file
from sequencehub.files.fseq import read_fseq
from sequencehub.files.fseq_data import verify_channel_data
from sequencehub.files.metadata import METADATA_KEYS, inspect_file
from sequencehub.files.xsq import read_xsq

Sample = Callable[[str], Path]

# Values read from the files by hand (hex dumps and an independent decode) and cross-checked
# between the .fseq/.xsq pairs; see the report for how each was derived.
EXPECTED: dict[str, dict[str, Any]] = {
    "01": {
        "format": "fseq",
        "version": "1.0",
        "channels": 20,
        "frames": 4744,
        "step_ms": 50,
        "duration_s": 237.2,
        "compression": "none",
        "sparse_ranges": [],
        "block_count": 0,
        "media_file": "BBK_Merry_Christmas_Baby.ogg",
        "producer": None,
        "data_offset": 108,
        "variable_headers": ["mf"],
        "unique_id": None,
        "song": None,
        "models": None,
        "tesla_compatible": False,
    },
    "02": {
        "format": "xsq",
        "version": "2016.53",
        "step_ms": 50,
        "duration_s": 237.22,
        "media_file": "BBK_Merry_Christmas_Baby.ogg",
        "sequence_type": "Media",
        "song": None,
        "artist": None,
        "album": None,
        "models": 7,
        "timing_tracks": 4,
        "effects": 1042,
        "timing_track_names": ["Beat Count", "Bars", "Percussion", "Vocals"],
        "lyric_tracks": [],
        "legacy_table": False,
        "channels": None,
        "tesla_compatible": False,
    },
    "03": {
        "format": "fseq",
        "version": "2.0",
        "channels": 16,
        "frames": 10435,
        "step_ms": 20,
        "duration_s": 208.7,
        "compression": "none",
        "sparse_ranges": [],
        "block_slots": 0,
        "media_file": "Little Shop Of Horrors.mp3",
        "producer": "xLights Macintosh 2019.46",
        "data_offset": 136,
        "variable_headers": ["mf", "sp"],
        "unique_id": 1569569334256483,
        "render_time": "2019-09-27T07:28:54.256483+00:00",
        "tesla_compatible": False,
    },
    "04": {
        "format": "fseq",
        "version": "2.2",
        "channels": 200,
        "frames": 2205,
        "step_ms": 50,
        "duration_s": 110.25,
        "compression": "none",
        "sparse_ranges": [],
        "block_slots": 0,
        "media_file": "lightshow.mp3",
        "producer": "xLights Windows 2023.20 64bit",
        "data_offset": 168,
        "unique_id": 1703452124194000,
        "render_time": "2023-12-24T21:08:44.194000+00:00",
        "tesla_compatible": True,
        "tesla_issues": [],
    },
    "05": {
        "format": "xsq",
        "version": "2023.20",
        "step_ms": 50,
        "duration_s": 110.263,
        "media_file": "lightshow.mp3",
        "sequence_type": "Media",
        "song": None,
        "models": 101,
        "timing_tracks": 6,
        "effects": 1336,
        "timing_track_names": ["1", "2", "3", "Empty", "new lights", "4"],
        "tesla_compatible": False,
    },
    "06": {
        "format": "fseq",
        "version": "2.0",
        "channels": 30092,
        "frames": 1260,
        "step_ms": 25,
        "duration_s": 31.5,
        "compression": "zstd",
        "block_slots": 129,
        "block_count": 126,
        "sparse_ranges": [],
        "media_file": "Intro 2017.mp3",
        "producer": "xLights Windows 2020.54 64bit",
        "data_offset": 1164,
        "channel_data_bytes": 37_915_920,
        "tesla_compatible": False,
    },
    "07": {
        "format": "fseq",
        "version": "2.2",
        "channels": 452,
        "frames": 418,
        "step_ms": 50,
        "duration_s": 20.9,
        "compression": "zstd",
        "block_slots": 5,
        "block_count": 3,
        "sparse_ranges": [[0, 452]],
        "media_file": "tts_20251020_094228.mp3",
        "producer": "xLights Windows 2025.11 64bit",
        "data_offset": 168,
        "channel_data_bytes": 188_936,
        "tesla_compatible": False,
    },
    "08": {
        "format": "fseq",
        "version": "2.2",
        "channels": 15924,
        "frames": 2794,
        "step_ms": 50,
        "duration_s": 139.7,
        "compression": "zstd",
        "block_slots": 701,
        "block_count": 699,
        "sparse_ranges": [],
        "media_file": "joy_to_the_world.mp3",
        "producer": "xLights Macintosh 2025.12",
        "data_offset": 5780,
        "channel_data_bytes": 44_491_656,
        "variable_headers": ["mf", "sp", "ED", "ED", "ED"],
        "extended_data": [
            {"code": "XR", "length": 10713},
            {"code": "XN", "length": 145},
            {"code": "XS", "length": 5597},
        ],
        "song": "Joy to the World",
        "artist": "Pentatonix",
        "album": "That's Christmas To Me (Deluxe Edition)",
        "embedded_sequence_version": "2025.12",
        "models": 18,
        "timing_tracks": 2,
        "effects": 138,
        "timing_track_names": ["Notes", "beater"],
        "render_time": "2025-11-27T14:27:01.300819+00:00",
        "tesla_compatible": False,
    },
    "09": {
        "format": "xsq",
        "version": None,
        "legacy_table": True,
        "models": 1,
        "timing_tracks": 1,
        "effects": 22,
        "effects_per_model": {"MTREE": 22},
        "duration_s": 176.629,
        "step_ms": None,
        "media_file": None,
        "song": None,
        "tesla_compatible": False,
    },
    "10": {
        "format": "xsq",
        "version": "2023.17",
        "step_ms": 50,
        "duration_s": 203.807,
        "song": "Heat Miser Snow Miser",
        "artist": "Maury Laws and Jules Bass",
        "album": "The Year Without a Santa Claus",
        "media_file": "Snow Miser and Heat Miser.mp3",
        "models": 50,
        "timing_tracks": 4,
        "effects": 546,
        "lyric_tracks": ["MrsClaus", "Miser bros", "background"],
        "legacy_table": False,
        "tesla_compatible": False,
    },
}


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_sample_metadata(sample: Sample, number: str) -> None:
    metadata = inspect_file(sample(number))
    assert set(METADATA_KEYS) <= set(metadata)
    for key, expected in EXPECTED[number].items():
        assert metadata[key] == expected, f"sample {number}: {key}"
    json.dumps(metadata)  # JSON-ready


@pytest.mark.parametrize("number", ["01", "03", "04", "06", "07", "08"])
def test_fseq_samples_decompress_to_frames_times_channels(sample: Sample, number: str) -> None:
    info, check = verify_channel_data(sample(number))
    assert check.decompressed_bytes == info.frames * info.channels
    assert check.blocks_checked == len(info.blocks)


def test_provenance_checksums(samples_dir: Path) -> None:
    rows = re.findall(
        r"^\| (\S+) \|.*\| ([0-9a-f]{16})… \|$",
        (samples_dir / "PROVENANCE.md").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert len(rows) == 10
    for name, prefix in rows:
        assert sha256_file(samples_dir / name).startswith(prefix), name


def test_sample_07_block_index(sample: Sample) -> None:
    info = read_fseq(sample("07"))
    assert [(b.index, b.first_frame, b.length) for b in info.blocks] == [
        (0, 0, 664),
        (1, 10, 198),
        (2, 219, 101),
    ]
    assert [(r.start, r.count) for r in info.sparse_ranges] == [(0, 452)]


def test_sample_08_more_than_255_blocks(sample: Sample) -> None:
    raw = sample("08").read_bytes()
    assert raw[20] >> 4 == 2 and raw[21] == 0xBD  # 0x2BD = 701 slots: high nibble of byte 20
    info = read_fseq(sample("08"))
    assert info.block_slots == 701 and len(info.blocks) == 699
    assert info.blocks[-1].first_frame == 2792
    assert info.blocks[-1].offset + info.blocks[-1].length == 1_428_841  # XR payload follows


@pytest.mark.parametrize(("fseq", "xsq"), [("01", "02"), ("04", "05")])
def test_fseq_and_xsq_pairs_agree(sample: Sample, fseq: str, xsq: str) -> None:
    rendered = read_fseq(sample(fseq))
    sequence = read_xsq(sample(xsq))
    assert rendered.media_file == sequence.media_file
    assert rendered.step_ms == sequence.step_ms
    assert sequence.duration_s is not None
    # xLights renders floor(duration / step) frames
    assert rendered.frames == int(sequence.duration_s * 1000) // rendered.step_ms
    assert abs(rendered.duration_s - sequence.duration_s) < rendered.step_ms / 1000


def test_sample_08_agrees_with_its_embedded_sequence(sample: Sample) -> None:
    info = read_fseq(sample("08"))
    assert info.sequence is not None and info.sequence.duration_s == 139.736
    assert info.frames == int(info.sequence.duration_s * 1000) // info.step_ms
    assert info.sequence.media_file == info.media_file
    assert info.sequence.step_ms == info.step_ms


def test_private_paths_and_networks_never_leak(sample: Sample) -> None:
    raw = sample("08").read_bytes()
    networks = zstandard.ZstdDecompressor().decompress(raw[1_439_554 : 1_439_554 + 145])
    body = networks.split(b"?>", 1)[1]
    private = [value.decode() for value in re.findall(rb'="([^"]{4,})"', body)]
    assert private, "the XN sample should hold attribute values to look for"
    for number in ("01", "04", "07", "08", "10"):
        text = json.dumps(inspect_file(sample(number)))
        for value in private:
            assert value not in text
        for user in ("nashkaminski", "cplaskasovitis", "johnv", "rayandalice", "techplex", "Users"):
            assert user not in text, f"sample {number} leaks {user}"


def test_head_text_is_unescaped_once_more(sample: Sample) -> None:
    raw = zstandard.ZstdDecompressor().decompress(sample("08").read_bytes()[1_439_699 : 1_439_699 + 5597])
    assert b"That&amp;apos;s" in raw  # double-escaped in the file
    assert inspect_file(sample("08"))["album"] == "That's Christmas To Me (Deluxe Edition)"


def test_detection_ignores_extension(sample: Sample, tmp_path: Path) -> None:
    renamed = tmp_path / "upload.bin"
    renamed.write_bytes(sample("05").read_bytes())
    assert inspect_file(renamed)["format"] == "xsq"
    renamed.write_bytes(sample("07").read_bytes())
    assert inspect_file(renamed)["format"] == "fseq"
