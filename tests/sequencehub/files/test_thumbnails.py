"""Thumbnails from a real video made with PyAV and from images made with Pillow."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import av
import pytest
from PIL import Image, ImageStat

from sequencehub.files.thumbnails import (
    MediaFormatError,
    image_thumbnails,
    optimise_image,
    video_frame,
    video_thumbnails,
)

FRAMES = 20
FPS = 10


def gray(level: int) -> int:
    return min(255, level * 12)


@pytest.fixture
def video(tmp_path: Path) -> Path:
    """A 2-second 64x48 MPEG-4 video whose frame n is a flat gray of level 12·n."""
    path = tmp_path / "preview.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"qscale": "2"}
        for number in range(FRAMES):
            image = Image.new("RGB", (64, 48), (gray(number),) * 3)
            frame = av.VideoFrame.from_image(image)  # type: ignore[no-untyped-call]
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_video_thumbnail_size_and_format(video: Path, tmp_path: Path) -> None:
    written = video_thumbnails(video, tmp_path / "thumbs", [(32, 32), (320, 320)], fmt="webp")
    assert [(t.width, t.height, t.format) for t in written] == [(32, 24, "webp"), (64, 48, "webp")]
    small, large = written
    with Image.open(small.path) as opened:
        assert opened.format == "WEBP" and opened.size == (32, 24)
    with Image.open(large.path) as opened:
        assert opened.format == "WEBP" and opened.size == (64, 48)  # never upscaled
    assert (small.width, small.height, small.format) == (32, 24, "webp")
    assert small.path.name == "preview-32x32.webp"


def test_video_frame_is_taken_at_ten_percent(video: Path) -> None:
    image = video_frame(video)
    level = ImageStat.Stat(image.convert("L")).mean[0]
    assert abs(level - gray(2)) < 6  # 10 % of 2 s is 0.2 s: frame 2


def test_video_thumbnail_as_jpeg(video: Path, tmp_path: Path) -> None:
    (thumb,) = video_thumbnails(video, tmp_path, [(16, 16)], fmt="jpeg")
    with Image.open(thumb.path) as opened:
        assert opened.format == "JPEG" and opened.size == (16, 12)


def test_not_a_video(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"\x00\x01 definitely not a video" * 100)
    with pytest.raises(MediaFormatError, match="cannot read the video"):
        video_frame(bogus)


def test_image_thumbnails_and_optimised_copy(tmp_path: Path) -> None:
    source = tmp_path / "cover.png"
    image = Image.new("RGBA", (400, 300), (200, 30, 30, 128))
    image.save(source)
    thumbs = image_thumbnails(source, tmp_path / "out", [(100, 100), (200, 50)], fmt="webp")
    assert [(t.width, t.height) for t in thumbs] == [(100, 75), (67, 50)]
    for thumb in thumbs:
        with Image.open(thumb.path) as opened:
            assert opened.format == "WEBP" and opened.size == (thumb.width, thumb.height)
    jpegs = image_thumbnails(source, tmp_path / "out", [(100, 100)], fmt="jpeg")
    with Image.open(jpegs[0].path) as opened:
        assert opened.format == "JPEG" and opened.mode == "RGB"
    copy = optimise_image(source, tmp_path / "out", max_side=200)
    assert copy.path.name == "cover-optimised.png"
    with Image.open(copy.path) as opened:
        assert opened.format == "PNG" and opened.size == (200, 150) and opened.mode == "RGBA"


def test_optimised_jpeg_applies_orientation_and_drops_exif(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "SellerCam"
    Image.new("RGB", (80, 40), (10, 120, 200)).save(source, "JPEG", exif=exif.tobytes(), quality=95)
    copy = optimise_image(source, tmp_path)
    with Image.open(copy.path) as opened:
        assert opened.format == "JPEG" and opened.size == (40, 80)
        assert not opened.getexif()


def png_header_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_image_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_claiming(100_000, 100_000))
    with pytest.raises(MediaFormatError, match="decompression bomb"):
        image_thumbnails(bomb, tmp_path, [(64, 64)])


def test_pixel_limit_is_configurable(tmp_path: Path) -> None:
    source = tmp_path / "big.png"
    Image.new("RGB", (300, 300)).save(source)
    with pytest.raises(MediaFormatError, match="90000 pixels, more than the limit of 50000"):
        optimise_image(source, tmp_path, max_pixels=50_000)


def test_not_an_image(tmp_path: Path) -> None:
    source = tmp_path / "notes.png"
    source.write_text("hello")
    with pytest.raises(MediaFormatError, match="not an image"):
        image_thumbnails(source, tmp_path, [(64, 64)])
