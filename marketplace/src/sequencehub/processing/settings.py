"""Settings of the file-processing job, read from ``SEQUENCEHUB_*`` environment variables.

The ``process-file`` handler runs in spawned child processes, which rebuild everything they need
(database, storage, scanner) from the environment; job data carries only ids and keys. The
database URL is the marketplace's (``SEQUENCEHUB_DATABASE_URL``, see :mod:`sequencehub.config`);
the other variables are this module's own and are listed on each field.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sequencehub.config import DEFAULT_DATABASE_URL, ENV_PREFIX, Settings, SettingsError

ThumbnailFormatName = Literal["webp", "jpeg"]
Size = tuple[int, int]

DEFAULT_STORAGE_ROOT = "./storage"
DEFAULT_THUMBNAIL_SIZES: tuple[Size, ...] = ((320, 180), (640, 360))
DEFAULT_JOB_TIMEOUT = 600.0
MAX_THUMBNAIL_SIDE = 4096


@dataclass(frozen=True)
class FileProcessingSettings:
    """What the ``process-file`` job needs. Environment variable names are in brackets."""

    database_url: str = DEFAULT_DATABASE_URL
    """Marketplace database [SEQUENCEHUB_DATABASE_URL]."""
    storage_root: Path = Path(DEFAULT_STORAGE_ROOT)
    """Folder of the local file storage; storage keys are paths inside it [SEQUENCEHUB_STORAGE_ROOT]."""
    clamd_socket: str | None = None
    """clamd's Unix socket [SEQUENCEHUB_CLAMD_SOCKET]."""
    clamd_tcp: str | None = None
    """clamd over TCP as ``host:port`` [SEQUENCEHUB_CLAMD_TCP]; give this or the socket, not both.
    With neither, files are recorded as NOT SCANNED (never as clean)."""
    scan_timeout: float = 60.0
    """Seconds clamd may take to answer [SEQUENCEHUB_CLAMD_TIMEOUT]."""
    thumbnail_sizes: tuple[Size, ...] = DEFAULT_THUMBNAIL_SIZES
    """Boxes thumbnails fit into [SEQUENCEHUB_THUMBNAIL_SIZES as ``320x180,640x360``]; the first
    one's key is the file's ``thumbnail_key``."""
    thumbnail_format: ThumbnailFormatName = "webp"
    """webp or jpeg [SEQUENCEHUB_THUMBNAIL_FORMAT]."""
    thumbnail_quality: int = 80
    """1..100 [SEQUENCEHUB_THUMBNAIL_QUALITY]."""
    optimised_max_side: int = 2560
    """Longest side of an optimised image copy, in pixels [SEQUENCEHUB_IMAGE_MAX_SIDE]."""
    derived_prefix: str = "derived"
    """Storage key prefix of thumbnails and optimised copies [SEQUENCEHUB_DERIVED_PREFIX]."""
    job_timeout: float = DEFAULT_JOB_TIMEOUT
    """Seconds one try may run before its process is killed [SEQUENCEHUB_FILE_JOB_TIMEOUT]."""

    def __post_init__(self) -> None:
        if self.clamd_socket and self.clamd_tcp:
            raise SettingsError("set SEQUENCEHUB_CLAMD_SOCKET or SEQUENCEHUB_CLAMD_TCP, not both")
        if self.clamd_tcp:
            _split_host_port(self.clamd_tcp)
        if not self.thumbnail_sizes:
            raise SettingsError("SEQUENCEHUB_THUMBNAIL_SIZES must name at least one size")
        for width, height in self.thumbnail_sizes:
            if not (0 < width <= MAX_THUMBNAIL_SIDE and 0 < height <= MAX_THUMBNAIL_SIDE):
                raise SettingsError(
                    f"SEQUENCEHUB_THUMBNAIL_SIZES: {width}x{height} must be between 1 and {MAX_THUMBNAIL_SIDE} a side")
        if self.thumbnail_format not in ("webp", "jpeg"):
            raise SettingsError(f"SEQUENCEHUB_THUMBNAIL_FORMAT must be webp or jpeg, got {self.thumbnail_format!r}")
        if not 1 <= self.thumbnail_quality <= 100:
            raise SettingsError(f"SEQUENCEHUB_THUMBNAIL_QUALITY must be 1..100, got {self.thumbnail_quality}")
        if self.optimised_max_side < 1:
            raise SettingsError(f"SEQUENCEHUB_IMAGE_MAX_SIDE must be >= 1, got {self.optimised_max_side}")
        if self.scan_timeout <= 0 or self.job_timeout <= 0:
            raise SettingsError("SEQUENCEHUB_CLAMD_TIMEOUT and SEQUENCEHUB_FILE_JOB_TIMEOUT must be > 0 seconds")
        prefix = self.derived_prefix
        if not prefix or prefix.startswith("/") or any(p in ("", ".", "..") for p in prefix.split("/")):
            raise SettingsError(f"SEQUENCEHUB_DERIVED_PREFIX must be a relative key prefix, got {prefix!r}")

    @property
    def clamd_address(self) -> tuple[str, int] | None:
        """(host, port) of a TCP clamd, if one is configured."""
        return _split_host_port(self.clamd_tcp) if self.clamd_tcp else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> FileProcessingSettings:
        """Settings from `environ` (default `os.environ`); keyword arguments win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {"database_url": Settings.from_env(env).database_url}

        def get(name: str) -> str | None:
            raw = env.get(ENV_PREFIX + name)
            return raw if raw else None

        if (root := get("STORAGE_ROOT")) is not None:
            values["storage_root"] = Path(root).expanduser()
        if (sock := get("CLAMD_SOCKET")) is not None:
            values["clamd_socket"] = sock
        if (tcp := get("CLAMD_TCP")) is not None:
            values["clamd_tcp"] = tcp
        if (timeout := get("CLAMD_TIMEOUT")) is not None:
            values["scan_timeout"] = _number("CLAMD_TIMEOUT", timeout)
        if (sizes := get("THUMBNAIL_SIZES")) is not None:
            values["thumbnail_sizes"] = parse_sizes(sizes)
        if (fmt := get("THUMBNAIL_FORMAT")) is not None:
            values["thumbnail_format"] = fmt.strip().lower()
        if (quality := get("THUMBNAIL_QUALITY")) is not None:
            values["thumbnail_quality"] = _integer("THUMBNAIL_QUALITY", quality)
        if (side := get("IMAGE_MAX_SIDE")) is not None:
            values["optimised_max_side"] = _integer("IMAGE_MAX_SIDE", side)
        if (prefix := get("DERIVED_PREFIX")) is not None:
            values["derived_prefix"] = prefix.strip("/")
        if (job_timeout := get("FILE_JOB_TIMEOUT")) is not None:
            values["job_timeout"] = _number("FILE_JOB_TIMEOUT", job_timeout)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> FileProcessingSettings:
        """The marketplace `settings`' database, everything else from the environment."""
        return cls.from_env(environ, database_url=settings.database_url)

    def to_env(self) -> dict[str, str]:
        """These settings as the environment variables `from_env` reads (for child processes)."""
        env = {
            "DATABASE_URL": self.database_url,
            "STORAGE_ROOT": str(self.storage_root),
            "CLAMD_SOCKET": self.clamd_socket or "",
            "CLAMD_TCP": self.clamd_tcp or "",
            "CLAMD_TIMEOUT": repr(self.scan_timeout),
            "THUMBNAIL_SIZES": ",".join(f"{w}x{h}" for w, h in self.thumbnail_sizes),
            "THUMBNAIL_FORMAT": self.thumbnail_format,
            "THUMBNAIL_QUALITY": str(self.thumbnail_quality),
            "IMAGE_MAX_SIDE": str(self.optimised_max_side),
            "DERIVED_PREFIX": self.derived_prefix,
            "FILE_JOB_TIMEOUT": repr(self.job_timeout),
        }
        return {ENV_PREFIX + k: v for k, v in env.items()}


def parse_sizes(raw: str) -> tuple[Size, ...]:
    """``"320x180,640x360"`` -> ((320, 180), (640, 360)); SettingsError naming a bad entry."""
    sizes = []
    for part in raw.split(","):
        entry = part.strip().lower()
        if not entry:
            continue
        width, sep, height = entry.partition("x")
        if not sep or not width.isdigit() or not height.isdigit():
            raise SettingsError(f"SEQUENCEHUB_THUMBNAIL_SIZES entry {part.strip()!r} must look like 320x180")
        sizes.append((int(width), int(height)))
    return tuple(sizes)


def _split_host_port(raw: str) -> tuple[str, int]:
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"SEQUENCEHUB_CLAMD_TCP must look like host:port, got {raw!r}")
    return host.strip("[]"), int(port)


def _number(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{ENV_PREFIX}{name} must be a number, got {raw!r}") from None


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{ENV_PREFIX}{name} must be an integer, got {raw!r}") from None

