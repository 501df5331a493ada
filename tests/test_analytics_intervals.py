"""Wilson intervals against statsmodels, the mean-of-rates interval, and fiscal years."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from asylumlens.analytics.intervals import mean_of_rates_interval, wilson_interval
from asylumlens.analytics.periods import (
    FiscalYears,
    fiscal_year,
    parse_bound,
    parse_fiscal_years,
)
from asylumlens.errors import QueryError


@settings(max_examples=300)
@given(n=st.integers(1, 2_000_000), frac=st.floats(0, 1), conf=st.sampled_from([0.9, 0.95, 0.99]))
def test_wilson_matches_statsmodels(n: int, frac: float, conf: float) -> None:
    k = round(n * frac)
    low, high = wilson_interval(k, n, conf)
    ref_low, ref_high = proportion_confint(k, n, alpha=1 - conf, method="wilson")
    assert abs(float(low) - ref_low) <= 1e-12
    assert abs(float(high) - ref_high) <= 1e-12


def test_wilson_vectorised_and_empty_cells() -> None:
    k = np.array([0, 5, 10, 0])
    n = np.array([10, 10, 10, 0])
    low, high = wilson_interval(k, n)
    ref_low, ref_high = proportion_confint(k[:3], n[:3], method="wilson")
    assert np.allclose(low[:3], ref_low, atol=1e-12, rtol=0)
    assert np.allclose(high[:3], ref_high, atol=1e-12, rtol=0)
    assert np.isnan(low[3]) and np.isnan(high[3])
    assert low[0] == pytest.approx(0.0, abs=1e-15) and high[2] == pytest.approx(1.0)


def test_mean_of_rates_interval() -> None:
    mean, low, high = mean_of_rates_interval([20, 18], [100, 50])
    assert mean == pytest.approx((0.2 + 0.36) / 2)
    se = np.sqrt(0.2 * 0.8 / 100 + 0.36 * 0.64 / 50) / 2
    assert low == pytest.approx(mean - 1.959963984540054 * se)
    assert high == pytest.approx(mean + 1.959963984540054 * se)
    assert all(np.isnan(mean_of_rates_interval([0], [0])))


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31)))
def test_fiscal_year_rule(day: date) -> None:
    fy = fiscal_year(day)
    assert date(fy - 1, 10, 1) <= day <= date(fy, 9, 30)
    assert parse_bound(f"FY{fy}", end=False) <= day <= parse_bound(f"FY{fy}", end=True)  # type: ignore[operator]


def test_fiscal_year_boundaries() -> None:
    assert fiscal_year(date(2020, 9, 30)) == 2020
    assert fiscal_year(date(2020, 10, 1)) == 2021
    assert fiscal_year(date(2021, 1, 1)) == 2021
    assert parse_bound("FY2021", end=False) == date(2020, 10, 1)
    assert parse_bound("FY2021", end=True) == date(2021, 9, 30)
    assert parse_bound("fy2021", end=True) == date(2021, 9, 30)
    assert parse_bound("2020-10-01", end=True) == date(2020, 10, 1)
    assert parse_bound(None, end=True) is None
    assert parse_bound("FY2021", end=True) + timedelta(days=1) == parse_bound("FY2022", end=False)  # type: ignore[operator]


def test_fiscal_year_ranges() -> None:
    assert parse_fiscal_years("FY2010-FY2024") == FiscalYears(2010, 2024)
    assert parse_fiscal_years("FY2010–FY2024").years == tuple(range(2010, 2025))
    assert parse_fiscal_years("FY2025").label == "FY2025"
    assert FiscalYears(2010, 2024).label == "FY2010–FY2024"
    for bad in ["2025", "FY2024-FY2010", "FY25"]:
        with pytest.raises(QueryError):
            parse_fiscal_years(bad)
    with pytest.raises(QueryError, match="not a fiscal year"):
        parse_bound("yesterday", end=False)
