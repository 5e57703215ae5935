"""One entry point for a product page: ``inspect_file(path)`` -> a JSON-ready metadata dict.

The format is detected from the content (magic bytes, XML sniffing), not from the extension.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.fseq import ESEQ_MAGIC, FSEQ_MAGICS, FseqInfo, read_fseq_stream
from sequencehub.files.fseq_data import DataCheck, check_channel_data_stream
from sequencehub.files.limits import DEFAULT_LIMITS, SequenceLimits
from sequencehub.files.source import SourceLike, open_source
from sequencehub.files.xsq import XsqInfo, read_xsq_stream

DetectedFormat = Literal["fseq", "eseq", "xml"]
TESLA_CHANNELS = (48, 200)
TESLA_MIN_STEP_MS = 15
TESLA_MAX_DURATION_S = 4 * 3600
_XML_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

#: Keys every result has, whatever the format (None where a format has no such thing).
METADATA_KEYS = (
    "format",
    "version",
    "channels",
    "frames",
    "step_ms",
    "duration_s",
    "compression",
    "sparse_ranges",
    "media_file",
    "producer",
    "song",
    "artist",
    "album",
    "models",
    "timing_tracks",
    "effects",
    "tesla_compatible",
)


def detect_format(head: bytes) -> DetectedFormat:
    """Tell a sequence file's kind from its first bytes; raise SequenceFormatError if it is none."""
    if not head:
        raise SequenceFormatError("file is empty", offset=0)
    if len(head) < 4 and any(magic.startswith(head) for magic in (*FSEQ_MAGICS, ESEQ_MAGIC)):
        raise SequenceFormatError(
            f"file is {len(head)} bytes long: too short for a sequence header", offset=0
        )
    if head[:4] in FSEQ_MAGICS:
        return "fseq"
    if head[:4] == ESEQ_MAGIC:
        return "eseq"
    stripped = head
    for bom in _XML_BOMS:
        if stripped.startswith(bom):
            return "xml"
    if stripped.lstrip(b" \t\r\n").startswith(b"<"):
        return "xml"
    shown = head[:8]
    raise SequenceFormatError(
        f"unknown file type: starts with {shown!r}, which is neither an FSEQ/ESEQ magic nor XML", offset=0
    )


def tesla_issues(info: FseqInfo) -> list[str]:
    """Why a file is not a valid Tesla light show (empty list: it is one)."""
    issues = []
    if info.format != "fseq" or info.major != 2:
        issues.append("needs FSEQ version 2")
    if info.compression != "none":
        issues.append(f"needs uncompressed channel data, has {info.compression}")
    if info.channels not in TESLA_CHANNELS:
        issues.append(f"needs 48 or 200 channels, has {info.channels}")
    if info.step_ms < TESLA_MIN_STEP_MS:
        issues.append(f"needs a step time of at least {TESLA_MIN_STEP_MS} ms, has {info.step_ms} ms")
    if info.duration_s > TESLA_MAX_DURATION_S:
        issues.append(f"needs at most 4 h, lasts {info.duration_s} s")
    return issues


def _sequence_fields(seq: XsqInfo | None) -> dict[str, Any]:
    if seq is None:
        return {
            key: None
            for key in (
                "song",
                "artist",
                "album",
                "author",
                "author_email",
                "author_website",
                "music_url",
                "comment",
                "sequence_type",
                "models",
                "timing_tracks",
                "effects",
                "effects_per_model",
                "timing_track_names",
                "lyric_tracks",
            )
        }
    return {
        "song": seq.song,
        "artist": seq.artist,
        "album": seq.album,
        "author": seq.author,
        "author_email": seq.author_email,
        "author_website": seq.author_website,
        "music_url": seq.music_url,
        "comment": seq.comment,
        "sequence_type": seq.sequence_type,
        "models": seq.models,
        "timing_tracks": seq.timing_tracks,
        "effects": seq.effects,
        "effects_per_model": dict(seq.effects_per_model),
        "timing_track_names": list(seq.timing_track_names),
        "lyric_tracks": list(seq.lyric_tracks),
    }


def fseq_metadata(info: FseqInfo, check: DataCheck | None = None) -> dict[str, Any]:
    """JSON-ready metadata of an FSEQ/ESEQ file (``XN`` contents are never part of it)."""
    issues = tesla_issues(info)
    render_time = info.render_time
    result: dict[str, Any] = {
        "format": info.format,
        "version": info.version,
        "channels": info.channels,
        "frames": info.frames,
        "step_ms": info.step_ms,
        "duration_s": info.duration_s,
        "compression": info.compression,
        "sparse_ranges": [[r.start, r.count] for r in info.sparse_ranges],
        "media_file": info.media_file,
        "producer": info.producer,
    }
    result.update(_sequence_fields(info.sequence))
    result.update(
        {
            "tesla_compatible": not issues,
            "tesla_issues": issues,
            "file_size": info.file_size,
            "data_offset": info.data_offset,
            "channel_data_bytes": info.channel_data_bytes,
            "block_slots": info.block_slots,
            "block_count": len(info.blocks),
            "unique_id": info.unique_id,
            "render_time": render_time.isoformat() if render_time else None,
            "variable_headers": [h.code for h in info.variable_headers],
            "extended_data": [{"code": e.code, "length": e.length} for e in info.extended_data],
            "embedded_sequence": info.sequence is not None,
            "embedded_sequence_version": info.sequence.version if info.sequence else None,
            "legacy_table": False,
            "eseq_model_count": info.eseq_model_count,
            "data_verified": check is not None,
        }
    )
    return result


def xsq_metadata(seq: XsqInfo, file_size: int) -> dict[str, Any]:
    """JSON-ready metadata of an xLights XSQ/XML sequence."""
    result: dict[str, Any] = {
        "format": "xsq",
        "version": seq.version,
        "channels": None,
        "frames": None,
        "step_ms": seq.step_ms,
        "duration_s": seq.duration_s,
        "compression": None,
        "sparse_ranges": [],
        "media_file": seq.media_file,
        "producer": None,
    }
    result.update(_sequence_fields(seq))
    result.update(
        {
            "tesla_compatible": False,
            "tesla_issues": ["an xLights sequence, not a rendered FSEQ"],
            "file_size": file_size,
            "sequence_timing": seq.sequence_timing,
            "legacy_table": seq.legacy_table,
        }
    )
    return result


def inspect_file(
    path: SourceLike, *, verify: bool = True, limits: SequenceLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """Metadata of a sequence file (FSEQ, ESEQ or XSQ) as a JSON-ready dict.

    With ``verify`` (the default) all FSEQ channel data is decompressed, streamed and bounded, and
    must come to exactly frames × channels. Raises SequenceFormatError for anything unreadable.
    """
    with open_source(path) as stream:
        head = stream.read(16)
        kind = detect_format(head)
        stream.seek(0)
        if kind == "xml":
            size = stream.seek(0, os.SEEK_END)
            stream.seek(0)
            return xsq_metadata(read_xsq_stream(stream), size)
        info = read_fseq_stream(stream, limits)
        check = check_channel_data_stream(stream, info, limits) if verify else None
        return fseq_metadata(info, check)
