"""Vega-Lite specs for the dashboard, written as the plain dicts Vega-Lite reads.

Each function takes JSON-ready rows (as the API returns them) and returns a Vega-Lite dict
that ``static/charts.js`` hands to the vendored ``vegaEmbed``. Specs embed their data (in
``datasets``, by name), so the "view source" of a chart is the same numbers as the table
printed under it. Rates are drawn with their 95% Wilson intervals; rows below the decision
threshold are drawn faded, and a synthetic release puts "SYNTHETIC DATA" into the chart
title itself, so an exported PNG carries the label too.

Why not Altair (which built these specs until 2026-12): on a cold page at full scale its
object model and schema machinery took 30-40% of the page's time and 25 MiB of every
server's memory, to produce a few nested dicts. The specs here are the ones Altair 6.3 made
for the same inputs, key for key (checked when the builders were rewritten), and every spec
the pages emit is still validated against Vega-Lite's JSON schema by the tests
(test_web_api.py::test_chart_specs_are_valid_vega_lite) and drawn by the browser suite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

FADED = 0.35
SYNTHETIC_NOTE = "SYNTHETIC DATA – not EOIR figures"
SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
_TYPES: Final = {"Q": "quantitative", "N": "nominal", "O": "ordinal"}

Spec = dict[str, Any]


def _field(shorthand: str, **extra: Any) -> Spec:
    """``"rate:Q"`` as an encoding: ``{"field": "rate", "type": "quantitative"}``; a bare
    ``"ci_high"`` (a secondary channel such as ``x2``) has no type."""
    name, _, kind = shorthand.partition(":")
    out: Spec = {"field": name}
    if kind:
        out["type"] = _TYPES[kind]
    return {**out, **extra}


def _rate_axis() -> Spec:
    return {"format": "%", "title": "grant rate"}


def _faded() -> Spec:
    return {"condition": {"test": "datum.below_threshold", "value": FADED}, "value": 1.0}


def _title(text: str, synthetic: bool, subtitle: str | None = None) -> Spec:
    lines = [SYNTHETIC_NOTE] if synthetic else []
    if subtitle:
        lines.append(subtitle)
    title: Spec = {"text": text, "anchor": "start"}
    if lines:
        title["subtitle"] = lines
    title["subtitleColor"] = "#b00020" if synthetic else "#555"
    return title


class _Data:
    """A chart's named datasets, in the order its layers first use them."""

    def __init__(self) -> None:
        self.sets: dict[str, list[dict[str, Any]]] = {}

    def add(self, rows: Sequence[Mapping[str, Any]]) -> str:
        name = f"data-{len(self.sets)}"
        self.sets[name] = [dict(r) for r in rows]
        return name


def _layered(data: _Data, layers: Sequence[tuple[str, Spec]], *, title: Spec, height: int) -> Spec:
    """A layer chart of ``(dataset name, layer)`` pairs: the data goes on top when every
    layer shares one dataset, else on each layer."""
    shared = {name for name, _ in layers}
    spec: Spec = {"$schema": SCHEMA}
    if len(shared) == 1:
        spec["data"] = {"name": next(iter(shared))}
        spec["layer"] = [layer for _, layer in layers]
    else:
        spec["layer"] = [{"data": {"name": name}, **layer} for name, layer in layers]
    return _finish(spec, data, title=title, height=height)


def _finish(spec: Spec, data: _Data, *, title: Spec, height: int) -> Spec:
    spec.update(
        {
            "title": title,
            "width": "container",
            "height": height,
            "datasets": data.sets,
            "config": {"view": {"stroke": None}},
            "usermeta": {"embedOptions": {"renderer": "svg"}},
        }
    )
    return spec


def _tooltip(label_field: str, label_title: str) -> list[Spec]:
    return [
        _field(f"{label_field}:N", title=label_title),
        _field("rate:Q", format=".1%", title="rate"),
        _field("ci_low:Q", format=".1%", title="95% low"),
        _field("ci_high:Q", format=".1%", title="95% high"),
        _field("grants:Q", title="grants"),
        _field("total:Q", title="decisions"),
    ]


def _points(
    test: str,
    size: int,
    x: Spec,
    color: Spec,
    tips: list[Spec],
    *,
    filled: bool = False,
    opacity: Spec | None = None,
) -> Spec:
    """The ``rate`` points of the rows passing ``test`` (a Vega expression): filled for the
    rows that count, hollow rings (a 1.5 px stroke) for the others, so the two read apart
    without relying on colour."""
    mark: Spec = {"type": "point", "filled": filled, "size": size}
    if not filled:
        mark["strokeWidth"] = 1.5
    encoding: Spec = {"x": x, "y": _field("rate:Q"), "color": color, "tooltip": tips}
    if opacity is not None:
        encoding["opacity"] = opacity
    return {"mark": mark, "encoding": encoding, "transform": [{"filter": test}]}


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
    data = _Data()
    base = data.add(
        [{**r, "line_rate": None if r.get("below_threshold") else r.get("rate")} for r in rows]
    )
    x_enc = _field(f"{x}:O", title=x_title, axis={"labelOverlap": "greedy", "labelAngle": -45})
    color: Spec = (
        _field(f"{series}:N", title=None, legend={"orient": "bottom", "columns": 1})
        if series
        else {"value": "#1f5fa8"}
    )
    tips = _tooltip(series or x, series or x_title)
    line = {
        "mark": {"type": "line", "point": False, "invalid": "break-paths-show-domains"},
        "encoding": {"x": x_enc, "y": _field("line_rate:Q", axis=_rate_axis()), "color": color},
    }
    bars = {
        "mark": {"type": "rule"},
        "encoding": {
            "x": x_enc,
            "y": _field("ci_low:Q"),
            "y2": _field("ci_high"),
            "color": color,
            "opacity": _faded(),
        },
    }
    solid = _points("!datum.below_threshold", 45, x_enc, color, tips, filled=True)
    thin = _points("datum.below_threshold", 45, x_enc, color, tips, opacity={"value": 0.7})
    layers = [(base, line), (base, bars), (base, solid), (base, thin)]
    return _layered(data, layers, title=_title(title, synthetic, subtitle), height=260)


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
    data = _Data()
    base = data.add(rows)
    y_enc = _field(f"{label}:N", sort="-x", title=label_title or None, axis={"labelLimit": 280})
    bars = {
        "mark": {"type": "bar", "color": "#7aa6d6"},
        "encoding": {
            "x": _field("rate:Q", axis=_rate_axis(), scale={"domain": [0, 1]}),
            "y": y_enc,
            "opacity": _faded(),
            "tooltip": _tooltip(label, label_title or label),
        },
    }
    whiskers = {
        "mark": {"type": "rule", "color": "#1b1b1b"},
        "encoding": {"x": _field("ci_low:Q"), "x2": _field("ci_high"), "y": y_enc},
    }
    return _layered(
        data,
        [(base, bars), (base, whiskers)],
        title=_title(title, synthetic, subtitle),
        height=max(120, 22 * len(rows)),
    )


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
    total = sum(int(r.get("total") or 0) for r in rows) or 1
    data = _Data()
    base = data.add([{**r, "share": int(r.get("total") or 0) / total} for r in rows])
    spec: Spec = {
        "$schema": SCHEMA,
        "data": {"name": base},
        "mark": {"type": "bar", "color": "#8c6bb1"},
        "encoding": {
            "x": _field("share:Q", axis={"format": "%", "title": "share of decisions"}),
            "y": _field(
                f"{label}:N", sort="-x", title=label_title or None, axis={"labelLimit": 200}
            ),
            "tooltip": [
                _field(f"{label}:N", title=label_title or label),
                _field("share:Q", format=".1%", title="share"),
                _field("total:Q", title="decisions"),
                _field("rate:Q", format=".1%", title="grant rate"),
            ],
        },
    }
    return _finish(
        spec, data, title=_title(title, synthetic, subtitle), height=max(100, 22 * len(rows))
    )


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
    data = _Data()
    base = data.add(rows)
    y_enc = _field("label:N", sort={"field": estimate, "order": "descending"}, title=None)
    tips = [
        _field("label:N", title="judge"),
        _field(f"{raw}:Q", format=".1%", title="raw rate"),
        _field(f"{estimate}:Q", format=".1%", title="shrunken estimate"),
        _field(f"{low}:Q", format=".1%", title="95% low"),
        _field(f"{high}:Q", format=".1%", title="95% high"),
        _field("total:Q", title="decisions"),
    ]
    interval = {
        "mark": {"type": "rule", "color": "#888"},
        "encoding": {
            "x": _field(f"{low}:Q", axis=_rate_axis(), scale={"domain": [0, 1]}),
            "x2": _field(high),
            "y": y_enc,
        },
    }
    raw_pts = {
        "mark": {"type": "point", "color": "#b35806", "size": 40},
        "encoding": {"x": _field(f"{raw}:Q"), "y": y_enc, "tooltip": tips},
    }
    est_pts = {
        "mark": {"type": "point", "filled": True, "color": "#1f5fa8", "size": 60},
        "encoding": {"x": _field(f"{estimate}:Q"), "y": y_enc, "tooltip": tips},
    }
    layers: list[tuple[str, Spec]] = [(base, interval), (base, raw_pts), (base, est_pts)]
    if court_rate is not None:
        court = {
            "mark": {"type": "rule", "color": "#b00020", "strokeDash": [4, 3]},
            "encoding": {"x": _field("court_rate:Q")},
        }
        layers.append((data.add([{"court_rate": court_rate}]), court))
    return _layered(
        data, layers, title=_title(title, synthetic, subtitle), height=max(140, 20 * len(rows))
    )


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
    names = [name for _, name, _, _ in claimed]
    data = _Data()
    base = data.add(_claim_points(rows, [(prefix, name) for prefix, name, _, _ in claimed]))
    claims = data.add(
        [{"figure": name, "claimed": value, "text": text} for _, name, value, text in claimed]
    )
    color = _field(
        "figure:N",
        title=None,
        scale={"domain": names, "range": ["#1f5fa8", "#b35806"][: len(names)]},
        legend={"orient": "bottom", "columns": 1, "labelLimit": 360},
    )
    x_enc = _field(
        "rank:Q",
        title="reading, closest to the claim first",
        scale={"domain": [0, len(rows) + 1], "nice": False},
        axis={"format": "d", "tickMinStep": 1},
    )
    tips = [
        _field("rank:Q", title="rank"),
        _field("reading:N", title="reading"),
        _field("label:N", title="period"),
        _field("rate:Q", format=".1%", title="rate"),
        _field("ci_low:Q", format=".1%", title="95% low"),
        _field("ci_high:Q", format=".1%", title="95% high"),
        _field("grants:Q", title="grants"),
        _field("decisions:Q", title="decisions"),
        _field("diff_points:Q", format="+.1f", title="points from the claim"),
    ]
    intervals = {
        "mark": {"type": "rule", "opacity": 0.6},
        "encoding": {
            "x": x_enc,
            "y": _field("ci_low:Q", axis=_rate_axis()),
            "y2": _field("ci_high"),
            "color": color,
        },
    }
    rules = {
        "mark": {"type": "rule", "strokeDash": [6, 4], "strokeWidth": 1.5},
        "encoding": {"y": _field("claimed:Q"), "color": color},
    }
    labels = {
        "mark": {"type": "text", "align": "left", "dx": 4, "dy": -7},
        "encoding": {
            "x": {"value": 0},
            "y": _field("claimed:Q"),
            "text": _field("text:N"),
            "color": color,
        },
    }
    matched = _points("datum.matches", 60, x_enc, color, tips, filled=True)
    other = _points("!datum.matches", 40, x_enc, color, tips)
    layers = [(base, intervals), (claims, rules), (claims, labels), (base, other), (base, matched)]
    return _layered(data, layers, title=_title(title, synthetic, subtitle), height=300)
