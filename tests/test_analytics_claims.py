"""The claim check (asylumlens.analytics.check_claim) and the case-outcome definition it
sweeps, on hand-built releases whose every figure is known (docs/claims.md)."""

from __future__ import annotations

import functools
import random
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analytics_support import Builder
from asylumlens.analytics import rates
from asylumlens.analytics.claims import SWEPT_DEFINITIONS, check_claim
from asylumlens.analytics.source import open_source
from asylumlens.errors import QueryError


def case_outcome_release(root: Path) -> Path:
    """FY2021: 3 grants, 4 denials, 1 CAT grant (L), 2 withdrawn, 1 abandoned, 1 admin
    closure, 1 change of venue (T); a case decided twice (denied, then granted: one case);
    a WHO case (outside EOIR's scope, inside TRAC's)."""
    b = Builder()
    day = date(2021, 3, 1)
    for code in ("G", "G", "F", "D", "D", "D", "D", "L", "W", "W", "A", "S", "T"):
        b.decided(day, code)
    twice = b.case()
    b.application(b.proceeding(twice, date(2020, 12, 1)), "D")
    b.application(b.proceeding(twice, date(2021, 5, 1)), "G")
    b.decided(day, "G", case_type="WHO")
    b.publish(root, release_date="2026-01-01")
    return root


def test_case_outcome_counts_every_completed_asylum_case(tmp_path: Path) -> None:
    root = case_outcome_release(tmp_path)
    row = rates("trac_case_outcome", by="fiscal_year", store=root).iloc[0]
    # grants: G, G, F, the twice-decided case (its latest decision), the WHO case = 5;
    # denials: D x 4; others: L, W, W, A, S, T = 6; 15 cases in all
    assert (row["grants"], row["denials"], row["others"], row["total"]) == (5, 4, 6, 15)
    assert row["rate"] == pytest.approx(5 / 15)
    assert row["unit"] == "case"
    by_application = rates(
        "trac_case_outcome", by="fiscal_year", unit="application", store=root
    ).iloc[0]
    assert (by_application["grants"], by_application["total"]) == (5, 16)
    trac = rates("trac", by="fiscal_year", store=root).iloc[0]
    assert (trac["grants"], trac["total"]) == (5, 10)  # grants + denials (L a denial)


def test_case_outcome_narrowed_grants_stay_in_the_denominator(tmp_path: Path) -> None:
    root = case_outcome_release(tmp_path)
    row = rates("trac_case_outcome", by="fiscal_year", grant_codes="G", store=root).iloc[0]
    assert (row["grants"], row["total"]) == (4, 15)  # F moves to the others


# ---------------------------------------------------------------------------------------
# check_claim


def sweep_release(root: Path, release_date: str = "2026-01-01") -> Path:
    """FY2009-FY2025 / CY2010-CY2025 with every kind of decision: grant rates that differ
    by definition, unit (cases decided twice), grant set (conditional grants) and year
    basis (decisions on both sides of 1 October), two nationalities, a WHO case type."""
    rng = random.Random(672)
    b = Builder()
    codes = ["G", "F", "C", "D", "D", "D", "L", "W", "A", "S", "O"]
    for year in range(2010, 2026):
        for _ in range(30):
            day = date(year, rng.randint(1, 12), rng.randint(1, 28))
            nat = rng.choice(["CH", "ES"])
            code = rng.choice(codes[: 3 + (year % 4)] + codes[3:])
            case_type = "WHO" if rng.random() < 0.1 else "RMV"
            b.decided(day, code, nat=nat, case_type=case_type)
        for _ in range(4):  # decided twice: denied, then granted months later
            case = b.case(nat="CH")
            b.application(b.proceeding(case, date(year, 2, 1)), "D")
            b.application(b.proceeding(case, date(year, 11, 1)), rng.choice(["G", "C"]))
        for _ in range(2):  # decided again a year or more later; twice on one day
            case = b.case(nat="ES")
            b.application(b.proceeding(case, date(year, 3, 1)), "D")
            later = date(min(year + 1 + rng.randrange(3), 2025), 5, 1)
            b.application(b.proceeding(case, later), "G")
            same_day = b.proceeding(b.case(nat="ES"), date(year, 6, 1))
            b.application(same_day, "D")
            b.application(same_day, "G")
    b.decided(date(2025, 12, 31), "D", nat="ES")  # CY2025 complete by a 2026-01-01 release
    b.publish(root, release_date=release_date)
    return root


@functools.cache
def _yearly(
    root: Path, definition: str, basis: str, since: str, until: str, unit: str, codes: str
) -> pd.DataFrame:
    return rates(
        definition, by=basis, since=since, until=until, unit=unit, grant_codes=codes, store=root
    )


def library_figures(root: Path, row: pd.Series, role: str) -> tuple[int, int, float]:
    """(grants, decisions, rate) of one reading's period or baseline, by rates() alone."""
    label = row[f"{role}_label"]
    basis = "fiscal_year" if label.startswith("FY") else "calendar_year"
    years = [int(y) for y in re.findall(r"[0-9]{4}", label)]
    period_years = [int(y) for y in re.findall(r"[0-9]{4}", row["period_label"])]
    baseline_label = row.get("baseline_label")
    all_years = period_years + (
        [int(y) for y in re.findall(r"[0-9]{4}", baseline_label)]
        if isinstance(baseline_label, str)
        else []
    )
    prefix = "FY" if basis == "fiscal_year" else "CY"
    since = f"FY{min(all_years)}" if prefix == "FY" else f"{min(all_years)}-01-01"
    until = f"FY{max(all_years)}" if prefix == "FY" else f"{max(all_years)}-12-31"
    codes = row["grant_set"].split("(")[1].rstrip(")")
    yearly = _yearly(root, row["definition"], basis, since, until, row["unit"], codes)
    sel = yearly[yearly[basis].between(min(years), max(years))]
    if role == "baseline" and row["aggregation"] == "mean of years":
        return -1, int(sel["total"].sum()), float((sel["grants"] / sel["total"]).mean())
    grants, total = int(sel["grants"].sum()), int(sel["total"].sum())
    return grants, total, grants / total


SEED = (
    "the asylum approval rate plummeted to 10 percent in 2025, from the 28 percent "
    "average recorded between 2010 and 2024"
)


def test_every_reading_agrees_with_rates(tmp_path: Path) -> None:
    root = sweep_release(tmp_path)
    df = check_claim(SEED, store=root)
    # 4 definitions x 3 units x 2 grant sets x 2 year bases x 2 aggregations
    assert len(df) == 96
    assert set(df["definition"]) == set(SWEPT_DEFINITIONS)
    assert set(df["year_basis"]) == {"fiscal years", "calendar years"}
    # every reading, on both year bases, from one query of the rows alone in their case or
    # proceeding, + one of the others per definition x (case, proceeding), + 2 for trac's
    # narrowed grants by case and proceeding
    assert df.attrs["queries"] == 1 + 4 * 2 + 2
    for _, row in df.iterrows():
        for role in ("period", "baseline"):
            grants, total, rate = library_figures(root, row, role)
            assert row[f"{role}_decisions"] == total, (role, row.to_dict())
            assert row[f"{role}_rate"] == pytest.approx(rate, abs=1e-12), (role, row.to_dict())
            if grants >= 0:
                assert row[f"{role}_grants"] == grants
    assert df["distance_points"].is_monotonic_increasing
    assert df.attrs["synthetic"] is True and set(df["synthetic"]) == {True}


@pytest.mark.parametrize(
    ("definition", "unit", "basis", "grant_set", "aggregation"),
    [
        ("trac_case_outcome", "case", "calendar years", "all grants", "mean of years"),
        ("eoir", "application", "fiscal years", "full grants only", "pooled"),
        ("trac", "proceeding", "calendar years", "full grants only", "pooled"),
    ],
)
def test_a_claim_built_from_a_reading_is_found(
    tmp_path: Path, definition: str, unit: str, basis: str, grant_set: str, aggregation: str
) -> None:
    root = sweep_release(tmp_path)
    truth = check_claim(SEED, store=root)
    x = truth[
        (truth["definition"] == definition)
        & (truth["unit"] == unit)
        & (truth["year_basis"] == basis)
        & truth["grant_set"].str.startswith(grant_set)
        & (truth["aggregation"] == aggregation)
    ]
    assert len(x) == 1
    reading = x.iloc[0]
    # X's figures by the library alone, rounded as a newspaper prints them
    _, _, period_rate = library_figures(root, reading, "period")
    _, _, baseline_rate = library_figures(root, reading, "baseline")
    p, m = round(period_rate * 100), round(baseline_rate * 100)
    sentence = f"fell to {p}% in 2025 from a {m}% average between 2010 and 2024"
    found = check_claim(sentence, store=root)
    hits = found[found["matches"]]
    keys = ["definition", "unit", "year_basis", "grant_set", "aggregation"]
    assert tuple(reading[keys]) in {tuple(r) for r in hits[keys].itertuples(index=False)}
    assert found.attrs["matched"] == len(hits) >= 1
    assert "reproduce the claim" in found.attrs["verdict"]
    assert (hits["distance_points"] <= 0.5 + 1e-9).all()


def test_a_claim_no_reading_gives_is_unmatched(tmp_path: Path) -> None:
    root = sweep_release(tmp_path)
    df = check_claim(rate=99, period="2025", baseline_rate=28, baseline="2010-2024", store=root)
    assert (df["period_rate"] <= 0.6).all()
    assert not df["matches"].any() and df.attrs["matched"] == 0
    assert df.attrs["verdict"].startswith("No reading of SYNTHETIC release")
    assert df["distance_points"].iloc[0] >= 39


def test_stated_basis_scope_and_tolerance(tmp_path: Path) -> None:
    root = sweep_release(tmp_path)
    df = check_claim(
        rate="12.5", period="FY2025", where={"nationality": "china"}, tolerance=2, store=root
    )
    assert set(df["year_basis"]) == {"fiscal years"}
    assert "aggregation" not in df.columns and len(df) == 24
    assert df.attrs["where"] == {"nationality": ["CH"]}
    assert df.attrs["tolerance"] == {"period": 2.0, "baseline": None, "from_rounding": False}
    ch = rates(
        "trac",
        by="fiscal_year",
        where={"nationality": "CH"},
        since="FY2025",
        until="FY2025",
        store=root,
    )
    fy25 = ch.set_index("fiscal_year").loc[2025]
    trac_case = df[(df["definition"] == "trac") & (df["unit"] == "case")]
    row = trac_case[trac_case["grant_set"].str.startswith("all grants")].iloc[0]
    assert (row["period_grants"], row["period_decisions"]) == (fy25["grants"], fy25["total"])
    assert df["matches"].tolist() == (df["distance_points"] <= 2 + 1e-9).tolist()
    one_decimal = check_claim(rate="12.5", period="FY2025", store=root)
    assert one_decimal.attrs["tolerance"]["period"] == pytest.approx(0.05)


def test_a_partial_year_is_also_read_to_date(tmp_path: Path) -> None:
    root = sweep_release(tmp_path, release_date="2025-07-01")
    df = check_claim("10% in 2025", store=root)
    assert set(df["year_basis"]) == {
        "fiscal years",
        "calendar years",
        "fiscal years, to 2025-06-30",
        "calendar years, to 2025-06-30",
    }
    assert df["period_partial"].all()
    cut = df[(df["year_basis"] == "calendar years, to 2025-06-30")]
    row = cut[(cut["definition"] == "eoir") & (cut["unit"] == "application")].iloc[0]
    direct = rates("eoir", by=(), since="2025-01-01", until="2025-06-30", store=root)
    assert row["period_decisions"] == direct["total"].iloc[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"claim": "10% in 2040"}, "period 2040 (fiscal or calendar) is outside the data"),
        ({"claim": "10% in 2025 from a 28% average between 1990 and 1995"}, "baseline 1990"),
        ({"claim": "10% in FY2025", "where": {"nationality": "ZZ"}}, "unknown nationality"),
        ({"claim": "10% in FY2025", "tolerance": 0}, "tolerance=0 must be more than 0"),
        ({"claim": "10% in FY2025", "tolerance": -1.0}, "tolerance=-1.0"),
        ({"rate": 120, "period": "2025"}, "rate=120 is not a percentage between 0 and 100"),
        ({"rate": 10, "period": "2025", "baseline_rate": 28}, "baseline_rate and baseline"),
        ({"rate": 10, "period": "FY25"}, "rate period='FY25' is not a period"),
    ],
)
def test_bad_input_names_the_value(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    root = sweep_release(tmp_path)
    with pytest.raises(QueryError) as err:
        check_claim(**kwargs, store=root)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("unit", ["application", "case", "proceeding"])
@pytest.mark.parametrize("definition", SWEPT_DEFINITIONS)
def test_year_counts_give_each_frame_its_own_query(
    tmp_path: Path, definition: str, unit: str
) -> None:
    """Counts by year (and year overtaken) summed over a frame of whole years are that
    frame's own query, for any such span on either year basis, with cases decided twice in
    one year, across the 1 October line, and years apart: which decision a case keeps
    depends on the span."""
    from asylumlens.analytics.claims import Frame, _run_frame, _YearCounts

    root = sweep_release(tmp_path)
    rng = random.Random(f"{definition}-{unit}")
    spans: list[tuple[str, int, int]] = [("fiscal", 2010, 2025), ("calendar", 2010, 2025)]
    for _ in range(8):
        first, last = sorted(rng.randrange(2010, 2026) for _ in range(2))
        spans.append((rng.choice(["fiscal", "calendar"]), first, last))
    with open_source(root, None) as source:
        for kind, first, last in spans:
            if kind == "fiscal":
                start, end = date(first - 1, 10, 1), date(last, 9, 30)
            else:
                start, end = date(first, 1, 1), date(last, 12, 31)
            frame = Frame(definition, unit, None, kind, start, end)  # type: ignore[arg-type]
            assert _YearCounts.covers(frame)
            own = _run_frame(source, frame, ())
            derived = _YearCounts(source, ()).frame(frame)
            assert _cells(derived) == _cells(own), (kind, first, last)
            assert sum(_cells(own).values()) > 0
        assert not _YearCounts.covers(
            Frame(definition, unit, None, "fiscal", date(2024, 10, 1), date(2025, 6, 30))  # type: ignore[arg-type]
        )
        assert not _YearCounts.covers(
            Frame(definition, unit, None, None, date(2010, 1, 1), date(2025, 12, 31))  # type: ignore[arg-type]
        )


def _cells(counts: Any) -> dict[tuple[int, str], int]:
    return {
        (int(y), c): int(counts.n[i, j])
        for i, y in enumerate(counts.years)
        for j, c in enumerate(counts.codes)
        if counts.n[i, j]
    }
