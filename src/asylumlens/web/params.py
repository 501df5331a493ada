"""Query-string parameters shared by the JSON API and the pages, validated before any query.

Conventions (documented in ``docs/web.md`` and in the OpenAPI schema):

* ``by`` is a comma list of dimensions: ``by=fiscal_year,nationality``.
* Filters are repeated ``where=DIMENSION:CODE`` parameters; repeating a dimension means
  "any of these codes": ``where=nationality:CH&where=nationality:ES&where=custody:D``.
  The code is everything after the first colon, so codes such as ``SP `` or ``209c`` pass
  as they are. An empty ``where=`` (an HTML form's "any") is ignored.
* ``since`` / ``until`` take ``FY2010`` or an ISO date ``2019-10-01``.
* Lists paginate with ``_size`` (rows per page) and ``_next`` (an opaque token taken from
  the previous response's ``next``); ``_format=csv`` or a ``.csv`` suffix gives CSV.

Every invalid value becomes a 422 whose message lists what is valid. User input is only
ever passed on as a validated parameter value, never as query text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from fastapi import Depends, Query, Request
from pydantic import Field

from asylumlens import analytics
from asylumlens.web.errors import WebError, bad_params
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
    """``["nationality:CH", "nationality:ES", "custody:D"]`` -> a sorted, hashable filter."""
    grouped: dict[str, list[str]] = {}
    for raw in values:
        if raw == "":
            continue
        dim, sep, code = raw.partition(":")
        dim = dim.strip()
        if not sep or not dim or code == "":
            raise bad_params(
                f"where={raw!r} is not DIMENSION:CODE (e.g. where=nationality:CH); "
                f"dimensions: {_valid(DIMENSIONS)}"
            )
        if dim not in DIMENSIONS:
            raise bad_params(f"unknown dimension {dim!r} in where; valid: {_valid(DIMENSIONS)}")
        codes = grouped.setdefault(dim, [])
        if code not in codes:
            codes.append(code)
    return tuple((dim, tuple(codes)) for dim, codes in sorted(grouped.items()))


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
            "Filter, repeatable: DIMENSION:CODE, e.g. nationality:CH. Repeating a "
            "dimension means any of its codes. Empty values are ignored."
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
    """Which slice of a result list to return."""

    size: int
    offset: int

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
        int,
        Query(alias="_size", ge=1, le=MAX_SIZE, description="Rows per page."),
    ] = DEFAULT_SIZE,
    next_token: Annotated[
        str | None,
        Query(alias="_next", description="Opaque token from a previous response's `next`."),
    ] = None,
) -> Page:
    offset = decode_token(next_token) if next_token else 0
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
