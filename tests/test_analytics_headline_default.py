"""One headline default everywhere: the library, the CLI, the API and the home page agree.

The default is the latest fiscal year complete by the release's last complete day, against
FY2010 (or the first fiscal year with data) through the year before; ``compare()`` with no
periods uses it, and so do ``asylumlens compare``, ``/api/v1/compare`` and ``/``. Hand-built
releases with exact counts.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from analytics_support import Builder
from asylumlens import analytics
from asylumlens.analytics import compare, default_comparison
from asylumlens.analytics.periods import headline_periods, latest_complete_fiscal_year
from asylumlens.cli import DEFAULT_DEFINITION_NAME, app
from asylumlens.errors import QueryError
from asylumlens.store import Store
from asylumlens.web.app import create_app

# FY2009..FY2026: FY2026 runs to 30 September 2026; its last decision is on that day.
YEARS = {fy: (30, 100) for fy in range(2009, 2027)}
YEARS[2025] = (10, 100)
YEARS[2026] = (40, 100)


def yearly_store(root: Path, years: dict[int, tuple[int, int]], release_date: str) -> Path:
    b = Builder()
    for fy, (grants, total) in years.items():
        for i in range(total):
            day = date(fy, 9, 30) if i == 0 else date(fy, 3, 1)
            b.decided(day, "G" if i < grants else "D")
    b.publish(root, release_date=release_date)
    return root


@pytest.fixture(scope="module")
def complete(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Released 2026-10-15: every day of FY2026 is covered."""
    return yearly_store(tmp_path_factory.mktemp("complete"), YEARS, "2026-10-15")


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Released 2026-09-30: its last complete day is 29 September, so FY2026 is partial."""
    return yearly_store(tmp_path_factory.mktemp("cut"), YEARS, "2026-09-30")


def test_latest_complete_fiscal_year() -> None:
    assert latest_complete_fiscal_year(date(2026, 9, 30)) == 2026
    assert latest_complete_fiscal_year(date(2026, 9, 29)) == 2025
    assert latest_complete_fiscal_year(date(2026, 10, 1)) == 2026
    assert latest_complete_fiscal_year(None) is None
    assert headline_periods(date(2025, 12, 1), [2014, 2020, 2025, 2026]) == (
        "FY2025",
        "FY2014-FY2024",
    )
    with pytest.raises(QueryError, match="give period and baseline"):
        headline_periods(date(2025, 12, 1), [2025, 2026])


def test_default_is_the_latest_complete_year_against_fy2010_on(complete: Path, cut: Path) -> None:
    assert default_comparison(store=complete) == ("FY2026", "FY2010-FY2025")
    assert default_comparison(store=cut) == ("FY2025", "FY2010-FY2024")
    assert default_comparison(store=complete, period="FY2020") == ("FY2020", "FY2010-FY2019")


def test_compare_without_periods_is_the_default_line(cut: Path) -> None:
    df = compare(store=cut)
    explicit = compare("FY2025", baseline="FY2010-FY2024", store=cut)
    assert df.attrs["period"] == "FY2025" and df.attrs["baseline"] == "FY2010–FY2024"
    assert df.attrs["sentence"] == explicit.attrs["sentence"]
    assert df.attrs["defaulted"] == ["period", "baseline"]
    rows = df.set_index("measure")
    assert rows.loc["period", "rate"] == pytest.approx(0.10)
    assert rows.loc["baseline_pooled", "grants"] == 450
    assert rows.loc["baseline_pooled", "total"] == 1500
    assert rows.loc["baseline_mean", "rate"] == pytest.approx(0.30)
    assert rows.loc["baseline_mean", "grants"] is None  # no pooled pair on the mean's row


def test_first_year_with_data_after_fy2010_starts_the_baseline(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    late = {fy: (20, 50) for fy in range(2016, 2025)}
    root = yearly_store(tmp_path_factory.mktemp("late"), late, "2025-01-10")
    assert default_comparison(store=root) == ("FY2024", "FY2016-FY2023")


def test_too_few_years_is_a_clear_error(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = yearly_store(tmp_path_factory.mktemp("one"), {2024: (1, 2)}, "2025-01-10")
    with pytest.raises(QueryError, match="give period and baseline"):
        compare(store=root)


def test_cli_compare_default_prints_the_same_line(cut: Path) -> None:
    result = CliRunner().invoke(app, ["compare", "--store", str(cut), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert "FY2025 from a 30% average in FY2010–FY2024" in result.stderr
    assert json.loads(result.stdout)[0]["fiscal_years"] == "FY2025"
    assert DEFAULT_DEFINITION_NAME == analytics.DEFAULT_DEFINITION


def test_api_and_home_page_use_the_same_default(cut: Path) -> None:
    client = TestClient(create_app(Store(cut)))
    body = client.get("/api/v1/compare").json()
    assert body["query"]["period"] == "FY2025"
    assert body["query"]["baseline"] == "FY2010-FY2024"
    only_period = client.get("/api/v1/compare?period=FY2020").json()
    assert only_period["query"]["baseline"] == "FY2010-FY2019"
    home = client.get("/")
    assert home.status_code == 200
    sentence = compare(store=cut).attrs["sentence"]
    assert sentence.replace("%", "%") in home.text.replace("&#39;", "'")
    assert "FY2025 against FY2010-FY2024" in home.text


def test_home_honours_period_and_baseline(cut: Path) -> None:
    client = TestClient(create_app(Store(cut)))
    page = client.get("/?period=FY2026&baseline=FY2020-FY2025")
    assert page.status_code == 200
    assert "40% in FY2026 from a 27% average in FY2020–FY2025" in page.text
    assert "/api/v1/compare.json?definition=eoir&amp;period=FY2026" in page.text
    bad = client.get("/?period=2026")
    assert bad.status_code == 422 and "period=" in bad.text
    bad = client.get("/?baseline=FY2020-FY2010")
    assert bad.status_code == 422 and "baseline=" in bad.text
