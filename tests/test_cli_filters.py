"""One filter parser for the CLI's ``--where`` and the web's ``where=``: both spellings
(``nationality=CH``, ``nationality:CH``), comma lists and repeats, one-line errors.

The release is hand-built (tests/analytics_support.py ``Builder``): in FY2024, ten Chinese
(CH) decisions, six grants and four denials, and five Mexican (MX), one grant and four
denials. So CH alone is 6 of 10, MX alone 1 of 5, and CH or MX 7 of 15, whichever spelling.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

from analytics_support import Builder
from asylumlens.analytics.dimensions import parse_filters, parse_where_strings
from asylumlens.cli import app, main
from asylumlens.errors import QueryError
from asylumlens.store import Store
from asylumlens.web import create_app


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = Builder()
    for i in range(10):
        b.decided(date(2024, 3, 1), "G" if i < 6 else "D", nat="CH")
    for i in range(5):
        b.decided(date(2024, 3, 1), "G" if i < 1 else "D", nat="MX")
    root = tmp_path_factory.mktemp("filters")
    b.publish(root)
    return root


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Store(store)), raise_server_exceptions=False) as c:
        yield c


# --- the parser itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "items",
    [
        ["nationality=CH,MX", "custody=D"],
        ["nationality:CH,MX", "custody:D"],
        ["custody:D", "nationality=CH", "nationality:MX"],
        ["nationality = CH , MX,,CH", "nationality:MX", "custody=D"],
    ],
)
def test_both_spellings_comma_lists_and_repeats_parse_alike(items: list[str]) -> None:
    assert parse_filters(items) == (("custody", ("D",)), ("nationality", ("CH", "MX")))


def test_a_code_keeps_its_own_separators() -> None:
    assert parse_filters(["case_type:A=B:C"]) == (("case_type", ("A=B:C",)),)
    assert parse_where_strings(["judge=X:1"]) == {"judge": ["X:1"]}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("nationality", "where 'nationality' is not DIMENSION=CODE[,CODE] or DIMENSION:CODE"),
        ("nationality:", "where 'nationality:' is not DIMENSION=CODE"),
        ("=CH", "where '=CH' is not DIMENSION=CODE"),
        ("planet:MARS", "unknown dimension 'planet' in where; valid: fiscal_year, calendar_year"),
    ],
)
def test_a_bad_filter_is_one_line_naming_it_and_the_dimensions(item: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_filters([item])
    text = str(caught.value)
    assert text.startswith(message) and "\n" not in text
    assert "nationality" in text and "sex" in text  # the valid dimensions are listed


# --- through the CLI -------------------------------------------------------------------------


def cli_totals(store: Path, *where: str) -> list[tuple[int, int]]:
    args = ["rates", "-f", "json", "--store", str(store)]
    for item in where:
        args += ["--where", item]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return [(r["grants"], r["total"]) for r in json.loads(result.stdout)]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (("nationality=CH",), [(6, 10)]),
        (("nationality:CH",), [(6, 10)]),
        (("nationality:MX",), [(1, 5)]),
        (("nationality=CH,MX",), [(7, 15)]),
        (("nationality:CH,MX",), [(7, 15)]),
        (("nationality:CH", "nationality=MX"), [(7, 15)]),
    ],
)
def test_cli_where_takes_both_spellings(
    store: Path, where: tuple[str, ...], expected: list[tuple[int, int]]
) -> None:
    assert cli_totals(store, *where) == expected


def test_cli_bad_where_is_one_line_exit_2(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["asylumlens", "rates", "--where", "nationality", "--store", str(store)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: --where 'nationality' is not DIMENSION=CODE[,CODE] or")
    assert "dimensions: fiscal_year, calendar_year, nationality" in lines[0]


# --- through the API -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("where=nationality:CH", [(6, 10)]),
        ("where=nationality=CH", [(6, 10)]),
        ("where=nationality:CH,MX", [(7, 15)]),
        ("where=nationality=CH,MX", [(7, 15)]),
        ("where=nationality:CH&where=nationality=MX", [(7, 15)]),
        ("where=nationality:MX&where=", [(1, 5)]),  # an empty where= (a form's "any")
    ],
)
def test_api_where_takes_both_spellings(
    client: TestClient, query: str, expected: list[tuple[int, int]]
) -> None:
    response = client.get(f"/api/v1/rates?{query}")
    assert response.status_code == 200, response.text
    assert [(r["grants"], r["total"]) for r in response.json()["rows"]] == expected


def test_api_bad_where_is_422_naming_it_and_the_dimensions(client: TestClient) -> None:
    response = client.get("/api/v1/rates?where=nationality")
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        "where 'nationality' is not DIMENSION=CODE[,CODE] or DIMENSION:CODE[,CODE] (e.g. "
        "nationality=CH, nationality:CH,ES, or a name: nationality=china); dimensions: "
        "fiscal_year, calendar_year, nationality, court, hearing_location, judge, custody, "
        "represented, case_type, asylum_type, absentia, language, sex"
    ]
