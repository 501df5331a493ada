"""The time-ordered split every fit and every score uses: the past trains, the future tests.

Years are fiscal years of the decision (completion). With ``test_years`` = 2 and the
release's last complete fiscal year L, the test years are L-1 and L (T and T+1); the
training window is every year before T, and its last year is the calibration slice (the
booster is fit on the years before it, the calibration map on it). A fiscal year is
complete when the release covers its last day (30 September), as every other figure of
AsylumLens decides it (:class:`~asylumlens.analytics.source.Coverage`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from asylumlens.analytics.source import Coverage
from asylumlens.errors import AsylumLensError


class ModelError(AsylumLensError):
    """The outcome model cannot be trained, found or used as asked (the message says why
    and what to do)."""


@dataclass(frozen=True)
class Split:
    """Boolean masks over the rows, and the years they stand for."""

    fit: np.ndarray
    calibration: np.ndarray
    test: np.ndarray
    first_year: int
    calibration_year: int
    test_years: tuple[int, ...]

    @property
    def training(self) -> np.ndarray:
        """Fit and calibration rows together: what the baselines learn from."""
        mask: np.ndarray = np.logical_or(self.fit, self.calibration)
        return mask


def last_complete_fiscal_year(coverage: Coverage) -> int | None:
    """The latest fiscal year whose 30 September the release covers."""
    last = coverage.last_complete_day
    if last is None:
        return None
    year = last.year + (1 if last.month >= 10 else 0)
    return year if coverage.covers(date(year, 9, 30)) else year - 1


def time_split(
    rows: pd.DataFrame, coverage: Coverage, *, test_years: int, min_decisions: int
) -> Split:
    """The masks of :data:`rows` (needs ``fiscal_year``); refuses a release too small to
    fit, calibrate and test (each part needs ``min_decisions`` rows with both outcomes)."""
    if test_years < 1:
        raise ModelError("test_years must be 1 or more")
    last = last_complete_fiscal_year(coverage)
    if last is None or rows.empty:
        raise ModelError("the release has no granted or denied asylum decisions to learn from")
    first_test = last - test_years + 1
    years = rows["fiscal_year"].to_numpy()
    test = (years >= first_test) & (years <= last)
    calibration = years == first_test - 1
    fit = years < first_test - 1
    first_year = int(years[fit].min()) if fit.any() else first_test - 1
    split = Split(
        fit, calibration, test, first_year, first_test - 1, tuple(range(first_test, last + 1))
    )
    _check(rows, split, min_decisions)
    return split


def _check(rows: pd.DataFrame, split: Split, minimum: int) -> None:
    granted = rows["appl_dec"].astype(str).str.strip().str.upper() != "D"
    for name, mask in (
        (f"before FY{split.calibration_year} (fit)", split.fit),
        (f"in FY{split.calibration_year} (calibration)", split.calibration),
        (f"in FY{split.test_years[0]}-FY{split.test_years[-1]} (test)", split.test),
    ):
        n = int(mask.sum())
        grants = int((granted.to_numpy() & mask).sum())
        if n < minimum or grants == 0 or grants == n:
            raise ModelError(
                f"too few decisions to train the outcome model: {n} granted or denied asylum "
                f"decisions {name}, {grants} of them grants; need at least {minimum} with "
                "both outcomes (a larger release, or fewer --test-years)"
            )
