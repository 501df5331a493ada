"""``diff``, ``releases``, ``--release`` and ``synth --from`` on a real pair of synthetic releases.

The pair is made the way a user makes it (``synth``, then ``synth --from``), both are ingested
into one store, and every expectation comes from the second release's ``synth-manifest.json``
(``evolution``), which the generator wrote while changing the files, never from the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from asylumlens.cli import app
from asylumlens.layout import TABLES
from asylumlens.pipeline import ingest_release
from asylumlens.releases.diff import diff_releases, list_reports, write_report
from asylumlens.store import Release, Store
from asylumlens.synth import generate, next_release
from asylumlens.synth.faults import CORE
from asylumlens.synth.next_release import EvolutionRates, one_month_later

OLD, NEW = "2026-11-01", "2026-12-01"


@dataclass(frozen=True)
class Pair:
    store: Store
    old: Release
    new: Release
    evolution: dict[str, Any]
    old_folder: Path
    new_out: Path


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    root = tmp_path_factory.mktemp("pair")
    first = generate(root / "old", 2500, 11, release_date=date(2026, 11, 1))
    second = next_release(first.release, root / "new", 12)
    store = Store(root / "store")
    old = ingest_release(first.release, store).release
    new = ingest_release(second.release, store).release
    evolution = json.loads(second.manifest.read_text(encoding="utf-8"))["evolution"]
    return Pair(store, old, new, evolution, first.release, root / "new")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The Typer app in this process (fast); user errors are re-raised, not mapped."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a subprocess: exit status 2 and one-line errors."""
    return subprocess.run(
        [sys.executable, "-m", "asylumlens", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


# --- synth --from -------------------------------------------------------------------------


def test_next_release_changes_something_in_every_kind(pair: Pair) -> None:
    counts = pair.evolution["counts"]
    assert counts["added"]["A_TblCase"] > 0 and counts["deleted"]["A_TblCase"] > 0
    assert pair.evolution["stray_deleted"]["B_TblProceeding"]
    assert pair.evolution["stray_deleted"]["tbl_Court_Appln"]
    assert counts["recoded"]["tbl_Court_Appln"] > 0 and counts["recoded"]["B_TblProceeding"] > 0
    assert pair.new.release_date == date(2026, 12, 1)


def test_next_release_carries_the_earlier_faults_as_written(pair: Pair) -> None:
    manifest = json.loads((pair.new_out / "synth-manifest.json").read_text(encoding="utf-8"))
    earlier = json.loads((pair.old_folder.parent / "synth-manifest.json").read_text("utf-8"))
    assert manifest["fault_counts"] == earlier["fault_counts"]
    assert len(manifest["faults"]) == len(earlier["faults"]) > 0
    lines: dict[str, list[bytes]] = {}
    for fault in manifest["faults"]:
        file = pair.new_out / manifest["tables"][fault["table"]]["file"]
        lines.setdefault(fault["table"], file.read_bytes().split(b"\n"))
        assert lines[fault["table"]][fault["line"] - 1].decode("cp1252") == fault["written"]


def test_new_keys_are_above_every_earlier_key(pair: Pair) -> None:
    con = pair.old.connect()
    for stem in CORE:
        added = pair.evolution["added"][stem]
        pk = TABLES[stem].primary_key
        top = con.execute(f'SELECT max("{pk}") FROM "{stem}"').fetchone()
        assert top is not None and added and min(added) > top[0], stem


def test_one_month_later_clamps_to_the_month_end() -> None:
    assert one_month_later(date(2026, 1, 31)) == date(2026, 2, 28)
    assert one_month_later(date(2026, 12, 15)) == date(2027, 1, 15)


def test_next_release_with_no_changes_diffs_to_nothing(pair: Pair, tmp_path: Path) -> None:
    quiet = EvolutionRates(0, 0, 0, 0, 0, 0)
    same = next_release(pair.old_folder, tmp_path / "same", 3, rates=quiet)
    store = Store(tmp_path / "store")
    old = ingest_release(pair.old_folder, store).release
    copy = ingest_release(same.release, store).release
    report = diff_releases(old, copy)
    assert [(t.added, t.removed, t.changed) for t in report.tables] == [(0, 0, 0)] * len(CORE)
    assert report.recoded == []
    assert report.rate_moves
    assert all(m.change_points == 0 and m.old_total == m.new_total for m in report.rate_moves)


def test_synth_from_cli(pair: Pair, tmp_path: Path) -> None:
    done = cli("synth", str(tmp_path / "next"), "--from", str(pair.old_folder), "--seed", "5")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "next/EOIR Case Data 2026-1201/SYNTHETIC.txt").is_file()
    manifest = json.loads((tmp_path / "next/synth-manifest.json").read_text(encoding="utf-8"))
    assert manifest["evolution"]["from"]["release"] == "EOIR Case Data 2026-1101"
    both = run("synth", str(tmp_path / "x"), "--from", str(pair.old_folder), "--seed", "5",
               "--cases", "10")  # fmt: skip
    assert both.returncode == 2 and "--cases does not apply with --from" in both.stderr
    neither = run("synth", str(tmp_path / "y"), "--seed", "5")
    assert neither.returncode == 2 and "--cases is required" in neither.stderr
    not_synth = run("synth", str(tmp_path / "z"), "--from", str(tmp_path), "--seed", "5")
    assert not_synth.returncode == 2 and "not a synthetic release folder" in not_synth.stderr


# --- diff ---------------------------------------------------------------------------------


def test_diff_reports_exactly_the_manifest_changes(pair: Pair) -> None:
    report = diff_releases(pair.old, pair.new)
    recoded_keys = {
        stem: {r["key"] for r in rows} for stem, rows in pair.evolution["recoded"].items()
    }
    assert [t.table for t in report.tables] == list(CORE)
    for t in report.tables:
        assert t.keys_complete
        assert set(t.added_keys) == set(pair.evolution["added"][t.table]), t.table
        assert set(t.removed_keys) == set(pair.evolution["deleted"][t.table]), t.table
        assert set(t.changed_keys) == recoded_keys.get(t.table, set()), t.table
        assert (t.added, t.removed) == (len(t.added_keys), len(t.removed_keys))
    appln = {t.table: t for t in report.tables}["tbl_Court_Appln"]
    assert set(appln.changed_columns) == {"appl_dec"}


def test_diff_counts_the_recoded_code_pairs(pair: Pair) -> None:
    report = diff_releases(pair.old, pair.new)
    for stem, column in (("tbl_Court_Appln", "appl_dec"), ("B_TblProceeding", "dec_code")):
        expected = Counter((r["old"] or None, r["new"]) for r in pair.evolution["recoded"][stem])
        found = {
            (c.old, c.new): c.rows for c in report.recoded if (c.table, c.column) == (stem, column)
        }
        assert found == dict(expected)
    assert report.recoded_rows("B_TblProceeding", "other_comp") == 0


def test_rate_moves_are_consistent_and_some_move(pair: Pair) -> None:
    report = diff_releases(pair.old, pair.new, min_decisions=5)
    from asylumlens.analytics import DEFINITIONS

    assert {m.definition for m in report.rate_moves} == set(DEFINITIONS)
    moved = [m for m in report.rate_moves if m.change_points]
    assert moved
    for m in report.rate_moves:
        if m.old_total:
            assert m.old_rate == pytest.approx(m.old_grants / m.old_total)
        if m.old_rate is not None and m.new_rate is not None:
            assert m.change_points == pytest.approx((m.new_rate - m.old_rate) * 100, abs=1e-3)
    ranked = [abs(m.change_points or 0) for m in report.largest_moves]
    assert ranked == sorted(ranked, reverse=True)
    assert all(min(m.old_total, m.new_total) >= 5 for m in report.largest_moves)


def test_diff_cli_writes_json_and_html(pair: Pair, tmp_path: Path) -> None:
    store = str(pair.store.root)
    done = cli("diff", OLD, NEW, "--store", store)
    assert done.returncode == 0, done.stderr
    assert "SYNTHETIC" in done.stdout and "tbl_Court_Appln" in done.stdout
    data = json.loads((pair.store.root / f"diffs/{OLD}__{NEW}.json").read_text("utf-8"))
    added = {t["table"]: t["added"] for t in data["tables"]}
    assert added == pair.evolution["counts"]["added"]
    assert data["synthetic"] is True
    html = (pair.store.root / f"diffs/{OLD}__{NEW}.html").read_text("utf-8")
    assert 'id="synthetic-banner"' in html and "tbl_Court_Appln" in html
    as_json = cli("diff", OLD, NEW, "--store", store, "--out", str(tmp_path / "r"),
                  "--format", "json")  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["recoded_rows"]["tbl_Court_Appln.appl_dec"] == len(
        pair.evolution["recoded"]["tbl_Court_Appln"]
    )
    assert (tmp_path / f"r/{OLD}__{NEW}.html").is_file()
    listed = list_reports(pair.store)
    assert [(r["old"], r["new"], r["synthetic"]) for r in listed] == [(OLD, NEW, True)]


def test_real_releases_get_no_banner(pair: Pair, tmp_path: Path) -> None:
    report = diff_releases(pair.old, pair.new)
    unlabelled = type(report)(
        {**report.old, "synthetic": False},
        {**report.new, "synthetic": False},
        report.tables,
        report.recoded,
        report.rate_moves,
        report.largest_moves,
        report.min_decisions,
    )
    _, html = write_report(unlabelled, tmp_path)
    assert "synthetic-banner" not in html.read_text("utf-8")


# --- releases and --release ---------------------------------------------------------------


def test_releases_lists_both(pair: Pair) -> None:
    done = cli("releases", "--store", str(pair.store.root), "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["id"] for r in rows] == [OLD, NEW]
    for row, rel in zip(rows, (pair.old, pair.new), strict=True):
        assert row["synthetic"] is True
        assert row["loaded"] == rel.manifest["totals"]["loaded"]
        assert row["quarantined"] == rel.manifest["totals"]["quarantined"]
        assert row["sha256"] == rel.info["source_sha256"]
    table = cli("releases", "--store", str(pair.store.root))
    assert table.returncode == 0 and OLD in table.stdout and "SYNTHETIC" in table.stdout


def test_release_option_selects_the_older_release(pair: Pair) -> None:
    store = str(pair.store.root)
    status = cli("status", "--store", store, "--release", OLD, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["release"]["id"] == OLD
    newest = cli("status", "--store", store, "--json")
    assert json.loads(newest.stdout)["release"]["id"] == NEW
    old_rates = cli("rates", "--store", store, "--release", OLD, "--format", "table")
    assert old_rates.returncode == 0, old_rates.stderr
    assert f"(release {OLD})" in old_rates.stdout
    old_json = json.loads(cli("rates", "--store", store, "--release", OLD, "-f", "json").stdout)
    new_json = json.loads(cli("rates", "--store", store, "-f", "json").stdout)
    assert old_json != new_json  # the recodings moved the yearly figures


@pytest.mark.parametrize(
    "args",
    [
        ("diff", "1999-01-01", NEW),
        ("status", "--release", "1999-01-01"),
        ("rates", "--release", "1999-01-01"),
    ],
)
def test_unknown_release_id_exits_2_listing_the_valid_ones(pair: Pair, args: tuple[str]) -> None:
    done = run(*args, "--store", str(pair.store.root))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "1999-01-01" in lines[0] and f"valid: {OLD}, {NEW}" in lines[0]


def test_web_data_page_links_the_diff_reports(pair: Pair) -> None:
    import warnings

    from asylumlens.web import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    write_report(diff_releases(pair.old, pair.new), pair.store.root / "diffs")
    with TestClient(create_app(pair.store), raise_server_exceptions=False) as client:
        page = client.get("/data")
        assert page.status_code == 200
        link = f'href="/data/diffs/{OLD}__{NEW}.html"'
        assert link in page.text and "Changes between releases" in page.text
        report = client.get(f"/data/diffs/{OLD}__{NEW}.html")
        assert report.status_code == 200 and 'id="synthetic-banner"' in report.text
        assert client.get(f"/data/diffs/{OLD}__{NEW}.json").json()["new"]["id"] == NEW
        for bad in ("nope.html", "..%2Fmanifest.json", "%2E%2E"):
            assert client.get(f"/data/diffs/{bad}").status_code == 404


def test_next_release_is_deterministic(pair: Pair, tmp_path: Path) -> None:
    first = next_release(pair.old_folder, tmp_path / "one", 12)
    second = next_release(pair.old_folder, tmp_path / "two", 12)
    for stem in CORE:
        name = f"EOIR Case Data/{stem}.csv"
        assert (first.release / name).read_bytes() == (second.release / name).read_bytes()
        assert (first.release / name).read_bytes() == (
            pair.new_out / first.release.name / name
        ).read_bytes()
