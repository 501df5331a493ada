"""The deadlines of one asylum case, as pure functions of dates: no I/O, no database, no clock.

Each rule's docstring cites the regulation it implements, so a lawyer can read the rule and
its tests without running anything (``docs/deadlines.md`` prints the same rules with worked
examples). "Today" is always an argument, never read from the clock, so every result can be
reproduced.

Business days: a last day that falls on a Saturday, a Sunday or a legal holiday rolls to the
next day that is none of these. Legal holidays are the federal public holidays of 5 U.S.C.
6103 as the maintained ``holidays`` library gives them for the United States (category
``public``, observed days included: when 4 July is a Saturday, Friday 3 July is the holiday
federal offices close for). Closures by executive order (24 and 26 December 2025, the day of
mourning on 9 January 2025) are deliberately *not* counted: counting them could only move a
due date later, and a deadline computed one day early is safe where one computed a day late
is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Final

import holidays

from asylumlens.errors import AsylumLensError

APPEAL_DAYS: Final = 30
"""Calendar days for a Notice of Appeal to the BIA (8 CFR 1003.38(b))."""

ONE_YEAR_FLOOR: Final = date(1997, 4, 1)
"""The one-year period runs from the last arrival or 1 April 1997, whichever is later
(8 CFR 208.4(a)(2)(ii)): the date IIRIRA's filing deadline took effect."""

HOLIDAY_CATEGORY: Final = "public"
"""The ``holidays`` category for federal legal holidays (5 U.S.C. 6103), observed days
included; not ``government``, which adds executive-order closures (module docstring)."""

_WEEKEND: Final = {5: "Saturday", 6: "Sunday"}


class DeadlineError(AsylumLensError):
    """A date given to a deadline rule is missing or impossible: ``field`` names the input.

    The message names the field and says what is valid; it never repeats the value.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Deadline:
    """A computed due date and how it was reached.

    ``nominal`` is the last day the rule counts to; ``due`` is that day rolled past weekends
    and legal holidays; ``rolled_because`` says why the nominal day could not be the due date
    (``"Saturday"``, ``"Thanksgiving Day"``, ``"Independence Day (Saturday)"``), or None when
    it was a business day. ``rule`` is the rule applied, in words, with its citation.
    """

    due: date
    nominal: date
    rule: str
    rolled_because: str | None


@dataclass(frozen=True)
class DeadlineItem:
    """One dated obligation for a dashboard or a calendar feed.

    ``kind`` is a short machine name (``"bia_appeal"``, ``"one_year"``, ``"hearing"``);
    ``title`` is shown to people and must not identify the client (no name, no A-number:
    e.g. ``"BIA appeal due - case #12"``); ``case_ref`` is the case's id, or None for an item
    not tied to a case.
    """

    kind: str
    due: date
    title: str
    case_ref: int | None


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> dict[date, str]:
    """The federal legal holidays of ``year``, observed days included (module docstring)."""
    found = holidays.country_holidays("US", years=year, categories=(HOLIDAY_CATEGORY,))
    return dict(found.items())


def non_business_reason(day: date) -> str | None:
    """Why ``day`` is not a business day (a weekend day's name, a holiday's name, or both),
    or None when it is one."""
    holiday = _holidays_of(day.year).get(day)
    weekend = _WEEKEND.get(day.weekday())
    if holiday and weekend:
        return f"{holiday} ({weekend})"
    return holiday or weekend


def next_business_day(day: date) -> tuple[date, str | None]:
    """``day`` itself if it is a business day, else the first business day after it, with
    the reason ``day`` was skipped.

    The roll of 8 CFR 1003.38(b)-(c) and 8 CFR 208.4(a)(2)(ii): a period whose last day
    "falls on a Saturday, Sunday, or legal holiday" runs to the next day that is none of them.
    """
    reason = non_business_reason(day)
    rolled = day
    while non_business_reason(rolled) is not None:
        rolled += timedelta(days=1)
    return rolled, reason


def appeal_due(decided: date, *, written: bool = False, served: date | None = None) -> Deadline:
    """The last day to file a Notice of Appeal (Form EOIR-26) with the BIA, for either side.

    8 CFR 1003.38(b): the Notice of Appeal "shall be filed directly with the Board ... within
    30 calendar days after the stating of an Immigration Judge's oral decision or the mailing
    or electronic notification of an Immigration Judge's written decision"; if the final day
    "falls on a Saturday, Sunday, or legal holiday, this appeal time shall be extended to the
    next business day" (8 CFR 1003.38(b)-(c); BIA Practice Manual 4.5(a)). The same period
    binds DHS and the respondent, detained or not. An oral decision counts from the day it
    was stated, even when a written memorandum of it is mailed later (Matter of Iskandarani,
    29 I&N Dec. 26 (BIA 2025)); a written decision counts from ``served``, the day it was
    mailed or electronically notified, which is required and cannot precede ``decided``.
    The Board counts receipt, not mailing: the due date is the day the Board must *have* it.
    """
    if written:
        if served is None:
            raise DeadlineError(
                "served", "required for a written decision (the day it was mailed or e-served)"
            )
        if served < decided:
            raise DeadlineError("served", "before the decision date; give a day on or after it")
        start, counted_from = served, "the mailing or electronic notification of a written decision"
    else:
        if served is not None:
            raise DeadlineError(
                "served", "only for a written decision; an oral decision counts from its day"
            )
        start, counted_from = decided, "the stating of an oral decision"
    nominal = start + timedelta(days=APPEAL_DAYS)
    due, reason = next_business_day(nominal)
    rule = (
        f"Notice of Appeal to the BIA: {APPEAL_DAYS} calendar days after {counted_from}, "
        "rolled to the next business day from a Saturday, Sunday or legal holiday "
        "(8 CFR 1003.38(b)-(c))"
    )
    return Deadline(due=due, nominal=nominal, rule=rule, rolled_because=reason)


def anniversary(day: date) -> date:
    """The same calendar date one year later; 29 February falls on 28 February in a year
    without one.

    The convention for an arrival on a leap day: 8 CFR 208.4(a)(2)(ii) counts "from the date
    of the alien's last arrival" and USCIS and EOIR count the year to the anniversary of that
    date. A year without 29 February has no such anniversary, so the last day of February is
    taken, never 1 March: 28 February is the end of the year under either reading, and a
    deadline must never be placed later than any reasonable reading of the rule allows.
    """
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February, and the next year is not a leap year
        return date(day.year + 1, 2, 28)


def one_year_due(last_arrival: date) -> Deadline:
    """The last day to file for asylum under the one-year bar.

    8 U.S.C. 1158(a)(2)(B): the application must be "filed within 1 year after the date of
    the alien's arrival in the United States"; 8 CFR 208.4(a)(2)(ii): "calculated from the
    date of the alien's last arrival in the United States or April 1, 1997, whichever is
    later", and "when the last day of the period so computed falls on a Saturday, Sunday, or
    legal holiday, the period shall run until the end of the next day that is not a Saturday,
    Sunday, or legal holiday". The year ends on the anniversary of the last arrival (a leap
    day: see :func:`anniversary`). Exceptions for changed or extraordinary circumstances
    (8 CFR 208.4(a)(4)-(5)) are questions of fact for the adjudicator, not of the calendar,
    and are not computed here.
    """
    start = max(last_arrival, ONE_YEAR_FLOOR)
    nominal = anniversary(start)
    due, reason = next_business_day(nominal)
    counted_from = "1 April 1997" if start != last_arrival else "the last arrival"
    leap = " (from 29 February: 28 February)" if (start.month, start.day) == (2, 29) else ""
    rule = (
        f"One-year filing deadline: 1 year after {counted_from}{leap}, rolled to the next "
        "business day from a Saturday, Sunday or legal holiday "
        "(8 U.S.C. 1158(a)(2)(B), 8 CFR 208.4(a)(2)(ii))"
    )
    return Deadline(due=due, nominal=nominal, rule=rule, rolled_because=reason)


def days_detained(spells: Sequence[tuple[date, date | None]], *, today: date) -> int:
    """Total days in custody across ``spells`` of (start, end), to ``today`` inclusive.

    The count is inclusive at both ends: a person booked in and released on the same day
    was detained 1 day, and a spell from 1 to 3 August is 3 days: every calendar day on which
    the person spent any time in custody counts, the reading that never understates
    detention. An open spell (end
    None) counts to ``today``; an end after ``today`` (a planned release) counts to
    ``today``. Overlapping or touching spells (a transfer between facilities recorded as two
    spells sharing a day) count each calendar day once. An end before its start, or a start
    after ``today``, is an error naming the field.
    """
    intervals: list[tuple[date, date]] = []
    for start, end in spells:
        if start > today:
            raise DeadlineError("start", "after today; a custody spell must have begun")
        if end is not None and end < start:
            raise DeadlineError("end", "before the spell's start; give a day on or after it")
        intervals.append((start, today if end is None else min(end, today)))
    total = 0
    current: tuple[date, date] | None = None
    for start, end in sorted(intervals):
        if current is not None and start <= current[1] + timedelta(days=1):
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            total += (current[1] - current[0]).days + 1
        current = (start, end)
    if current is not None:
        total += (current[1] - current[0]).days + 1
    return total


def _order(item: DeadlineItem) -> tuple[date, str, int, str]:
    return (item.due, item.kind, -1 if item.case_ref is None else item.case_ref, item.title)


def upcoming_and_overdue(
    items: Iterable[DeadlineItem], *, today: date, horizon_days: int = 30
) -> tuple[list[DeadlineItem], list[DeadlineItem]]:
    """(upcoming, overdue), each sorted by due date (then kind, case and title).

    Upcoming: due from ``today`` (a deadline due today is not yet missed: filings are
    received until the end of the day) to ``today + horizon_days`` inclusive. Overdue: due
    before ``today``, oldest first. Items beyond the horizon are in neither list.
    """
    if horizon_days < 0:
        raise DeadlineError("horizon_days", "negative; give 0 or more days")
    last = today + timedelta(days=horizon_days)
    upcoming: list[DeadlineItem] = []
    overdue: list[DeadlineItem] = []
    for item in items:
        if item.due < today:
            overdue.append(item)
        elif item.due <= last:
            upcoming.append(item)
    return sorted(upcoming, key=_order), sorted(overdue, key=_order)
