"""Grant-rate definitions as data: one small, documented spec per named definition.

A definition says which asylum (ASYL) decisions it counts and how: the decision codes that
are grants, denials and "others" (others sit in the denominator but are not grants), the
case types in scope, and whether only a case's initial completion counts. Rates differ
sharply between definitions (China FY2021, 763 grants, 178 denials and 592 others: 50%
under ``eoir``; 81.1% under ``trac`` if none of the others is a CAT grant, L), so every
result names the definition and the counting unit it used. ``docs/methodology.md`` has a section per
definition; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from asylumlens.errors import QueryError
from asylumlens.layout import APPLICATION_DECISIONS

DEFAULT_GRANT_CODES: Final = ("G", "F", "C", "I", "P")
"""APPL_DEC codes counted as grants unless a caller overrides them (EOIR publishes no list;
by elimination, every grant code except L, GRANT WCAT: see docs/methodology.md)."""

DEFAULT_DEFINITION: Final = "eoir"
"""The definition every library function, CLI command, page and API route uses when none is
given: EOIR's own published measure, the one a reader can check against EOIR's
Adjudication Statistics (docs/methodology.md, "The default definition", says why). One
constant, so the same URL or command never changes definition from one page to the next."""

CASE_PRIORITY: Final[tuple[str, ...]] = (
    "F", "G", "D", "C", "I", "L", "P", "S", "A", "R", "O", "T", "W", "M",
)  # fmt: skip
"""Same-day tie order when one decision per case is kept (deportationdata's order)."""

UNITS: Final = ("application", "case", "proceeding")
"""Counting units: every decided application; one decision per case; one per proceeding."""

Unit = Literal["application", "proceeding", "case"]
DroppedGrants = Literal["others", "excluded"]


@dataclass(frozen=True)
class Definition:
    """How one named grant rate counts ASYL decisions.

    ``other_relief`` splits asylum refusals into "asylum refused, but withholding (ASYW)
    or CAT (WCAT) granted in the same proceeding, or CAT granted on the asylum row itself
    (``other_relief_codes``, i.e. L)" and "denied".

    ``unit`` is the publisher's own counting unit, used when a caller gives none;
    ``dropped_grants`` says where a default grant code goes when a caller narrows the
    grant set: into ``others`` (EOIR: the denominator is unchanged) or out of the count
    (TRAC counts only grants and denials).
    """

    name: str
    title: str
    summary: str
    plain_name: str
    """What the rate is, in words a reader knows (shown beside the code everywhere)."""
    formula: str
    """The rate as one line: what is divided by what."""
    unit: Unit
    unit_reason: str
    grant_codes: tuple[str, ...] = DEFAULT_GRANT_CODES
    denial_codes: tuple[str, ...] = ("D",)
    other_codes: tuple[str, ...] = ()
    other_relief_codes: tuple[str, ...] = ()
    case_types: tuple[str, ...] | None = None
    initial_only: bool = False
    other_relief: bool = False
    dropped_grants: DroppedGrants = "others"

    @property
    def counted_codes(self) -> tuple[str, ...]:
        return self.grant_codes + self.denial_codes + self.other_relief_codes + self.other_codes

    @property
    def refusal_codes(self) -> tuple[str, ...]:
        """Codes that refuse asylum: denials, and (other relief) CAT granted instead."""
        return self.denial_codes + self.other_relief_codes

    def with_grant_codes(self, codes: Sequence[str] | None) -> Definition:
        """This definition with another grant set.

        A code moved into the grants leaves the denials, other relief and others. A default
        grant code left out of ``codes`` goes where ``dropped_grants`` says: to ``others``
        under EOIR's definitions (so the denominator is unchanged and only the split
        between grants and others moves), out of the count under TRAC's (which count only
        grants and denials; a conditional grant is not a denial).
        """
        if codes is None:
            return self
        grants = tuple(dict.fromkeys(c.strip() for c in codes if c.strip()))
        if not grants:
            raise QueryError("grant codes are empty; give at least one APPL_DEC code, e.g. G,F")
        unknown = [c for c in grants if c not in APPLICATION_DECISIONS]
        if unknown:
            valid = ", ".join(f"{c} ({d})" for c, d in APPLICATION_DECISIONS.items())
            raise QueryError(f"unknown grant code {unknown[0]!r}; valid APPL_DEC codes: {valid}")
        dropped = tuple(c for c in self.grant_codes if c not in grants)
        others = tuple(c for c in self.other_codes if c not in grants)
        if self.dropped_grants == "others":
            others = tuple(dict.fromkeys(others + dropped))
        return replace(
            self,
            grant_codes=grants,
            denial_codes=tuple(c for c in self.denial_codes if c not in grants),
            other_relief_codes=tuple(c for c in self.other_relief_codes if c not in grants),
            other_codes=others,
        )


_EOIR_OTHERS: Final = ("A", "L", "M", "O", "W")
_EOIR_CASE_TYPES: Final = ("RMV", "DEP", "EXC", "AOC")

_CASE_OUTCOME_OTHERS: Final = tuple(
    c for c in APPLICATION_DECISIONS if c not in (*DEFAULT_GRANT_CODES, "D")
)
"""Every other listed APPL_DEC code: the case-outcome view's denominator is every decided
asylum case, so nothing a judge recorded on the application is left out."""

_EOIR_UNIT_REASON: Final = (
    "EOIR's tables count 'asylum decisions on affirmative and defensive applications' "
    "(footnote 2): decisions on applications; with initial completions only, a case has "
    "one counted proceeding, so only repeated ASYL rows in it differ by unit"
)
_TRAC_UNIT_REASON: Final = (
    "TRAC counts decided cases: 'a case is included where an Immigration Judge records a "
    "grant or a denial of the asylum application' (judge FAQ); its totals are 'asylum "
    "decisions' of individuals"
)

DEFINITIONS: Final[dict[str, Definition]] = {
    d.name: d
    for d in (
        Definition(
            name="eoir",
            title="EOIR definition",
            summary=(
                "grants / (grants + denials + others); others = abandonment, grant WCAT, not "
                "adjudicated, other, withdrawn (A, L, M, O, W); RMV/DEP/EXC/AOC cases; "
                "initial completions only; counts applications"
            ),
            plain_name="EOIR's published rate",
            formula=(
                "grants ÷ all asylum decisions, incl. abandoned, withdrawn and other outcomes "
                "(initial completions)"
            ),
            unit="application",
            unit_reason=_EOIR_UNIT_REASON,
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
            plain_name="EOIR's FY2018-edition rate",
            formula=(
                "grants ÷ all asylum decisions, incl. abandoned, withdrawn, other outcomes and "
                "administrative closures"
            ),
            unit="application",
            unit_reason=_EOIR_UNIT_REASON,
            other_codes=(*_EOIR_OTHERS, "S"),
            case_types=_EOIR_CASE_TYPES,
            initial_only=True,
        ),
        Definition(
            name="trac",
            title="TRAC definition",
            summary=(
                "grants / (grants + denials); a CAT grant on the asylum row (L) refuses "
                "asylum and counts as a denial; all case types and completions; counts cases"
            ),
            plain_name="TRAC's judge-report rate",
            formula=(
                "grants ÷ (grants + denials); abandoned, withdrawn and other outcomes left out"
            ),
            unit="case",
            unit_reason=_TRAC_UNIT_REASON,
            denial_codes=("D", "L"),
            dropped_grants="excluded",
        ),
        Definition(
            name="trac_other_relief",
            title="TRAC definition with other relief",
            summary=(
                "three shares of grants + denials: asylum granted; asylum refused but "
                "withholding (ASYW) or CAT (WCAT) granted in the same proceeding, or CAT "
                "granted on the asylum row (L); denied; counts cases"
            ),
            plain_name="TRAC's rate with other relief",
            formula="asylum granted, other relief, denied: each ÷ (grants + denials)",
            unit="case",
            unit_reason=_TRAC_UNIT_REASON,
            other_relief_codes=("L",),
            other_relief=True,
            dropped_grants="excluded",
        ),
        Definition(
            name="trac_case_outcome",
            title="TRAC case-outcome view (grants over all completed asylum cases)",
            summary=(
                "grants / every completed case with a decided asylum application, whatever "
                "its decision (denials, CAT grants, abandonment, withdrawal, closure, "
                "transfer, reserved, ...); all case types and completions; counts cases"
            ),
            plain_name="TRAC's case-outcome rate",
            formula=(
                "grants ÷ every completed case with an asylum application, whatever the outcome"
            ),
            unit="case",
            unit_reason=(
                "TRAC report 672 counts 'completed cases with an asylum application' "
                "(967,552 for FY2001-FY2021, 26% granted): cases, whatever their outcome"
            ),
            other_codes=_CASE_OUTCOME_OTHERS,
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


def check_unit(unit: str | None, definition: Definition) -> Unit:
    """``unit``, or the definition's own unit when None."""
    if unit is None:
        return definition.unit
    for known in UNITS:
        if unit == known:
            return known
    raise QueryError(f"unknown unit {unit!r}; valid: {', '.join(UNITS)}")


def describe_definition(name: str) -> str:
    """``EOIR's published rate (eoir)``: the plain name with the code, for titles and tables."""
    definition = DEFINITIONS.get(name)
    return f"{definition.plain_name} ({name})" if definition is not None else name
