"""The dimensions a rate can be broken down or filtered by.

Each dimension is a column of the ``decisions`` fact table holding a raw code (or a year,
or a flag), usually with a ``<name>_name`` label column beside it taken from the release's
own lookup. A code filter is resolved against the release's own codes before it is applied
(:func:`asylumlens.analytics.rates.check_where_values`): the code as written, else the one
code equal to it ignoring case, else the one code whose label it names
(:mod:`asylumlens.analytics.code_match`). Years and flags are parsed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from asylumlens.analytics.periods import check_year
from asylumlens.errors import QueryError

Kind = Literal["code", "year", "flag"]


@dataclass(frozen=True)
class Dimension:
    name: str
    kind: Kind
    description: str
    labelled: bool = True

    @property
    def label(self) -> str | None:
        """The fact-table column holding this dimension's label, if it has one."""
        return f"{self.name}_name" if self.labelled else None


DIMENSIONS: Final[dict[str, Dimension]] = {
    d.name: d
    for d in (
        Dimension("fiscal_year", "year", "fiscal year of the completion date (Oct-Sep)", False),
        Dimension("calendar_year", "year", "calendar year of the completion date", False),
        Dimension("nationality", "code", "NAT code of the case (tblLookupNationality)"),
        Dimension("court", "code", "base city (court) of the proceeding (tblLookupBaseCity)"),
        Dimension("hearing_location", "code", "hearing location of the proceeding (tblLookupHloc)"),
        Dimension("judge", "code", "IJ_CODE of the proceeding (tblLookupJudge)"),
        Dimension("custody", "code", "custody at completion: D, R, N (tblLookupCustodyStatus)"),
        Dimension("represented", "flag", "respondent had a court representative (true/false)"),
        Dimension(
            "case_type", "code", "case type of the proceeding: RMV, DEP, ... (tblLookupCaseType)"
        ),
        Dimension("asylum_type", "code", "C_ASY_TYPE: I affirmative, E defensive"),
        Dimension("absentia", "code", "in-absentia order: Y or N"),
        Dimension("language", "code", "language code of the case (tblLanguage)"),
        Dimension("sex", "code", "sex of the respondent: M, F (tblLookupSex)"),
    )
}

_TRUE: Final = frozenset({"true", "t", "yes", "y", "1"})
_FALSE: Final = frozenset({"false", "f", "no", "n", "0"})

FilterValue = str | int | bool
Where = Mapping[str, FilterValue | Sequence[FilterValue]]


def parse_by(by: str | Iterable[str] | None) -> tuple[str, ...]:
    """Dimension names from ``"fiscal_year,nationality"`` or a sequence of names."""
    if by is None:
        return ()
    names = by.split(",") if isinstance(by, str) else list(by)
    dims = tuple(n.strip() for n in names if n.strip())
    for d in dims:
        check_dimension(d, "by")
    if len(set(dims)) != len(dims):
        raise QueryError(f"by names a dimension twice: {', '.join(dims)}")
    return dims


def check_dimension(name: str, where: str = "dimension") -> Dimension:
    try:
        return DIMENSIONS[name]
    except KeyError:
        raise QueryError(
            f"unknown dimension {name!r} in {where}; valid: {', '.join(DIMENSIONS)}"
        ) from None


def parse_where(where: Where | None) -> tuple[tuple[str, tuple[FilterValue, ...]], ...]:
    """Filters as ((dimension, (value, ...)), ...): codes as text, years as int, flags as bool."""
    if not where:
        return ()
    out: list[tuple[str, tuple[FilterValue, ...]]] = []
    for name, raw in where.items():
        dim = check_dimension(name, "where")
        values = [raw] if isinstance(raw, str | int | bool) else list(raw)
        if not values:
            raise QueryError(f"where {name} has no values")
        out.append((name, tuple(dict.fromkeys(_coerce(dim, v) for v in values))))
    return tuple(sorted(out))


def _coerce(dim: Dimension, value: FilterValue) -> FilterValue:
    if dim.kind == "flag":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise QueryError(f"{dim.name}={value!r} is not a yes/no value; valid: true, false")
    if dim.kind == "year":
        return _coerce_year(dim, value)
    if isinstance(value, bool):
        raise QueryError(f"{dim.name} takes codes, not {value!r}")
    return str(value)


_YEAR_PREFIX: Final = {"fiscal_year": "FY", "calendar_year": "CY"}


def _coerce_year(dim: Dimension, value: FilterValue) -> int:
    """A year filter: ``2021``, or ``FY2021`` for ``fiscal_year`` / ``CY2021`` for
    ``calendar_year``. The other year's prefix is an error, not silently the same number:
    FY2021 and CY2021 are different periods."""
    own = _YEAR_PREFIX[dim.name]
    example = f"2021 (or {own}2021)"
    if isinstance(value, bool):
        raise QueryError(f"{dim.name}={value!r} is not a year like {example}")
    if isinstance(value, int):
        return check_year(value, value, dim.name)
    text = str(value).strip().upper()
    for name, prefix in _YEAR_PREFIX.items():
        if name != dim.name and text.startswith(prefix):
            rest = text[len(prefix) :]
            raise QueryError(
                f"{dim.name}={value!r} names a {name.replace('_', ' ')}, not a "
                f"{dim.name.replace('_', ' ')}; filter {name}={rest}, or {dim.name}={own}{rest}"
            )
    digits = text.removeprefix(own)
    if not re.fullmatch(r"[0-9]{4}", digits, flags=re.ASCII):
        raise QueryError(f"{dim.name}={value!r} is not a year like {example}")
    return check_year(int(digits), value, dim.name)


FilterItems = tuple[tuple[str, tuple[str, ...]], ...]
"""Parsed filters: ``(("custody", ("D",)), ("nationality", ("CH", "ES")))``, sorted by
dimension, each code once in the order given: hashable, so it can key a cache."""

_FILTER_SEPARATOR: Final = re.compile(r"[=:]")


def parse_filters(items: Iterable[str], *, field: str = "where") -> FilterItems:
    """The one parser of typed filters, for the CLI's ``--where`` and the web's ``where=``.

    Each item is ``DIMENSION=CODE`` or ``DIMENSION:CODE`` (both spellings work everywhere,
    so a filter copied from a URL works on the command line and back), the code part a
    comma list (``nationality=CH,ES``); repeating a dimension adds codes, OR'ed. The
    dimension ends at the first ``=`` or ``:`` (no dimension name holds either), so a code
    keeps any ``=`` or ``:`` of its own. Codes are stripped of surrounding blanks (code
    resolution folds blanks, so a code such as ``SP `` is still found) and each kept once.
    ``field`` names the input in the one-line :class:`QueryError` (``--where`` or ``where``).
    Codes are resolved against the release later
    (:func:`asylumlens.analytics.rates.check_where_values`).
    """
    grouped: dict[str, list[str]] = {}
    for item in items:
        parts = _FILTER_SEPARATOR.split(item, maxsplit=1)
        name = parts[0].strip()
        codes = [c.strip() for c in parts[1].split(",") if c.strip()] if len(parts) == 2 else []
        if not name or not codes:
            raise QueryError(
                f"{field} {item!r} is not DIMENSION=CODE[,CODE] or DIMENSION:CODE[,CODE] "
                f"(e.g. nationality=CH, nationality:CH,ES, or a name: nationality=china); "
                f"dimensions: {', '.join(DIMENSIONS)}"
            )
        check_dimension(name, "where")
        known = grouped.setdefault(name, [])
        known.extend(c for c in dict.fromkeys(codes) if c not in known)
    return tuple((name, tuple(codes)) for name, codes in sorted(grouped.items()))


def parse_where_strings(items: Iterable[str]) -> dict[str, list[str]]:
    """:func:`parse_filters` as a mapping ``{"nationality": ["CH", "ES"], ...}`` for the
    library's ``where=`` (``--where`` in error messages)."""
    return {name: list(codes) for name, codes in parse_filters(items, field="--where")}
