"""compare, honestly: counts beside every rate, thin and missing years named, a mean-of-
years interval that admits between-year variation (checked against scipy's t-interval and
by simulation with known truth), and no grants/total pair on the mean's row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from analytics_support import Builder
from asylumlens.analytics import compare
from asylumlens.analytics.intervals import mean_of_yearly_rates_interval


def baseline_store(root: Path, years: dict[int, tuple[int, int]]) -> Path:
    b = Builder()
    for fy, (grants, total) in years.items():
        for i in range(total):
            b.decided(date(fy, 3, 1), "G" if i < grants else "D")
    b.publish(root, release_date="2026-01-01")
    return root


ONE_DECISION_YEAR = {fy: (28, 100) for fy in range(2010, 2025) if fy != 2013}
ONE_DECISION_YEAR[2013] = (1, 1)
ONE_DECISION_YEAR[2025] = (10, 100)


@pytest.fixture(scope="module")
def thin_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return baseline_store(tmp_path_factory.mktemp("thin"), ONE_DECISION_YEAR)


def test_one_decision_year_is_named_and_the_interval_widens(thin_store: Path) -> None:
    df = compare("FY2025", baseline="FY2010-FY2024", definition="trac", store=thin_store)
    rows = df.set_index("measure")
    mean = rows.loc["baseline_mean"]
    # 14 years at 28% and one year of 1/1: the mean of yearly rates is 32.8%
    assert mean["rate"] == pytest.approx((14 * 0.28 + 1.0) / 15)
    rates_ = np.array([0.28] * 14 + [1.0])
    half = stats.t.ppf(0.975, 14) * rates_.std(ddof=1) / np.sqrt(15)
    assert mean["ci_low"] == pytest.approx(mean["rate"] - half)
    assert mean["ci_high"] == pytest.approx(mean["rate"] + half)
    assert mean["ci_high"] - mean["ci_low"] > 0.15  # not [31.2, 34.4]
    assert mean["years_below_threshold"] == "FY2013" and bool(mean["below_threshold"])
    sentence = df.attrs["sentence"]
    assert "Fewer than 25 decisions in FY2013 (1 decision) (baseline)" in sentence
    assert "each still counts as a full year in the average" in sentence
    assert df.attrs["baseline_years_below_threshold"] == [2013]
    # counts beside every rate; the mean's row has no grants/total pair
    assert mean["grants"] is None and mean["total"] is None
    assert mean["decisions"] == 14 * 100 + 1
    pooled = rows.loc["baseline_pooled"]
    assert (pooled["grants"], pooled["total"]) == (14 * 28 + 1, 1401)
    assert pooled["rate"] == pytest.approx(pooled["grants"] / pooled["total"])
    assert "Counts: 10 grants of 100 decisions in FY2025; 393 of 1,401" in sentence
    assert "from a 33% average in FY2010–FY2024 (pooled over those years: 28%)" in sentence


def test_missing_baseline_years_are_named_in_the_label(tmp_path: Path) -> None:
    years = {fy: (30, 60) for fy in (2010, 2011, 2012, 2014)}
    years[2015] = (3, 30)
    df = compare(
        "FY2015", baseline="FY2010-FY2014", definition="trac", store=baseline_store(tmp_path, years)
    )
    rows = df.set_index("measure")
    label = "FY2010–FY2014 (no data for FY2013)"
    assert rows.loc["baseline_mean", "fiscal_years"] == label
    assert rows.loc["baseline_pooled", "years_missing"] == "FY2013"
    assert rows.loc["baseline_mean", "years_with_data"] == 4
    assert f"from a 50% average in {label} (pooled over those years: 50%)" in df.attrs["sentence"]
    assert "fell to 10% in FY2015" in df.attrs["sentence"]
    assert df.attrs["baseline_years_missing"] == [2013]


def test_zero_of_n_years_never_collapse_the_interval() -> None:
    mean, low, high = mean_of_yearly_rates_interval([0, 0, 0], [40, 50, 60])
    assert mean == 0.0 and low == 0.0 and high > 0.01
    # one 0/n year among others: the old within-year variance gave that year zero weight
    mean, low, high = mean_of_yearly_rates_interval([0, 30, 30], [10, 100, 100])
    assert low < mean < high and high - low > 0.2
    mean, low, high = mean_of_yearly_rates_interval([7], [10])
    z = stats.norm.ppf(0.975)
    p = (7 + z * z / 2) / (10 + z * z)
    assert high - mean == pytest.approx(z * np.sqrt(p * (1 - p) / (10 + z * z)))


def test_mean_of_years_interval_covers_the_typical_year_by_simulation() -> None:
    """Years drawn from Beta(6, 14) (typical rate 30%), 15 years of 30-400 decisions each:
    the 95% interval covers 30% in about 95% of baselines (3,000 simulated; deterministic)."""
    rng = np.random.default_rng(20261129)
    truth = 6 / 20
    hits = 0
    runs = 3000
    for _ in range(runs):
        n = rng.integers(30, 400, size=15)
        k = rng.binomial(n, rng.beta(6, 14, size=15))
        _, low, high = mean_of_yearly_rates_interval(k, n)
        hits += low <= truth <= high
    assert 0.93 <= hits / runs <= 0.97
