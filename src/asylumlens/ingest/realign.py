"""Realigning a row shifted by a stray tab - only when exactly one reading fits.

A tab inside a free-text value (the real case: ``BROOKLYN<TAB>`` in ALIEN_CITY, NOTES
section 6) gives the row one field too many, and every later value lands one column to
the right. DuckDB's ``null_padding`` keeps such a row misaligned; other tools drop it.
Here each way of joining two neighbouring fields back into one text column is tried, and
the row is repaired only if exactly one distinct reading makes every value fit its
column: integers parse, dates parse, bits are bits, and text fits EOIR's declared width.
Anything else - two plausible readings, none, a row short of fields - is quarantined.

This check is deliberately independent of the SQL typing (stage 2): it chooses between
readings; the chosen row is then typed by the same SQL as every other row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from asylumlens.layout import NULL_TOKENS, Column, Kind

_INT = re.compile(r"\d{1,18}")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?: \d{2}:\d{2}:\d{2}(?:\.\d{1,7})?)?")
_MONTH = re.compile(r"(\d{1,2})/(\d{4})")


def value_fits(value: str, column: Column) -> bool:
    """Whether a (trimmed) text value reads as the column's kind and fits its width."""
    if value == "" or value in NULL_TOKENS:
        return True
    if column.kind is Kind.INTEGER:
        return _INT.fullmatch(value) is not None
    if column.kind is Kind.BOOLEAN:
        return value.lower() in ("0", "1", "true", "false")
    if column.kind is Kind.DATE:
        m = _DATE.fullmatch(value)
        if m is None:
            return False
        try:
            date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return False
        return True
    if column.kind is Kind.BIRTH_MONTH:
        m = _MONTH.fullmatch(value)
        return m is not None and 1 <= int(m[1]) <= 12
    return column.width is None or len(value) <= column.width


def realign(values: Sequence[str], columns: Sequence[Column]) -> list[str] | None:
    """The one reading of a row with a single extra field, or None if not exactly one."""
    if len(values) != len(columns) + 1:
        return None
    readings: set[tuple[str, ...]] = set()
    for i, column in enumerate(columns):
        if column.kind is not Kind.TEXT:
            continue
        merged = (values[i] + " " + values[i + 1]).strip(" ")
        candidate = (*values[:i], merged, *values[i + 2 :])
        if all(value_fits(v.strip(" "), c) for v, c in zip(candidate, columns, strict=True)):
            readings.add(tuple(v.strip(" ") for v in candidate))
    if len(readings) != 1:
        return None
    return list(readings.pop())
