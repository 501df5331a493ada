"""The fact table's rules and the rates engine, on small hand-made releases (real Parquet,
real DuckDB): fiscal-year boundaries, initial completions, representation, orphans and
unknown codes, one decision per case, other relief, thresholds, errors, Spark SQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import ibis
import pytest

from analytics_support import Builder
from asylumlens.analytics import DEFINITIONS, build_decisions, codes, default_min_decisions, rates
from asylumlens.analytics.rates import RatesSpec, counts_expr
from asylumlens.analytics.source import open_source
from asylumlens.errors import QueryError, StoreError
from asylumlens.store import Store


def facts(root: Path) -> list[dict[str, object]]:
    rel = Store(root).release()
    con = duckdb.connect()
    rows = con.execute(
        "SELECT * FROM read_parquet(?) ORDER BY idnproceedingappln",
        [str(rel.path / "decisions.parquet")],
    ).fetchall()
    cols = [d[0] for d in con.description]
    return [dict(zip(cols, r, strict=True)) for r in rows]


def test_fiscal_year_boundaries(tmp_path: Path) -> None:
    b = Builder()
    b.decided(date(2020, 9, 30), "G")
    b.decided(date(2020, 10, 1), "D")
    b.decided(date(2021, 9, 30), "D")
    b.decided(date(2021, 10, 1), "G")
    b.publish(tmp_path)
    df = rates("trac", by="fiscal_year", store=tmp_path).set_index("fiscal_year")
    assert df["grants"].to_dict() == {2020: 1, 2021: 0, 2022: 1}
    assert df["denials"].to_dict() == {2020: 0, 2021: 2, 2022: 0}
    one = rates("trac", by=(), since="FY2021", until="FY2021", store=tmp_path)
    assert (one["grants"][0], one["denials"][0]) == (0, 2)
    iso = rates("trac", by=(), since="2020-09-30", until="2020-10-01", store=tmp_path)
    assert (iso["grants"][0], iso["denials"][0]) == (1, 1)
    cal = rates("trac", by="calendar_year", store=tmp_path).set_index("calendar_year")
    assert cal["total"].to_dict() == {2020: 2, 2021: 2}


def test_initial_completion_skips_venue_changes_and_recalendared_closures(tmp_path: Path) -> None:
    b = Builder()
    moved = b.case()
    b.proceeding(moved, date(2019, 1, 10), other_comp="C", dec_code=None)  # change of venue
    b.proceeding(moved, date(2019, 1, 5), other_comp="T", dec_code=None)  # transfer
    first_real = b.proceeding(moved, date(2019, 3, 1))
    b.application(first_real, "G")
    later = b.proceeding(moved, date(2019, 6, 1))
    b.application(later, "D")
    closed = b.case()
    # 'A' has an inactive "Transfer (old)" row; the active "Administrative Closing" wins.
    # The closure was followed by a later proceeding (re-calendared): it is not the
    # case's completion, the later proceeding's decision is (EOIR FY2018 footnote 4).
    b.proceeding(closed, date(2019, 2, 1), other_comp="A", dec_code=None)
    recalendared = b.proceeding(closed, date(2019, 4, 1))
    b.application(recalendared, "G")
    b.publish(tmp_path)
    by_proc = {f["idnproceeding"]: f["initial_completion"] for f in facts(tmp_path)}
    assert by_proc[first_real] is True
    assert by_proc[later] is False
    assert by_proc[recalendared] is True
    assert sum(by_proc.values()) == 2
    eoir = rates("eoir", by=(), store=tmp_path)
    assert (eoir["grants"][0], eoir["denials"][0]) == (2, 0)
    trac = rates("trac", by=(), unit="application", store=tmp_path)
    assert (trac["grants"][0], trac["denials"][0]) == (2, 1)


def test_representation_orphans_and_unknown_codes(tmp_path: Path) -> None:
    b = Builder()
    court_alien = b.decided(date(2019, 1, 1), "G")
    b.rep(court_alien)
    dhs_only = b.decided(date(2019, 1, 1), "G")
    b.rep(dhs_only, kind="INS")
    board = b.decided(date(2019, 1, 1), "D")
    b.rep(board, level="BOARD")
    b.decided(date(2019, 1, 1), "D", e_28_date=date(2018, 5, 1))
    b.decided(date(2019, 1, 1), "G", nat="QQ")  # not in the nationality lookup
    orphan = b.proceeding(987654, date(2019, 1, 1), nat="MX")  # its case row is missing
    b.application(orphan, "D")
    b.publish(tmp_path)
    rep = rates("trac", by="represented", store=tmp_path).set_index("represented")
    assert rep["total"].to_dict() == {False: 4, True: 2}
    assert rep["represented_name"].to_dict() == {False: "Not represented", True: "Represented"}
    nat = rates("trac", by="nationality", store=tmp_path).set_index("nationality")
    assert nat["total"].to_dict() == {"CH": 4, "MX": 1, "QQ": 1}
    assert nat.loc["CH", "nationality_name"] == "CHINA"
    assert nat["nationality_name"].isna()["QQ"]
    listed = codes("nationality", store=tmp_path).set_index("code")
    assert listed["decisions"].to_dict() == {"CH": 4, "MX": 1, "QQ": 1}
    assert [f["orphan"] for f in facts(tmp_path)].count(True) == 1


def test_build_decisions_counts_only_decided_completed(tmp_path: Path) -> None:
    b = Builder()
    case = b.case()
    done = b.proceeding(case, date(2019, 1, 1))
    b.application(done, "G")
    b.application(done, None)  # undecided
    b.application(done, "G", code="42B")  # not an asylum-type application
    b.application(done, "D", code="WCAT")
    b.application(b.proceeding(case, None), "G")  # pending proceeding
    release = b.publish(tmp_path, build=False)
    con = release.connect()
    n = build_decisions(con, release.path / "decisions.parquet")
    assert n == 2
    assert sorted(f["appl_code"] for f in facts(tmp_path)) == ["ASYL", "WCAT"]


def test_fact_rows_are_stored_asylum_first_then_by_date(tmp_path: Path) -> None:
    """The ASYL rows every definition reads come first in the file, each code's rows in
    completion-date order, so queries skip the other codes' row groups (the layout behind
    bench/queries.py's figures)."""
    b = Builder()
    for i, (code, day) in enumerate(
        [("WCAT", 3), ("ASYL", 9), ("ASYW", 1), ("ASYL", 2), ("WCAT", 1), ("ASYL", 5)]
    ):
        case = b.case()
        b.application(b.proceeding(case, date(2020, 1, day)), "D" if i % 2 else "G", code=code)
    release = b.publish(tmp_path)
    rows = (
        duckdb.connect()
        .execute(
            "SELECT appl_code, comp_date FROM read_parquet(?, file_row_number = true) "
            "ORDER BY file_row_number",
            [str(release.path / "decisions.parquet")],
        )
        .fetchall()
    )
    assert rows == sorted(rows)
    assert [r[0] for r in rows] == ["ASYL"] * 3 + ["ASYW"] + ["WCAT"] * 2


def test_case_unit_keeps_latest_then_priority(tmp_path: Path) -> None:
    b = Builder()
    case = b.case()
    p1 = b.proceeding(case, date(2019, 1, 1))
    b.application(p1, "G")
    p2 = b.proceeding(case, date(2019, 5, 1))
    b.application(p2, "D")  # same day: F outranks D
    b.application(p2, "F")
    other = b.case()
    p3 = b.proceeding(other, date(2019, 5, 1))
    b.application(p3, "D")
    b.application(p3, "W")  # W is not counted by trac, so D is this case's decision
    b.publish(tmp_path)
    apps = rates("trac", by=(), unit="application", store=tmp_path)
    assert (apps["grants"][0], apps["denials"][0]) == (2, 2)
    cases = rates("trac", by=(), unit="case", store=tmp_path)
    assert (cases["grants"][0], cases["denials"][0], cases["total"][0]) == (1, 1, 2)
    early = rates("trac", by=(), unit="case", until="2019-04-30", store=tmp_path)
    assert (early["grants"][0], early["total"][0]) == (1, 1)


def test_other_relief_shares(tmp_path: Path) -> None:
    b = Builder()
    c1 = b.case()
    p1 = b.proceeding(c1, date(2019, 1, 1))
    b.application(p1, "D")
    b.application(p1, "G", code="ASYW")  # withholding granted in the same proceeding
    c2 = b.case()
    p2 = b.proceeding(c2, date(2019, 1, 1))
    b.application(p2, "D")
    b.application(b.proceeding(c2, date(2019, 2, 1)), "G", code="WCAT")  # another proceeding
    b.decided(date(2019, 1, 1), "G")
    c4 = b.case()
    p4 = b.proceeding(c4, date(2019, 1, 1))
    b.application(p4, "D")
    b.application(p4, "D", code="WCAT")  # CAT denied too
    b.publish(tmp_path)
    df = rates("trac_other_relief", by=(), store=tmp_path)
    row = df.iloc[0]
    assert (row["grants"], row["other_relief"], row["denials"], row["total"]) == (1, 1, 2, 4)
    assert row["rate"] + row["other_relief_rate"] + row["denial_rate"] == pytest.approx(1.0)
    assert rates("trac", by=(), store=tmp_path)["rate"][0] == pytest.approx(1 / 4)


def test_grant_codes_override_moves_dropped_grants_to_others_under_eoir(tmp_path: Path) -> None:
    """Narrowing the grant set under ``eoir`` moves the dropped grant codes to "others":
    the denominator is unchanged, only grants and others move. (This test used to assert
    that C left the denominator, the wrong rule.)"""
    b = Builder()
    for dec in ["G", "F", "C", "L", "D", "A"]:
        b.decided(date(2019, 1, 1), dec)
    b.publish(tmp_path)
    default = rates("eoir", by=(), store=tmp_path).iloc[0]
    assert (default["grants"], default["denials"], default["others"]) == (3, 1, 2)
    strict = rates("eoir", by=(), grant_codes="G,F", store=tmp_path).iloc[0]
    assert (strict["grants"], strict["denials"], strict["others"]) == (2, 1, 3)  # C -> others
    assert strict["total"] == default["total"] == 6
    assert strict["rate"] == pytest.approx(2 / 6)
    wide = rates("eoir", by=(), grant_codes=["G", "F", "C", "L"], store=tmp_path).iloc[0]
    assert (wide["grants"], wide["others"], wide["total"]) == (4, 1, 6)
    assert wide.name == 0


def test_default_thresholds_follow_trac() -> None:
    assert default_min_decisions(("judge",)) == 100
    assert default_min_decisions(("court", "judge")) == 100
    assert default_min_decisions(("judge", "fiscal_year")) == 25
    assert default_min_decisions(("calendar_year",)) == 25
    assert default_min_decisions(("nationality",)) == 25
    assert default_min_decisions(()) == 25


def test_threshold_flags_at_the_boundary(tmp_path: Path) -> None:
    b = Builder()
    for _ in range(100):
        b.decided(date(2019, 1, 1), "G", ij_code="JAA")
    for _ in range(99):
        b.decided(date(2019, 1, 1), "D", ij_code="JBB")
    for _ in range(25):
        b.decided(date(2020, 1, 1), "D", ij_code="JBB")
    b.publish(tmp_path)
    judges = rates("trac", by="judge", store=tmp_path).set_index("judge")
    assert judges["below_threshold"].to_dict() == {"JAA": False, "JBB": False}
    judges_2019 = rates("trac", by="judge", until="FY2019", store=tmp_path).set_index("judge")
    assert judges_2019["below_threshold"].to_dict() == {"JAA": False, "JBB": True}
    yearly = rates("trac", by="judge,fiscal_year", store=tmp_path)
    assert yearly["below_threshold"].tolist() == [False, False, False]
    custom = rates("trac", by="judge", min_decisions=101, store=tmp_path)
    assert custom["below_threshold"].tolist() == [True, False]
    assert custom.attrs["min_decisions"] == 101


def test_errors_name_what_is_valid(tmp_path: Path) -> None:
    b = Builder()
    b.decided(date(2019, 1, 1), "G")
    b.publish(tmp_path)
    cases = [
        (dict(definition="nope"), "valid: eoir"),
        (dict(by="nation"), "valid: fiscal_year"),
        (dict(where={"nationality": "ZZ"}), r"valid \(1\): CH"),
        (dict(where={"colour": "red"}), "valid: fiscal_year"),
        (dict(grant_codes="G,Q"), "valid APPL_DEC codes"),
        (dict(unit="person"), "valid: application, case"),
        (dict(since="FY20"), "not a fiscal year"),
        (dict(since="FY2021", until="FY2020"), "after until"),
        (dict(since="FY2021"), "no asylum decisions match"),
        (dict(where={"represented": "maybe"}), "valid: true, false"),
    ]
    for kwargs, message in cases:
        with pytest.raises(QueryError, match=message):
            rates(store=tmp_path, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="no release"):
        rates(store=tmp_path / "empty")
    with pytest.raises(StoreError, match="valid: 2026-0101"):
        rates(store=tmp_path, release="1999-0101")


def test_attrs_carry_provenance(tmp_path: Path) -> None:
    b = Builder()
    b.decided(date(2019, 1, 1), "G")
    b.publish(tmp_path, synthetic=False)
    df = rates("trac", by="fiscal_year", where={"nationality": ["CH"]}, store=tmp_path)
    assert df.attrs["synthetic"] is False
    assert df.attrs["release"] == "2026-0101"
    assert df.attrs["where"] == {"nationality": ["CH"]}
    assert df.attrs["definition"] == "trac"


def test_release_without_fact_file_is_built_in_memory(tmp_path: Path) -> None:
    b = Builder()
    b.decided(date(2019, 1, 1), "G")
    b.decided(date(2019, 1, 1), "D")
    b.publish(tmp_path, build=False)
    assert rates("trac", by=(), store=tmp_path)["rate"][0] == 0.5


def test_rates_query_compiles_to_spark_sql(tmp_path: Path) -> None:
    """The same Ibis expression that runs on DuckDB compiles to Spark SQL; user values are
    literals in the compiled text, never spliced-in SQL."""
    b = Builder()
    b.decided(date(2019, 1, 1), "G")
    b.publish(tmp_path)
    with open_source(store=tmp_path) as source:
        schema = source.table.schema()
    unbound = ibis.table(schema, name="decisions")
    for definition in DEFINITIONS:
        spec = RatesSpec.build(
            definition,
            ("fiscal_year", "judge"),
            {"nationality": ["CH", "x'); DROP TABLE decisions; --"], "represented": "yes"},
            "FY2010",
            "FY2025",
            unit="case",
        )
        sql = ibis.to_sql(counts_expr(unbound, spec), dialect="pyspark")
        assert "GROUP BY" in sql and "ROW_NUMBER() OVER" in sql
        assert "`decisions`" in sql
        # every occurrence (the case unit's two branches each filter) is a string literal
        assert sql.count("DROP TABLE") == sql.count("DROP TABLE decisions; --'") >= 1
        if DEFINITIONS[definition].other_relief:
            assert "LEFT OUTER JOIN" in sql  # the other-relief join, as Ibis 12 writes it
