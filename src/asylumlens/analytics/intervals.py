"""Binomial confidence intervals, in closed form so every engine gives the same numbers.

Wilson's score interval is the default: Brown, Cai & DasGupta (Statistical Science 16(2),
2001) recommend it for small n, and judge-year cells are often small. It is computed in
numpy from counts (not inside the engine), and a test holds it to statsmodels'
``proportion_confint(method="wilson")`` within 1e-12.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

NDArray = np.ndarray[Any, np.dtype[np.float64]]


def _z(confidence: float) -> float:
    """The two-sided normal quantile (1.959963984540054 for 95%); stdlib, no scipy import."""
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def wilson_interval(
    successes: Any, trials: Any, confidence: float = 0.95
) -> tuple[NDArray, NDArray]:
    """Lower and upper Wilson bounds for ``successes`` out of ``trials`` (NaN where n = 0)."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        z2 = z * z
        denom = 1.0 + z2 / n
        center = (p + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
        low = np.where(n > 0, center - half, np.nan)
        high = np.where(n > 0, center + half, np.nan)
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def mean_of_rates_interval(
    successes: Any, trials: Any, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Unweighted mean of several rates and a normal-approximation interval for it.

    Each year's rate counts once, whatever its size (that is what "a 28% average over
    FY2010-FY2024" means). The variance of the mean is ``sum(p(1-p)/n) / k**2``,
    treating the years as independent binomials.
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    keep = n > 0
    if not keep.any():
        return (float("nan"), float("nan"), float("nan"))
    p = k[keep] / n[keep]
    mean = float(p.mean())
    se = float(np.sqrt((p * (1.0 - p) / n[keep]).sum()) / keep.sum())
    z = _z(confidence)
    return mean, max(0.0, mean - z * se), min(1.0, mean + z * se)
