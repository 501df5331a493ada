"""Counting units, GRANT WCAT (L), narrowed grant sets, administrative closures that were
re-calendared, and the venue lookup: exact figures on hand-built releases (real Parquet,
real DuckDB), each worked out by hand in the test."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics_support import Builder
from asylumlens.analytics import DEFINITIONS, compare, judges, rates
from asylumlens.cli import app
from asylumlens.errors import StoreError

PROVENANCE = {"definition", "unit", "release", "synthetic"}


@pytest.fixture(scope="module")
def duplicates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Case 1: one proceeding holding two denial rows; case 2: one grant. Case 3 was
    denied in 2019 and granted in a later (reopened) proceeding in 2020."""
    b = Builder()
    c1 = b.case()
    p1 = b.proceeding(c1, date(2019, 3, 1))
    b.application(p1, "D")
    b.application(p1, "D")
    b.decided(date(2019, 3, 1), "G")
    c3 = b.case()
    b.application(b.proceeding(c3, date(2019, 5, 1)), "D")
    b.application(b.proceeding(c3, date(2020, 5, 1)), "G")
    root = tmp_path_factory.mktemp("units")
    b.publish(root)
    return root


def test_two_duplicate_denials_33_by_application_50_by_case(duplicates: Path) -> None:
    until = "FY2019"
    # FY2019 alone: case 1 (D, D) and case 2 (G); case 3's 2019 denial is its only
    # decision up to FY2019
    app_ = rates("trac", by=(), until=until, unit="application", store=duplicates).iloc[0]
    assert (app_["grants"], app_["total"]) == (1, 4)
    two = Builder()
    c = two.case()
    p = two.proceeding(c, date(2019, 3, 1))
    two.application(p, "D")
    two.application(p, "D")
    two.decided(date(2019, 3, 1), "G")
    root = duplicates.parent / "two_denials"
    two.publish(root)
    by_app = rates("trac", by=(), unit="application", store=root).iloc[0]
    by_case = rates("trac", by=(), unit="case", store=root).iloc[0]
    by_proc = rates("trac", by=(), unit="proceeding", store=root).iloc[0]
    assert (by_app["grants"], by_app["total"]) == (1, 3)
    assert round(by_app["rate"] * 100) == 33
    assert (by_case["grants"], by_case["total"]) == (1, 2) and by_case["rate"] == 0.5
    assert (by_proc["grants"], by_proc["total"]) == (1, 2)
    # each definition's own unit when none is given: TRAC counts cases, EOIR applications
    assert rates("trac", by=(), store=root).iloc[0]["rate"] == 0.5
    assert rates("eoir", by=(), store=root).iloc[0]["total"] == 3


def test_proceeding_and_case_units_differ_on_reopened_cases(duplicates: Path) -> None:
    proc = rates("trac", by=(), unit="proceeding", store=duplicates).iloc[0]
    case = rates("trac", by=(), unit="case", store=duplicates).iloc[0]
    # proceedings: c1 (D), c2 (G), c3 first (D), c3 later (G) -> 2 of 4
    assert (proc["grants"], proc["total"]) == (2, 4)
    # cases: c1 D, c2 G, c3 its latest decision, the 2020 grant -> 2 of 3
    assert (case["grants"], case["total"]) == (2, 3)
    by_year = rates("trac", by="fiscal_year", unit="case", store=duplicates)
    assert by_year.set_index("fiscal_year")["total"].to_dict() == {2019: 2, 2020: 1}


def test_every_row_names_definition_unit_release_synthetic(duplicates: Path) -> None:
    df = rates("trac", by="fiscal_year", store=duplicates)
    assert set(df.columns) >= PROVENANCE
    assert set(df["definition"]) == {"trac"} and set(df["unit"]) == {"case"}
    assert set(df["release"]) == {"2026-0101"} and df["synthetic"].tolist() == [True, True]
    assert df.attrs["unit"] == "case" and df.attrs["unit_is_default"] is True
    cmp = compare("FY2020", baseline="FY2019", definition="trac", store=duplicates)
    assert set(cmp["unit"]) == {"case"} and set(cmp["release"]) == {"2026-0101"}
    assert "counting cases" in cmp.attrs["sentence"]
    by_app = compare(
        "FY2020", baseline="FY2019", definition="trac", unit="application", store=duplicates
    )
    assert by_app.set_index("measure").loc["baseline_pooled", "total"] == 4
    assert "counting applications" in by_app.attrs["sentence"]
    court = judges("NYC", definition="trac", store=duplicates, unit="proceeding")
    assert set(court["unit"]) == {"proceeding"} and court["total"].sum() == 4


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_cli_rows_carry_provenance(duplicates: Path, fmt: str) -> None:
    result = CliRunner().invoke(
        app, ["rates", "-d", "trac", "-f", fmt, "--unit", "proceeding", "--store", str(duplicates)]
    )
    assert result.exit_code == 0, result.output
    rows = (
        json.loads(result.stdout)
        if fmt == "json"
        else list(csv.DictReader(io.StringIO(result.stdout)))
    )
    assert rows
    for row in rows:
        assert row["definition"] == "trac" and row["unit"] == "proceeding"
        assert row["release"] == "2026-0101"
        assert row["synthetic"] in (True, "True")
        assert "partial" in row


def test_cli_table_title_names_the_unit(duplicates: Path) -> None:
    result = CliRunner().invoke(
        app, ["rates", "-d", "trac", "--store", str(duplicates)], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0
    assert "TRAC definition (release 2026-0101), unit: case" in result.stdout


def test_grant_wcat_on_the_asylum_row_per_definition(tmp_path: Path) -> None:
    """L: EOIR "other" (footnote 3); TRAC: asylum refused, so a denial; TRAC other relief:
    the "other relief" share (NOTES.md section 3.2)."""
    b = Builder()
    for dec in ["G", "D", "L", "L", "A"]:
        b.decided(date(2019, 1, 1), dec)
    b.publish(tmp_path)
    eoir = rates("eoir", by=(), store=tmp_path).iloc[0]
    assert (eoir["grants"], eoir["denials"], eoir["others"], eoir["total"]) == (1, 1, 3, 5)
    trac = rates("trac", by=(), store=tmp_path).iloc[0]
    assert (trac["grants"], trac["denials"], trac["others"], trac["total"]) == (1, 3, 0, 4)
    relief = rates("trac_other_relief", by=(), store=tmp_path).iloc[0]
    assert (relief["grants"], relief["other_relief"], relief["denials"]) == (1, 2, 1)
    assert relief["total"] == trac["total"] == 4
    assert relief["other_relief_rate"] == 0.5 and relief["denial_rate"] == 0.25
    wide = rates("trac_other_relief", by=(), grant_codes="G,L", store=tmp_path).iloc[0]
    assert (wide["grants"], wide["other_relief"], wide["denials"]) == (3, 0, 1)


def test_china_fy2021_worked_example(tmp_path: Path) -> None:
    """NOTES.md: 763 grants, 178 denials, 592 others give 50% (EOIR) and 81.1% (TRAC) when
    no other is a CAT grant; with 100 of the others coded L, TRAC gives 763/1041."""
    for name, others in (("no_l", "AMOW"), ("with_l", "AMOW")):
        b = Builder()
        decisions = ["G"] * 763 + ["D"] * 178 + [others[i % 4] for i in range(592)]
        if name == "with_l":
            decisions = decisions[:-100] + ["L"] * 100
        for i, dec in enumerate(decisions):
            b.decided(date(2020, 10, 1 + i % 28), dec)
        root = tmp_path / name
        b.publish(root)
        eoir = rates("eoir", by=(), store=root).iloc[0]
        trac = rates("trac", by=(), store=root).iloc[0]
        assert eoir["total"] == 1533 and round(eoir["rate"] * 100) == 50
        if name == "no_l":
            assert round(trac["rate"] * 1000) / 10 == 81.1
        else:
            assert (trac["grants"], trac["total"]) == (763, 1041)


def test_narrowed_grants_under_trac_leave_the_denominator(tmp_path: Path) -> None:
    """TRAC counts grants and denials only; a conditional grant (C) taken out of the grants
    is neither, so it leaves the count. Under eoir it moves to others (total unchanged)."""
    b = Builder()
    for dec in ["G", "F", "C", "D"]:
        b.decided(date(2019, 1, 1), dec)
    b.publish(tmp_path)
    trac = rates("trac", by=(), grant_codes="G,F", store=tmp_path).iloc[0]
    assert (trac["grants"], trac["denials"], trac["others"], trac["total"]) == (2, 1, 0, 3)
    eoir = rates("eoir", by=(), grant_codes="G,F", store=tmp_path).iloc[0]
    assert (eoir["grants"], eoir["denials"], eoir["others"], eoir["total"]) == (2, 1, 1, 4)
    assert DEFINITIONS["trac"].dropped_grants == "excluded"
    assert DEFINITIONS["eoir"].dropped_grants == "others"


def test_recalendared_admin_closure_is_not_the_completion(tmp_path: Path) -> None:
    """EOIR's FY2018 footnote counts only closures "not placed back on the docket"."""
    b = Builder()
    # closed with an admin-closure decision on the asylum row, re-calendared, then granted
    back = b.case()
    closed = b.proceeding(back, date(2018, 2, 1), other_comp="A", dec_code=None)
    b.application(closed, "S")
    b.application(b.proceeding(back, date(2018, 6, 1)), "G")
    # closed and never re-calendared: its closure is the case's completion
    stays = b.case()
    b.application(b.proceeding(stays, date(2018, 3, 1), other_comp="A", dec_code=None), "S")
    # closed, then re-calendared and still pending: no completion yet
    pending = b.case()
    b.application(b.proceeding(pending, date(2018, 4, 1), other_comp="A", dec_code=None), "S")
    b.proceeding(pending, None)
    b.publish(tmp_path)
    fy18 = rates("eoir_admin_closure", by=(), store=tmp_path).iloc[0]
    assert (fy18["grants"], fy18["others"], fy18["total"]) == (1, 1, 2)
    assert fy18["rate"] == 0.5
    eoir = rates("eoir", by=(), store=tmp_path).iloc[0]
    assert (eoir["grants"], eoir["total"]) == (1, 1)


def test_missing_court_decision_lookup_is_an_error(tmp_path: Path) -> None:
    b = Builder()
    b.decided(date(2019, 1, 1), "G")
    del b.raw.tables["tblLookupCourtDecision"]
    with pytest.raises(StoreError, match="no tblLookupCourtDecision"):
        b.publish(tmp_path)
    assert not (tmp_path / "releases" / "2026-0101" / "decisions.parquet").exists()


def test_fast_case_pick_equals_the_window_over_every_row(tmp_path: Path) -> None:
    """The fact table's per-case counts let the case unit skip its window where a case has
    one decision; the result must be the window's, exactly, rows without a case id included
    (a window puts them in one partition). Checked against the same query on a fact table
    without the counts, which takes the window everywhere."""
    import shutil

    import duckdb

    b = Builder()
    for year, decisions in ((2019, ("G",)), (2019, ("D", "G")), (2020, ("D",)), (2021, ("L", "D"))):
        case = b.case()
        for i, code in enumerate(decisions):
            b.application(b.proceeding(case, date(year, 3, 1 + i)), code)
    for code in ("G", "D", "D"):  # proceedings that name no case
        b.application(b.proceeding(None, date(2019, 5, 1)), code)  # type: ignore[arg-type]
    fast = tmp_path / "fast"
    b.publish(fast)
    slow = tmp_path / "slow"
    shutil.copytree(fast, slow, symlinks=True)
    facts = next(slow.rglob("decisions.parquet"))
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * EXCLUDE (case_asylum_decisions, proceeding_asylum_decisions) "
        f"FROM read_parquet('{facts}')) TO '{facts}.tmp' (FORMAT parquet)"
    )
    Path(f"{facts}.tmp").replace(facts)
    for unit in ("case", "proceeding"):
        got = rates("trac", by=("fiscal_year",), unit=unit, store=fast)
        want = rates("trac", by=("fiscal_year",), unit=unit, store=slow)
        cols = ["fiscal_year", "grants", "denials", "total"]
        assert got[cols].to_dict("records") == want[cols].to_dict("records"), unit
    by_case = rates("trac", by=(), unit="case", store=fast).iloc[0]
    # cases: G; D then G -> G; D; L then D -> D; the three without a case id -> one, the
    # latest with same-day ties by priority (G before D)
    assert (by_case["grants"], by_case["total"]) == (3, 5)
