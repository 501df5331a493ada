"""The context panel of a case against a hand-built release whose every count is known:
each figure is the arithmetic of the construction (an independent oracle), over the last
five complete fiscal years, and what the release lacks is said, not guessed."""

from __future__ import annotations

from datetime import date

import pytest

from analytics_support import Builder
from asylumlens.analytics.context import case_context
from asylumlens.store import Store

YEARS = range(2020, 2027)  # FY2020-FY2026, each decided on 1 March
# FY2026 is partial (the data ends 2026-03-01), so the window is FY2021-FY2025


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Each fiscal year at court NYC: judge JAA decides 4 detained Chinese cases (1 grant)
    and 4 never-detained ones (3 grants); judge JBB 2 Spanish cases, both granted."""
    b = Builder()

    def decide(on: date, decision: str, nat: str, judge: str, custody: str) -> None:
        case = b.case(nat=nat)
        b.application(b.proceeding(case, on, ij_code=judge, custody=custody), decision)

    for fy in YEARS:
        on = date(fy, 3, 1)
        for i in range(4):
            decide(on, "G" if i < 1 else "D", "CH", "JAA", "D")
            decide(on, "G" if i < 3 else "D", "CH", "JAA", "N")
        for _ in range(2):
            decide(on, "G", "ES", "JBB", "N")
    root = tmp_path_factory.mktemp("context")
    b.publish(root, release_id="2026-11-01", release_date="2026-11-01")
    return Store(root)


def test_every_figure_is_the_constructions_arithmetic(store: Store) -> None:
    ctx = case_context(judge="JAA", nationality="CH", custody="D", represented=False, store=store)
    assert ctx.period == "FY2021–FY2025" and ctx.release == "2026-11-01" and ctx.synthetic
    got = {f.key: (f.grants, f.decisions) for f in ctx.figures}
    assert got["court"] == (5 * 6, 5 * 10)
    assert got["judge"] == (5 * 4, 5 * 8)
    assert got["nationality_national"] == got["nationality_court"] == (5 * 4, 5 * 8)
    assert got["custody:D"] == (5 * 1, 5 * 4)
    assert got["custody:N"] == (5 * 3, 5 * 4)
    court = ctx.figure("court")
    assert court is not None and court.rate == pytest.approx(0.6)
    judge = ctx.figure("judge")
    assert judge is not None and judge.estimate == "shrunken"
    assert judge.low is not None and judge.high is not None and judge.rate is not None
    assert judge.low <= judge.rate <= judge.high
    mine = [f.label for f in ctx.figures if f.label.endswith("(this case)")]
    assert len(mine) == 2 and any("Detained" in m for m in mine)
    assert [(f.key, f.grants, f.decisions) for f in ctx.trend] == [
        (f"FY{fy}", 4, 8) for fy in range(2021, 2026)
    ]
    assert all(f.below_threshold for f in ctx.trend)  # 8 decisions a year: under 25
    assert ctx.court_spread is not None and ctx.court_spread.judges == 2
    assert ctx.notes == []
    assert judge.url == "/judges/JAA?definition=eoir"


def test_what_the_release_lacks_is_said(store: Store) -> None:
    """An unknown judge: no judge figure, a note naming it, the court found from the court
    given; no court or judge at all: a note; an unknown nationality: a note, no crash."""
    ctx = case_context(judge="JZZ", court="NYC", nationality="CH", store=store)
    assert ctx.figure("judge") is None and ctx.figure("court") is not None
    assert any("judge JZZ has no decided asylum application" in n for n in ctx.notes)
    bare = case_context(nationality="XX", store=store)
    assert any("no court or judge recorded" in n for n in bare.notes)
    assert any("nationality XX" in n for n in bare.notes)
    assert bare.figures == []


def test_the_judges_main_court_is_used_when_no_court_is_given(store: Store) -> None:
    ctx = case_context(judge="JBB", store=store)
    judge = ctx.figure("judge")
    assert judge is not None and (judge.grants, judge.decisions) == (10, 10)
    assert ctx.figure("court") is not None
