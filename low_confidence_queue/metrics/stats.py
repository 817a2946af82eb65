"""Small statistics the dashboard shares: the Wilson interval of a proportion, and
log-bucket histograms whose quantiles survive merging across days and stores."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

# Each bucket spans 5% (bucket b holds values in [1.05**b, 1.05**(b+1)) seconds), so a
# quantile read back from merged buckets is within 2.5% of the exact one.
BUCKET_RATIO = 1.05
_LOG_RATIO = math.log(BUCKET_RATIO)
Z_95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes / n`` (95% by default); None without data."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At the edges the bounds are exactly 0 and 1; rounding would leave 1 - 1e-16.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration (anything under a second is bucket 0)."""
    return int(math.floor(math.log(max(seconds, 1.0)) / _LOG_RATIO))


def histogram(values: Iterable[float]) -> dict[str, int]:
    """{bucket: count} with string keys, as stored in JSON."""
    out: dict[str, int] = {}
    for value in values:
        key = str(bucket_of(value))
        out[key] = out.get(key, 0) + 1
    return out


def merge_histograms(histograms: Iterable[Mapping[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    get = out.get  # the page merges hundreds of these; the bound method saves a lookup per bucket
    for hist in histograms:
        for key, count in hist.items():
            out[key] = get(key, 0) + count
    return out


def histogram_quantile(hist: Mapping[str, int], q: float) -> float | None:
    """The ``q`` quantile (0..1) of the values behind ``hist``: the geometric middle of the
    bucket holding the nearest-rank value. None for an empty histogram."""
    total = sum(hist.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for key in sorted(hist, key=int):
        seen += hist[key]
        if seen >= rank:
            return round(float(BUCKET_RATIO ** (int(key) + 0.5)), 1)
    return None  # unreachable: the ranks add up to total


def per_1000(part: int, whole: int) -> float | None:
    return round(1000 * part / whole, 1) if whole else None
