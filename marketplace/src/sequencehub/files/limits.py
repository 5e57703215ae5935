"""Size limits that keep reading an untrusted sequence file bounded in memory and time."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024
GIB = 1024 * MIB


@dataclass(frozen=True)
class SequenceLimits:
    """Bounds applied while reading a sequence file; anything past them is a clear error.

    - ``max_channel_data_bytes``: frames × channels a file may claim (default 8 GiB, far above
      any real show: 100,000 channels for 20 minutes at 25 ms is 4.8 GB).
    - ``max_embedded_xsq_bytes``: decompressed size of the ``XS`` sequence embedded in an FSEQ.
    - ``max_zstd_window_bytes``: largest zstd window a frame may ask for (memory per decoder).
    - ``read_chunk_bytes``: size of each read and of each piece of decompressed output.
    """

    max_channel_data_bytes: int = 8 * GIB
    max_embedded_xsq_bytes: int = 64 * MIB
    max_zstd_window_bytes: int = 32 * MIB
    read_chunk_bytes: int = 1 * MIB

    def __post_init__(self) -> None:
        for name in (
            "max_channel_data_bytes",
            "max_embedded_xsq_bytes",
            "max_zstd_window_bytes",
            "read_chunk_bytes",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"SequenceLimits.{name} must be a positive integer, got {value!r}")


DEFAULT_LIMITS = SequenceLimits()
