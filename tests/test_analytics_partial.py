"""Partial years: a year ending after the release's last complete day is flagged in rates,
compare, the CLI and the API. The last complete day is the day before the release date,
capped at the latest completion date (docs/methodology.md, "Partial years")."""

from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics_support import Builder
from asylumlens.analytics import compare, rates
from asylumlens.analytics.source import Coverage
from asylumlens.cli import app
from asylumlens.store import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def build(root: Path, release_date: str, last_decision: date) -> Path:
    b = Builder()
    for day in (date(2024, 10, 1), date(2025, 6, 1), date(2025, 9, 30), last_decision):
        b.decided(day, "G")
        b.decided(day, "D")
    b.publish(root, release_date=release_date)
    return root


def test_coverage_rule() -> None:
    assert Coverage(date(2026, 4, 1), date(2026, 3, 31)).last_complete_day == date(2026, 3, 31)
    # a stale release: its newest decision is older than its date
    stale = Coverage(date(2026, 4, 1), date(2025, 12, 15))
    assert stale.last_complete_day == date(2025, 12, 15)
    assert stale.basis == "the latest completion date"
    # a mis-keyed future completion date does not make the year look complete
    future = Coverage(date(2026, 4, 1), date(2035, 1, 1))
    assert future.last_complete_day == date(2026, 3, 31)
    assert future.basis == "the day before the release date"
    assert Coverage(None, date(2026, 2, 1)).last_complete_day == date(2026, 2, 1)
    assert Coverage(None, None).last_complete_day is None
    assert not Coverage(None, None).covers(date(2000, 1, 1))


def test_rates_flag_the_partial_fiscal_and_calendar_year(tmp_path: Path) -> None:
    root = build(tmp_path, "2026-04-01", date(2026, 3, 15))
    fy = rates("trac", by="fiscal_year", store=root).set_index("fiscal_year")
    assert fy["partial"].to_dict() == {2025: False, 2026: True}
    assert fy.attrs["last_complete_day"] == "2026-03-15"
    assert fy.attrs["data_through"] == "2026-03-15"
    cy = rates("trac", by="calendar_year", store=root).set_index("calendar_year")
    assert cy["partial"].to_dict() == {2024: False, 2025: False, 2026: True}
    whole = rates("trac", by=(), store=root)
    assert whole["partial"].tolist() == [True]  # an open until runs into FY2026
    closed = rates("trac", by="nationality", until="FY2025", store=root)
    assert closed["partial"].tolist() == [False]


def test_release_date_sets_the_cut_when_data_reaches_it(tmp_path: Path) -> None:
    # released 1 Oct 2025 with decisions through 30 Sep: FY2025 is complete
    root = build(tmp_path, "2025-10-01", date(2025, 9, 30))
    fy = rates("trac", by="fiscal_year", store=root).set_index("fiscal_year")
    assert fy["partial"].to_dict() == {2025: False}
    # released 30 Sep 2025: the 30 September itself may be cut, so FY2025 is partial
    early = build(tmp_path / "early", "2025-09-30", date(2025, 9, 30))
    assert rates("trac", by="fiscal_year", store=early)["partial"].tolist() == [True]


def test_compare_says_the_period_is_partial(tmp_path: Path) -> None:
    root = build(tmp_path, "2026-04-01", date(2026, 3, 15))
    df = compare("FY2026", baseline="FY2025", definition="trac", store=root).set_index("measure")
    assert df["partial"].to_dict() == {
        "period": True,
        "baseline_mean": False,
        "baseline_pooled": False,
    }
    assert (
        "Partial year: FY2026 ends after 2026-03-15, the last complete day of this "
        "release's data" in df.attrs["sentence"]
    )
    full = compare("FY2025", baseline="FY2025", definition="trac", store=root)
    assert "Partial year" not in full.attrs["sentence"]


def test_cli_and_api_rows_carry_partial(tmp_path: Path) -> None:
    from asylumlens.web import create_app

    root = build(tmp_path, "2026-04-01", date(2026, 3, 15))
    result = CliRunner().invoke(app, ["rates", "-d", "trac", "-f", "json", "--store", str(root)])
    rows = json.loads(result.stdout)
    assert {r["fiscal_year"]: r["partial"] for r in rows} == {2025: False, 2026: True}
    table = CliRunner().invoke(
        app, ["rates", "-d", "trac", "--store", str(root)], env={"COLUMNS": "250"}
    )
    text = " ".join(table.stdout.split())  # the title wraps at the table's width
    assert "unit: case, data complete through 2026-03-15" in text
    assert "partial: the row's period runs past 2026-03-15" in text
    with TestClient(create_app(Store(root))) as client:
        body = client.get("/api/v1/rates?definition=trac").json()
        assert {r["fiscal_year"]: r["partial"] for r in body["rows"]} == {2025: False, 2026: True}
        for r in body["rows"]:
            assert (r["definition"], r["unit"], r["release"], r["synthetic"]) == (
                "trac",
                "case",
                "2026-0101",
                True,
            )
        csv_text = client.get("/api/v1/rates.csv?definition=trac").text
        header = csv_text.splitlines()[0].split(",")
        assert {"partial", "definition", "unit", "release", "synthetic"} <= set(header)
        cmp = client.get("/api/v1/compare?period=FY2026&baseline=FY2025&definition=trac").json()
        assert [r["partial"] for r in cmp["rows"]] == [True, False, False]
        assert all(r["unit"] == "case" for r in cmp["rows"])
        by_app = client.get("/api/v1/compare?period=FY2026&baseline=FY2025&unit=application")
        assert by_app.json()["query"]["unit"] == "application"


@pytest.mark.parametrize("unit", ["proceeding", "case"])
def test_api_judges_take_a_unit(tmp_path: Path, unit: str) -> None:
    from asylumlens.web import create_app

    root = build(tmp_path, "2026-04-01", date(2026, 3, 15))
    with TestClient(create_app(Store(root))) as client:
        body = client.get(f"/api/v1/judges?court=NYC&unit={unit}").json()
        assert body["ok"] is True and {r["unit"] for r in body["rows"]} == {unit}
