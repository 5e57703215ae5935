"""Thumbnails of preview media: a frame at ~10 % of a video (PyAV), or an image (Pillow).

Thumbnails fit inside each configured box, keeping the aspect ratio (never upscaled), and are
written as WebP or JPEG. Images also get an optimised copy: orientation applied, metadata (EXIF,
GPS) dropped, bounded size. Pixel counts are checked before anything is decoded, so an image or
video claiming huge dimensions is refused with a clear error instead of eating memory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av
import av.error
from PIL import Image, ImageOps, UnidentifiedImageError

ThumbnailFormat = Literal["webp", "jpeg"]
DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_VIDEO_POSITION = 0.10
_EXTENSIONS = {"webp": "webp", "jpeg": "jpg", "png": "png"}
_PIL_FORMATS = {"webp": "WEBP", "jpeg": "JPEG", "png": "PNG"}


class MediaFormatError(ValueError):
    """An image or video that cannot be read, or that is too large to decode safely."""


@dataclass(frozen=True)
class ImageFile:
    """An image written by this module."""

    path: Path
    width: int
    height: int
    format: str
    size_bytes: int


def _check_pixels(width: int, height: int, max_pixels: int, what: str) -> None:
    if width <= 0 or height <= 0:
        raise MediaFormatError(f"{what} has no usable size ({width}x{height})")
    if width * height > max_pixels:
        raise MediaFormatError(
            f"{what} is {width}x{height} = {width * height} pixels, more than the limit of {max_pixels} "
            "(decompression bomb?)"
        )


def open_image(source: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open and decode an image after checking its claimed size against ``max_pixels``."""
    try:
        image = Image.open(Path(source))
        _check_pixels(image.width, image.height, max_pixels, "image")
        image.load()
        return image
    except Image.DecompressionBombError as exc:
        raise MediaFormatError(f"image refused as a decompression bomb: {exc}") from None
    except UnidentifiedImageError:
        raise MediaFormatError("not an image format that can be read (PNG, JPEG, WebP, GIF...)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, (MediaFormatError, FileNotFoundError)):
            raise
        raise MediaFormatError(f"image data is corrupt or truncated: {exc}") from None


def video_frame(
    source: str | os.PathLike[str],
    position: float = DEFAULT_VIDEO_POSITION,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Decode the frame at ``position`` (0..1) of a video's duration, as an RGB image."""
    try:
        with av.open(os.fspath(source)) as container:
            if not container.streams.video:
                raise MediaFormatError("file has no video stream")
            stream = container.streams.video[0]
            _check_pixels(stream.codec_context.width, stream.codec_context.height, max_pixels, "video")
            target = _video_duration(container, stream) * position
            if target > 0 and stream.time_base is not None:
                container.seek(int(target / stream.time_base), stream=stream)
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.time is None or frame.time >= target:
                    break
            if chosen is None:
                raise MediaFormatError("video has no decodable frame")
            image: Image.Image = chosen.to_image()  # type: ignore[no-untyped-call]
            return image
    except av.error.FFmpegError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise MediaFormatError(f"cannot read the video: {exc}") from None


def _video_duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


def _prepare(image: Image.Image, fmt: str) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if fmt == "jpeg":
        if has_alpha:
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        return image.convert("RGB")
    return image.convert("RGBA" if has_alpha else "RGB")


def save_image(image: Image.Image, path: Path, fmt: str, quality: int) -> ImageFile:
    """Save ``image`` as WebP, JPEG or PNG (metadata dropped) and describe the written file."""
    prepared = _prepare(image, fmt)
    options: dict[str, object] = {}
    if fmt == "jpeg":
        options = {"quality": quality, "optimize": True, "progressive": True}
    elif fmt == "webp":
        options = {"quality": quality, "method": 4}
    elif fmt == "png":
        options = {"optimize": True}
    path.parent.mkdir(parents=True, exist_ok=True)
    prepared.save(path, _PIL_FORMATS[fmt], **options)
    return ImageFile(path, prepared.width, prepared.height, fmt, path.stat().st_size)


def make_thumbnails(
    image: Image.Image,
    dest_dir: str | os.PathLike[str],
    stem: str,
    sizes: Sequence[tuple[int, int]],
    fmt: ThumbnailFormat = "webp",
    quality: int = 80,
) -> list[ImageFile]:
    """One thumbnail per (width, height) box, aspect ratio kept, named ``{stem}-{w}x{h}.{ext}``."""
    if fmt not in ("webp", "jpeg"):
        raise ValueError(f"thumbnail format must be 'webp' or 'jpeg', got {fmt!r}")
    oriented = ImageOps.exif_transpose(image)
    written = []
    for width, height in sizes:
        if width <= 0 or height <= 0:
            raise ValueError(f"thumbnail size must be positive, got {width}x{height}")
        thumb = oriented.copy()
        thumb.thumbnail((width, height), Image.Resampling.LANCZOS)
        target = Path(dest_dir) / f"{stem}-{width}x{height}.{_EXTENSIONS[fmt]}"
        written.append(save_image(thumb, target, fmt, quality))
    return written


def image_thumbnails(
    source: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    sizes: Sequence[tuple[int, int]],
    fmt: ThumbnailFormat = "webp",
    quality: int = 80,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> list[ImageFile]:
    """Thumbnails of an image file."""
    with open_image(source, max_pixels) as image:
        return make_thumbnails(image, dest_dir, Path(source).stem, sizes, fmt, quality)


def video_thumbnails(
    source: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    sizes: Sequence[tuple[int, int]],
    fmt: ThumbnailFormat = "webp",
    quality: int = 80,
    position: float = DEFAULT_VIDEO_POSITION,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> list[ImageFile]:
    """Thumbnails of the frame at ~10 % of a video."""
    frame = video_frame(source, position, max_pixels)
    return make_thumbnails(frame, dest_dir, Path(source).stem, sizes, fmt, quality)


def optimise_image(
    source: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    *,
    max_side: int = 2560,
    quality: int = 85,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ImageFile:
    """An optimised copy named ``{stem}-optimised.{ext}``: EXIF orientation applied, metadata dropped,
    at most ``max_side`` pixels a side.

    JPEG stays JPEG, WebP stays WebP; everything else becomes PNG (with alpha) or JPEG (without).
    """
    with open_image(source, max_pixels) as image:
        fmt = {"JPEG": "jpeg", "WEBP": "webp", "PNG": "png"}.get(image.format or "", "")
        oriented = ImageOps.exif_transpose(image)
        if not fmt:
            fmt = "png" if "A" in oriented.getbands() or "transparency" in oriented.info else "jpeg"
        if max(oriented.size) > max_side:
            oriented = oriented.copy()
            oriented.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        target = Path(dest_dir) / f"{Path(source).stem}-optimised.{_EXTENSIONS[fmt]}"
        return save_image(oriented, target, fmt, quality)
