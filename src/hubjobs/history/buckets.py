"""Duration buckets: a log scale with two buckets per doubling, from 1 ms to about 12 days.

Bucket `i` holds durations up to `upper_bound(i)` = 1 ms x 2^(i/2) (and above the bound of
`i - 1`). Counts per bucket add up across workers and minutes, so percentiles of any range come
from summed buckets, within one bucket's width (about 41 %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

LAST_BUCKET = 60
"""The highest index; longer durations are counted in it."""
_BASE = 0.001


def bucket_of(seconds: float) -> int:
    """The bucket a duration falls in (negative durations, from clock skew, count as 0)."""
    if seconds <= _BASE:
        return 0
    return min(LAST_BUCKET, math.ceil(2 * math.log2(seconds / _BASE) - 1e-9))


def upper_bound(bucket: int) -> float:
    """The longest duration, in seconds, bucket `bucket` holds."""
    return _BASE * 2 ** (bucket / 2)


def percentile(buckets: Mapping[int, int], fraction: float) -> float | None:
    """The duration (a bucket's upper bound) below which `fraction` of the counts fall;
    None when there are no counts."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    total = sum(buckets.values())
    if total <= 0:
        return None
    wanted = fraction * total
    seen = 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen >= wanted:
            return upper_bound(bucket)
    return upper_bound(max(buckets))
