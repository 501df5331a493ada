"""compare(): the newspaper line; judges(): empirical-Bayes shrinkage and the spread."""

from __future__ import annotations

import statistics
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scipy import special
from statsmodels.stats.proportion import proportion_confint

from analytics_support import Builder
from asylumlens.analytics import compare, judges
from asylumlens.analytics.judge_model import fit_prior
from asylumlens.errors import QueryError

# Baseline years alternate between 20/100 and 18/50 granted; FY2025 has 10/100.
YEARS = {fy: (20, 100) if fy % 2 == 0 else (18, 50) for fy in range(2010, 2025)}
YEARS[2025] = (10, 100)


@pytest.fixture(scope="module")
def compare_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = Builder()
    for fy, (grants, total) in YEARS.items():
        for i in range(total):
            # initial completions in RMV cases; half on 1 Oct, half on 30 Sep of the FY
            day = date(fy - 1, 10, 1) if i % 2 else date(fy, 9, 30)
            b.decided(day, "G" if i < grants else "D")
    root = tmp_path_factory.mktemp("compare")
    b.publish(root)
    return root


def test_compare_period_against_mean_and_pooled(compare_store: Path) -> None:
    df = compare("FY2025", baseline="FY2010-FY2024", store=compare_store).set_index("measure")
    base = [YEARS[fy] for fy in range(2010, 2025)]
    mean = statistics.mean(g / n for g, n in base)
    pooled = sum(g for g, _ in base) / sum(n for _, n in base)
    assert df.loc["period", "rate"] == pytest.approx(0.10)
    assert df.loc["baseline_mean", "rate"] == pytest.approx(mean)
    assert df.loc["baseline_pooled", "rate"] == pytest.approx(pooled)
    assert df.loc["baseline_pooled", "total"] == sum(n for _, n in base)
    for m in df.index:
        assert df.loc[m, "ci_low"] < df.loc[m, "rate"] < df.loc[m, "ci_high"]
    expected = (
        f"fell to 10% in FY2025 from a {round(mean * 100)}% average in FY2010–FY2024 "
        f"(pooled over those years: {round(pooled * 100)}%)"
    )
    assert expected in df.attrs["sentence"]
    assert len(df.attrs["baseline_years"]) == 15 and df.attrs["baseline_years_missing"] == []
    assert df.attrs["synthetic"] is True


def test_compare_errors(compare_store: Path) -> None:
    with pytest.raises(QueryError, match="no asylum decisions in FY2030"):
        compare("FY2030", baseline="FY2010-FY2024", store=compare_store)
    with pytest.raises(QueryError, match="not a fiscal year"):
        compare("2025", baseline="FY2010-FY2024", store=compare_store)


def test_prior_fit_recovers_a_known_beta() -> None:
    rng = np.random.default_rng(7)
    n = rng.integers(50, 400, size=400)
    k = rng.binomial(n, rng.beta(2.0, 6.0, size=400))
    prior = fit_prior(k, n)
    assert prior.bound is None
    assert prior.mean == pytest.approx(0.25, abs=0.02)
    assert prior.concentration == pytest.approx(8.0, rel=0.25)

    def loglik(a: float, b: float) -> float:
        return float(np.sum(special.betaln(k + a, n - k + b) - special.betaln(a, b)))

    best = loglik(prior.alpha, prior.beta)
    for da, db in [(1.05, 1), (0.95, 1), (1, 1.05), (1, 0.95), (1.05, 1.05), (0.95, 0.95)]:
        assert loglik(prior.alpha * da, prior.beta * db) <= best + 1e-6


@pytest.fixture(scope="module")
def court_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = Builder()
    judges_ = {"JAA": (10, 200), "JBB": (60, 200), "JCC": (120, 200), "JDD": (0, 6)}
    for code, (grants, total) in judges_.items():
        for i in range(total):
            b.decided(date(2019, 1, 1), "G" if i < grants else "D", ij_code=code)
    b.decided(date(2019, 1, 1), "G", ij_code="JAA", base_city_code="ARL")  # another court
    for _ in range(5):  # a court with one judge, 0 grants of 5
        b.decided(date(2019, 1, 1), "D", ij_code="JBB", base_city_code="HOU")
    # codes that are not judges: blank, <All Judges>, a visiting-judge slot
    lookup = b.raw.rows("tblLookupJudge")
    lookup.append(dict(idnjudge=90, judge_code="AAA", judge_name="<All Judges>", blnactive=True))
    lookup.append(
        dict(idnjudge=91, judge_code="VJ1", judge_name="Visiting Judge 1", blnactive=True)
    )
    for code, grants, total in (("AAA", 3, 4), ("VJ1", 2, 2), (None, 1, 7)):
        for i in range(total):
            b.decided(date(2019, 1, 1), "G" if i < grants else "D", ij_code=code)
    root = tmp_path_factory.mktemp("court")
    b.publish(root)
    return root


def test_judges_shrink_small_caseloads_most(court_store: Path) -> None:
    df = judges(court="NYC", store=court_store).set_index("judge")
    assert df["total"].to_dict() == {"JAA": 200, "JBB": 200, "JCC": 200, "JDD": 6}
    assert df.loc["JDD", "rate"] == 0.0
    assert df.attrs["model"] == "hierarchical" and "4 judges" in df.attrs["note"]
    prior = df.attrs["prior"]
    assert prior["method"] == "marginal likelihood"
    assert prior["alpha"] + prior["beta"] == pytest.approx(prior["concentration"])
    assert prior["concentration_low"] < prior["concentration"] < prior["concentration_high"]
    for _, row in df.iterrows():
        assert row["shrunk_low"] <= row["shrunk_rate"] <= row["shrunk_high"]
    # the 6-decision judge moves far toward the prior; the 200-decision judges barely move
    assert df.loc["JDD", "shrunk_rate"] - df.loc["JDD", "rate"] > 0.05
    assert abs(df.loc["JBB", "shrunk_rate"] - df.loc["JBB", "rate"]) < 0.01
    assert df["below_threshold"].to_dict() == {
        "JAA": False,
        "JBB": False,
        "JCC": False,
        "JDD": True,
    }
    spread = df.attrs["spread"]
    assert spread["raw"] == {
        "judges": 4,
        "min": 0.0,
        "max": 0.6,
        "iqr": pytest.approx(
            np.percentile([0.05, 0.3, 0.6, 0.0], 75) - np.percentile([0.05, 0.3, 0.6, 0.0], 25)
        ),
    }
    assert spread["raw_at_threshold"]["min"] == 0.05 and spread["raw_at_threshold"]["judges"] == 3
    assert spread["shrunken"]["max"] == pytest.approx(df["shrunk_rate"].max())
    assert set(df["court"]) == {"NYC"} and df.loc["JAA", "judge_name"] == "ADAMS, A."


def test_judges_unknown_court(court_store: Path) -> None:
    closest = r"valid \(3\): NYC \(New York\), ARL \(Arlington\), HOU \(Houston\)"
    with pytest.raises(QueryError, match=rf"unknown court code 'XYZ'.*{closest}"):
        judges(court="XYZ", store=court_store)


def test_pseudo_judges_are_listed_apart_never_fitted(court_store: Path) -> None:
    df = judges(court="NYC", store=court_store)
    assert set(df["judge"]) == {"JAA", "JBB", "JCC", "JDD"}
    apart = {r["judge"]: r for r in df.attrs["not_judges"]}
    assert set(apart) == {"AAA", "VJ1", None}
    assert (apart["AAA"]["grants"], apart["AAA"]["total"]) == (3, 4)
    assert apart["AAA"]["reason"] == "placeholder for all judges"
    assert (apart["VJ1"]["total"], apart["VJ1"]["reason"]) == (2, "visiting-judge code")
    assert (apart[None]["total"], apart[None]["reason"]) == (7, "no judge code")
    assert df.attrs["spread"]["raw"]["judges"] == 4


def test_a_court_with_one_judge_gets_its_wilson_interval(court_store: Path) -> None:
    df = judges(court="HOU", store=court_store)
    assert df["judge"].tolist() == ["JBB"] and df["total"].tolist() == [5]
    assert df.attrs["model"] == "one judge" and "no court prior" in df.attrs["note"]
    low, high = proportion_confint(0, 5, alpha=0.05, method="wilson")
    row = df.iloc[0]
    assert row["shrunk_rate"] == 0.0
    assert row["shrunk_low"] == pytest.approx(low, abs=1e-12)
    assert row["shrunk_high"] == pytest.approx(high, abs=1e-12)
