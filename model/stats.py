"""Small statistics shared by the model's measures and the experiments' reports."""

from __future__ import annotations

import math

import numpy as np


def mean_ci(values, level: float = 0.95, *, bounded: bool = False) -> tuple[float, float, float]:
    """Mean and its t-interval across replicates (NaN bounds for fewer than 2 values).

    Args:
        values: One value per replicate (NaN ignored).
        level: Confidence level.
        bounded: The values are shares: when all lie in [0, 1], so does the interval.

    Returns:
        ``(mean, low, high)``.
    """
    from scipy.special import stdtrit  # the t quantile; much lighter to import than scipy.stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if x.size < 2:
        return m, math.nan, math.nan
    half = float(stdtrit(x.size - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(x.size))
    lo, hi = m - half, m + half
    if bounded and x.min() >= 0 and x.max() <= 1:
        # a share cannot leave [0, 1]: the t-interval is cut at the bounds
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return m, lo, hi
