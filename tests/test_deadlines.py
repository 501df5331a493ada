"""Worked examples of the deadline rules (asylumlens.cases.deadlines), each citing its rule.

Every expected date is worked by hand from the calendar, stated in the test, not computed by
the code under test: the weekday of each date was read from a calendar (``date -d``), and
the federal holidays are those of 5 U.S.C. 6103 (Thanksgiving: the fourth Thursday of
November; Martin Luther King Jr. Day: the third Monday of January; a holiday on a Saturday
is observed on the Friday before, on a Sunday the Monday after).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asylumlens.cases.deadlines import (
    DeadlineError,
    DeadlineItem,
    anniversary,
    appeal_due,
    days_detained,
    non_business_reason,
    one_year_due,
    upcoming_and_overdue,
)
from asylumlens.errors import AsylumLensError

# --- BIA Notice of Appeal: 30 calendar days, rolled (8 CFR 1003.38(b)-(c)) -------------------


def test_oral_decision_a_business_day_is_not_rolled() -> None:
    """8 CFR 1003.38(b): 30 calendar days after the oral decision. Mon 2026-11-02 + 28 = Mon
    2026-11-30, + 2 = Wed 2026-12-02, a business day: no roll."""
    d = appeal_due(date(2026, 11, 2))
    assert d.nominal == date(2026, 12, 2)
    assert d.due == date(2026, 12, 2)
    assert d.rolled_because is None
    assert "1003.38(b)" in d.rule and "oral" in d.rule


def test_oral_decision_day_30_a_saturday_rolls_to_monday() -> None:
    """8 CFR 1003.38(b)-(c), weekend roll. Thu 2026-11-05 + 30: November has 30 days, so
    +25 is Mon 2026-11-30 and +30 is Sat 2026-12-05; Sunday 12-06 is skipped too, and the
    Notice is due Mon 2026-12-07."""
    d = appeal_due(date(2026, 11, 5))
    assert (d.nominal, d.due, d.rolled_because) == (
        date(2026, 12, 5),
        date(2026, 12, 7),
        "Saturday",
    )


def test_oral_decision_day_30_thanksgiving_rolls_to_friday() -> None:
    """8 CFR 1003.38(b)-(c), federal-holiday roll. Tue 2026-10-27 + 4 = Sat 10-31, + 26 more
    = Thu 2026-11-26, the fourth Thursday of November 2026 (Nov 5, 12, 19, 26): Thanksgiving
    Day. The next business day is Fri 2026-11-27."""
    d = appeal_due(date(2026, 10, 27))
    assert (d.nominal, d.due, d.rolled_because) == (
        date(2026, 11, 26),
        date(2026, 11, 27),
        "Thanksgiving Day",
    )


def test_a_saturday_before_a_monday_holiday_rolls_to_tuesday() -> None:
    """8 CFR 1003.38(b)-(c): Thu 2025-12-18 + 13 = Wed 12-31, + 17 = Sat 2026-01-17. Sunday
    01-18, then Mon 2026-01-19, the third Monday of January (5, 12, 19): Martin Luther King
    Jr. Day. Due Tue 2026-01-20; the reason given is the nominal day's."""
    d = appeal_due(date(2025, 12, 18))
    assert (d.nominal, d.due, d.rolled_because) == (
        date(2026, 1, 17),
        date(2026, 1, 20),
        "Saturday",
    )


def test_an_observed_holiday_counts_and_the_roll_crosses_the_weekend() -> None:
    """8 CFR 1003.38(b)-(c) with 5 U.S.C. 6103: 4 July 2026 is a Saturday, observed Friday
    07-03. Wed 2026-06-03 + 30 (June has 30 days) = Fri 2026-07-03: the observed holiday,
    then Saturday the 4th, Sunday the 5th: due Mon 2026-07-06."""
    d = appeal_due(date(2026, 6, 3))
    assert d.nominal == date(2026, 7, 3)
    assert d.due == date(2026, 7, 6)
    assert d.rolled_because == "Independence Day (observed)"
    assert non_business_reason(date(2026, 7, 4)) == "Independence Day (Saturday)"


def test_written_decision_counts_from_service_not_from_the_decision() -> None:
    """8 CFR 1003.38(b): a written decision counts from its mailing or electronic
    notification. Decided Tue 2026-10-27, mailed Fri 2026-10-30: + 1 = Sat 10-31, + 29 =
    Sun 2026-11-29, rolled to Mon 2026-11-30. The same decision stated orally on 10-27 would
    be due Fri 2026-11-27 (the Thanksgiving example): three days earlier."""
    written = appeal_due(date(2026, 10, 27), written=True, served=date(2026, 10, 30))
    oral = appeal_due(date(2026, 10, 27))
    assert (written.nominal, written.due, written.rolled_because) == (
        date(2026, 11, 29),
        date(2026, 11, 30),
        "Sunday",
    )
    assert "written" in written.rule and "oral" not in written.rule
    assert oral.due == date(2026, 11, 27)


def test_written_decision_served_the_same_day() -> None:
    """8 CFR 1003.38(b): e-served on the day of decision, Mon 2026-11-02: due Wed 12-02."""
    assert appeal_due(date(2026, 11, 2), written=True, served=date(2026, 11, 2)).due == date(
        2026, 12, 2
    )


def test_written_decision_without_service_date_names_served() -> None:
    with pytest.raises(DeadlineError, match=r"^served: required") as caught:
        appeal_due(date(2026, 10, 27), written=True)
    assert caught.value.field == "served"
    assert isinstance(caught.value, AsylumLensError)  # the CLI's exit-2 boundary catches it


def test_service_before_the_decision_names_served_without_the_value() -> None:
    with pytest.raises(DeadlineError, match=r"^served: before the decision") as caught:
        appeal_due(date(2026, 10, 27), written=True, served=date(2026, 10, 26))
    assert "2026" not in str(caught.value)


def test_service_date_for_an_oral_decision_is_refused() -> None:
    with pytest.raises(DeadlineError, match=r"^served: only for a written decision"):
        appeal_due(date(2026, 10, 27), served=date(2026, 10, 30))


# --- the one-year bar: 1 year from the last arrival, rolled (8 CFR 208.4(a)(2)(ii)) ----------


def test_one_year_from_the_last_arrival_not_the_first() -> None:
    """8 U.S.C. 1158(a)(2)(B), 8 CFR 208.4(a)(2)(ii): counted from the *last* arrival. A
    person who first came on 2019-05-10, left, and last arrived Sun 2021-08-15 has until the
    anniversary, Mon 2022-08-15 (a business day), not 2020-05-10 (the first arrival's year)."""
    first, last = date(2019, 5, 10), date(2021, 8, 15)
    d = one_year_due(last)
    assert (d.nominal, d.due, d.rolled_because) == (date(2022, 8, 15), date(2022, 8, 15), None)
    assert one_year_due(first).due < d.due
    assert "208.4(a)(2)" in d.rule and "1158(a)(2)(B)" in d.rule


def test_one_year_anniversary_on_a_sunday_rolls_to_monday() -> None:
    """8 CFR 208.4(a)(2)(ii): arrived 2021-08-14; the anniversary Sun 2022-08-14 rolls to Mon
    2022-08-15."""
    d = one_year_due(date(2021, 8, 14))
    assert (d.nominal, d.due, d.rolled_because) == (
        date(2022, 8, 14),
        date(2022, 8, 15),
        "Sunday",
    )


def test_one_year_new_years_day_on_a_sunday_rolls_past_the_observed_monday() -> None:
    """8 CFR 208.4(a)(2)(ii): arrived 2022-01-01; the anniversary Sun 2023-01-01 is New
    Year's Day, observed Mon 2023-01-02 (5 U.S.C. 6103): due Tue 2023-01-03."""
    d = one_year_due(date(2022, 1, 1))
    assert d.nominal == date(2023, 1, 1)
    assert d.due == date(2023, 1, 3)
    assert d.rolled_because == "New Year's Day (Sunday)"


def test_leap_day_arrival_ends_on_28_february() -> None:
    """8 CFR 208.4(a)(2)(ii) and the convention of :func:`anniversary`: 2025 has no 29
    February, so a 2024-02-29 arrival's year ends Fri 2025-02-28 (a business day), never
    1 March."""
    d = one_year_due(date(2024, 2, 29))
    assert (d.nominal, d.due, d.rolled_because) == (date(2025, 2, 28), date(2025, 2, 28), None)
    assert "29 February" in d.rule


def test_leap_day_arrival_whose_28_february_is_a_sunday_rolls_to_1_march() -> None:
    """Arrived 2020-02-29: 28 February 2021 is a Sunday, so the roll gives Mon 2021-03-01."""
    d = one_year_due(date(2020, 2, 29))
    assert (d.nominal, d.due, d.rolled_because) == (
        date(2021, 2, 28),
        date(2021, 3, 1),
        "Sunday",
    )


def test_28_february_before_a_leap_year_ends_on_28_february() -> None:
    """Arrived 2023-02-28: the anniversary is Wed 2024-02-28, not the leap day after it."""
    assert anniversary(date(2023, 2, 28)) == date(2024, 2, 28)
    assert one_year_due(date(2023, 2, 28)).due == date(2024, 2, 28)


def test_arrival_before_april_1997_counts_from_april_1997() -> None:
    """8 CFR 208.4(a)(2)(ii): "or April 1, 1997, whichever is later": a 1990 arrival's year
    ends Wed 1998-04-01."""
    d = one_year_due(date(1990, 6, 1))
    assert d.due == date(1998, 4, 1)
    assert "1 April 1997" in d.rule


# --- the roll, for every date: due is a business day within 4 days of the nominal -----------


@given(st.dates(min_value=date(1998, 1, 1), max_value=date(2060, 12, 31)), st.booleans())
def test_due_is_a_business_day_on_or_just_after_nominal(day: date, oral: bool) -> None:
    for d in (
        appeal_due(day) if oral else appeal_due(day, written=True, served=day),
        one_year_due(day),
    ):
        assert non_business_reason(d.due) is None
        assert d.due.weekday() < 5
        assert d.nominal <= d.due < d.nominal + timedelta(days=5)
        assert (d.rolled_because is None) == (d.due == d.nominal)


@given(st.dates(min_value=date(1998, 1, 1), max_value=date(2060, 12, 31)))
def test_appeal_nominal_is_thirty_calendar_days(day: date) -> None:
    assert (appeal_due(day).nominal - day).days == 30


# --- days detained: inclusive, overlaps once, open spell to today ---------------------------


def test_days_detained_two_overlapping_spells_and_an_open_one() -> None:
    """Inclusive count. 2026-08-01..08-10 and 08-08..08-20 overlap on 08-08..08-10: their
    union is 08-01..08-20, 20 days. The open spell from 2026-11-20 to today, 2026-12-02, is
    11 days of November (20..30) + 2 of December = 13. Total 33."""
    spells = [
        (date(2026, 8, 1), date(2026, 8, 10)),
        (date(2026, 11, 20), None),
        (date(2026, 8, 8), date(2026, 8, 20)),
    ]
    assert days_detained(spells, today=date(2026, 12, 2)) == 33


def test_days_detained_counts_both_ends() -> None:
    """Booked in and released the same day: 1 day. Two spells touching on a transfer day
    (08-01..08-03 and 08-03..08-05) are 5 days, the shared day once."""
    assert days_detained([(date(2026, 8, 1), date(2026, 8, 1))], today=date(2026, 9, 1)) == 1
    spells = [(date(2026, 8, 1), date(2026, 8, 3)), (date(2026, 8, 3), date(2026, 8, 5))]
    assert days_detained(spells, today=date(2026, 9, 1)) == 5


def test_days_detained_five_months() -> None:
    """The issue's case: detained 2026-08-03, still held on 2026-12-31: August 29 days
    (3..31) + 30 + 31 + 30 + 31 = 151 days, about five months."""
    assert days_detained([(date(2026, 8, 3), None)], today=date(2026, 12, 31)) == 151


def test_days_detained_none() -> None:
    assert days_detained([], today=date(2026, 12, 2)) == 0


def test_days_detained_release_after_today_counts_to_today() -> None:
    assert days_detained([(date(2026, 12, 1), date(2027, 1, 1))], today=date(2026, 12, 2)) == 2


def test_days_detained_end_before_start_names_end() -> None:
    with pytest.raises(DeadlineError, match=r"^end: before the spell's start") as caught:
        days_detained([(date(2026, 8, 10), date(2026, 8, 1))], today=date(2026, 12, 2))
    assert caught.value.field == "end" and "2026" not in str(caught.value)


def test_days_detained_start_after_today_names_start() -> None:
    with pytest.raises(DeadlineError, match=r"^start: after today"):
        days_detained([(date(2026, 12, 3), None)], today=date(2026, 12, 2))


@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 12, 31)),
            st.integers(min_value=0, max_value=60),
            st.booleans(),
        ),
        max_size=6,
    )
)
def test_days_detained_is_the_number_of_distinct_days(
    raw: list[tuple[date, int, bool]],
) -> None:
    """An independent oracle: the size of the set of every day in any spell."""
    today = date(2021, 1, 15)
    spells = [(s, None if open_ else s + timedelta(days=n)) for s, n, open_ in raw]
    days: set[date] = set()
    for start, end in spells:
        last = today if end is None else min(end, today)
        days.update(start + timedelta(days=i) for i in range((last - start).days + 1))
    assert days_detained(spells, today=today) == len(days)


# --- upcoming and overdue -----------------------------------------------------------------


def test_upcoming_and_overdue_split_and_sorted() -> None:
    today = date(2026, 12, 2)
    items = [
        DeadlineItem("bia_appeal", date(2026, 12, 20), "BIA appeal due - case #3", 3),
        DeadlineItem("one_year", date(2026, 11, 1), "One-year deadline - case #4", 4),
        DeadlineItem("hearing", date(2026, 12, 2), "Hearing - case #3", 3),
        DeadlineItem("bia_appeal", date(2027, 1, 2), "BIA appeal due - case #5", 5),
        DeadlineItem("bia_appeal", date(2026, 12, 1), "BIA appeal due - case #6", 6),
        DeadlineItem("bia_appeal", date(2027, 1, 1), "BIA appeal due - case #7", 7),
    ]
    upcoming, overdue = upcoming_and_overdue(items, today=today)
    # due today is upcoming; 2027-01-01 is today + 30, the horizon's last day; 01-02 is past it
    assert [i.case_ref for i in upcoming] == [3, 3, 7]
    assert [i.kind for i in upcoming] == ["hearing", "bia_appeal", "bia_appeal"]
    assert [i.case_ref for i in overdue] == [4, 6]
    short, _ = upcoming_and_overdue(items, today=today, horizon_days=0)
    assert [i.kind for i in short] == ["hearing"]


def test_upcoming_negative_horizon_names_it() -> None:
    with pytest.raises(DeadlineError, match=r"^horizon_days: negative"):
        upcoming_and_overdue([], today=date(2026, 12, 2), horizon_days=-1)
