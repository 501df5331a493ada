"""The HTML pages: one route per question, each a chart and a table, its URL the permalink.

Pages are thin: parameters are validated by the same dependencies as the API, the data comes
from the same builders in :mod:`asylumlens.web.views`, and each page links to the API URL
that returns its rows as JSON and CSV (``twin``). All state lives in the query string.

Each page is built by a ``*_page`` function returning a :class:`PageModel` (template,
context, charts by name) and rendered by its route; the embed routes
(:mod:`asylumlens.web.embeds`) call the same builders, so an embedded chart is its page's.
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from asylumlens.analytics import DEFAULT_DEFINITION, describe_definition
from asylumlens.analytics.claims import CLAIM_SHAPES
from asylumlens.analytics.disparity import not_a_judge
from asylumlens.analytics.periods import parse_fiscal_years
from asylumlens.errors import QueryError
from asylumlens.web import charts, views
from asylumlens.web.catalog import DIMENSION_OF, Kind, entities, label_column, matches_search
from asylumlens.web.chart_caption import EVERY_YEAR
from asylumlens.web.context import StateDep, WebState
from asylumlens.web.errors import bad_params
from asylumlens.web.groups import LAST_CHOICES, JudgeGroup, JudgeGroupDep
from asylumlens.web.methodology import methodology_html, render_markdown
from asylumlens.web.page_model import PageModel, named_charts, show
from asylumlens.web.params import (
    DEFINITIONS,
    DIMENSIONS,
    ClaimInput,
    ClaimInputDep,
    DefinitionQuery,
    PeriodQuery,
    RatesQueryDep,
    check_definition,
    check_period,
)
from asylumlens.web.provenance import release_info
from asylumlens.web.queries import Frame, RatesQuery
from asylumlens.web.rendering import render_page

router = APIRouter(include_in_schema=False)

TIME_DIMENSIONS: Final = ("fiscal_year", "calendar_year")
FILTER_DIMENSIONS: Final = ("nationality", "court", "judge", "custody", "represented", "case_type")
SERIES_MAX: Final = 8
ROULETTE_MAX: Final = 40
BARS_MAX: Final = 25


def _period_args(
    definition: str, since: str | None, until: str | None
) -> tuple[str, str | None, str | None]:
    return check_definition(definition), check_period("since", since), check_period("until", until)


def _years(state: StateDep) -> list[int]:
    return views.fiscal_years(state.queries)


def _entity_page(
    state: StateDep,
    template: str,
    api_path: str,
    view: Any,
    entity: Any,
    specs: dict[str, Any],
    period: tuple[str, str | None, str | None],
    extra_query: list[tuple[str, str]] | None = None,
    **extra: Any,
) -> PageModel:
    """A judge, court or nationality page: one entity over a definition and period, with
    its API twin carrying the same period (and group) parameters."""
    definition, since, until = period
    pairs = [(k, v) for k, v in (("definition", definition), ("since", since), ("until", until))]
    query = urlencode([(k, v) for k, v in pairs + (extra_query or []) if v])
    context = dict(
        title=entity.title,
        view=view,
        entity=entity,
        specs=specs,
        definition=definition,
        definitions=DEFINITIONS,
        since=since,
        until=until,
        years=_years(state),
        twin=f"/api/v1/{api_path}/{_q(entity.code)}",
        twin_query=query,
        **extra,
    )
    return PageModel(template, context, named_charts(specs))


HeadlinePeriodQuery = Annotated[
    str | None,
    Query(
        description="The headline's period: FY2025, or FY2024-FY2025. Default: the latest "
        "fiscal year complete in the release."
    ),
]
HeadlineBaselineQuery = Annotated[
    str | None,
    Query(
        description="The headline's baseline: FY2010-FY2024. Default: FY2010 (or the first "
        "fiscal year with data) to the year before the period."
    ),
]


def check_fiscal_years(name: str, value: str | None) -> str | None:
    """A fiscal year or run of them as typed (``FY2025``, ``FY2010-FY2024``), or None for
    the default (an empty form field too); anything else is a 422 naming the field."""
    if value is None or value.strip() == "":
        return None
    try:
        parse_fiscal_years(value, name=name)
    except QueryError as exc:
        raise bad_params(str(exc)) from None
    return value.strip()


@router.get("/")
def home(
    request: Request,
    state: StateDep,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    period: HeadlinePeriodQuery = None,
    baseline: HeadlineBaselineQuery = None,
) -> Response:
    return show(request, home_page(state, definition, period, baseline))


def home_page(
    state: StateDep, definition: str, period: str | None, baseline: str | None
) -> PageModel:
    """The home page: the headline (period against baseline), the trend, nationalities."""
    definition = check_definition(definition)
    period = check_fiscal_years("period", period)
    baseline = check_fiscal_years("baseline", baseline)
    view = views.home(state.queries, state.release, definition, period, baseline)
    synthetic = state.info.synthetic
    trend = view.tables["trend"]
    nats = view.tables["nationalities"]
    compare = view.tables.get("compare")
    named = describe_definition(definition)
    specs = {
        "trend": charts.trend_chart(
            trend.rows,
            title="Asylum grant rate by fiscal year, all courts",
            synthetic=synthetic,
            subtitle=named,
        ),
        "nationalities": charts.bar_chart(
            nats.rows,
            title="Largest nationalities",
            synthetic=synthetic,
            label_title="nationality",
            subtitle=f"by number of decisions; {named}",
        ),
    }
    points = compare_points(compare) if compare is not None else []
    if points:
        specs["compare"] = charts.compare_chart(
            points,
            title=f"{view.facts['period']} against {view.facts['baseline']}",
            synthetic=synthetic,
            subtitle=named,
        )
    compare_query = [("definition", definition)]
    compare_query += [(k, str(view.facts[k])) for k in ("period", "baseline") if view.facts.get(k)]
    context = dict(
        title="Asylum grant rates",
        view=view,
        specs=specs,
        points=points,
        definition=definition,
        definitions=DEFINITIONS,
        years=_years(state),
        period=period,
        baseline=baseline,
        twin="/api/v1/compare",
        twin_query=urlencode(compare_query),
    )
    every = {name: EVERY_YEAR for name in ("trend", "nationalities")}
    return PageModel("home.html", context, named_charts(specs), every)


def compare_points(frame: Frame) -> list[dict[str, Any]]:
    """The headline's bars: the period, the baseline's mean of yearly rates, its pooled rate."""
    return [{**row, "below_threshold": False} for row in frame.rows]


def _explorer_options(
    state: StateDep, selected: dict[str, list[str]]
) -> dict[str, list[tuple[str, str]]]:
    """Filter choices: every code of each dimension in this release (no cap: a capped list
    would show a chosen judge as "any" and drop it on the next submit), with labels; a
    code given in the URL that the list lacks is kept as an option, selected."""
    options: dict[str, list[tuple[str, str]]] = {}
    for dim in FILTER_DIMENSIONS:
        pairs = []
        for r in state.queries.codes(dim).rows:
            raw, label = r["code"], r.get("label")
            code = str(raw).lower() if isinstance(raw, bool) else str(raw)
            text = f"{str(label).strip()} ({code})" if label not in (None, "", code) else code
            pairs.append((code, text))
        pairs.sort(key=lambda pair: pair[1].lower())
        known = {code for code, _ in pairs}
        pairs[:0] = [(c, c) for c in selected.get(dim, []) if c not in known]
        options[dim] = pairs
    return options


def explorer_chart(frame: Frame, q: RatesQuery, synthetic: bool) -> dict[str, Any]:
    """A line chart over time when a time dimension is asked for, else ranked bars."""
    time = [d for d in q.by if d in TIME_DIMENSIONS]
    other = [d for d in q.by if d not in TIME_DIMENSIONS]
    subtitle = f"{q.definition} definition"
    if time and len(q.by) == 1:
        return charts.trend_chart(
            frame.rows,
            title="Grant rate over time",
            synthetic=synthetic,
            x=time[0],
            x_title=time[0].replace("_", " "),
            subtitle=subtitle,
        )
    if time and len(other) == 1:
        dim = other[0]
        labelled = views.with_labels(frame.rows, dim)
        totals: dict[str, int] = {}
        for r in labelled:
            totals[r["label"]] = totals.get(r["label"], 0) + int(r.get("total") or 0)
        keep = set(sorted(totals, key=lambda k: -totals[k])[:SERIES_MAX])
        rows = [r for r in labelled if r["label"] in keep]
        return charts.trend_chart(
            rows,
            title=f"Grant rate over time by {dim}",
            synthetic=synthetic,
            x=time[0],
            x_title=time[0].replace("_", " "),
            series="label",
            subtitle=f"{subtitle}; the {len(keep)} largest {dim} values",
        )
    rows = []
    for r in views.top(frame.rows, BARS_MAX):
        parts = [str(r.get(label_column(d)) or r.get(d)) for d in q.by]
        rows.append({**r, "label": " · ".join(parts)})
    return charts.bar_chart(
        rows,
        title=f"Grant rate by {', '.join(q.by)}",
        synthetic=synthetic,
        label_title="",
        subtitle=f"{subtitle}; the {len(rows)} largest groups",
    )


def _api_query(q: RatesQuery) -> str:
    pairs: list[tuple[str, str]] = [("definition", q.definition), ("by", ",".join(q.by))]
    pairs += [("where", f"{dim}:{code}") for dim, codes in q.where for code in codes]
    for key, value in (
        ("since", q.since),
        ("until", q.until),
        ("unit", q.unit),
        ("min_decisions", q.min_decisions),
    ):
        if value is not None and not (key == "unit" and value == "application"):
            pairs.append((key, str(value)))
    if q.grant_codes:
        pairs.append(("grant_codes", ",".join(q.grant_codes)))
    return urlencode(pairs)


@router.get("/explorer")
def explorer(request: Request, state: StateDep, q: RatesQueryDep) -> Response:
    return show(request, explorer_page(state, q))


def explorer_page(state: StateDep, q: RatesQuery) -> PageModel:
    """The Explorer: any grouping and filters, one chart (``explorer``) and the table."""
    frame = state.queries.rates(q)
    spec = explorer_chart(frame, q, state.info.synthetic)
    selected = {dim: list(codes) for dim, codes in q.where}
    context = dict(
        title="Explorer",
        q=q,
        frame=frame,
        spec=spec,
        selected=selected,
        options=_explorer_options(state, selected),
        dimensions=DIMENSIONS,
        definitions=DEFINITIONS,
        years=_years(state),
        definition=q.definition,
        twin="/api/v1/rates",
        twin_query=_api_query(q),
        api_query=_api_query(q),
    )
    return PageModel("explorer.html", context, {"explorer": spec})


def listing_page(state: StateDep, kind: Kind, definition: str, q: str | None = None) -> PageModel:
    """A directory page: every code's rate, searchable (``?q=``, :func:`matches_search`);
    for judges, codes that are not judges (blank, placeholders, the library's
    :func:`~asylumlens.analytics.disparity.not_a_judge`) listed apart, never ranked."""
    dim = DIMENSION_OF[kind]
    frame = state.queries.rates(RatesQuery(definition=definition, by=(dim,)))
    rows = sorted(views.with_labels(frame.rows, dim), key=lambda r: -(r.get("total") or 0))
    not_judges: list[dict[str, Any]] = []
    if kind == "judges":
        for r in rows:
            reason = not_a_judge(r.get("judge"), r.get("judge_name"))
            if reason is not None:
                not_judges.append({**r, "reason": reason})
        rows = [r for r in rows if not_a_judge(r.get("judge"), r.get("judge_name")) is None]
    shown = [r for r in rows if matches_search(q, r.get(dim), r.get(label_column(dim)))]
    spec = charts.bar_chart(
        views.top(shown, BARS_MAX),
        title=f"Grant rate: the {min(BARS_MAX, len(shown))} largest"
        + (f" matching “{q.strip()}”" if q and q.strip() else ""),
        synthetic=state.info.synthetic,
        label_title=dim,
        subtitle=f"{definition} definition",
    )
    twin_pairs = [("definition", definition)] + ([("q", q.strip())] if q and q.strip() else [])
    context = dict(
        title=kind.capitalize(),
        kind=kind,
        dim=dim,
        frame=frame,
        rows=shown,
        listed=len(rows),
        search=(q or "").strip(),
        not_judges=not_judges,
        spec=spec,
        count=len(entities(state.queries, kind)),
        definition=definition,
        definitions=DEFINITIONS,
        twin=f"/api/v1/{kind}",
        twin_query=urlencode(twin_pairs),
    )
    return PageModel("listing.html", context, {"listing": spec})


SearchQuery = Annotated[
    str | None, Query(description="Case-insensitive text to find in codes and names.")
]


@router.get("/judges")
def judges(
    request: Request,
    state: StateDep,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    q: SearchQuery = None,
) -> Response:
    return show(request, listing_page(state, "judges", check_definition(definition), q))


@router.get("/courts")
def courts(
    request: Request,
    state: StateDep,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    q: SearchQuery = None,
) -> Response:
    return show(request, listing_page(state, "courts", check_definition(definition), q))


@router.get("/nationalities")
def nationalities(
    request: Request,
    state: StateDep,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    q: SearchQuery = None,
) -> Response:
    return show(request, listing_page(state, "nationalities", check_definition(definition), q))


def _series(frame: Frame, name: str) -> list[dict[str, Any]]:
    return [{**r, "series": name} for r in frame.rows]


@router.get("/judges/{code}")
def judge(
    request: Request,
    state: StateDep,
    code: str,
    group: JudgeGroupDep,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
) -> Response:
    return show(request, judge_page(state, code, group, definition))


def judge_page(state: StateDep, code: str, group: JudgeGroup, definition: str) -> PageModel:
    """A judge: the trend beside the court's and the nation's, and the caseload mix."""
    definition = check_definition(definition)
    view = views.judge_for_group(state.queries, code, definition, group)
    since, until = view.facts["period"]["since"], view.facts["period"]["until"]
    entity = view.facts["judge"]
    court = view.facts.get("court")
    synthetic = state.info.synthetic
    own = Frame(view.columns, tuple(view.rows))
    series = _series(own, f"Judge {entity.label or entity.code}")
    if court is not None:
        series += _series(view.tables["court_trend"], f"{court.label or court.code} court")
    series += _series(view.tables["national_trend"], "All courts")
    specs = {
        "trend": charts.trend_chart(
            series,
            title=f"{entity.title}: grant rate by fiscal year",
            synthetic=synthetic,
            series="series",
            subtitle=f"{definition} definition; hollow, no line: fewer than "
            f"{view.facts['year_min']} decisions that year",
        ),
    }
    for dim in ("nationality", "custody", "represented"):
        specs[f"mix_{dim}"] = charts.share_chart(
            view.tables[f"mix_{dim}"].rows,
            title=f"Caseload by {dim}",
            synthetic=synthetic,
            label_title=dim,
            subtitle="share of this judge's decisions",
        )
    group_query = list(view.facts["group"].items())
    if group.last is not None:
        group_query.append(("last", str(group.last)))
    return _entity_page(
        state,
        "judge.html",
        "judges",
        view,
        entity,
        specs,
        (definition, since if group.last is None else None, until if group.last is None else None),
        extra_query=group_query,
        court=court,
        group=group,
        period_since=since,
        period_until=until,
        last_choices=LAST_CHOICES,
        group_options=_group_options(state, view),
        mix_queries=_mix_queries(entity.code, definition, view),
    )


def _mix_queries(code: str, definition: str, view: views.View) -> dict[str, str]:
    """The API query of each caseload-mix table: the judge, the group and the period."""
    period = view.facts["period"]
    group = [("judge", code), *view.facts["group"].items()]
    where = [("where", f"{dim}:{value}") for dim, value in group]
    bounds = [(k, period[k]) for k in ("since", "until") if period[k]]
    return {
        dim: urlencode([("definition", definition), ("by", dim), *where, *bounds])
        for dim in ("nationality", "custody", "represented")
    }


def _group_options(state: StateDep, view: views.View) -> dict[str, list[tuple[str, str]]]:
    """The judge form's choices: the judge's own nationalities and custody codes (largest
    first), plus the one chosen (which may have no decisions of this judge)."""
    options: dict[str, list[tuple[str, str]]] = {}
    for dim in ("nationality", "custody"):
        pairs = [(str(r[dim]), str(r["label"])) for r in view.tables[f"mix_{dim}"].rows]
        chosen = view.facts["group"].get(dim)
        if chosen is not None and chosen not in {code for code, _ in pairs}:
            pairs.insert(0, (chosen, chosen))
        options[dim] = pairs
    return options


def _q(code: str) -> str:
    return quote(code, safe="")


@router.get("/courts/{code}")
def court(
    request: Request,
    state: StateDep,
    code: str,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
) -> Response:
    return show(request, court_page(state, code, definition, since, until))


def court_page(
    state: StateDep, code: str, definition: str, since: str | None, until: str | None
) -> PageModel:
    """A court: its trend and the spread of its judges."""
    definition, since, until = _period_args(definition, since, until)
    view = views.court(state.queries, code, definition, since, until)
    entity = view.facts["court"]
    synthetic = state.info.synthetic
    overall = view.facts.get("overall") or {}
    specs: dict[str, Any] = {
        "trend": charts.trend_chart(
            view.tables["trend"].rows,
            title=f"{entity.title}: grant rate by fiscal year",
            synthetic=synthetic,
            subtitle=f"{definition} definition",
        ),
    }
    if view.rows:
        largest = sorted(view.rows, key=lambda r: -(r.get("total") or 0))[:ROULETTE_MAX]
        specs["roulette"] = charts.roulette_chart(
            largest,
            title=f"{entity.title}: the spread of its judges",
            synthetic=synthetic,
            estimate="shrunk_rate",
            low="shrunk_low",
            high="shrunk_high",
            court_rate=overall.get("rate"),
            subtitle="filled: shrunken estimate with 95% interval; hollow: raw rate; "
            "dashed: the court's rate",
        )
    return _entity_page(
        state,
        "court.html",
        "courts",
        view,
        entity,
        specs,
        (definition, since, until),
        overall=overall,
    )


@router.get("/nationalities/{code}")
def nationality(
    request: Request,
    state: StateDep,
    code: str,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
) -> Response:
    return show(request, nationality_page(state, code, definition, since, until))


def nationality_page(
    state: StateDep, code: str, definition: str, since: str | None, until: str | None
) -> PageModel:
    """A nationality: its trend, its courts, and the rates with and without representation."""
    definition, since, until = _period_args(definition, since, until)
    view = views.nationality(state.queries, code, definition, since, until)
    entity = view.facts["nationality"]
    synthetic = state.info.synthetic
    rep_trend = views.with_labels(view.tables["represented_trend"].rows, "represented")
    specs = {
        "trend": charts.trend_chart(
            view.rows,
            title=f"{entity.title}: grant rate by fiscal year",
            synthetic=synthetic,
            subtitle=f"{definition} definition",
        ),
        "courts": charts.bar_chart(
            view.tables["courts"].rows,
            title="Courts with the most decisions",
            synthetic=synthetic,
            label_title="court",
        ),
        "represented": charts.trend_chart(
            rep_trend,
            title="With and without representation",
            synthetic=synthetic,
            series="label",
            subtitle="rates for represented and unrepresented respondents, by fiscal year",
        ),
    }
    return _entity_page(
        state,
        "nationality.html",
        "nationalities",
        view,
        entity,
        specs,
        (definition, since, until),
    )


CLAIM_EXAMPLE: Final = (
    "plummeted to 10 percent in 2025, from the 28 percent average recorded between 2010 and 2024"
)
"""The figure issue 13 starts from, offered as an example on the empty form."""


def claim_spec(view: views.View, synthetic: bool) -> dict[str, Any]:
    """The readings against the claimed values (:func:`charts.claim_chart`)."""
    told = view.facts.get("claim") or {}
    claimed: list[tuple[str, str, float, str]] = []
    for prefix, key in (("period", "rate"), ("baseline", "baseline_rate")):
        percent = told.get(key)
        if percent is not None:
            text = f"claimed {float(percent):g}%"
            claimed.append((prefix, f"{prefix} rate ({text})", float(percent) / 100.0, text))
    release = view.facts.get("release")
    return charts.claim_chart(
        view.rows,
        claimed=claimed,
        title="Every reading against the claimed figures",
        synthetic=synthetic,
        subtitle=f"release {release}; filled: within tolerance; dashed: claimed",
    )


@router.get("/claim")
def claim(request: Request, state: StateDep, q: ClaimInputDep) -> Response:
    """ "Check a figure": the claim check's form, and, once a claim is given, what was
    understood, the verdict, every reading ranked and charted. The URL is the permalink
    (only the fields given); a claim the library refuses is this page again, as a 422
    naming the field, with the form kept so it can be corrected."""
    context = claim_form(state, q)
    if not q.given:
        return render_page(request, "claim.html", **context)
    try:
        model = claim_page(state, q)
    except QueryError as exc:
        response = render_page(request, "claim.html", error=str(exc), **context)
        response.status_code = 422
        del response.headers["etag"]  # an error is not a rendering to revalidate
        return response
    return show(request, model)


def claim_form(state: StateDep, q: ClaimInput) -> dict[str, Any]:
    """The claim page's form: what was typed, the filter choices, the shapes, an example."""
    selected = {dim: list(codes) for dim, codes in q.where}
    return {
        "title": "Check a figure",
        "q": q,
        "selected": selected,
        "options": _explorer_options(state, selected),
        "shapes": CLAIM_SHAPES,
        "example": CLAIM_EXAMPLE,
    }


def claim_page(state: StateDep, q: ClaimInput) -> PageModel:
    """A claim checked: its readings and their chart (``claim``). A claim the library
    refuses raises its :class:`~asylumlens.errors.QueryError` (the route shows the form)."""
    view = views.claim(state.queries, q)
    spec = claim_spec(view, state.info.synthetic)
    context = dict(
        view=view,
        spec=spec,
        twin="/api/v1/claim",
        twin_query=urlencode(q.pairs()),
        **claim_form(state, q),
    )
    return PageModel("claim.html", context, {"claim": spec})


@router.get("/methodology")
def methodology(request: Request, state: StateDep) -> Response:
    body, source = methodology_html()
    return render_page(
        request,
        "methodology.html",
        twin="/api/v1/definitions",
        twin_query="",
        title="Methodology",
        body=body,
        source=source,
        definitions=DEFINITIONS,
    )


@router.get("/data")
def data(request: Request, state: StateDep) -> Response:
    from asylumlens.releases.diff import list_reports

    view = views.release_quality(state.release)
    return render_page(
        request,
        "data.html",
        title="Data release and quality",
        view=view,
        diffs=list_reports(state.store),
        history=_history_or_none(state),
        releases=[release_info(r) for r in state.store.releases()],
        default_release=request.app.state.web.release.id,
        twin="/api/v1/release",
        twin_query="",
    )


def _history_or_none(state: WebState) -> views.View | None:
    """The history summary, or None when a release lacks a table it reads (the rest of
    the Data page still shows; ``/api/v1/history`` says why)."""
    from asylumlens.web.history import history_view

    try:
        return history_view(state.store, engine=state.engine)
    except QueryError:
        return None


@router.get("/data/diffs/{name}")
def diff_report(name: str, state: StateDep) -> Response:
    """A report written by ``asylumlens diff``: only names listed in ``<store>/diffs`` serve."""
    from fastapi.responses import FileResponse

    from asylumlens.releases.diff import diffs_dir, list_reports
    from asylumlens.web.errors import WebError

    listed = {r["html"]: r for r in list_reports(state.store) if r["html"]}
    listed |= {r["json"]: r for r in list_reports(state.store)}
    if name not in listed:
        shown = ", ".join(sorted(listed)) or "none (run `asylumlens diff OLD NEW`)"
        raise WebError(404, [f"no diff report {name!r}; available: {shown}"])
    return FileResponse(diffs_dir(state.store) / name)


@router.get("/api")
def api_reference(request: Request, state: StateDep) -> Response:
    """The JSON API's reference, rendered from the app's own OpenAPI schema (no CDN)."""
    schema = request.app.openapi()
    endpoints = []
    for path, item in schema["paths"].items():
        operation = item.get("get", {})
        endpoints.append(
            {
                "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": [
                    {
                        "name": p["name"],
                        "where": p["in"],
                        "required": p.get("required", False),
                        "description": p.get("description", ""),
                    }
                    for p in operation.get("parameters", [])
                ],
            }
        )
    intro = render_markdown(schema["info"].get("description", ""))
    return render_page(request, "api.html", title="JSON API", endpoints=endpoints, intro=intro)
