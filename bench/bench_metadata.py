"""Benchmark: sequence metadata extraction and full channel-data verification.

Measures MB/s and peak extra memory on the largest real sample and on a generated ~100 MB zstd
FSEQ (written to a temporary folder with low-compressibility frames, so the file really is that
big). Each measurement runs in a fresh Python process so that one run's memory cannot hide in
another's; "extra memory" is the rise of the process's peak RSS (ru_maxrss) over its level just
before the measurement, and tracemalloc's peak of Python allocations.

    python bench/bench_metadata.py [--size-mb 100] [--samples DIR] [--json]

Exits 1 if any measurement needs 64 MB of extra memory or more (the target).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TARGET_EXTRA_MB = 64.0
MB = 1_000_000
MIB = 1024 * 1024
SRC = Path(__file__).resolve().parents[1] / "marketplace" / "src"  # sequencehub; hubjobs is installed


# Random dimming levels from 16 steps: 4 bits of entropy a byte, so zstd must really decode
# (Huffman literals) and compresses about 2:1; a busy, hard-to-compress show.
_LEVELS = bytes((value & 0x0F) * 17 for value in range(256))
COMPRESSED_SHARE = 0.50  # compressed size / channel data size, measured for these frames


def generated_frames(count: int, channels: int) -> Iterator[bytes]:
    """Frames of random dimming levels."""
    for _ in range(count):
        yield os.urandom(channels).translate(_LEVELS)


def generate_zstd_fseq(path: Path, size_mb: int) -> None:
    """Write a ~``size_mb`` MB zstd FSEQ v2.2 (65,536 channels, 20-frame blocks)."""
    from sequencehub.files.fseq_writer import write_fseq_v2

    channels = 65_536
    count = max(20, int(size_mb * MB / (channels * COMPRESSED_SHARE)))
    with open(path, "wb") as out:
        write_fseq_v2(
            out,
            generated_frames(count, channels),
            channels=channels,
            frame_count=count,
            step_ms=25,
            compression="zstd",
            frames_per_block=20,
            media_file="C:\\bench\\song.mp3",
        )


def measure(path: Path, verify: bool) -> dict[str, Any]:
    """Run in a fresh process: time and memory of one extraction."""
    from sequencehub.files.metadata import inspect_file

    inspect_file(path, verify=False)  # warm imports and the page cache for the header
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    metadata = inspect_file(path, verify=verify)
    seconds = time.perf_counter() - start
    rss_extra_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib) / 1024
    tracemalloc.start()
    inspect_file(path, verify=verify)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = path.stat().st_size
    data = metadata["channel_data_bytes"] if verify else 0
    return {
        "file": path.name,
        "file_mb": size / MB,
        "verify": verify,
        "seconds": seconds,
        "file_mb_per_s": size / MB / seconds,
        "decompressed_mb": data / MB,
        "decompressed_mb_per_s": data / MB / seconds if verify else None,
        "rss_extra_mib": rss_extra_mib,
        "tracemalloc_peak_mib": traced_peak / MIB,
        "frames": metadata["frames"],
        "channels": metadata["channels"],
        "blocks": metadata.get("block_count"),
    }


def run_measurement(path: Path, verify: bool) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    args = [sys.executable, __file__, "--measure", str(path)] + (["--verify"] if verify else [])
    completed = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def largest_sample(samples: Path) -> Path:
    files = [p for p in samples.iterdir() if p.suffix == ".fseq"]
    return max(files, key=lambda p: p.stat().st_size)


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'file':<44} {'MB':>7} {'verify':>6} {'s':>7} {'file MB/s':>10} {'data MB/s':>10} "
        f"{'RSS+ MiB':>9} {'tracemalloc MiB':>15}"
    )
    for row in rows:
        data = f"{row['decompressed_mb_per_s']:.0f}" if row["decompressed_mb_per_s"] else "-"
        print(
            f"{row['file'][:44]:<44} {row['file_mb']:>7.1f} {row['verify']!s:>6} {row['seconds']:>7.3f} "
            f"{row['file_mb_per_s']:>10.1f} {data:>10} {row['rss_extra_mib']:>9.1f} "
            f"{row['tracemalloc_peak_mib']:>15.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--samples", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "samples"
    )
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--verify", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.verify)))
        return 0
    sys.path.insert(0, str(SRC))
    rows = []
    targets = [largest_sample(args.samples)] if args.samples.is_dir() else []
    with tempfile.TemporaryDirectory(prefix="bench-fseq-") as folder:
        generated = Path(folder) / f"generated_{args.size_mb}MB_zstd.fseq"
        start = time.perf_counter()
        generate_zstd_fseq(generated, args.size_mb)
        generation = time.perf_counter() - start
        targets.append(generated)
        for path in targets:
            for verify in (False, True):
                rows.append(run_measurement(path, verify))
    if args.json:
        print(json.dumps({"generation_seconds": generation, "results": rows}, indent=2))
    else:
        print(f"generated {generated.name} in {generation:.1f} s")
        print_table(rows)
    worst = max(row["rss_extra_mib"] for row in rows)
    ok = worst < TARGET_EXTRA_MB
    print(
        f"target: extra memory < {TARGET_EXTRA_MB:.0f} MB -> {'met' if ok else 'MISSED'} "
        f"(worst {worst:.1f} MiB)",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
