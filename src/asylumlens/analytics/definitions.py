"""Grant-rate definitions as data: one small, documented spec per named definition.

A definition says which asylum (ASYL) decisions it counts and how: the decision codes that
are grants, denials and "others" (others sit in the denominator but are not grants), the
case types in scope, and whether only a case's initial completion counts. Rates differ
sharply between definitions (China FY2021: 50% under ``eoir``, 81.1% under ``trac``), so
every result names the definition it used. ``docs/methodology.md`` has a section per
definition; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from asylumlens.errors import QueryError
from asylumlens.layout import APPLICATION_DECISIONS

DEFAULT_GRANT_CODES: Final = ("G", "F", "C", "I", "P")
"""APPL_DEC codes counted as grants unless a caller overrides them (NOTES.md section 4.2:
EOIR publishes no list; by elimination, every grant code except L, GRANT WCAT)."""

CASE_PRIORITY: Final[tuple[str, ...]] = (
    "F", "G", "D", "C", "I", "L", "P", "S", "A", "R", "O", "T", "W", "M",
)  # fmt: skip
"""Same-day tie order when one decision per case is kept (deportationdata's order)."""

UNITS: Final = ("application", "case")
"""Counting units: every decided application, or one decision per case."""


@dataclass(frozen=True)
class Definition:
    """How one named grant rate counts ASYL decisions.

    ``other_relief`` splits denials into "denied, but withholding (ASYW) or CAT (WCAT)
    granted in the same proceeding" and "denied".
    """

    name: str
    title: str
    summary: str
    grant_codes: tuple[str, ...] = DEFAULT_GRANT_CODES
    denial_codes: tuple[str, ...] = ("D",)
    other_codes: tuple[str, ...] = ()
    case_types: tuple[str, ...] | None = None
    initial_only: bool = False
    other_relief: bool = False

    @property
    def counted_codes(self) -> tuple[str, ...]:
        return self.grant_codes + self.denial_codes + self.other_codes

    def with_grant_codes(self, codes: Sequence[str] | None) -> Definition:
        """This definition with another grant set; a code moved to grants leaves the others."""
        if codes is None:
            return self
        grants = tuple(dict.fromkeys(c.strip() for c in codes if c.strip()))
        if not grants:
            raise QueryError("grant codes are empty; give at least one APPL_DEC code, e.g. G,F")
        unknown = [c for c in grants if c not in APPLICATION_DECISIONS]
        if unknown:
            valid = ", ".join(f"{c} ({d})" for c, d in APPLICATION_DECISIONS.items())
            raise QueryError(f"unknown grant code {unknown[0]!r}; valid APPL_DEC codes: {valid}")
        return replace(
            self,
            grant_codes=grants,
            denial_codes=tuple(c for c in self.denial_codes if c not in grants),
            other_codes=tuple(c for c in self.other_codes if c not in grants),
        )


_EOIR_OTHERS: Final = ("A", "L", "M", "O", "W")
_EOIR_CASE_TYPES: Final = ("RMV", "DEP", "EXC", "AOC")

DEFINITIONS: Final[dict[str, Definition]] = {
    d.name: d
    for d in (
        Definition(
            name="eoir",
            title="EOIR definition",
            summary=(
                "grants / (grants + denials + others); others = abandonment, grant WCAT, not "
                "adjudicated, other, withdrawn (A, L, M, O, W); RMV/DEP/EXC/AOC cases; "
                "initial completions only"
            ),
            other_codes=_EOIR_OTHERS,
            case_types=_EOIR_CASE_TYPES,
            initial_only=True,
        ),
        Definition(
            name="eoir_admin_closure",
            title="EOIR definition, FY2018 edition (admin closures in the denominator)",
            summary=(
                "as eoir, with administrative closures (S) also counted in the denominator, "
                "as in EOIR's FY2018 table"
            ),
            other_codes=(*_EOIR_OTHERS, "S"),
            case_types=_EOIR_CASE_TYPES,
            initial_only=True,
        ),
        Definition(
            name="trac",
            title="TRAC definition",
            summary="grants / (grants + denials); all case types and completions",
        ),
        Definition(
            name="trac_other_relief",
            title="TRAC definition with other relief",
            summary=(
                "three shares of grants + denials: asylum granted; asylum denied but "
                "withholding (ASYW) or CAT (WCAT) granted in the same proceeding; denied"
            ),
            other_relief=True,
        ),
    )
}


def get_definition(name: str, grant_codes: Sequence[str] | None = None) -> Definition:
    """The definition called ``name`` (with ``grant_codes`` overriding its grant set)."""
    try:
        definition = DEFINITIONS[name]
    except KeyError:
        raise QueryError(f"unknown definition {name!r}; valid: {', '.join(DEFINITIONS)}") from None
    return definition.with_grant_codes(grant_codes)


def check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise QueryError(f"unknown unit {unit!r}; valid: {', '.join(UNITS)}")
    return unit
