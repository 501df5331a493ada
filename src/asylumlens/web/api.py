"""The JSON API under `/api/v1`: every page's data, as JSON or CSV, with one error shape.

Each endpoint answers at three URLs: `/api/v1/X` (JSON, or CSV with `_format=csv`),
`/api/v1/X.json` and `/api/v1/X.csv`. The OpenAPI schema lists the first; the suffix
twins take the same parameters. Responses carry the release they were computed from, an
ETag of the URL on that release and app version, and (JSON) `next` for the following page.
Every route rejects the parameters it does not declare (:func:`~asylumlens.web.params.
reject_unknown_parameters`, a router dependency, so it runs before any other).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from asylumlens.analytics import DEFAULT_DEFINITION, default_comparison
from asylumlens.errors import QueryError
from asylumlens.releases.history import DEFAULT_TABLE as DEFAULT_HISTORY_TABLE
from asylumlens.releases.history import HISTORY_TABLES
from asylumlens.web import views
from asylumlens.web.catalog import Entity, find, matches_search
from asylumlens.web.context import StateDep
from asylumlens.web.errors import ERROR_RESPONSES, bad_params
from asylumlens.web.formats import Envelope, respond
from asylumlens.web.groups import JudgeGroupDep
from asylumlens.web.history import history_view
from asylumlens.web.params import (
    ClaimInputDep,
    DefinitionQuery,
    FormatDep,
    PageDep,
    PeriodQuery,
    RatesQueryDep,
    UnitQuery,
    WhereQuery,
    check_definition,
    check_period,
    check_unit,
    parse_where,
    reject_unknown_parameters,
)
from asylumlens.web.queries import RatesQuery

router = APIRouter(
    prefix="/api/v1",
    tags=["api"],
    responses=ERROR_RESPONSES,
    dependencies=[Depends(reject_unknown_parameters)],  # runs first: ?defintion= is a 422
)

CSV_AND_JSON: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON envelope, or CSV of the same rows with `_format=csv` / `.csv`.",
    },
    304: {"description": "Not modified: the ETag sent in If-None-Match is current."},
}

COMPARE_RE: Final = re.compile(r"^FY[0-9]{4}(-FY[0-9]{4})?$", re.ASCII)


class TableModel(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]


class DetailEnvelope(Envelope):
    """A page's data: the primary table as `rows` plus its other tables and facts."""

    facts: dict[str, Any]
    tables: dict[str, TableModel]


def twin_get(path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `path` (in the schema) and its `.json` / `.csv` twins (not listed)."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        for suffix in (".json", ".csv"):
            router.get(path + suffix, include_in_schema=False, **kwargs)(func)
        router.get(path, responses=CSV_AND_JSON, **kwargs)(func)
        return func

    return register


def _jsonable_fact(value: Any) -> Any:
    if isinstance(value, Entity):
        return {
            "code": value.code,
            "label": value.label,
            "decisions": value.decisions,
            "url": value.path,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable_fact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable_fact(v) for v in value]
    return value


def _detail(
    request: Request,
    state: StateDep,
    fmt: str,
    page: Any,
    view: views.View,
    query: Mapping[str, Any],
) -> Response:
    return respond(
        request,
        state,
        "csv" if fmt == "csv" else "json",
        view.columns,
        view.rows,
        page,
        query,
        envelope=DetailEnvelope,
        facts=_jsonable_fact(view.facts),
        tables={
            k: TableModel(columns=list(f.columns), rows=list(f.rows))
            for k, f in view.tables.items()
        },
    )


def _query_dict(q: RatesQuery) -> dict[str, Any]:
    data = dataclasses.asdict(q)
    data["by"] = list(q.by)
    data["where"] = {dim: list(codes) for dim, codes in q.where}
    data["grant_codes"] = list(q.grant_codes) if q.grant_codes is not None else None
    return data


@twin_get("/rates", response_model=Envelope, summary="Grant rates by any dimensions")
def rates(
    request: Request, state: StateDep, q: RatesQueryDep, fmt: FormatDep, page: PageDep
) -> Response:
    """Same parameters and row shape as `asylumlens rates`."""
    frame = state.queries.rates(q)
    return respond(request, state, fmt, frame.columns, frame.rows, page, _query_dict(q))


@twin_get("/compare", response_model=Envelope, summary="A period against a baseline")
def compare(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    period: Annotated[
        str | None, Query(description="FY2025, or FY2024-FY2025. Default: latest full FY.")
    ] = None,
    baseline: Annotated[
        str | None,
        Query(description="FY2010-FY2024. Default: FY2010 to the year before the period."),
    ] = None,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    where: WhereQuery = [],  # noqa: B006
    unit: UnitQuery = None,
) -> Response:
    """`asylumlens.compare`: the period's rate, the baseline's pooled and mean yearly rates,
    with counts, thin/missing/partial years, and on every row the definition, unit,
    release and synthetic flag."""
    check_definition(definition)
    unit = check_unit(unit)
    filters = parse_where(where)
    for name, value in (("period", period), ("baseline", baseline)):
        if value is not None and not COMPARE_RE.match(value):
            raise bad_params(f"{name}={value!r} is not FY2025 or a range like FY2010-FY2024")
    if period is None or baseline is None:
        # the library's headline default (the home page's and the CLI's): the latest
        # complete fiscal year; the baseline FY2010 to the year before the period
        try:
            defaults = default_comparison(
                definition,
                store=state.store,
                release=state.release,
                period=period,
                engine=state.queries.engine,
            )
        except QueryError as exc:
            raise bad_params(f"{exc} (give period= and baseline=)") from None
        period = period or defaults[0]
        baseline = baseline or defaults[1]
    frame = state.queries.compare(period, baseline, definition, filters, unit)
    query = {
        "period": period,
        "baseline": baseline,
        "definition": definition,
        "unit": frame.attrs.get("unit", unit),
        "where": {d: list(c) for d, c in filters},
    }
    return respond(request, state, fmt, frame.columns, frame.rows, page, query)


SearchQuery = Annotated[
    str | None,
    Query(description="Only rows whose code or name contains this text (ignoring case)."),
]


def _searched(rows: tuple[dict[str, Any], ...], dim: str, search: str | None) -> list[Any]:
    return [r for r in rows if matches_search(search, r.get(dim), r.get(f"{dim}_name"))]


def _directory(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    q: RatesQuery,
    search: str | None = None,
) -> Response:
    frame = state.queries.rates(q)
    rows = _searched(frame.rows, q.by[0], search)
    query = {**_query_dict(q), "q": search}
    return respond(request, state, fmt, frame.columns, rows, page, query)


@twin_get("/judges", response_model=Envelope, summary="Judges: rates, or a court's spread")
def judges(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    court: Annotated[
        str | None,
        Query(
            description=(
                "Court (base city) code. With it: the court's judges with shrunken estimates."
            ),
        ),
    ] = None,
    nationality: Annotated[str | None, Query(description="Nationality code.")] = None,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
    unit: UnitQuery = None,
    q: SearchQuery = None,
) -> Response:
    """With `court`: `asylumlens.judges` (raw rate, shrunken estimate and interval per
    judge). Without: every judge's raw rate (`asylumlens.rates` by judge)."""
    check_definition(definition)
    since, until = check_period("since", since), check_period("until", until)
    unit = check_unit(unit)
    query: dict[str, Any] = {
        "court": court,
        "nationality": nationality,
        "definition": definition,
        "since": since,
        "until": until,
        "unit": unit,
    }
    if court:
        entity = find(state.queries, "courts", court)
        frame = state.queries.judges(entity.code, nationality, definition, since, until, unit)
        model = {k: frame.attrs.get(k) for k in ("model", "note", "prior", "not_judges")}
        return respond(request, state, fmt, frame.columns, frame.rows, page, query, model=model)
    where = (("nationality", (nationality,)),) if nationality else ()
    rq = RatesQuery(
        definition=definition, by=("judge",), where=where, since=since, until=until, unit=unit
    )
    frame = state.queries.rates(rq)
    query["q"] = q
    rows = _searched(frame.rows, "judge", q)
    return respond(request, state, fmt, frame.columns, rows, page, query)


CodePath = Annotated[str, Path(description="The EOIR code (judge, base city or nationality).")]


@twin_get("/judges/{code}", response_model=DetailEnvelope, summary="One judge")
def judge(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    code: CodePath,
    group: JudgeGroupDep,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
) -> Response:
    """By fiscal year (rows), against the court and the nation, estimate and caseload mix;
    `tables.vs_court` is the judge against their court for the same group and period."""
    check_definition(definition)
    view = views.judge_for_group(state.queries, code, definition, group)
    query = {"code": code, "definition": definition, **view.facts["period"], **view.facts["group"]}
    return _detail(request, state, fmt, page, view, query)


@twin_get("/courts", response_model=Envelope, summary="Courts (base cities)")
def courts(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
    q: SearchQuery = None,
) -> Response:
    """Every court with its rate (`asylumlens.rates` by court); `q` searches codes and names."""
    rq = RatesQuery(
        definition=check_definition(definition),
        by=("court",),
        since=check_period("since", since),
        until=check_period("until", until),
    )
    return _directory(request, state, fmt, page, rq, q)


@twin_get("/courts/{code}", response_model=DetailEnvelope, summary="One court")
def court(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    code: CodePath,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
) -> Response:
    """Its judges' spread (rows, from `asylumlens.judges`) and its trend."""
    check_definition(definition)
    since, until = check_period("since", since), check_period("until", until)
    view = views.court(state.queries, code, definition, since, until)
    return _detail(
        request,
        state,
        fmt,
        page,
        view,
        {"code": code, "definition": definition, "since": since, "until": until},
    )


@twin_get("/nationalities", response_model=Envelope, summary="Nationalities")
def nationalities(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
    q: SearchQuery = None,
) -> Response:
    """Every nationality with its rate (`asylumlens.rates` by nationality); `q` searches."""
    rq = RatesQuery(
        definition=check_definition(definition),
        by=("nationality",),
        since=check_period("since", since),
        until=check_period("until", until),
    )
    return _directory(request, state, fmt, page, rq, q)


@twin_get("/nationalities/{code}", response_model=DetailEnvelope, summary="One nationality")
def nationality(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    code: CodePath,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
) -> Response:
    """Its trend (rows), its courts, and its rates with and without representation."""
    check_definition(definition)
    since, until = check_period("since", since), check_period("until", until)
    view = views.nationality(state.queries, code, definition, since, until)
    return _detail(
        request,
        state,
        fmt,
        page,
        view,
        {"code": code, "definition": definition, "since": since, "until": until},
    )


@twin_get("/claim", response_model=DetailEnvelope, summary="Check a published figure")
def claim(
    request: Request, state: StateDep, fmt: FormatDep, page: PageDep, q: ClaimInputDep
) -> Response:
    """`asylumlens.analytics.check_claim` (`asylumlens claim`): give `sentence`, or `rate`
    and `period` (optionally `baseline_rate` and `baseline`), with `where` filters and a
    `tolerance`. Rows: every reading (definition, unit, year basis, grant set, baseline
    aggregation) with its period and baseline counts, rates, 95% intervals, partial and
    threshold flags and distance from the claim, closest first; `facts`: what was
    understood, the tolerance, the verdict and how many readings match. A claim that
    cannot be read is a 422 naming the field (a sentence's lists the accepted shapes)."""
    view = views.claim(state.queries, q)
    query = {
        "sentence": q.sentence,
        "rate": q.rate,
        "period": q.period,
        "baseline_rate": q.baseline_rate,
        "baseline": q.baseline,
        "where": {d: list(c) for d, c in q.where},
        "tolerance": q.tolerance,
    }
    return _detail(request, state, fmt, page, view, query)


@twin_get("/release", response_model=DetailEnvelope, summary="Provenance and data quality")
def release(request: Request, state: StateDep, fmt: FormatDep, page: PageDep) -> Response:
    """Per-table counts from the manifest (rows) and the release's provenance."""
    view = views.release_quality(state.release)
    return _detail(request, state, fmt, page, view, {})


@twin_get("/definitions", response_model=DetailEnvelope, summary="Grant-rate definitions")
def definitions(request: Request, state: StateDep, fmt: FormatDep, page: PageDep) -> Response:
    """The named definitions (what counts as grant, denial, other), one row each."""
    return _detail(request, state, fmt, page, views.definitions(), {})


HistoryTableQuery = Annotated[
    str,
    Query(
        description="The record followed: case, proceeding or application.",
        json_schema_extra={"enum": list(HISTORY_TABLES)},
        pattern="^(" + "|".join(HISTORY_TABLES) + ")$",
    ),
]


@twin_get("/history", response_model=DetailEnvelope, summary="Changes across all releases")
def history(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    table: HistoryTableQuery = DEFAULT_HISTORY_TABLE,
) -> Response:
    """`asylumlens history --summary`: one row per consecutive pair of the store's releases
    (oldest first) and definition: the table's records added, deleted, back after a gap,
    recoded and with a changed completion date, and the grant rate of both releases pooled
    over the fiscal years complete in both. Covers every release, whichever one `release`
    names; `facts.releases` lists them."""
    view = history_view(state.store, table, state.engine)
    return _detail(request, state, fmt, page, view, {"table": table})


CONTEXT_COLUMNS: Final = (
    "key", "label", "rate", "low", "high", "grants", "decisions", "below_threshold",
    "estimate", "url",
)  # fmt: skip


def context_rows(ctx: Any) -> list[dict[str, Any]]:
    """The context's figures then its trend, one row each (the CSV and the JSON ``rows``)."""
    return [dataclasses.asdict(f) for f in [*ctx.figures, *ctx.trend]]


@twin_get("/similar", response_model=DetailEnvelope, summary="Cases like this one")
def similar(
    request: Request,
    state: StateDep,
    fmt: FormatDep,
    page: PageDep,
    judge: Annotated[str | None, Query(description="A judge's code.")] = None,
    court: Annotated[str | None, Query(description="A court (base city) code.")] = None,
    nationality: Annotated[str | None, Query(description="A nationality code.")] = None,
    custody: Annotated[str | None, Query(pattern="^[DRN]$", description="D, R or N.")] = None,
    represented: Annotated[bool | None, Query(description="true or false.")] = None,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
) -> Response:
    """What the record says about cases like one (`asylumlens.analytics.case_context`): the
    judge's shrunken rate, the court and its spread of judges, the nationality nationally
    and at the court, by custody and by representation, over the last five complete fiscal
    years, then year by year (rows whose `key` is `FY…`). `facts.notes` says what the
    release lacks (an unknown judge)."""
    check_definition(definition)
    ctx = state.queries.case_context(
        judge=judge, court=court, nationality=nationality, custody=custody,
        represented=represented, definition=definition,
    )  # fmt: skip
    query = {
        "judge": judge, "court": court, "nationality": nationality, "custody": custody,
        "represented": represented, "definition": definition,
    }  # fmt: skip
    facts = {
        "period": ctx.period,
        "definition": ctx.definition,
        "unit": ctx.unit,
        "notes": ctx.notes,
        "court_spread": dataclasses.asdict(ctx.court_spread) if ctx.court_spread else None,
    }
    return respond(
        request, state, "csv" if fmt == "csv" else "json", CONTEXT_COLUMNS, context_rows(ctx),
        page, query, envelope=DetailEnvelope, facts=facts, tables={},
    )  # fmt: skip
