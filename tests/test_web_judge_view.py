"""The judge page's builder on a hand-built release: exact counts for "this judge, Chinese,
detained, the last 5 years" against the court, the same group and period.

The release (tests/analytics_support.py ``Builder``), under the ``eoir`` definition (one
decision per application; each case here has one):

========  =====  ===========  =====  ====  =========================
judge     court  nationality  cust.  FY    decisions
========  =====  ===========  =====  ====  =========================
JAA       NYC    CH           D      2024  3 grants, 1 denial
JAA       ARL    CH           D      2025  1 denial
JAA       NYC    CH           D      2015  2 grants (before the period)
JAA       NYC    CH           N      2024  1 denial (other custody)
JAA       NYC    MX           D      2024  1 grant (other nationality)
JBB       NYC    CH           D      2024  1 grant, 4 denials
(none)    NYC    CH           D      2023  2 denials (no judge code)
JCC       NYC    MX           N      2026  1 grant (the release's latest FY)
========  =====  ===========  =====  ====  =========================

So for CH, detained, FY2022-FY2026: the judge 3/5 (all courts), 3/4 at NYC; NYC 4/11 with
every judge; NYC without JAA 1/7 (JBB's 1/5 and the 0/2 without a judge code).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from statsmodels.stats.proportion import proportion_confint

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from analytics_support import Builder
from asylumlens import analytics
from asylumlens.store import Store
from asylumlens.web import create_app, views
from asylumlens.web.errors import WebError
from asylumlens.web.groups import JudgeGroup, judge_group
from asylumlens.web.queries import Queries


def _fy_day(fy: int) -> date:
    return date(fy, 3, 1)


def _decide(
    b: Builder, fy: int, decision: str, *, judge: str | None, court: str, nat: str, custody: str
) -> None:
    case = b.case(nat=nat)
    proc = b.proceeding(case, _fy_day(fy), ij_code=judge, base_city_code=court, custody=custody)
    b.application(proc, decision)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    b = Builder()
    rows: list[tuple[str | None, str, str, str, int, str, int]] = [
        ("JAA", "NYC", "CH", "D", 2024, "G", 3),
        ("JAA", "NYC", "CH", "D", 2024, "D", 1),
        ("JAA", "ARL", "CH", "D", 2025, "D", 1),
        ("JAA", "NYC", "CH", "D", 2015, "G", 2),
        ("JAA", "NYC", "CH", "N", 2024, "D", 1),
        ("JAA", "NYC", "MX", "D", 2024, "G", 1),
        ("JBB", "NYC", "CH", "D", 2024, "G", 1),
        ("JBB", "NYC", "CH", "D", 2024, "D", 4),
        (None, "NYC", "CH", "D", 2023, "D", 2),
        ("JCC", "NYC", "MX", "N", 2026, "G", 1),
    ]
    for judge, court, nat, custody, fy, decision, n in rows:
        for _ in range(n):
            _decide(b, fy, decision, judge=judge, court=court, nat=nat, custody=custody)
    root = tmp_path_factory.mktemp("judge-view")
    b.publish(root)
    return Store(root)


@pytest.fixture(scope="module")
def queries(store: Store) -> Queries:
    return Queries(store, store.release())


GROUP = JudgeGroup(nationality="CH", custody="D", last=5)


def wilson(grants: int, total: int) -> tuple[float, float]:
    low, high = proportion_confint(grants, total, alpha=0.05, method="wilson")
    return float(low), float(high)


def by_row(view: views.View) -> dict[str, dict[str, Any]]:
    return {r["row"]: r for r in view.tables["vs_court"].rows}


def test_judge_against_court_same_group_and_period(queries: Queries) -> None:
    view = views.judge_for_group(queries, "JAA", "eoir", GROUP)
    assert view.facts["period"] == {"since": "FY2022", "until": "FY2026", "last": 5}
    assert view.facts["group"] == {"custody": "D", "nationality": "CH"}
    assert view.facts["court"].code == "NYC"
    assert [(c["court"], c["total"]) for c in view.facts["courts"]] == [("NYC", 4), ("ARL", 1)]
    rows = by_row(view)
    assert list(rows) == ["judge", "judge_at_court", "court", "court_without_judge"]
    expected = {
        "judge": (3, 2, 5, 100),
        "judge_at_court": (3, 1, 4, 100),
        "court": (4, 7, 11, 25),
        "court_without_judge": (1, 6, 7, 25),
    }
    for name, (grants, denials, total, threshold) in expected.items():
        r = rows[name]
        assert (r["grants"], r["denials"], r["others"], r["total"]) == (grants, denials, 0, total)
        assert r["rate"] == pytest.approx(grants / total)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx(wilson(grants, total))
        assert r["threshold"] == threshold and r["below_threshold"] is True
    assert "NYC" in rows["court"]["scope"] and "without" in rows["court_without_judge"]["scope"]


def test_judge_rows_are_the_librarys_rates(queries: Queries, store: Store) -> None:
    view = views.judge_for_group(queries, "JAA", "eoir", GROUP)
    where = {"judge": "JAA", "nationality": "CH", "custody": "D"}
    lib = analytics.rates(
        "eoir", by=("judge",), where=where, since="FY2022", until="FY2026", store=store
    )
    mine = by_row(view)["judge"]
    assert (mine["grants"], mine["total"]) == (int(lib["grants"][0]), int(lib["total"][0]))
    court = analytics.rates(
        "eoir",
        by=("court",),
        where={"court": "NYC", "nationality": "CH", "custody": "D"},
        since="FY2022",
        until="FY2026",
        store=store,
    )
    assert by_row(view)["court"]["total"] == int(court["total"][0])
    assert by_row(view)["court"]["ci_low"] == pytest.approx(float(court["ci_low"][0]))
    # the yearly rows are the judge's, in the group: FY2024 (3/4 at NYC) and FY2025 (0/1)
    assert [(r["fiscal_year"], r["grants"], r["total"]) for r in view.rows] == [
        (2024, 3, 4),
        (2025, 0, 1),
    ]
    assert all(r["below_threshold"] for r in view.rows)  # under 25 decisions a year


def test_no_group_counts_every_decision(queries: Queries, store: Store) -> None:
    view = views.judge_for_group(queries, "JAA", "eoir", JudgeGroup())
    rows = by_row(view)
    assert (rows["judge"]["grants"], rows["judge"]["total"]) == (6, 9)
    # NYC every judge: JAA 8 at NYC, JBB 5, no code 2, JCC 1
    assert rows["court"]["total"] == 16 and rows["court_without_judge"]["total"] == 8
    # without a group the shrunken estimate is JAA's row of the library's NYC judges (6/8)
    assert "estimate_error" not in view.facts
    estimate = view.facts["estimate"]
    assert (estimate["judge"], estimate["court"], estimate["grants"], estimate["total"]) == (
        "JAA",
        "NYC",
        6,
        8,
    )
    lib = analytics.judges(court="NYC", definition="eoir", store=store).set_index("judge")
    assert estimate["shrunk_rate"] == pytest.approx(float(lib.loc["JAA", "shrunk_rate"]))


def test_a_custody_group_has_no_shrunken_estimate(queries: Queries) -> None:
    view = views.judge_for_group(queries, "JAA", "eoir", GROUP)
    assert "estimate" not in view.facts
    assert "custody" in view.facts["estimate_error"]


def test_bad_group_values_are_422_naming_the_field(queries: Queries) -> None:
    with pytest.raises(WebError) as info:
        views.judge_for_group(queries, "JAA", "eoir", JudgeGroup(nationality="ZZ"))
    assert info.value.status == 422 and "nationality" in str(info.value)
    with pytest.raises(WebError, match="custody"):
        views.judge_for_group(queries, "JAA", "eoir", JudgeGroup(custody="Q"))
    with pytest.raises(WebError, match="represented"):
        judge_group(represented="maybe")
    with pytest.raises(WebError, match="last"):
        judge_group(last="five")
    with pytest.raises(WebError, match="last=5 and since"):
        judge_group(last="5", since="FY2020")
    assert judge_group(represented="Yes", last="", nationality=" CH ") == JudgeGroup(
        nationality="CH", represented="true"
    )


def test_last_fiscal_years() -> None:
    assert views.last_fiscal_years([2019, 2020, 2026], 5) == ("FY2022", "FY2026")
    assert views.last_fiscal_years([2026], 1) == ("FY2026", "FY2026")
    assert views.last_fiscal_years([], 5) is None


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store), raise_server_exceptions=False) as c:
        yield c


def test_page_and_json_twin_carry_the_same_table(client: TestClient, queries: Queries) -> None:
    query = "nationality=CH&custody=D&last=5&definition=eoir"
    api = client.get(f"/api/v1/judges/JAA.json?{query}")
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["tables"]["vs_court"]["rows"] == list(
        views.judge_for_group(queries, "JAA", "eoir", GROUP).tables["vs_court"].rows
    )
    assert body["query"]["nationality"] == "CH" and body["query"]["since"] == "FY2022"
    page = client.get(f"/judges/JAA?{query}")
    assert page.status_code == 200
    html = page.text
    assert 'id="vs-court_without_judge"' in html and "14.3%" in html  # 1 of 7
    assert 'id="vs-court"' in html and "36.4%" in html  # 4 of 11
    assert "/api/v1/judges/JAA.json?definition=eoir&amp;custody=D&amp;nationality=CH" in html
    bad = client.get("/judges/JAA?nationality=ZZ")
    assert bad.status_code == 422 and "nationality" in bad.text
    assert client.get("/api/v1/judges/JAA?represented=maybe").status_code == 422


def test_search_rule_is_case_insensitive_substring_over_code_and_name() -> None:
    from asylumlens.web.catalog import matches_search

    assert matches_search("adam", "JAA", "ADAMS, A.")
    assert matches_search(" jaa ", "JAA", None)
    assert matches_search("", "JAA", "ADAMS, A.") and matches_search(None, "X", None)
    assert not matches_search("baker", "JAA", "ADAMS, A.")
    assert not matches_search("jaa", None, None)


def test_judge_search_and_decisions_without_a_judge(client: TestClient) -> None:
    page = client.get("/judges?q=adams")
    assert page.status_code == 200
    table = page.text.split('id="listing-table"')[1].split("</table>")[0]
    assert "/judges/JAA" in table and "/judges/JBB" not in table
    assert "1</strong> of 3 judges match" in page.text  # JAA, JBB, JCC: the blank code apart
    full = client.get("/judges").text
    listing = full.split('id="listing-table"')[1].split("</table>")[0]
    assert "(blank)" not in listing and "no judge code" not in listing
    apart = full.split('id="not-judges-table"')[1].split("</table>")[0]
    assert "(blank)" in apart and "no judge code" in apart and ">2<" in apart  # 2 decisions
    api = client.get("/api/v1/judges.json?q=JB").json()
    assert [r["judge"] for r in api["rows"]] == ["JBB"]
    courts = client.get("/api/v1/courts.json?q=york").json()
    assert [r["court"] for r in courts["rows"]] == ["NYC"]


def test_explorer_keeps_a_judge_given_in_the_url(client: TestClient) -> None:
    html = client.get("/explorer?by=fiscal_year&where=judge:JCC").text
    assert 'value="judge:JCC" selected' in html
