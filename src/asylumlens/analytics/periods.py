"""Fiscal years and date bounds, parsed from what people type (``FY2010``, ``2019-10-01``).

The U.S. federal fiscal year N runs from 1 October of N-1 to 30 September of N, and a
decision belongs to the fiscal year of its completion date: ``FY = year + (month >= 10)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from asylumlens.errors import QueryError

_FY: Final = re.compile(r"^FY(\d{4})$", re.IGNORECASE)
_FY_RANGE: Final = re.compile(r"^FY(\d{4})\s*(?:-|–|\.\.|:)\s*(?:FY)?(\d{4})$", re.IGNORECASE)


def fiscal_year(day: date) -> int:
    """The fiscal year a date falls in (1 October starts the next fiscal year)."""
    return day.year + (1 if day.month >= 10 else 0)


def fiscal_year_start(fy: int) -> date:
    return date(fy - 1, 10, 1)


def fiscal_year_end(fy: int) -> date:
    return date(fy, 9, 30)


def parse_bound(text: str | date | None, *, end: bool, name: str = "date") -> date | None:
    """``FY2010`` (its first day, or its last when ``end``) or an ISO date; None passes."""
    if text is None or isinstance(text, date):
        return text
    value = text.strip()
    if not value:
        return None
    if m := _FY.match(value):
        fy = int(m.group(1))
        return fiscal_year_end(fy) if end else fiscal_year_start(fy)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(
            f"{name}={text!r} is not a fiscal year like FY2010 or a date like 2019-10-01"
        ) from None


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
        fy = int(m.group(1))
        return FiscalYears(fy, fy)
    if m := _FY_RANGE.match(value):
        first, last = int(m.group(1)), int(m.group(2))
        if first > last:
            raise QueryError(f"{name}={text!r} runs backwards; write FY{last}-FY{first}")
        return FiscalYears(first, last)
    raise QueryError(
        f"{name}={text!r} is not a fiscal year like FY2025 or a range like FY2010-FY2024"
    )
