"""The claim check (asylumlens.analytics.check_claim) and the case-outcome definition it
sweeps, on hand-built releases whose every figure is known (docs/claims.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from analytics_support import Builder
from asylumlens.analytics import rates


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
