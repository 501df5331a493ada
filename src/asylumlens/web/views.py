"""What each page shows, as data: one builder per page, shared by the HTML and the JSON API.

A page and its ``.json`` twin call the same builder, so they cannot disagree. Builders take
validated parameters and return :class:`View` objects: one primary table (``rows``, what the
CSV twin holds) plus named secondary tables and facts. They never render anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from asylumlens import analytics
from asylumlens.analytics.intervals import wilson_interval
from asylumlens.errors import QueryError
from asylumlens.quality import table_quality
from asylumlens.store import Release
from asylumlens.web.catalog import Entity, find, label_column
from asylumlens.web.errors import bad_params
from asylumlens.web.groups import JudgeGroup
from asylumlens.web.params import ClaimInput
from asylumlens.web.provenance import source_name
from asylumlens.web.queries import Frame, Queries, RatesQuery, Where, where_mapping

TOP_N: Final = 12


@dataclass
class View:
    """One page's data: a primary table plus secondary tables and facts."""

    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    tables: dict[str, Frame] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, frame: Frame, **facts: Any) -> View:
        return cls(frame.columns, list(frame.rows), facts=dict(facts))


def with_labels(rows: Sequence[Mapping[str, Any]], dimension: str) -> list[dict[str, Any]]:
    """Rows plus a ``label`` field (name, else code) for charts and tables."""
    name = label_column(dimension)
    out: list[dict[str, Any]] = []
    for row in rows:
        code = row.get(dimension)
        text = row.get(name)
        shown = str(text).strip() if text not in (None, "") else None
        out.append({**row, "label": shown or (str(code) if code is not None else "(no code)")})
    return out


def top(rows: Sequence[Mapping[str, Any]], n: int = TOP_N) -> list[dict[str, Any]]:
    """The ``n`` rows with the most decisions."""
    return [dict(r) for r in sorted(rows, key=lambda r: -(r.get("total") or 0))[:n]]


def fiscal_years(queries: Queries, definition: str = analytics.DEFAULT_DEFINITION) -> list[int]:
    frame = queries.rates(RatesQuery(definition=definition, by=("fiscal_year",)))
    return sorted(int(y) for y in frame.column("fiscal_year") if y is not None)


def default_periods(
    queries: Queries, release: Release, definition: str = analytics.DEFAULT_DEFINITION
) -> tuple[str, str] | None:
    """(period, baseline) of the headline, from the library's :func:`default_comparison`
    on the app's engine (the process default would open the release a second time: a cold
    connection and none of the app's compiled queries, ~0.2 s on a cold home page)
    (the CLI's ``compare`` prints the same line), or None when the release has too few
    complete fiscal years for one."""
    try:
        return analytics.default_comparison(
            definition, store=queries.store, release=release, engine=queries.engine
        )
    except QueryError:
        return None


def _rates(queries: Queries, q: RatesQuery) -> Frame:
    """Rates, or no rows when nothing matches (a known code may have no decision that a
    definition counts in a period: the page then says so instead of failing)."""
    try:
        return queries.rates(q)
    except QueryError:
        return Frame((), ())


def _judges(
    queries: Queries, court: str, definition: str, since: str | None, until: str | None
) -> Frame:
    try:
        return queries.judges(court, None, definition, since, until)
    except QueryError:
        return Frame((), ())


def home(
    queries: Queries,
    release: Release,
    definition: str,
    period: str | None = None,
    baseline: str | None = None,
) -> View:
    """Headline (compare), the national trend and the largest nationalities.

    ``period``/``baseline`` (validated fiscal-year strings) default to the library's
    headline: the latest complete fiscal year against FY2010 onwards. The facts say which
    were chosen by default, so the page can say "default" beside them.
    """
    trend = queries.rates(RatesQuery(definition=definition, by=("fiscal_year",)))
    nationalities = queries.rates(RatesQuery(definition=definition, by=("nationality",)))
    view = View.of(trend, definition=definition)
    view.tables["trend"] = trend
    view.tables["nationalities"] = Frame(
        nationalities.columns,
        tuple(with_labels(top(nationalities.rows), "nationality")),
    )
    defaults = default_periods(queries, release, definition)
    view.facts.update(
        default_period=defaults[0] if defaults else None,
        default_baseline=defaults[1] if defaults else None,
    )
    try:
        if period is not None and baseline is None:
            period, baseline = analytics.default_comparison(
                definition,
                store=queries.store,
                release=release,
                period=period,
                engine=queries.engine,
            )
        elif period is None or baseline is None:
            if defaults is None:
                raise QueryError(
                    "this release has too few complete fiscal years for a default headline; "
                    "choose a period and a baseline"
                )
            period, baseline = period or defaults[0], baseline or defaults[1]
        view.facts.update(period=period, baseline=baseline)
        frame = queries.compare(period, baseline, definition, ())
    except QueryError as exc:
        view.facts["compare_error"] = str(exc)
        return view
    view.tables["compare"] = frame
    return view


def last_fiscal_years(years: Sequence[int], n: int) -> tuple[str, str] | None:
    """(since, until) for "the last ``n`` fiscal years": the release's latest fiscal year
    with decisions and the ``n - 1`` before it (e.g. FY2022-FY2026 for 5). The page states
    the years, and rows of a year past the release's last complete day say ``partial``."""
    if not years:
        return None
    latest = max(years)
    return f"FY{latest - n + 1}", f"FY{latest}"


def resolve_group(queries: Queries, filters: Sequence[tuple[str, str]]) -> Where:
    """Each (dimension, value) of a judge-page group as the release's code, or a 422 naming
    the field. The library resolves the value (it knows the release's codes): one rates
    query per filter, over every decision of the release, returns the code it matched."""
    resolved: list[tuple[str, tuple[str, ...]]] = []
    for dim, value in filters:
        try:
            frame = queries.rates(
                RatesQuery(definition="eoir", by=(dim,), where=((dim, (value,)),))
            )
        except QueryError as exc:
            raise bad_params(f"{dim}: {exc}") from None
        codes = [r.get(dim) for r in frame.rows if r.get(dim) is not None]
        if len(codes) != 1:
            raise bad_params(f"{dim}={value!r} does not name one {dim}")
        code = codes[0]
        resolved.append((dim, (str(code).lower() if isinstance(code, bool) else str(code),)))
    return tuple(sorted(resolved))


VS_COURT_COLUMNS: Final = (
    "row", "scope", "grants", "denials", "others", "other_relief", "total", "rate", "ci_low",
    "ci_high", "threshold", "below_threshold",
)  # fmt: skip
COUNTS: Final = ("grants", "denials", "others", "other_relief", "total")


def _vs_row(row_id: str, scope: str, counts: Mapping[str, Any], threshold: int) -> dict[str, Any]:
    """One row of the judge-vs-court table from summed counts; the interval is the
    library's Wilson interval, the threshold the library's default for the row's kind."""
    grants, total = int(counts.get("grants") or 0), int(counts.get("total") or 0)
    low, high = wilson_interval(np.array([grants]), np.array([total]))
    return {
        "row": row_id,
        "scope": scope,
        "grants": grants,
        "denials": int(counts.get("denials") or 0),
        "others": int(counts.get("others") or 0),
        "other_relief": int(counts.get("other_relief") or 0),
        "total": total,
        "rate": grants / total if total else None,
        "ci_low": float(low[0]) if total else None,
        "ci_high": float(high[0]) if total else None,
        "threshold": threshold,
        "below_threshold": total < threshold,
    }


def _summed(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {c: sum(int(r.get(c) or 0) for r in rows) for c in COUNTS}


def judge_vs_court(
    queries: Queries,
    judge: Entity,
    court: Entity,
    definition: str,
    since: str | None,
    until: str | None,
    group: Where = (),
) -> Frame:
    """This judge against this court for the same group and period: the judge (all the
    courts they sat in), the judge at this court when they sat in others too, the whole
    court, and the court without this judge. Every row is counted by the library
    (``asylumlens.rates`` with the same definition, unit, group and period); the court
    without the judge is the sum of the court's other rows by judge (decisions with no
    judge code included), so court = judge at the court + court without the judge."""
    own = _rates(
        queries,
        RatesQuery(
            definition=definition,
            by=("judge",),
            where=(("judge", (judge.code,)), *group),
            since=since,
            until=until,
        ),
    )
    by_judge = _rates(
        queries,
        RatesQuery(
            definition=definition,
            by=("judge",),
            where=tuple(sorted((("court", (court.code,)), *group))),
            since=since,
            until=until,
        ),
    )
    judge_min = analytics.default_min_decisions(("judge",))
    court_min = analytics.default_min_decisions(("court",))
    here = [r for r in by_judge.rows if r.get("judge") == judge.code]
    others = [r for r in by_judge.rows if r.get("judge") != judge.code]
    rows = [_vs_row("judge", f"Judge {judge.title}, all courts", _summed(own.rows), judge_min)]
    if _summed(here)["total"] != rows[0]["total"]:
        rows.append(
            _vs_row("judge_at_court", f"Judge {judge.title} at {court.title}", _summed(here),
                    judge_min)
        )  # fmt: skip
    rows.append(_vs_row("court", f"{court.title}, all judges", _summed(by_judge.rows), court_min))
    rows.append(
        _vs_row("court_without_judge", f"{court.title} without this judge", _summed(others),
                court_min)
    )  # fmt: skip
    return Frame(VS_COURT_COLUMNS, tuple(rows))


def main_courts(
    queries: Queries,
    judge: Entity,
    definition: str,
    since: str | None,
    until: str | None,
    group: Where = (),
) -> Frame:
    """The courts the judge sat in, main court first: the library's
    :func:`~asylumlens.analytics.judge_courts` (``attrs["basis"]``: ``group`` or ``all``)."""
    df = analytics.judge_courts(
        judge.code,
        definition=definition,
        where=where_mapping(group),
        since=since,
        until=until,
        store=queries.store,
        release=queries.release,
        engine=queries.engine,
    )
    return Frame.from_pandas(df)


def judge_for_group(queries: Queries, code: str, definition: str, group: JudgeGroup) -> View:
    """The judge page for a group as given in its URL (the page and its JSON twin share
    this): ``last=N`` resolved to fiscal years, group values resolved to codes."""
    since, until = group.since, group.until
    if group.last is not None:
        since, until = last_fiscal_years(fiscal_years(queries), group.last) or (None, None)
    where = resolve_group(queries, group.filters())
    view = judge(queries, code, definition, since, until, where)
    view.facts["period"] = {"since": since, "until": until, "last": group.last}
    # whether the definition counts "other relief" apart (only then has the table its column)
    view.facts["other_relief"] = analytics.get_definition(definition).other_relief
    return view


def judge(
    queries: Queries,
    code: str,
    definition: str,
    since: str | None,
    until: str | None,
    group: Where = (),
) -> View:
    """A judge by fiscal year against their court and the nation, for one group (``group``:
    nationality, custody, representation) and period: the judge-vs-court table, the
    shrunken estimate (when the judge model can take the group) and the caseload mix."""
    entity = find(queries, "judges", code)
    mine: Where = tuple(sorted((("judge", (entity.code,)), *group)))

    def within(where: Where, by: tuple[str, ...], **kw: Any) -> Frame:
        return _rates(
            queries,
            RatesQuery(definition=definition, by=by, where=where, since=since, until=until, **kw),
        )

    by_year = within(mine, ("fiscal_year",), min_decisions=analytics.YEARLY_CELL_MIN)
    view = View.of(by_year, judge=entity, definition=definition)
    view.facts["group"] = {dim: codes[0] for dim, codes in group}
    courts = main_courts(queries, entity, definition, since, until, group)
    view.facts["court_basis"] = courts.attrs["basis"]
    sat_in = list(courts.rows)
    view.facts["courts"] = sat_in
    court: Entity | None = None
    if sat_in:
        court = find(queries, "courts", str(sat_in[0]["court"]))
        view.facts["court"] = court
        in_court: Where = tuple(sorted((("court", (court.code,)), *group)))
        view.tables["court_trend"] = within(in_court, ("fiscal_year",))
        view.tables["vs_court"] = judge_vs_court(
            queries, entity, court, definition, since, until, group
        )
        view.facts.update(_estimate(queries, entity, court, definition, since, until, group))
    view.tables["national_trend"] = within(group, ("fiscal_year",))
    total = sum(int(r.get("total") or 0) for r in by_year.rows)
    view.facts.update(
        total=total,
        report_min=analytics.JUDGE_PERIOD_MIN,
        year_min=analytics.YEARLY_CELL_MIN,
        below_report_min=total < analytics.JUDGE_PERIOD_MIN,
    )
    for dim in ("nationality", "custody", "represented"):
        mix = within(mine, (dim,))
        view.tables[f"mix_{dim}"] = Frame(mix.columns, tuple(with_labels(top(mix.rows), dim)))
    return view


def _estimate(
    queries: Queries,
    judge: Entity,
    court: Entity,
    definition: str,
    since: str | None,
    until: str | None,
    group: Where,
) -> dict[str, Any]:
    """The judge's shrunken estimate among the court's judges (``asylumlens.judges``), which
    takes a nationality but no custody or representation group."""
    groups = dict(group)
    if set(groups) - {"nationality"}:
        return {
            "estimate_error": "the judge model compares a court's judges over all decisions "
            "or one nationality; it takes no custody or representation group"
        }
    nationality = groups["nationality"][0] if "nationality" in groups else None
    try:
        spread = queries.judges(court.code, nationality, definition, since, until)
    except QueryError as exc:
        return {"estimate_error": str(exc)}
    mine = [r for r in spread.rows if str(r.get("judge")) == judge.code]
    return {"estimate": mine[0] if mine else None, "spread": spread.attrs.get("spread")}


def court(
    queries: Queries, code: str, definition: str, since: str | None, until: str | None
) -> View:
    """The spread of a court's judges (the "roulette") and the court's trend."""
    entity = find(queries, "courts", code)
    spread = _judges(queries, entity.code, definition, since, until)
    view = View(
        spread.columns,
        with_labels(spread.rows, "judge"),
        facts={
            "court": entity,
            "definition": definition,
            "spread": spread.attrs.get("spread"),
            "prior": spread.attrs.get("prior"),
            "model_note": spread.attrs.get("note"),
            "not_judges": spread.attrs.get("not_judges"),
        },
    )
    where: Where = (("court", (entity.code,)),)
    view.tables["trend"] = _rates(
        queries,
        RatesQuery(
            definition=definition, by=("fiscal_year",), where=where, since=since, until=until
        ),
    )
    overall = _rates(
        queries,
        RatesQuery(definition=definition, by=("court",), where=where, since=since, until=until),
    )
    view.facts["overall"] = overall.rows[0] if overall.rows else None
    return view


def nationality(
    queries: Queries, code: str, definition: str, since: str | None, until: str | None
) -> View:
    """A nationality's trend, its courts, and its rates with and without representation."""
    entity = find(queries, "nationalities", code)
    where: Where = (("nationality", (entity.code,)),)
    trend = _rates(
        queries,
        RatesQuery(
            definition=definition, by=("fiscal_year",), where=where, since=since, until=until
        ),
    )
    view = View.of(trend, nationality=entity, definition=definition)
    courts = _rates(
        queries,
        RatesQuery(definition=definition, by=("court",), where=where, since=since, until=until),
    )
    view.tables["courts"] = Frame(courts.columns, tuple(with_labels(top(courts.rows), "court")))
    represented = _rates(
        queries,
        RatesQuery(
            definition=definition, by=("represented",), where=where, since=since, until=until
        ),
    )
    view.tables["represented"] = Frame(
        represented.columns, tuple(with_labels(represented.rows, "represented"))
    )
    view.tables["represented_trend"] = _rates(
        queries,
        RatesQuery(
            definition=definition,
            by=("fiscal_year", "represented"),
            where=where,
            since=since,
            until=until,
        ),
    )
    return view


QUALITY_COLUMNS: Final = (
    "table",
    "lines",
    "loaded",
    "repaired",
    "quarantined",
    "reasons",
    "repairs",
    "count_txt",
    "count_matches",
)


def release_quality(release: Release) -> View:
    """Per-table counts (:func:`asylumlens.quality.table_quality`): lines read, loaded,
    repaired, quarantined, why; tables by name."""
    rows: list[dict[str, Any]] = []
    reasons: dict[str, dict[str, int]] = {}
    for t in sorted(table_quality(release), key=lambda t: t.table):
        reasons[t.table] = dict(t.reasons)
        rows.append(
            {
                "table": t.table,
                "lines": t.lines,
                "loaded": t.loaded,
                "repaired": t.repaired,
                "quarantined": t.quarantined,
                "reasons": "; ".join(f"{k}: {v}" for k, v in sorted(t.reasons.items())),
                "repairs": "; ".join(f"{k}: {v}" for k, v in sorted(t.repairs.items())),
                "count_txt": t.count_txt,
                "count_matches": t.count_matches,
            }
        )
    totals = {
        key: sum(int(r[key] or 0) for r in rows)
        for key in ("lines", "loaded", "repaired", "quarantined")
    }
    extra = {k: v for k, v in release.manifest.items() if k not in ("tables", "release")}
    return View(
        QUALITY_COLUMNS,
        rows,
        facts={
            "reasons": reasons,
            "totals": totals,
            "manifest_release": {**release.info, "source": source_name(release.info.get("source"))},
            "other": extra,
        },
    )


DEFINITION_COLUMNS: Final = (
    "name", "title", "summary", "grant_codes", "denial_codes", "other_codes", "case_types",
    "initial_only", "other_relief",
)  # fmt: skip


def definitions() -> View:
    """The named grant-rate definitions as data: the Methodology page's table."""
    rows: list[dict[str, Any]] = []
    for name, d in analytics.DEFINITIONS.items():
        rows.append({
            "name": name,
            "title": d.title,
            "summary": d.summary,
            "grant_codes": ",".join(d.grant_codes),
            "denial_codes": ",".join(d.denial_codes),
            "other_codes": ",".join(d.other_codes),
            "case_types": ",".join(d.case_types) if d.case_types is not None else "",
            "initial_only": d.initial_only,
            "other_relief": d.other_relief,
        })  # fmt: skip
    return View(DEFINITION_COLUMNS, rows)


CLAIM_FACTS: Final = (
    "understood", "verdict", "matched", "readings", "claim", "tolerance", "where",
    "definitions", "excluded_definitions", "grant_sets", "queries", "synthetic", "release",
)  # fmt: skip
"""The check's ``df.attrs`` a page and its JSON twin show beside the readings."""


def claim(queries: Queries, q: ClaimInput) -> View:
    """The claim check (:func:`asylumlens.analytics.check_claim`): every reading, closest
    first (``rows``, what the CSV twin holds), and what was understood, the tolerance and
    the verdict (``facts``). A claim the library cannot read raises its QueryError, whose
    one line names the field (and, for a sentence, lists the accepted shapes); the memo
    keeps one sweep per claim, so the page and its twins cost one."""

    def compute() -> Frame:
        df = analytics.check_claim(
            q.sentence,
            rate=q.rate,
            period=q.period,
            baseline_rate=q.baseline_rate,
            baseline=q.baseline,
            where=where_mapping(q.where),
            tolerance=q.tolerance,
            store=queries.store,
            release=queries.release,
            engine=queries.engine,
        )
        return Frame.from_pandas(df)

    frame = queries.memo.get(("claim", q), compute)
    facts: dict[str, Any] = {k: frame.attrs[k] for k in CLAIM_FACTS if k in frame.attrs}
    return View(frame.columns, list(frame.rows), facts=facts)
