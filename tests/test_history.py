"""``history``: every record's life across all the releases of a store, on real releases.

Two series. One is made the way a user makes it (``synth``, then ``synth --from`` twice:
R1, R2 = next month of R1, R3 = next month of R2), all three ingested into one store; every
expectation comes from the manifests' ``evolution`` blocks, which the generator wrote
while changing the files, never from the history. ``synth --from`` never brings a deleted
record back nor changes a completion date, so the second series is hand-built (Builder,
three releases) with a record deleted and back, a completion date moved, a recode, a
record deleted for good and one added: its expectations are the edits made.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pandas.testing import assert_frame_equal
from typer.testing import CliRunner

from analytics_support import Builder
from asylumlens.analytics import DEFINITIONS, rates
from asylumlens.analytics.source import resolve_engine
from asylumlens.cli import app as cli_app
from asylumlens.errors import QueryError
from asylumlens.layout import TABLES
from asylumlens.pipeline import ingest_release
from asylumlens.releases.history import (
    HISTORY_TABLES,
    SUMMARY_COLUMNS,
    history,
    history_changes,
    history_summary,
)
from asylumlens.store import Release, Store
from asylumlens.synth import generate, next_release

TABLE_NAMES = list(HISTORY_TABLES)


@dataclass(frozen=True)
class Series:
    store: Store
    ids: list[str]
    evolution: dict[int, dict[str, Any]]  # release index (1, 2) -> its manifest's evolution
    rows: list[dict[str, int]]  # per release: stem -> rows stored


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Series:
    root = tmp_path_factory.mktemp("series")
    made = [generate(root / "r1", 2500, 21, release_date=date(2026, 10, 1))]
    made.append(next_release(made[0].release, root / "r2", 22))
    made.append(next_release(made[1].release, root / "r3", 23))
    store = Store(root / "store")
    releases = [ingest_release(m.release, store).release for m in made]
    evolution = {
        i: json.loads(made[i].manifest.read_text(encoding="utf-8"))["evolution"] for i in (1, 2)
    }
    rows = []
    for rel in releases:
        con = rel.connect()
        try:
            counts = {}
            for spec in HISTORY_TABLES.values():
                found = con.execute(f'SELECT count(*) FROM "{spec.stem}"').fetchone()
                assert found is not None
                counts[spec.stem] = int(found[0])
            rows.append(counts)
        finally:
            con.close()
    return Series(store, [r.id for r in releases], evolution, rows)


def _with(df: pd.DataFrame, column: str, release: str) -> set[int]:
    return {int(k) for k, v in zip(df["key"], df[column], strict=True) if release in v}


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_deletions_are_exactly_the_manifests(series: Series, table: str) -> None:
    """Per table and release, the records history says went missing are, as sets, the ids
    the generator deleted (its manifest's ``deleted``), and they are missing ever after."""
    stem = HISTORY_TABLES[table].stem
    df = history(series.store, table=table)
    for i in (1, 2):
        listed = set(series.evolution[i]["deleted"][stem])
        assert listed, (table, i)  # the series deletes something in every table
        assert _with(df, "deleted_in", series.ids[i]) == listed, (table, i)
        gone = df[df["key"].isin(listed)]
        assert set(gone["last_seen"]) == {series.ids[i - 1]}
        assert all(a == series.ids[i:] for a in gone["absent_in"])
    assert not any(df["reappeared_in"].map(len))  # synth --from never brings one back


@pytest.mark.parametrize("table", ["application", "proceeding"])
def test_recodes_are_exactly_the_manifests(series: Series, table: str) -> None:
    """Every decision-code change history finds is one the generator made (key, old and
    new code), release by release, and no completion date changed (synth changes none)."""
    spec = HISTORY_TABLES[table]
    changes = history_changes(series.store, table=table)
    for i in (1, 2):
        made = {(r["key"], r["old"], r["new"]) for r in series.evolution[i]["recoded"][spec.stem]}
        assert made
        found = changes[
            (changes["new_release"] == series.ids[i]) & (changes["column"] != "comp_date")
        ]
        assert set(found["column"]) == {spec.decision}
        assert set(zip(found["key"], found["old"], found["new"], strict=True)) == made
        assert (found["old_release"] == series.ids[i - 1]).all()
        recoded = history(series.store, table=table)
        assert _with(recoded, "recoded_in", series.ids[i]) == {k for k, _, _ in made}
    assert (changes["column"] != "comp_date").all()


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_first_and_last_seen(series: Series, table: str) -> None:
    """A record added by R2's or R3's generator is first seen there; everything else in
    R1. Last seen is the release before its deletion, else R3; the count of records first
    seen in R1 is R1's stored rows."""
    stem = HISTORY_TABLES[table].stem
    df = history(series.store, table=table)
    r1, r2, r3 = series.ids
    added = {i: set(series.evolution[i]["added"][stem]) for i in (1, 2)}
    assert set(df.loc[df["first_seen"] == r2, "key"]) == added[1]
    assert set(df.loc[df["first_seen"] == r3, "key"]) == added[2]
    assert (df["first_seen"] == r1).sum() == series.rows[0][stem]
    deleted = {i: set(series.evolution[i]["deleted"][stem]) for i in (1, 2)}
    assert set(df.loc[df["last_seen"] == r1, "key"]) == deleted[1]
    assert set(df.loc[df["last_seen"] == r2, "key"]) == deleted[2]
    assert (df["last_seen"] == r3).sum() == series.rows[2][stem]
    assert df["key"].is_unique and (df["table"] == table).all()
    assert TABLES[stem].primary_key == HISTORY_TABLES[table].key


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_summary_counts_are_the_manifests(series: Series, table: str) -> None:
    """Per release pair: rows, added, deleted, recoded equal the stored rows and the
    manifest's counts; one row per definition, none back, no completion date changed."""
    stem = HISTORY_TABLES[table].stem
    summary = history_summary(series.store, table=table)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert len(summary) == 2 * len(DEFINITIONS)
    for i in (1, 2):
        pair = summary[summary["new_release"] == series.ids[i]]
        assert list(pair["definition"]) == list(DEFINITIONS)
        counts = series.evolution[i]["counts"]
        expected = {
            "old_release": series.ids[i - 1],
            "old_rows": series.rows[i - 1][stem],
            "new_rows": series.rows[i][stem],
            "added": counts["added"][stem],
            "deleted": counts["deleted"][stem],
            "recoded": counts["recoded"].get(stem, 0),
            "reappeared": 0,
            "comp_date_changed": 0,
        }
        for column, value in expected.items():
            assert set(pair[column]) == {value}, (table, i, column)


def test_summary_rates_are_each_releases_pooled_rate(series: Series) -> None:
    """The old and new rates of a pair are each release's grant rate computed by
    ``rates`` over exactly the pair's fiscal years as one period (no breakdown): the
    summary pools the same decisions the library counts."""
    summary = history_summary(series.store)
    releases = series.store.releases()
    for row in summary.to_dict("records"):
        first, last = str(row["fiscal_years"]).removeprefix("FY").split("-FY")
        for side in ("old", "new"):
            rel = next(r for r in releases if r.id == row[f"{side}_release"])
            pooled = rates(
                str(row["definition"]), by=(), since=f"FY{first}", until=f"FY{last}", release=rel
            )
            assert row[f"{side}_rate"] == pytest.approx(float(pooled["rate"].iloc[0]), abs=1e-12)
        move = round((float(row["new_rate"]) - float(row["old_rate"])) * 100, 4)
        assert row["change_points"] == pytest.approx(move)


def test_unknown_table_is_refused(series: Series) -> None:
    """A table name that is not case, proceeding or application is a QueryError naming
    the valid ones, not an empty history."""
    with pytest.raises(QueryError, match="case, proceeding, application"):
        history(series.store, table="appeal")


# --- the hand-built series: deleted and back, completion date moved -----------------------

R1, R2, R3 = "2026-0101", "2026-0201", "2026-0301"


@dataclass(frozen=True)
class Hand:
    store: Store
    ids: dict[str, int]  # name -> application id
    procs: dict[str, int]  # name -> proceeding id
    cases: dict[str, int]
    undone: Release  # R2 published with the recode undone: the restored-rate oracle


def _drop(b: Builder, case: int) -> list[tuple[str, dict[str, Any]]]:
    """Remove every row of ``case``; returns them (table, row) to put back later."""
    removed = []
    for stem in ("A_TblCase", "B_TblProceeding", "tbl_Court_Appln"):
        rows = b.raw.rows(stem)
        removed += [(stem, r) for r in rows if r["idncase"] == case]
        rows[:] = [r for r in rows if r["idncase"] != case]
    return removed


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Hand:
    """Three hand-built releases and the ids of the records edited between them."""
    root = tmp_path_factory.mktemp("hand")
    b = Builder()
    cases, procs, apps = {}, {}, {}
    for name, comp, dec in (
        ("kept", date(2025, 3, 1), "G"),
        ("back", date(2025, 4, 1), "D"),
        ("moved", date(2025, 5, 1), "G"),
        ("gone", date(2025, 6, 1), "D"),
    ):
        cases[name] = b.case()
        procs[name] = b.proceeding(cases[name], comp)
        apps[name] = b.application(procs[name], dec)
    for i in range(20):  # enough decisions in FY2025 for every definition
        b.decided(date(2025, 2, 1 + i), "G" if i % 3 else "D")
    b.publish(root, release_id=R1, release_date="2026-01-01")
    away = _drop(b, cases["back"])
    _one(b, "tbl_Court_Appln", apps["kept"])["appl_dec"] = "D"
    b.publish(root, release_id=R2, release_date="2026-02-01")
    _one(b, "tbl_Court_Appln", apps["kept"])["appl_dec"] = "G"  # R2 as if never recoded
    b.publish(root / "undone", release_id=R2, release_date="2026-02-01")
    _one(b, "tbl_Court_Appln", apps["kept"])["appl_dec"] = "D"
    for stem, row in away:
        b.raw.rows(stem).append(row)
    _drop(b, cases["gone"])
    _one(b, "B_TblProceeding", procs["moved"])["comp_date"] = date(2025, 7, 1)
    cases["new"] = b.case()
    procs["new"] = b.proceeding(cases["new"], date(2025, 8, 1))
    apps["new"] = b.application(procs["new"], "G")
    b.publish(root, release_id=R3, release_date="2026-03-01")
    return Hand(Store(root), apps, procs, cases, Store(root / "undone").release(R2))


def _one(b: Builder, stem: str, key: int) -> dict[str, Any]:
    pk = TABLES[stem].primary_key
    assert pk is not None
    row: dict[str, Any] = next(r for r in b.raw.rows(stem) if r[pk] == key)
    return row


@pytest.fixture(scope="module")
def store(hand: Hand) -> Store:
    """This module's store for the web fixtures (``app``, ``client``): the hand series."""
    return hand.store


def _row(df: pd.DataFrame, key: int) -> dict[str, Any]:
    found = df[df["key"] == key]
    assert len(found) == 1, key
    return {str(k): v for k, v in found.iloc[0].to_dict().items()}


def test_deleted_and_back_recoded_and_moved(hand: Hand) -> None:
    """Each edit made between the hand-built releases shows on its own record and
    nowhere else: back (absent R2, deleted R2, reappeared R3), recoded in R2, completion
    date changed in R3 (the application takes its proceeding's), gone for good, new."""
    df = history(hand.store)
    back = _row(df, hand.ids["back"])
    assert (back["first_seen"], back["last_seen"], back["releases_seen"]) == (R1, R3, 2)
    assert (back["absent_in"], back["deleted_in"], back["reappeared_in"]) == ([R2], [R2], [R3])
    kept = _row(df, hand.ids["kept"])
    assert kept["recoded_in"] == [R2] and kept["absent_in"] == []
    assert _row(df, hand.ids["moved"])["comp_date_changed_in"] == [R3]
    new = _row(df, hand.ids["new"])
    assert (new["first_seen"], new["releases_seen"]) == (R3, 1)
    gone = df[df["deleted_in"].map(lambda v: v == [R3])]
    assert len(gone) == 1 and gone.iloc[0]["last_seen"] == R2 and gone.iloc[0]["absent_in"] == [R3]
    changed = history_changes(hand.store)
    assert sorted(
        map(
            tuple,
            changed[["key", "old_release", "new_release", "column", "old", "new"]].values.tolist(),
        )
    ) == sorted(
        [
            (hand.ids["kept"], R1, R2, "appl_dec", "G", "D"),
            (hand.ids["moved"], R2, R3, "comp_date", "2025-05-01", "2025-07-01"),
        ]
    )
    proceeding = history_changes(hand.store, table="proceeding")
    assert list(proceeding["key"]) == [hand.procs["moved"]]


def test_hand_summary_counts(hand: Hand) -> None:
    """The pair counts are the edits: R1->R2 one case deleted, one recode; R2->R3 one
    added, one back, one deleted, one completion date; the same for each definition."""
    summary = history_summary(hand.store)
    first = summary[summary["new_release"] == R2].iloc[0]
    second = summary[summary["new_release"] == R3].iloc[0]
    cols = ["added", "deleted", "reappeared", "recoded", "comp_date_changed"]
    assert [int(first[c]) for c in cols] == [0, 1, 0, 1, 0]
    assert [int(second[c]) for c in cols] == [1, 1, 1, 0, 1]
    assert int(second["new_rows"]) == int(first["new_rows"]) + 1 + 1 - 1


def test_recode_points_are_the_move_undoing_the_recode_makes(hand: Hand) -> None:
    """``restored_rate`` of R1->R2 is the rate of R2 published by hand with its one recode
    undone (same years, per definition), and ``recode_points`` = new - restored; R2->R3
    recodes nothing, so its restored rate is its new rate and its recode move is 0."""
    summary = history_summary(hand.store)
    for row in summary.to_dict("records"):
        first, last = str(row["fiscal_years"]).removeprefix("FY").split("-FY")
        if row["new_release"] == R2:
            expected = rates(
                str(row["definition"]),
                by=(),
                since=f"FY{first}",
                until=f"FY{last}",
                release=hand.undone,
            )
            assert row["restored_rate"] == pytest.approx(float(expected["rate"].iloc[0]))
            assert row["recode_points"] != 0  # the recode G -> D moved every definition
        else:
            assert row["restored_rate"] == row["new_rate"] and row["recode_points"] == 0
        move = round((float(row["new_rate"]) - float(row["restored_rate"])) * 100, 4)
        assert row["recode_points"] == pytest.approx(move)


def test_cli_history_json_and_summary_csv(hand: Hand) -> None:
    """``asylumlens history -f json`` prints the library's rows (lists stay lists, every
    row labelled synthetic); ``--summary -f csv`` the summary's columns and rows."""
    runner = CliRunner()
    result = runner.invoke(
        cli_app,
        ["history", "--table", "application", "-f", "json", "--store", str(hand.store.root)],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = history(hand.store).to_dict("records")
    assert [{k: v for k, v in r.items() if k != "synthetic"} for r in rows] == expected
    assert all(r["synthetic"] is True for r in rows)
    result = runner.invoke(
        cli_app,
        ["history", "--summary", "-f", "csv", "--table", "case", "--store", str(hand.store.root)],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split(",") == [*SUMMARY_COLUMNS, "synthetic"]
    assert len(lines) - 1 == len(history_summary(hand.store, table="case"))


def test_api_history_and_data_page(client: TestClient, hand: Hand) -> None:
    """``/api/v1/history`` holds the summary's rows (``?table=`` picks the table), its
    ``.csv`` twin the same columns, an unknown table is a 422, and the Data page shows
    the table; the recodes' part of the move is left to the CLI (it rebuilds a fact
    table per pair)."""
    body = client.get("/api/v1/history").json()
    assert body["ok"] is True and body["columns"] == list(SUMMARY_COLUMNS)
    expected = history_summary(hand.store)
    assert body["total_rows"] == len(expected)
    assert [r["deleted"] for r in body["rows"]] == [int(v) for v in expected["deleted"]]
    assert body["facts"]["releases"] == [R1, R2, R3]
    quick = history_summary(hand.store, restore_codes=False)  # the page skips the rebuild
    assert [r["new_rate"] for r in body["rows"]] == pytest.approx(list(quick["new_rate"]))
    assert {r["recode_points"] for r in body["rows"]} == {None}
    case = client.get("/api/v1/history.json", params={"table": "case"}).json()
    assert {r["table"] for r in case["rows"]} == {"case"}
    text = client.get("/api/v1/history.csv").text
    assert text.splitlines()[0].split(",")[: len(SUMMARY_COLUMNS)] == list(SUMMARY_COLUMNS)
    assert client.get("/api/v1/history", params={"table": "appeal"}).status_code == 422
    page = client.get("/data")
    assert page.status_code == 200 and 'id="history-table"' in page.text
    assert f"{R1}" in page.text and "reappeared" in page.text


def test_spark_runs_the_same_history(hand: Hand, series: Series) -> None:
    """The history's Ibis expressions on Spark (local mode) give DuckDB's frames exactly:
    per record, per change and the summary (counts, rates, recodes' part) on the hand
    series; per record and per change for every table of the ``synth --from`` series, so
    Spark too reports exactly the manifests' deletions and recodes (tests above)."""
    if shutil.which("java") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the Spark history check needs Java")
        pytest.skip("the Spark history check needs Java")
    spark = resolve_engine("spark")
    for compute in (history, history_changes, history_summary):
        duck = compute(hand.store)
        on_spark = compute(hand.store, engine=spark)
        assert_frame_equal(on_spark, duck, check_exact=True)
    for table in TABLE_NAMES:
        for listing in (history, history_changes):
            duck = listing(series.store, table=table)
            assert_frame_equal(listing(series.store, table=table, engine=spark), duck)
