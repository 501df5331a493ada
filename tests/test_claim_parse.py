"""parse_claim and parse_period: every accepted shape, and one-line refusals that show
the accepted shapes (docs/claims.md)."""

from __future__ import annotations

from datetime import date

import pytest

from asylumlens.analytics import parse_claim, parse_period
from asylumlens.errors import QueryError


@pytest.mark.parametrize(
    ("text", "basis", "start", "end", "stated", "label"),
    [
        ("FY2025", "fiscal", date(2024, 10, 1), date(2025, 9, 30), True, "FY2025"),
        ("FY2010-FY2024", "fiscal", date(2009, 10, 1), date(2024, 9, 30), True, "FY2010–FY2024"),
        ("2025", "calendar", date(2025, 1, 1), date(2025, 12, 31), False, "CY2025"),
        ("cy2025", "calendar", date(2025, 1, 1), date(2025, 12, 31), True, "CY2025"),
        ("CY2010-CY2024", "calendar", date(2010, 1, 1), date(2024, 12, 31), True, "CY2010–CY2024"),
        ("2010-2024", "calendar", date(2010, 1, 1), date(2024, 12, 31), False, "CY2010–CY2024"),
        (
            "2025-01-01..2025-09-30",
            "dates",
            date(2025, 1, 1),
            date(2025, 9, 30),
            True,
            "2025-01-01..2025-09-30",
        ),
    ],
)
def test_period_shapes(
    text: str, basis: str, start: date, end: date, stated: bool, label: str
) -> None:
    p = parse_period(text)
    assert (p.basis, p.start, p.end, p.stated, p.label) == (basis, start, end, stated, label)


def test_period_partial_against_the_last_complete_day() -> None:
    assert parse_period("FY2025").is_partial(date(2025, 9, 29))
    assert not parse_period("FY2025").is_partial(date(2025, 9, 30))
    assert parse_period("2025").is_partial(date(2025, 9, 30))  # calendar: ends 31 December
    assert parse_period("2025-01-01..2025-09-30").is_partial(None)
    assert parse_period("2025").as_basis("fiscal").label == "FY2025"
    assert parse_period("FY2025").fiscal_years().years == (2025,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FY25", "is not a period; accepted: FY2025"),
        ("FY2010-CY2024", "mixes fiscal and calendar"),
        ("2024-2010", "runs backwards"),
        ("2025-09-30..2025-01-01", "runs backwards"),
        ("2025-02-30..2025-03-01", "is not a real date"),
        ("FY0000", "outside 1900-2100"),
        ("２０２５", "is not a period"),
    ],
)
def test_period_refusals(text: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_period(text)
    assert message in str(err.value) and "\n" not in str(err.value)


SEED = (
    "federal data compiled by Mobile Pathways indicates the asylum approval rate plummeted "
    "to 10 percent in 2025, from the 28 percent average recorded between 2010 and 2024"
)


def test_the_seed_sentence() -> None:
    c = parse_claim(SEED)
    assert (c.period.percent, c.period.decimals, c.period.period.label) == (10, 0, "CY2025")
    assert c.period.period.stated is False  # read as fiscal and as calendar
    assert c.baseline is not None
    assert (c.baseline.percent, c.baseline.period.label) == (28, "CY2010–CY2024")
    assert c.tolerance_for(c.period) == 0.5
    assert c.understood.startswith(
        "rate 10% in 2025 (fiscal or calendar); baseline 28% in 2010–2024 (fiscal or calendar)"
    )


@pytest.mark.parametrize(
    ("text", "rate", "period", "baseline_rate", "baseline"),
    [
        ("10% in 2025", 10, "CY2025", None, None),
        ("The rate was 10.4% in FY2025.", 10.4, "FY2025", None, None),
        ("10 per cent in fiscal year 2025", 10, "FY2025", None, None),
        ("In 2025 the rate was 10%", 10, "CY2025", None, None),
        (
            "from an 28% average between 2010 and 2024 to 10% in 2025",
            10,
            "CY2025",
            28,
            "CY2010–CY2024",
        ),
        (
            "10% in 2025, from a 28% average between FY2010 and FY2024",
            10,
            "CY2025",
            28,
            "FY2010–FY2024",
        ),
        ("fell from 28% in 2010-2024 to 10% in 2025", 10, "CY2025", 28, "CY2010–CY2024"),
        ("fell from 28% to 10% in FY2025", 10, "FY2025", 28, "FY2024"),
        ("12% in 2025-01-01..2025-09-30", 12, "2025-01-01..2025-09-30", None, None),
    ],
)
def test_accepted_shapes(
    text: str, rate: float, period: str, baseline_rate: float | None, baseline: str | None
) -> None:
    c = parse_claim(text)
    assert (c.period.percent, c.period.period.label) == (rate, period)
    if baseline_rate is None:
        assert c.baseline is None
    else:
        assert c.baseline is not None
        assert (c.baseline.percent, c.baseline.period.label) == (baseline_rate, baseline)


def test_a_baseline_without_a_year_is_the_year_before_and_said() -> None:
    c = parse_claim("fell from 28% to 10% in 2025")
    assert c.baseline is not None and c.baseline.period.label == "CY2024"
    assert c.baseline.period.stated is False
    assert "read as the year before (2024 (fiscal or calendar))" in c.understood


def test_one_decimal_sets_the_tolerance() -> None:
    c = parse_claim("fell to 10.4% in 2025 from a 28% average between 2010 and 2024")
    assert c.tolerance_for(c.period) == pytest.approx(0.05)
    assert c.baseline is not None and c.tolerance_for(c.baseline) == 0.5


@pytest.mark.parametrize(
    "text",
    [
        "",
        "asylum approvals plummeted",
        "10% and 20% and 30% in 2025",
        "the rate was 10% against 20% in 2024",  # neither is marked as the baseline
        "the rate plummeted to 10 percent",  # no year
    ],
)
def test_refusals_show_the_accepted_shapes(text: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_claim(text)
    message = str(err.value)
    assert "accepted shapes:" in message and "10% in 2025" in message
    assert "\n" not in message


def test_a_percentage_above_100_is_refused() -> None:
    with pytest.raises(QueryError, match="above 100"):
        parse_claim("the rate rose to 120% in 2025")
