"""Strict filters and periods: the wrong year kind, out-of-range years and non-ASCII digits
are one-line QueryErrors (exit status 2 on the CLI, 422 on the API), never tracebacks and
never silently read as another period."""

from __future__ import annotations

import sys
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from analytics_support import Builder
from asylumlens.analytics import compare, rates
from asylumlens.cli import main
from asylumlens.errors import QueryError
from asylumlens.store import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = Builder()
    b.decided(date(2020, 10, 15), "G")  # FY2021, calendar 2020
    b.decided(date(2021, 3, 1), "D")  # FY2021, calendar 2021
    root = tmp_path_factory.mktemp("strict")
    b.publish(root)
    return root


BAD: list[tuple[dict[str, Any], str]] = [
    (dict(where={"calendar_year": "FY2021"}), "names a fiscal year, not a calendar year"),
    (dict(where={"fiscal_year": "CY2021"}), "names a calendar year, not a fiscal year"),
    (dict(where={"fiscal_year": "²"}), "is not a year like 2021"),
    (dict(where={"fiscal_year": "２０２１"}), "is not a year like 2021"),
    (dict(where={"fiscal_year": "FY0000"}), "outside 1900-2100"),
    (dict(where={"calendar_year": 12021}), "outside 1900-2100"),
    (dict(since="FY0000"), "outside 1900-2100"),
    (dict(until="FY9999"), "outside 1900-2100"),
    (dict(since="FY２０２１"), "not a fiscal year"),
    (dict(since="0001-01-01"), "outside 1900-2100"),
    (dict(since="2021-02-30"), "not a real date"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD)
def test_rates_rejects(store: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        rates(store=store, **kwargs)


def test_right_year_kinds_still_work(store: Path) -> None:
    fy = rates("trac", by=(), where={"fiscal_year": "FY2021"}, store=store).iloc[0]
    assert fy["total"] == 2
    cy = rates("trac", by=(), where={"calendar_year": "CY2021"}, store=store).iloc[0]
    assert cy["total"] == 1
    assert rates("trac", by=(), where={"calendar_year": 2020}, store=store).iloc[0]["total"] == 1


@pytest.mark.parametrize(
    ("period", "baseline"), [("FY0000", "FY2010-FY2020"), ("FY2021", "FY0000-FY2020")]
)
def test_compare_rejects_out_of_range_years(store: Path, period: str, baseline: str) -> None:
    with pytest.raises(QueryError, match="outside 1900-2100"):
        compare(period, baseline=baseline, store=store)


@pytest.mark.parametrize(
    "args",
    [
        ["rates", "--since", "FY0000"],
        ["rates", "--where", "fiscal_year=²"],
        ["rates", "--where", "calendar_year=FY2021"],
        ["compare", "--period", "FY0000"],
        ["judges", "--court", "NYC", "--until", "FY0000"],
    ],
)
def test_cli_one_line_exit_2(
    store: Path,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "argv", ["asylumlens", *args, "--store", str(store)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len([x for x in err.splitlines() if x.startswith("error:")]) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/rates?since=FY0000",
        "/api/v1/rates?where=fiscal_year:%C2%B2",
        "/api/v1/rates?where=calendar_year:FY2021",
        "/api/v1/rates?since=FY%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%91",
        "/api/v1/rates?unit=cases",
        "/api/v1/compare?period=FY0000&baseline=FY2010-FY2020",
    ],
)
def test_api_422(store: Path, url: str) -> None:
    from asylumlens.web import create_app

    with TestClient(create_app(Store(store)), raise_server_exceptions=False) as client:
        response = client.get(url)
    assert response.status_code == 422, response.text
    assert response.json()["ok"] is False and "Traceback" not in response.text
