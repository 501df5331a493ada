"""``analytics.judge_courts``: the courts a judge sat in, main court first, on a hand-built
release with exact counts.

The release (tests/analytics_support.py ``Builder``; one application per case, so every
unit counts the same):

=====  =====  ===========  ======  ============================
judge  court  nationality  FY      decisions
=====  =====  ===========  ======  ============================
JAA    NYC    CH           2024    2 grants, 1 denial
JAA    ARL    MX           2024    3 denials
JAA    HOU    CH           2015    1 grant
JBB    NYC    ES           2024    1 denial
=====  =====  ===========  ======  ============================

JAA over everything: ARL 3 and NYC 3 (a tie: the court code first), then HOU 1. For
Chinese applicants: NYC 3, HOU 1. Chinese applicants since FY2020: NYC 3. Salvadoran
applicants: none for JAA, so the ranking falls back to all of JAA's decisions.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics_support import Builder
from asylumlens import analytics
from asylumlens.errors import QueryError
from asylumlens.store import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    b = Builder()
    rows = [
        ("JAA", "NYC", "CH", 2024, "G", 2),
        ("JAA", "NYC", "CH", 2024, "D", 1),
        ("JAA", "ARL", "MX", 2024, "D", 3),
        ("JAA", "HOU", "CH", 2015, "G", 1),
        ("JBB", "NYC", "ES", 2024, "D", 1),
    ]
    for judge, court, nat, fy, decision, n in rows:
        for _ in range(n):
            b.decided(date(fy, 3, 1), decision, nat=nat, ij_code=judge, base_city_code=court)
    root = tmp_path_factory.mktemp("judge-courts")
    b.publish(root)
    return Store(root)


def ranking(df: pd.DataFrame) -> list[tuple[str, int]]:
    return [(str(c), int(t)) for c, t in zip(df["court"], df["total"], strict=True)]


def test_all_decisions_ranked_by_count_ties_by_code(store: Store) -> None:
    df = analytics.judge_courts("JAA", store=store)
    assert list(df.columns) == ["court", "court_name", "total"]
    assert ranking(df) == [("ARL", 3), ("NYC", 3), ("HOU", 1)]
    assert list(df["court_name"]) == ["Arlington", "New York", "Houston"]
    assert df.attrs["basis"] == "group"
    assert df.attrs["judge"] == "JAA"
    assert df.attrs["definition"] == "eoir"


def test_group_and_period_choose_the_main_court(store: Store) -> None:
    chinese = analytics.judge_courts("JAA", where={"nationality": "CH"}, store=store)
    assert ranking(chinese) == [("NYC", 3), ("HOU", 1)]
    recent = analytics.judge_courts(
        "JAA", where={"nationality": "china"}, since="FY2020", store=store
    )
    assert ranking(recent) == [("NYC", 3)]
    assert recent.attrs["basis"] == "group"


def test_empty_group_falls_back_to_all_the_judges_decisions(store: Store) -> None:
    df = analytics.judge_courts("jaa", where={"nationality": "ES"}, store=store)
    assert df.attrs["basis"] == "all"
    assert df.attrs["judge"] == "JAA"
    assert ranking(df) == [("ARL", 3), ("NYC", 3), ("HOU", 1)]


def test_unknown_codes_are_errors_not_an_empty_group(store: Store) -> None:
    with pytest.raises(QueryError, match="unknown judge code 'JZZ'"):
        analytics.judge_courts("JZZ", store=store)
    with pytest.raises(QueryError, match="unknown nationality code 'ZZ'"):
        analytics.judge_courts("JAA", where={"nationality": "ZZ"}, store=store)
