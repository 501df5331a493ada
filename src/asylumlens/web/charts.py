"""Vega-Lite specs for the dashboard, built with Altair so chart logic stays in Python.

Each function takes JSON-ready rows (as the API returns them) and returns a Vega-Lite dict
that ``static/charts.js`` hands to the vendored ``vegaEmbed``. Specs embed their data, so
the "view source" of a chart is the same numbers as the table printed under it. Rates are
drawn with their 95% Wilson intervals; rows below the decision threshold are drawn faded,
and a synthetic release puts "SYNTHETIC DATA" into the chart title itself, so an exported
PNG carries the label too.

Altair (and the JSON-schema machinery under it, some 25 MiB resident) is imported by the
first chart drawn, not with the server: a process serving only the case workspace, or an
upload, never loads it (``bench/exhibits.py`` measures an upload's peak RSS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import altair as alt

FADED = 0.35
SYNTHETIC_NOTE = "SYNTHETIC DATA – not EOIR figures"


def _rate_axis() -> alt.Axis:
    import altair as alt  # deferred: see the module docstring

    return alt.Axis(format="%", title="grant rate")


def _title(text: str, synthetic: bool, subtitle: str | None = None) -> alt.TitleParams:
    import altair as alt  # deferred: see the module docstring

    lines = [SYNTHETIC_NOTE] if synthetic else []
    if subtitle:
        lines.append(subtitle)
    return alt.TitleParams(
        text=text,
        subtitle=lines if lines else alt.Undefined,
        subtitleColor="#b00020" if synthetic else "#555",
        anchor="start",
    )


def _finish(chart: alt.TopLevelMixin, height: int) -> dict[str, Any]:
    # Validation against the Vega-Lite schema costs ~0.2 s a chart; the tests validate every
    # spec the pages emit instead (test_web_api.py::test_chart_specs_are_valid_vega_lite).
    spec: dict[str, Any] = chart.properties(width="container", height=height).to_dict(
        validate=False
    )
    spec.setdefault("config", {})
    spec["config"]["view"] = {"stroke": None}
    spec["usermeta"] = {"embedOptions": {"renderer": "svg"}}
    return spec


def _values(rows: Sequence[Mapping[str, Any]]) -> alt.InlineData:
    """Inline data (no pandas round trip, no max-rows check: the rows are already bounded)."""
    import altair as alt  # deferred: see the module docstring

    return alt.InlineData(values=[dict(r) for r in rows])


def _tooltip(label_field: str, label_title: str) -> list[alt.Tooltip]:
    import altair as alt  # deferred: see the module docstring

    return [
        alt.Tooltip(f"{label_field}:N", title=label_title),
        alt.Tooltip("rate:Q", format=".1%", title="rate"),
        alt.Tooltip("ci_low:Q", format=".1%", title="95% low"),
        alt.Tooltip("ci_high:Q", format=".1%", title="95% high"),
        alt.Tooltip("grants:Q", title="grants"),
        alt.Tooltip("total:Q", title="decisions"),
    ]


def _points(
    base: alt.Chart,
    test: str,
    size: int,
    x: Any,
    color: Any,
    tips: list[alt.Tooltip],
    *,
    filled: bool = False,
    opacity: Any = None,
) -> alt.Chart:
    """The ``rate`` points of the rows passing ``test`` (a Vega expression): filled for the
    rows that count, hollow rings (a 1.5 px stroke) for the others, so the two read apart
    without relying on colour. No ``opacity``: Altair's default."""
    import altair as alt  # deferred: see the module docstring

    if opacity is None:
        opacity = alt.Undefined
    mark = base.transform_filter(test)
    mark = (
        mark.mark_point(filled=True, size=size)
        if filled
        else mark.mark_point(filled=False, size=size, strokeWidth=1.5)
    )
    points: alt.Chart = mark.encode(x=x, y="rate:Q", color=color, opacity=opacity, tooltip=tips)
    return points


def trend_chart(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    synthetic: bool,
    x: str = "fiscal_year",
    x_title: str = "fiscal year",
    series: str | None = None,
    subtitle: str | None = None,
) -> dict[str, Any]:
    """Rate by year with interval bars; one coloured line per ``series`` value if given.

    A year below the decision threshold (``below_threshold``, e.g. 1 decision: 0% or 100%)
    is drawn as a hollow, faded point with no line through it, so the line never swings on
    a handful of decisions; the table beside the chart flags the same years.
    """
    import altair as alt  # deferred: see the module docstring

    data = [{**r, "line_rate": None if r.get("below_threshold") else r.get("rate")} for r in rows]
    base = alt.Chart(_values(data))
    x_enc = alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelOverlap="greedy", labelAngle=-45))
    color: Any = (
        alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom", columns=1))
        if series
        else alt.value("#1f5fa8")
    )
    opacity = alt.condition("datum.below_threshold", alt.value(FADED), alt.value(1.0))
    tips = _tooltip(series or x, series or x_title)
    line = base.mark_line(point=False, invalid="break-paths-show-domains").encode(
        x=x_enc, y=alt.Y("line_rate:Q", axis=_rate_axis()), color=color
    )
    bars = base.mark_rule().encode(
        x=x_enc, y="ci_low:Q", y2="ci_high:Q", color=color, opacity=opacity
    )
    solid = _points(base, "!datum.below_threshold", 45, x_enc, color, tips, filled=True)
    thin = _points(base, "datum.below_threshold", 45, x_enc, color, tips, opacity=alt.value(0.7))
    layered = alt.layer(line, bars, solid, thin).properties(
        title=_title(title, synthetic, subtitle)
    )
    return _finish(layered, 260)


def bar_chart(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    synthetic: bool,
    label: str = "label",
    label_title: str = "",
    subtitle: str | None = None,
) -> dict[str, Any]:
    """Horizontal bars, highest rate first, with interval whiskers."""
    import altair as alt  # deferred: see the module docstring

    base = alt.Chart(_values(rows))
    y_enc = alt.Y(f"{label}:N", sort="-x", title=label_title or None, axis=alt.Axis(labelLimit=280))
    opacity = alt.condition("datum.below_threshold", alt.value(FADED), alt.value(1.0))
    bars = base.mark_bar(color="#7aa6d6").encode(
        x=alt.X("rate:Q", axis=_rate_axis(), scale=alt.Scale(domain=[0, 1])),
        y=y_enc,
        opacity=opacity,
        tooltip=_tooltip(label, label_title or label),
    )
    whiskers = base.mark_rule(color="#1b1b1b").encode(x="ci_low:Q", x2="ci_high:Q", y=y_enc)
    layered = alt.layer(bars, whiskers).properties(title=_title(title, synthetic, subtitle))
    return _finish(layered, max(120, 22 * len(rows)))


def share_chart(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    synthetic: bool,
    label: str = "label",
    label_title: str = "",
    subtitle: str | None = None,
) -> dict[str, Any]:
    """What share of decisions each group makes up (the caseload mix), largest first."""
    import altair as alt  # deferred: see the module docstring

    total = sum(int(r.get("total") or 0) for r in rows) or 1
    data = [{**r, "share": int(r.get("total") or 0) / total} for r in rows]
    base = alt.Chart(_values(data))
    y_enc = alt.Y(f"{label}:N", sort="-x", title=label_title or None, axis=alt.Axis(labelLimit=200))
    bars = base.mark_bar(color="#8c6bb1").encode(
        x=alt.X("share:Q", axis=alt.Axis(format="%", title="share of decisions")),
        y=y_enc,
        tooltip=[
            alt.Tooltip(f"{label}:N", title=label_title or label),
            alt.Tooltip("share:Q", format=".1%", title="share"),
            alt.Tooltip("total:Q", title="decisions"),
            alt.Tooltip("rate:Q", format=".1%", title="grant rate"),
        ],
    )
    chart = bars.properties(title=_title(title, synthetic, subtitle))
    return _finish(chart, max(100, 22 * len(rows)))


def roulette_chart(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    synthetic: bool,
    estimate: str,
    low: str,
    high: str,
    raw: str = "rate",
    court_rate: float | None = None,
    subtitle: str | None = None,
) -> dict[str, Any]:
    """The spread of a court's judges: raw rate (hollow), shrunken estimate and its interval."""
    import altair as alt  # deferred: see the module docstring

    base = alt.Chart(_values(rows))
    y_enc = alt.Y(
        "label:N", sort=alt.EncodingSortField(field=estimate, order="descending"), title=None
    )
    tips = [
        alt.Tooltip("label:N", title="judge"),
        alt.Tooltip(f"{raw}:Q", format=".1%", title="raw rate"),
        alt.Tooltip(f"{estimate}:Q", format=".1%", title="shrunken estimate"),
        alt.Tooltip(f"{low}:Q", format=".1%", title="95% low"),
        alt.Tooltip(f"{high}:Q", format=".1%", title="95% high"),
        alt.Tooltip("total:Q", title="decisions"),
    ]
    x_scale = alt.Scale(domain=[0, 1])
    interval = base.mark_rule(color="#888").encode(
        x=alt.X(f"{low}:Q", axis=_rate_axis(), scale=x_scale), x2=f"{high}:Q", y=y_enc
    )
    raw_pts = base.mark_point(color="#b35806", size=40).encode(x=f"{raw}:Q", y=y_enc, tooltip=tips)
    est_pts = base.mark_point(filled=True, color="#1f5fa8", size=60).encode(
        x=f"{estimate}:Q", y=y_enc, tooltip=tips
    )
    layers: list[Any] = [interval, raw_pts, est_pts]
    if court_rate is not None:
        court = (
            alt.Chart(_values([{"court_rate": court_rate}]))
            .mark_rule(color="#b00020", strokeDash=[4, 3])
            .encode(x="court_rate:Q")
        )
        layers.append(court)
    layered = alt.layer(*layers).properties(title=_title(title, synthetic, subtitle))
    return _finish(layered, max(140, 20 * len(rows)))


def compare_chart(
    rows: Sequence[Mapping[str, Any]], *, title: str, synthetic: bool, subtitle: str | None = None
) -> dict[str, Any]:
    """A period's rate against a baseline: two bars with intervals, labelled by period."""
    return bar_chart(rows, title=title, synthetic=synthetic, label="label", subtitle=subtitle)


def reading_label(row: Mapping[str, Any]) -> str:
    """One claim reading in words: definition, unit, year basis, grant set, aggregation."""
    parts = [row.get(k) for k in ("definition", "unit", "year_basis", "grant_set", "aggregation")]
    return ", ".join(str(p) for p in parts if p not in (None, ""))


def _claim_points(
    rows: Sequence[Mapping[str, Any]], figures: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """One point per reading and figure (``prefix``, legend name), ranked as given."""
    points: list[dict[str, Any]] = []
    for rank, row in enumerate(rows, start=1):
        for prefix, name in figures:
            if f"{prefix}_rate" not in row:
                continue
            points.append(
                {
                    "rank": rank,
                    "reading": reading_label(row),
                    "figure": name,
                    "label": row.get(f"{prefix}_label"),
                    "rate": row.get(f"{prefix}_rate"),
                    "ci_low": row.get(f"{prefix}_ci_low"),
                    "ci_high": row.get(f"{prefix}_ci_high"),
                    "grants": row.get(f"{prefix}_grants"),
                    "decisions": row.get(f"{prefix}_decisions"),
                    "diff_points": row.get(f"{prefix}_diff_points"),
                    "matches": bool(row.get("matches")),
                }
            )
    return points


def claim_chart(
    rows: Sequence[Mapping[str, Any]],
    *,
    claimed: Sequence[tuple[str, str, float, str]],
    title: str,
    synthetic: bool,
    subtitle: str | None = None,
) -> dict[str, Any]:
    """A claim's readings against its claimed values: each reading's period (and baseline)
    rate with its 95% interval, closest reading first along x, and a dashed rule at each
    claimed value in its figure's colour. ``claimed`` is (row prefix, legend name, claimed
    rate as a fraction, its label): ``("period", "period rate", 0.10, "claimed 10%")``.
    Readings that reproduce the claim are filled; the others hollow."""
    import altair as alt  # deferred: see the module docstring

    points = _claim_points(rows, [(prefix, name) for prefix, name, _, _ in claimed])
    names = [name for _, name, _, _ in claimed]
    color = alt.Color(
        "figure:N",
        title=None,
        scale=alt.Scale(domain=names, range=["#1f5fa8", "#b35806"][: len(names)]),
        legend=alt.Legend(orient="bottom", columns=1, labelLimit=360),
    )
    x_enc = alt.X(
        "rank:Q",
        title="reading, closest to the claim first",
        scale=alt.Scale(domain=[0, len(rows) + 1], nice=False),
        axis=alt.Axis(format="d", tickMinStep=1),
    )
    tips = [
        alt.Tooltip("rank:Q", title="rank"),
        alt.Tooltip("reading:N", title="reading"),
        alt.Tooltip("label:N", title="period"),
        alt.Tooltip("rate:Q", format=".1%", title="rate"),
        alt.Tooltip("ci_low:Q", format=".1%", title="95% low"),
        alt.Tooltip("ci_high:Q", format=".1%", title="95% high"),
        alt.Tooltip("grants:Q", title="grants"),
        alt.Tooltip("decisions:Q", title="decisions"),
        alt.Tooltip("diff_points:Q", format="+.1f", title="points from the claim"),
    ]
    base = alt.Chart(_values(points))
    intervals = base.mark_rule(opacity=0.6).encode(
        x=x_enc, y=alt.Y("ci_low:Q", axis=_rate_axis()), y2="ci_high:Q", color=color
    )
    matched = _points(base, "datum.matches", 60, x_enc, color, tips, filled=True)
    other = _points(base, "!datum.matches", 40, x_enc, color, tips)
    claims = alt.Chart(
        _values(
            [{"figure": name, "claimed": value, "text": text} for _, name, value, text in claimed]
        )
    )
    rules = claims.mark_rule(strokeDash=[6, 4], strokeWidth=1.5).encode(y="claimed:Q", color=color)
    labels = claims.mark_text(align="left", dx=4, dy=-7).encode(
        x=alt.value(0), y="claimed:Q", text="text:N", color=color
    )
    layered = alt.layer(intervals, rules, labels, other, matched).properties(
        title=_title(title, synthetic, subtitle)
    )
    return _finish(layered, 300)
