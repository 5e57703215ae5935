"""Streaming reader of xLights sequences (``.xsq``, and ``.xml`` from before mid-2020).

The XML is parsed with expat event by event, never built into a tree, so memory stays small
whatever the file size. Document type declarations are refused outright: xLights never writes
one, and refusing them rules out entity-expansion attacks. Errors carry line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.source import SourceLike, open_source
from sequencehub.files.textutil import base_name, unescape_xml_once

HEAD_FIELDS = (
    "version",
    "author",
    "author-email",
    "author-website",
    "song",
    "artist",
    "album",
    "MusicURL",
    "comment",
    "sequenceTiming",
    "sequenceType",
    "mediaFile",
    "sequenceDuration",
    "imageDir",
)
MAX_TEXT_CHARS = 4096
LEGACY_CELL_CHARS = 512
LEGACY_EFFECT_MS = 50
READ_CHUNK = 256 * 1024
_TIMING_MS = re.compile(r"^\s*(\d+)\s*ms\s*$")


@dataclass(frozen=True)
class XsqInfo:
    """What a product page needs from an xLights sequence; paths are reduced to base names."""

    version: str | None
    author: str | None
    author_email: str | None
    author_website: str | None
    song: str | None
    artist: str | None
    album: str | None
    music_url: str | None
    comment: str | None
    sequence_timing: str | None
    step_ms: int | None
    sequence_type: str | None
    media_file: str | None
    duration_s: float | None
    models: int
    timing_tracks: int
    effects: int
    effects_per_model: dict[str, int] = field(default_factory=dict)
    timing_track_names: tuple[str, ...] = ()
    lyric_tracks: tuple[str, ...] = ()
    legacy_table: bool = False
    fixed_point_timing: bool = False


class _Collector:
    """Expat callbacks that count what matters and keep only short texts."""

    def __init__(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        self.stack: list[str] = []
        self.root_attrs: dict[str, str] = {}
        self.head: dict[str, str] = {}
        self.text: list[str] | None = None
        self.text_len = 0
        self.text_cap = MAX_TEXT_CHARS
        # ElementEffects/Element being read
        self.element: tuple[str, str] | None = None
        self.element_effects = 0
        self.element_layers = 0
        self.models = 0
        self.effects = 0
        self.per_model: dict[str, int] = {}
        self.timing_names: list[str] = []
        self.lyric_names: list[str] = []
        # legacy <tr>/<td> table
        self.legacy_rows = 0
        self.legacy_models: list[str] = []
        self.legacy_cells: list[str] = []
        self.legacy_effects: dict[str, int] = {}
        self.legacy_last_ms: int | None = None

    # -- helpers -------------------------------------------------------------------------
    def _fail(self, reason: str) -> SequenceFormatError:
        return SequenceFormatError(
            reason, line=self.parser.CurrentLineNumber, column=self.parser.CurrentColumnNumber + 1
        )

    def _capture(self, cap: int) -> None:
        self.text = []
        self.text_len = 0
        self.text_cap = cap

    def _captured(self) -> str:
        value = "".join(self.text or [])
        self.text = None
        return value

    # -- expat callbacks ----------------------------------------------------------------
    def refuse_doctype(self, *_args: object) -> None:
        raise self._fail(
            "XML document type declarations (DTD) are refused: "
            "entity expansion is not allowed in a sequence file"
        )

    def refuse_entity(self, *_args: object) -> None:
        raise self._fail("XML entity declarations are refused (entity-expansion attack)")

    def characters(self, data: str) -> None:
        if self.text is not None and self.text_len < self.text_cap:
            piece = data[: self.text_cap - self.text_len]
            self.text.append(piece)
            self.text_len += len(piece)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        depth = len(self.stack)
        if depth == 0:
            if tag != "xsequence":
                raise self._fail(f"root element is <{tag}>, not <xsequence>: not an xLights sequence")
            self.root_attrs = dict(attrs)
        elif depth == 2 and self.stack[1] == "head" and tag in HEAD_FIELDS:
            self._capture(MAX_TEXT_CHARS)
        elif depth == 2 and self.stack[1] == "ElementEffects" and tag == "Element":
            self.element = (attrs.get("type", ""), attrs.get("name", ""))
            self.element_effects = 0
            self.element_layers = 0
        elif self.element is not None and tag == "Effect":
            self.element_effects += 1
        elif self.element is not None and depth == 3 and tag == "EffectLayer":
            self.element_layers += 1
        elif depth == 1 and tag == "tr":
            self.legacy_cells = []
        elif depth == 2 and self.stack[1] == "tr" and tag == "td":
            self._capture(LEGACY_CELL_CHARS)
        self.stack.append(tag)

    def end(self, tag: str) -> None:
        self.stack.pop()
        depth = len(self.stack)
        if depth == 2 and self.stack[1] == "head" and tag in HEAD_FIELDS:
            self.head[tag] = self._captured()
        elif depth == 2 and self.stack[1] == "ElementEffects" and tag == "Element":
            self._end_element()
        elif depth == 2 and self.stack[1] == "tr" and tag == "td":
            self.legacy_cells.append(self._captured())
        elif depth == 1 and tag == "tr":
            self._end_row()

    def _end_element(self) -> None:
        assert self.element is not None
        kind, name = self.element
        if kind == "model":
            self.models += 1
            self.effects += self.element_effects
            self.per_model[name] = self.per_model.get(name, 0) + self.element_effects
        elif kind == "timing":
            self.timing_names.append(name)
            if self.element_layers > 1:
                self.lyric_names.append(name)
        self.element = None

    def _end_row(self) -> None:
        cells = self.legacy_cells
        self.legacy_rows += 1
        if self.legacy_rows == 1:
            self.legacy_models = [cell.strip() for cell in cells[2:]]
            return
        try:
            self.legacy_last_ms = max(self.legacy_last_ms or 0, int(float(cells[0]) * 1000))
        except (IndexError, ValueError):
            pass
        for model, cell in zip(self.legacy_models, cells[2:]):
            names = [part.strip() for part in cell.split(",", 2)[:2]]
            found = sum(1 for name in names if name and name != "None")
            self.legacy_effects[model] = self.legacy_effects.get(model, 0) + found


class XsqReader:
    """Feed an XSQ document in pieces, then ``close()`` for its :class:`XsqInfo`."""

    def __init__(self) -> None:
        self._parser = expat.ParserCreate()
        self._parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self._parser.buffer_text = True
        self._collector = _Collector(self._parser)
        c = self._collector
        self._parser.StartDoctypeDeclHandler = c.refuse_doctype
        self._parser.EntityDeclHandler = c.refuse_entity
        self._parser.StartElementHandler = c.start
        self._parser.EndElementHandler = c.end
        self._parser.CharacterDataHandler = c.characters

    def feed(self, data: bytes) -> None:
        """Parse the next piece of the document."""
        self._parse(data, final=False)

    def close(self) -> XsqInfo:
        """Finish parsing and return the collected metadata."""
        self._parse(b"", final=True)
        return _build_info(self._collector)

    def _parse(self, data: bytes, *, final: bool) -> None:
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as exc:
            message = expat.errors.messages.get(exc.code, str(exc))
            raise SequenceFormatError(
                f"XML is not well-formed: {message}", line=exc.lineno, column=exc.offset + 1
            ) from None


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    value = unescape_xml_once(text).strip()
    return value or None


def _build_info(c: _Collector) -> XsqInfo:
    head = {key: _clean(value) for key, value in c.head.items()}
    timing = head.get("sequenceTiming")
    timing_match = _TIMING_MS.match(timing) if timing else None
    media = head.get("mediaFile")
    legacy = c.legacy_rows > 0 and not c.head
    if legacy:
        models = len(c.legacy_models)
        per_model = dict(c.legacy_effects)
        effects = sum(per_model.values())
        timing_names: tuple[str, ...] = ("Imported Timing",) if c.legacy_rows > 1 else ()
        duration = (c.legacy_last_ms + LEGACY_EFFECT_MS) / 1000 if c.legacy_last_ms is not None else None
    else:
        models, per_model, effects = c.models, dict(c.per_model), c.effects
        timing_names = tuple(c.timing_names)
        duration = _parse_seconds(head.get("sequenceDuration"))
    return XsqInfo(
        version=head.get("version"),
        author=head.get("author"),
        author_email=head.get("author-email"),
        author_website=head.get("author-website"),
        song=head.get("song"),
        artist=head.get("artist"),
        album=head.get("album"),
        music_url=head.get("MusicURL"),
        comment=head.get("comment"),
        sequence_timing=timing,
        step_ms=int(timing_match.group(1)) if timing_match else None,
        sequence_type=head.get("sequenceType"),
        media_file=base_name(media) or None if media else None,
        duration_s=duration,
        models=models,
        timing_tracks=len(timing_names),
        effects=effects,
        effects_per_model=per_model,
        timing_track_names=timing_names,
        lyric_tracks=tuple(c.lyric_names),
        legacy_table=legacy,
        fixed_point_timing=c.root_attrs.get("FixedPointTiming") == "1",
    )


def _parse_seconds(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value >= 0 else None


def read_xsq_stream(stream: BinaryIO) -> XsqInfo:
    """Read an XSQ document from a binary stream, piece by piece."""
    reader = XsqReader()
    while True:
        piece = stream.read(READ_CHUNK)
        if not piece:
            break
        reader.feed(piece)
    return reader.close()


def read_xsq(source: SourceLike | Path) -> XsqInfo:
    """Read an XSQ file (path or seekable stream) and return its metadata."""
    with open_source(source) as stream:
        return read_xsq_stream(stream)


def read_xsq_bytes(data: bytes) -> XsqInfo:
    """Read an XSQ document held in memory (e.g. the ``XS`` payload of an FSEQ)."""
    reader = XsqReader()
    reader.feed(data)
    return reader.close()
