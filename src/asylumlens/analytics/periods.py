"""Fiscal years and date bounds, parsed from what people type (``FY2010``, ``2019-10-01``).

The U.S. federal fiscal year N runs from 1 October of N-1 to 30 September of N, and a
decision belongs to the fiscal year of its completion date: ``FY = year + (month >= 10)``.

Parsing is strict: ASCII digits only (``²`` or full-width digits are not years), years
within :data:`YEAR_RANGE`, and a calendar-year prefix is never read as a fiscal year or
the reverse. Every rejection is a one-line :class:`~asylumlens.errors.QueryError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from asylumlens.errors import QueryError

YEAR_RANGE: Final = (1900, 2100)
"""Years outside this range are typing mistakes (FY0000), not dates in an EOIR release."""

_FY: Final = re.compile(r"^FY([0-9]{4})$", re.IGNORECASE | re.ASCII)
_FY_RANGE: Final = re.compile(
    r"^FY([0-9]{4})\s*(?:-|–|\.\.|:)\s*(?:FY)?([0-9]{4})$", re.IGNORECASE | re.ASCII
)
_ISO_DATE: Final = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)


def check_year(year: int, text: object, name: str) -> int:
    """``year`` when it lies in :data:`YEAR_RANGE`; else a QueryError quoting ``text``."""
    low, high = YEAR_RANGE
    if not low <= year <= high:
        raise QueryError(f"{name}={text!r}: year {year} is outside {low}-{high}")
    return year


def fiscal_year(day: date) -> int:
    """The fiscal year a date falls in (1 October starts the next fiscal year)."""
    return day.year + (1 if day.month >= 10 else 0)


def fiscal_year_start(fy: int) -> date:
    return date(fy - 1, 10, 1)


def fiscal_year_end(fy: int) -> date:
    return date(fy, 9, 30)


def calendar_year_end(year: int) -> date:
    return date(year, 12, 31)


def parse_bound(text: str | date | None, *, end: bool, name: str = "date") -> date | None:
    """``FY2010`` (its first day, or its last when ``end``) or an ISO date; None passes."""
    if text is None or isinstance(text, date):
        return text
    value = text.strip()
    if not value:
        return None
    if m := _FY.match(value):
        fy = check_year(int(m.group(1)), text, name)
        return fiscal_year_end(fy) if end else fiscal_year_start(fy)
    if _ISO_DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise QueryError(f"{name}={text!r} is not a real date") from None
        check_year(day.year, text, name)
        return day
    raise QueryError(f"{name}={text!r} is not a fiscal year like FY2010 or a date like 2019-10-01")


@dataclass(frozen=True)
class FiscalYears:
    """A run of whole fiscal years, e.g. FY2010-FY2024."""

    first: int
    last: int

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first, self.last + 1))

    @property
    def start(self) -> date:
        return fiscal_year_start(self.first)

    @property
    def end(self) -> date:
        return fiscal_year_end(self.last)

    @property
    def label(self) -> str:
        return f"FY{self.first}" if self.first == self.last else f"FY{self.first}–FY{self.last}"


def parse_fiscal_years(text: str, *, name: str = "period") -> FiscalYears:
    """``FY2025`` or ``FY2010-FY2024`` (also ``FY2010..FY2024``)."""
    value = text.strip()
    if m := _FY.match(value):
        fy = check_year(int(m.group(1)), text, name)
        return FiscalYears(fy, fy)
    if m := _FY_RANGE.match(value):
        first = check_year(int(m.group(1)), text, name)
        last = check_year(int(m.group(2)), text, name)
        if first > last:
            raise QueryError(f"{name}={text!r} runs backwards; write FY{last}-FY{first}")
        return FiscalYears(first, last)
    raise QueryError(
        f"{name}={text!r} is not a fiscal year like FY2025 or a range like FY2010-FY2024"
    )


BASELINE_START: Final = 2010
"""The headline's baseline starts at FY2010 (the field's habit: EOIR's and TRAC's series
and the press compare with "FY2010 onwards"), or at the first fiscal year with data."""


def latest_complete_fiscal_year(last_complete_day: date | None) -> int | None:
    """The last fiscal year whose every day is on or before ``last_complete_day``.

    FY N is complete when its last day, 30 September N, is covered: a release whose last
    complete day is 2025-09-30 completes FY2025; one whose last complete day is 2025-09-29
    completes only FY2024. None when the release covers no day at all.
    """
    if last_complete_day is None:
        return None
    fy = fiscal_year(last_complete_day)
    return fy if last_complete_day >= fiscal_year_end(fy) else fy - 1


def headline_periods(
    last_complete_day: date | None, years_with_data: Sequence[int]
) -> tuple[str, str]:
    """(period, baseline) of the journalist's default line, e.g. ("FY2025", "FY2010-FY2024").

    The period is the latest fiscal year that has data and is complete by the release's
    last complete day; the baseline runs from FY2010 (or the first fiscal year with data,
    if later) to the year before the period. A QueryError when no such pair exists.
    """
    complete = latest_complete_fiscal_year(last_complete_day)
    candidates = [y for y in years_with_data if complete is not None and y <= complete]
    if not candidates:
        raise QueryError(
            "no complete fiscal year with data in this release for a default comparison; "
            "give period and baseline"
        )
    period = max(candidates)
    first = max(BASELINE_START, min(years_with_data))
    if first >= period:
        raise QueryError(
            f"no fiscal year with data before FY{period} (from FY{BASELINE_START}) for a "
            "default baseline; give period and baseline"
        )
    return f"FY{period}", f"FY{first}-FY{period - 1}"


# ---------------------------------------------------------------------------------------
# Periods of any basis: fiscal years, calendar years, or a span of dates.

PeriodBasis = Literal["fiscal", "calendar", "dates"]
PERIOD_SHAPES: Final = (
    "FY2025, FY2010-FY2024, 2025 or CY2025 (calendar), CY2010-CY2024 (or 2010-2024), "
    "2025-01-01..2025-09-30"
)
"""The accepted shapes, quoted in every refusal."""

_YEAR: Final = re.compile(r"^(FY|CY)?([0-9]{4})$", re.IGNORECASE | re.ASCII)
_YEAR_SPAN: Final = re.compile(
    r"^(FY|CY)?([0-9]{4})\s*(?:-|–|\.\.|:)\s*(FY|CY)?([0-9]{4})$", re.IGNORECASE | re.ASCII
)
_DATE_SPAN: Final = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})\s*(?:\.\.|–|/)\s*([0-9]{4}-[0-9]{2}-[0-9]{2})$", re.ASCII
)


def calendar_year_start(year: int) -> date:
    return date(year, 1, 1)


@dataclass(frozen=True)
class Period:
    """A period a rate is taken over: whole fiscal years, whole calendar years, or dates.

    ``stated`` says whether the text named the year basis (``FY2025``, ``CY2025``) or left
    it to the reader (``2025``, read as calendar here; the claim check reads it both ways).
    """

    basis: PeriodBasis
    start: date
    end: date
    first: int | None = None
    last: int | None = None
    stated: bool = True

    @property
    def years(self) -> tuple[int, ...]:
        """The fiscal or calendar years covered (none for a span of dates)."""
        if self.first is None or self.last is None:
            return ()
        return tuple(range(self.first, self.last + 1))

    @property
    def year_column(self) -> str | None:
        """The breakdown dimension of this basis (``fiscal_year``, ``calendar_year``)."""
        return {"fiscal": "fiscal_year", "calendar": "calendar_year"}.get(self.basis)

    @property
    def label(self) -> str:
        if self.basis == "dates":
            return f"{self.start.isoformat()}..{self.end.isoformat()}"
        prefix = "FY" if self.basis == "fiscal" else "CY"
        if self.first == self.last:
            return f"{prefix}{self.first}"
        return f"{prefix}{self.first}–{prefix}{self.last}"

    def is_partial(self, last_complete_day: date | None) -> bool:
        """Whether the period ends after the release's last complete day (its counts will
        still grow); always True for a release that covers no day."""
        return last_complete_day is None or self.end > last_complete_day

    def as_basis(self, basis: Literal["fiscal", "calendar"]) -> Period:
        """The same years read on another basis (``2025`` as FY2025 or CY2025)."""
        if self.first is None or self.last is None:
            raise QueryError(f"period {self.label} is a span of dates, not years")
        return years_period(basis, self.first, self.last, stated=self.stated)

    def to_date(self, last_complete_day: date) -> Period:
        """The period cut at the release's last complete day ("to date")."""
        return Period(
            self.basis,
            self.start,
            min(self.end, last_complete_day),
            self.first,
            self.last,
            self.stated,
        )

    def fiscal_years(self) -> FiscalYears:
        """This period as :class:`FiscalYears` (what ``compare`` takes)."""
        if self.basis != "fiscal" or self.first is None or self.last is None:
            raise QueryError(f"period {self.label} is not a run of fiscal years")
        return FiscalYears(self.first, self.last)


def years_period(
    basis: Literal["fiscal", "calendar"], first: int, last: int, *, stated: bool = True
) -> Period:
    if basis == "fiscal":
        return Period(basis, fiscal_year_start(first), fiscal_year_end(last), first, last, stated)
    return Period(basis, calendar_year_start(first), calendar_year_end(last), first, last, stated)


def _basis_of(prefix: str | None) -> Literal["fiscal", "calendar"]:
    return "fiscal" if prefix and prefix.upper() == "FY" else "calendar"


def parse_period(text: str | Period, *, name: str = "period") -> Period:
    """``FY2025``, ``FY2010-FY2024``, ``2025`` / ``CY2025`` (calendar), ``CY2010-CY2024``
    (or ``2010-2024``), or ``2025-01-01..2025-09-30``; a one-line QueryError otherwise.

    A range mixing FY and CY is refused (they are different periods), as is one that runs
    backwards.
    """
    if isinstance(text, Period):
        return text
    value = str(text).strip()
    if m := _YEAR.match(value):
        year = check_year(int(m.group(2)), text, name)
        return years_period(_basis_of(m.group(1)), year, year, stated=m.group(1) is not None)
    if m := _YEAR_SPAN.match(value):
        first_prefix, last_prefix = m.group(1), m.group(3)
        if first_prefix and last_prefix and first_prefix.upper() != last_prefix.upper():
            raise QueryError(f"{name}={text!r} mixes fiscal and calendar years; use one")
        prefix = first_prefix or last_prefix
        first = check_year(int(m.group(2)), text, name)
        last = check_year(int(m.group(4)), text, name)
        if first > last:
            raise QueryError(f"{name}={text!r} runs backwards")
        return years_period(_basis_of(prefix), first, last, stated=prefix is not None)
    if m := _DATE_SPAN.match(value):
        start = parse_bound(m.group(1), end=False, name=name)
        end = parse_bound(m.group(2), end=True, name=name)
        assert start is not None and end is not None  # both matched the ISO shape
        if start > end:
            raise QueryError(f"{name}={text!r} runs backwards")
        return Period("dates", start, end)
    raise QueryError(f"{name}={text!r} is not a period; accepted: {PERIOD_SHAPES}")
