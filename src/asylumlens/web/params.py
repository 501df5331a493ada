"""Query-string parameters shared by the JSON API and the pages, validated before any query.

Conventions (documented in ``docs/api.md`` and in the OpenAPI schema):

* ``by`` is a comma list of dimensions: ``by=fiscal_year,nationality``.
* Filters are repeated ``where=DIMENSION:CODE`` parameters (``DIMENSION=CODE`` too, as on
  the command line); repeating a dimension or a comma list means "any of these codes":
  ``where=nationality:CH&where=nationality:ES&where=custody:D`` or
  ``where=nationality:CH,ES``. The dimension ends at the first ``:`` or ``=``; codes are
  stripped of surrounding blanks. An empty ``where=`` (an HTML form's "any") is ignored.
* ``since`` / ``until`` take ``FY2010`` or an ISO date ``2019-10-01``.
* JSON lists paginate with ``_size`` (rows per page) and ``_next`` (an opaque token taken
  from the previous response's ``next``); ``_format=csv`` or a ``.csv`` suffix gives CSV,
  every row unless ``_size`` is given.
* A parameter the route does not declare is a 422 naming it, with the closest valid names
  (:func:`reject_unknown_parameters`): a misspelt ``defintion=trac`` must not quietly
  return the default definition's figures.

Every invalid value becomes a 422 whose message lists what is valid. User input is only
ever passed on as a validated parameter value, never as query text.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, Literal
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Depends, Query, Request
from pydantic import Field

from asylumlens import analytics
from asylumlens.analytics.dimensions import parse_filters
from asylumlens.errors import QueryError
from asylumlens.web.canonical import matching_route, route_parameters
from asylumlens.web.errors import Suggestion, WebError, bad_params
from asylumlens.web.queries import RatesQuery, Where

DIMENSIONS: Final[tuple[str, ...]] = tuple(analytics.DIMENSIONS)
DEFINITIONS: Final[tuple[str, ...]] = tuple(analytics.DEFINITIONS)
UNITS: Final[tuple[str, ...]] = tuple(analytics.UNITS)

PERIOD_RE: Final = re.compile(r"^(FY[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2})$", re.ASCII)
DEFAULT_SIZE: Final = 1000
MAX_SIZE: Final = 10_000

OutputFormat = Literal["json", "csv"]


def _valid(values: Iterable[str]) -> str:
    return ", ".join(values)


def check_definition(value: str) -> str:
    if value not in DEFINITIONS:
        raise bad_params(f"unknown definition {value!r}; valid: {_valid(DEFINITIONS)}")
    return value


def parse_by(values: Sequence[str]) -> tuple[str, ...]:
    dims = tuple(part.strip() for value in values for part in value.split(",") if part.strip())
    if not dims:
        raise bad_params(f"by needs at least one dimension; valid: {_valid(DIMENSIONS)}")
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise bad_params(f"unknown dimension {unknown[0]!r} in by; valid: {_valid(DIMENSIONS)}")
    if len(set(dims)) != len(dims):
        raise bad_params("by names a dimension twice")
    return dims


def parse_where(values: Sequence[str]) -> Where:
    """``["nationality:CH", "nationality=ES", "custody:D,R"]`` -> a sorted, hashable filter.

    The library's one filter parser (:func:`asylumlens.analytics.dimensions.parse_filters`,
    both spellings, comma lists, repeats); an empty ``where=`` (a form's "any") is ignored."""
    try:
        return parse_filters([v for v in values if v != ""], field="where")
    except QueryError as exc:
        raise bad_params(str(exc)) from None


def check_period(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    if not PERIOD_RE.match(value):
        raise bad_params(
            f"{name}={value!r} is not a fiscal year like FY2010 or a date like 2019-10-01"
        )
    return value


def parse_codes(value: str | None) -> tuple[str, ...] | None:
    if value is None or value.strip() == "":
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


DefinitionQuery = Annotated[
    str,
    Query(
        description="Grant-rate definition (see /methodology).",
        json_schema_extra={"enum": list(DEFINITIONS)},
    ),
]
ByQuery = Annotated[
    list[str],
    Query(
        description=(
            "Dimensions to group by: a comma list (by=fiscal_year,court) or repeated "
            "(by=fiscal_year&by=court); valid: " + _valid(DIMENSIONS) + "."
        ),
    ),
]
WhereQuery = Annotated[
    list[str],
    Query(
        description=(
            "Filter, repeatable: DIMENSION:CODE (or DIMENSION=CODE), e.g. nationality:CH; "
            "a comma list nationality:CH,ES or a repeated dimension means any of its codes. "
            "Empty values are ignored."
        ),
    ),
]
PeriodQuery = Annotated[
    str | None, Query(description="Fiscal year like FY2010, or an ISO date like 2019-10-01.")
]
UnitQuery = Annotated[
    str | None,
    Query(
        description=(
            "Counting unit: application (every decision), case or proceeding (one decision "
            "each). Default: the definition's own (eoir: application; trac: case)."
        ),
        json_schema_extra={"enum": list(UNITS)},
    ),
]


def check_unit(value: str | None) -> str | None:
    """A known unit, or None (empty too) for the definition's own."""
    if value is None or value == "":
        return None
    if value not in UNITS:
        raise bad_params(f"unknown unit {value!r}; valid: {_valid(UNITS)}")
    return value


def rates_query(
    definition: DefinitionQuery = analytics.DEFAULT_DEFINITION,
    by: ByQuery = ["fiscal_year"],  # noqa: B006
    where: WhereQuery = [],  # noqa: B006 - FastAPI copies defaults per request
    since: PeriodQuery = None,
    until: PeriodQuery = None,
    unit: UnitQuery = None,
    grant_codes: Annotated[
        str | None,
        Query(
            description="Comma list of APPL_DEC codes counted as grants (overrides the definition)."
        ),
    ] = None,
    min_decisions: Annotated[
        Annotated[int, Field(ge=0, le=1_000_000)] | Literal[""] | None,
        Query(
            description=(
                "Flag rows with fewer decisions as below threshold (default: TRAC's 25, or "
                "100 for judges over a whole period). Empty means the default."
            ),
        ),
    ] = None,
) -> RatesQuery:
    """The parameters of ``asylumlens rates``, validated."""
    return RatesQuery(
        definition=check_definition(definition),
        by=parse_by(by),
        where=parse_where(where),
        since=check_period("since", since),
        until=check_period("until", until),
        unit=check_unit(unit),
        grant_codes=parse_codes(grant_codes),
        min_decisions=None if min_decisions == "" else min_decisions,
    )


RatesQueryDep = Annotated[RatesQuery, Depends(rates_query)]


@dataclass(frozen=True)
class Page:
    """Which slice of a result list to return.

    ``sized`` says whether the client chose ``_size``: a CSV download without it is the
    whole list (streamed), never silently the first :data:`DEFAULT_SIZE` rows.
    """

    size: int
    offset: int
    sized: bool = True

    def next_token(self, total: int) -> str | None:
        end = self.offset + self.size
        return encode_token(end) if end < total else None


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode("ascii").rstrip("=")


def decode_token(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    kind, _, number = text.partition(":")
    if kind != "o" or not number.isdigit():
        raise bad_params("_next is not a token from a previous response's 'next'")
    return int(number)


def page(
    size: Annotated[
        int | None,
        Query(
            alias="_size",
            ge=1,
            le=MAX_SIZE,
            description=(
                f"Rows per page: JSON default {DEFAULT_SIZE}, at most {MAX_SIZE}. A CSV "
                "without `_size` holds every row."
            ),
        ),
    ] = None,
    next_token: Annotated[
        str | None,
        Query(alias="_next", description="Opaque token from a previous response's `next`."),
    ] = None,
) -> Page:
    offset = decode_token(next_token) if next_token else 0
    if size is None:
        return Page(size=DEFAULT_SIZE, offset=offset, sized=False)
    return Page(size=size, offset=offset)


PageDep = Annotated[Page, Depends(page)]


def output_format(
    request: Request,
    fmt: Annotated[
        OutputFormat | None,
        Query(alias="_format", description="json (default) or csv; or use a .json/.csv suffix."),
    ] = None,
) -> OutputFormat:
    path = request.url.path
    suffix: OutputFormat | None = (
        "csv" if path.endswith(".csv") else "json" if path.endswith(".json") else None
    )
    if suffix and fmt and suffix != fmt:
        raise WebError(422, [f"the path asks for {suffix} but _format asks for {fmt}"])
    return suffix or fmt or "json"


FormatDep = Annotated[OutputFormat, Depends(output_format)]


ALWAYS_VALID: Final = frozenset({"_format", "_size", "_next", "release"})
"""Accepted on every route, declared or not: the format and paging names, and ``release``
(a permalink's release pin)."""

TRACKING_PARAMETERS: Final = frozenset({"fbclid", "gclid", "msclkid"})
TRACKING_PREFIX: Final = "utm_"
"""Click-tracking names that sites and mail tools append to shared links: ignored on the
HTML pages (a reader following a shared link must not land on an error), never on the API."""


def _is_tracking(name: str) -> bool:
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIX)


def valid_parameters(request: Request) -> frozenset[str]:
    """The names the matched route declares (its dependencies' included), plus
    :data:`ALWAYS_VALID`: read from the route itself, so the list cannot drift from it."""
    route = matching_route(request.scope)
    declared = route_parameters(route) if route is not None else frozenset()
    return declared | ALWAYS_VALID


def _closest(name: str, valid: Iterable[str]) -> list[str]:
    """Valid names near ``name``: case-insensitive, then by similarity (``difflib``)."""
    names = sorted(valid)
    lowered = {n.lower(): n for n in names}
    exact = lowered.get(name.lower())
    if exact is not None:
        return [exact]
    near = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    return [lowered[n] for n in near]


MAX_REPORTED: Final = 5
"""Unknown names described one by one; more are counted (a URL may carry thousands)."""

NAME_SHOWN: Final = 60
"""Characters of an unknown name repeated in the message (a name may be 16 KB long)."""


def _renamed_url(request: Request, old: str, new: str) -> str:
    """This request's URL (path and query, relative) with parameter ``old`` named ``new``."""
    raw = request.scope.get("query_string", b"").decode("latin-1")
    pairs = [(new if k == old else k, v) for k, v in parse_qsl(raw, keep_blank_values=True)]
    return f"{quote(request.url.path)}?{urlencode(pairs)}"


def unknown_parameters(request: Request, *, tolerate_tracking: bool) -> WebError | None:
    """The 422 for the query's undeclared names (one message each, up to
    :data:`MAX_REPORTED`), or None."""
    valid = valid_parameters(request)
    shown = _valid(sorted(valid - ALWAYS_VALID) + sorted(ALWAYS_VALID))
    unknown = [
        name
        for name in dict.fromkeys(request.query_params)
        if name not in valid and not (tolerate_tracking and _is_tracking(name))
    ]
    errors: list[str] = []
    suggestions: list[Suggestion] = []
    for name in unknown[:MAX_REPORTED]:
        close = _closest(name, valid)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        cut = name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 3] + "..."
        errors.append(f"unknown parameter {cut!r}; {hint}valid: {shown}")
        suggestions.extend(
            Suggestion(code=c, label=None, url=_renamed_url(request, name, c)) for c in close
        )
    if len(unknown) > MAX_REPORTED:
        errors.append(f"and {len(unknown) - MAX_REPORTED} more unknown parameters")
    return WebError(422, errors, suggestions) if errors else None


def reject_unknown_parameters(request: Request) -> None:
    """Router dependency of the API: an undeclared parameter is a 422, never ignored."""
    if (error := unknown_parameters(request, tolerate_tracking=False)) is not None:
        raise error


def reject_unknown_page_parameters(request: Request) -> None:
    """Router dependency of the pages: as :func:`reject_unknown_parameters`, except that
    click-tracking names (``utm_*``, ``fbclid``...) on a shared link are ignored."""
    if (error := unknown_parameters(request, tolerate_tracking=True)) is not None:
        raise error


@dataclass(frozen=True)
class ClaimInput:
    """The parameters of the claim check (``/claim``, ``/api/v1/claim``), as typed: the
    figures stay text so the library reads their printed decimals (``10.4`` is ±0.05),
    empty form fields are None, and the value is hashable (the memo's key)."""

    sentence: str | None = None
    rate: str | None = None
    period: str | None = None
    baseline_rate: str | None = None
    baseline: str | None = None
    where: Where = ()
    tolerance: float | None = None

    @property
    def given(self) -> bool:
        """Whether anything was asked (an empty form is not a bad claim)."""
        return any(
            v is not None
            for v in (self.sentence, self.rate, self.period, self.baseline_rate, self.baseline)
        )

    def pairs(self) -> list[tuple[str, str]]:
        """The claim as query parameters, only the fields given: its permalink."""
        out = [
            (name, value)
            for name, value in (
                ("sentence", self.sentence),
                ("rate", self.rate),
                ("period", self.period),
                ("baseline_rate", self.baseline_rate),
                ("baseline", self.baseline),
            )
            if value is not None
        ]
        out += [("where", f"{dim}:{','.join(codes)}") for dim, codes in self.where]
        if self.tolerance is not None:
            out.append(("tolerance", f"{self.tolerance:g}"))
        return out


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = " ".join(value.split())
    return stripped or None


def check_tolerance(value: str | None) -> float | None:
    """Percentage points as typed, or None (empty too) for the claim's rounding; a value
    that is not a number is a 422 naming the field (the library refuses one <= 0)."""
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise bad_params(
            f"tolerance={text!r} is not a number of percentage points like 0.5"
        ) from None
    return number


def claim_input(
    sentence: Annotated[
        str | None,
        Query(
            description='The claim as one sentence: "10% in 2025, from a 28% average between '
            '2010 and 2024". Or give rate and period.'
        ),
    ] = None,
    rate: Annotated[
        str | None, Query(description="The claimed rate in percent, e.g. 10 or 10.4.")
    ] = None,
    period: Annotated[
        str | None,
        Query(description="FY2025, 2025 (fiscal or calendar), CY2025, or 2025-01-01..2025-09-30."),
    ] = None,
    baseline_rate: Annotated[
        str | None, Query(description="The claimed baseline rate in percent, e.g. 28.")
    ] = None,
    baseline: Annotated[
        str | None, Query(description="The baseline span: 2010-2024, FY2010-FY2024...")
    ] = None,
    where: WhereQuery = [],  # noqa: B006 - FastAPI copies defaults per request
    tolerance: Annotated[
        str | None,
        Query(
            description="Percentage points, more than 0. Default: the claim's rounding "
            "(0.5 for a whole percent, 0.05 for one decimal)."
        ),
    ] = None,
) -> ClaimInput:
    """The claim's parameters, tidied and checked for form; the library checks the rest
    (its QueryError names the field)."""
    return ClaimInput(
        sentence=_text(sentence),
        rate=_text(rate),
        period=_text(period),
        baseline_rate=_text(baseline_rate),
        baseline=_text(baseline),
        where=parse_where(where),
        tolerance=check_tolerance(tolerance),
    )


ClaimInputDep = Annotated[ClaimInput, Depends(claim_input)]
