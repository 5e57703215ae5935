"""Generated uploads for the demo: real FSEQ, XSQ and MP4 files, and one corrupt file."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import av
from PIL import Image

from ..files.fseq_writer import write_fseq_v2


def write_sequence(path: Path, *, channels: int = 600, frames: int = 400, step_ms: int = 25) -> None:
    """A zstd-compressed FSEQ v2.2 whose channels chase along the strings."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def frame_bytes() -> object:
        for n in range(frames):
            yield bytes(255 if (c + n) % 40 < 4 else 0 for c in range(channels))

    with path.open("wb") as f:
        write_fseq_v2(f, frame_bytes(), channels=channels, frame_count=frames, step_ms=step_ms,  # type: ignore[arg-type]
                      compression="zstd", frames_per_block=20, media_file=f"C:\\Users\\demo\\Music\\{path.stem}.mp3",
                      producer="SequenceHUB demo")


def write_xsq(path: Path, *, song: str, artist: str, models: int = 4, effects_per_model: int = 3) -> None:
    """A small xLights sequence with a head, models, a timing track and effects."""
    path.parent.mkdir(parents=True, exist_ok=True)
    elements = []
    for m in range(models):
        effects = "".join(f'<Effect name="On" startTime="{i * 1000}" endTime="{i * 1000 + 500}"/>'
                          for i in range(effects_per_model))
        elements.append(f'<Element type="model" name="Model {m + 1}"><EffectLayer>{effects}</EffectLayer></Element>')
    elements.append('<Element type="timing" name="Beats"><EffectLayer>'
                    '<Effect label="1" startTime="0" endTime="500"/></EffectLayer></Element>')
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<xsequence BaseChannel="0" FixedPointTiming="1">'
        f"<head><version>2024.05</version><author>SequenceHUB demo</author><song>{escape(song)}</song>"
        f"<artist>{escape(artist)}</artist><sequenceTiming>25 ms</sequenceTiming>"
        f"<sequenceType>Media</sequenceType><mediaFile>/home/demo/{escape(song)}.mp3</mediaFile>"
        "<sequenceDuration>10.000</sequenceDuration></head>"
        f"<DisplayElements/><ElementEffects>{''.join(elements)}</ElementEffects></xsequence>\n",
        encoding="utf-8")


def write_preview_video(path: Path, *, width: int = 320, height: int = 180, frames: int = 20) -> None:
    """A short MPEG-4 preview video that fades from blue to white."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for n in range(frames):
            image = Image.new("RGB", (width, height), (min(255, 12 * n), min(255, 12 * n), 220))
            for packet in stream.encode(av.VideoFrame.from_image(image)):  # type: ignore[no-untyped-call]
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_corrupt_sequence(path: Path) -> None:
    """An FSEQ cut off inside its header: metadata extraction must refuse it."""
    write_sequence(path, channels=60, frames=20)
    data = path.read_bytes()
    path.write_bytes(data[:24])
