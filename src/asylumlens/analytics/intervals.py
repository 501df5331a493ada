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

    Each year's rate counts once, whatever its size. The variance of the mean is
    ``sum(p(1-p)/n) / k**2``, treating the years as fixed and independent binomials: it
    ignores between-year variation and is zero for a 0/n or n/n year, so ``compare`` uses
    :func:`mean_of_yearly_rates_interval` instead.
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


def mean_of_yearly_rates_interval(
    successes: Any, trials: Any, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Unweighted mean of yearly rates, with an interval that admits between-year variation.

    The estimand is the typical yearly rate of the period, the years being treated as
    draws from a distribution of yearly rates (they differ by more than binomial noise:
    policy, caseload mix). The standard error is the larger of

    * the spread of the yearly rates, ``s / sqrt(k)`` (``s`` their sample standard
      deviation), which holds both the between-year variation and each year's sampling
      noise; and
    * the within-year binomial floor ``sqrt(sum(v_i)) / k``, with ``v_i`` the Agresti-Coull
      variance ``p~(1-p~)/(n+z^2)``, ``p~ = (x + z^2/2)/(n + z^2)``, which is never zero, so
      a year of 0/n or n/n still adds uncertainty (the plain ``p(1-p)/n`` is zero there).

    The interval is ``mean ± t(k-1) · se`` (Student's t over the k years; the normal
    quantile when k = 1, where the spread is undefined and only the floor applies),
    clipped to [0, 1]. Years with n = 0 are left out. Returns (mean, low, high).
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    keep = n > 0
    years = int(keep.sum())
    if years == 0:
        return (float("nan"), float("nan"), float("nan"))
    k, n = k[keep], n[keep]
    p = k / n
    mean = float(p.mean())
    z = _z(confidence)
    z2 = z * z
    p_tilde = (k + z2 / 2.0) / (n + z2)
    floor = float(np.sqrt((p_tilde * (1.0 - p_tilde) / (n + z2)).sum()) / years)
    if years == 1:
        se, quantile = floor, z
    else:
        from scipy import special  # imported here (scipy.stats alone costs ~0.35 s more)

        spread = float(p.std(ddof=1) / np.sqrt(years))
        se = max(spread, floor)
        # Student's t quantile: stdtrit(df, p) is the inverse of t's CDF (= stats.t.ppf)
        quantile = float(special.stdtrit(years - 1, 1.0 - (1.0 - confidence) / 2.0))
    return mean, max(0.0, mean - quantile * se), min(1.0, mean + quantile * se)
