"""How good the outcome model is on later cases, beside the estimates it must beat.

Every score is on the held-out fiscal years (:mod:`asylumlens.model.split`), for the model
and four baselines learned from the same training window:

* ``majority``: the training window's grant share for everyone (AUC 0.5 by construction;
  its accuracy is "always deny" when denials are the majority);
* ``judge``: the judge's training-window grant rate, shrunk toward the overall rate with
  :data:`PRIOR_WEIGHT` pseudo-decisions, (k + m p0) / (n + m), so a judge with a small
  docket is not scored as 0% or 100%; a judge not seen in training gets the overall rate;
* ``nationality``: the same by nationality;
* ``judge_nationality``: the judge x nationality cell's rate shrunk toward the judge's
  (shrunk) rate: the Dunn et al. (2017) setup of judge identity and nationality alone.

Scores: accuracy at 0.5, ROC AUC, Brier score and log loss (scikit-learn), and the
expected calibration error over :data:`ECE_BINS` equal-width probability bins
(sum over bins of |mean predicted - observed grant share| x the bin's share of rows;
empty bins count nothing; a probability of exactly 1 falls in the last bin). Each is also
broken down by custody and by representation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from asylumlens.analytics.source import Engine, ReleaseArg, StoreArg, resolve_release
from asylumlens.model.artifacts import Matrix, TrainedModel, encode, load
from asylumlens.model.features import feature_frame, load_decisions, target
from asylumlens.model.split import Split, time_split
from asylumlens.store import Store

ECE_BINS: Final = 10
PRIOR_WEIGHT: Final = 20.0
BASELINES: Final = ("majority", "judge", "nationality", "judge_nationality")
BREAKDOWNS: Final = ("custody", "represented")
_EPS: Final = 1e-6

Labels = np.ndarray[Any, np.dtype[np.int8]]


def expected_calibration_error(y: Labels, p: Matrix, bins: int = ECE_BINS) -> float:
    """ECE over ``bins`` equal-width bins (module docstring)."""
    return float(
        sum(abs(r["predicted"] - r["observed"]) * r["rows"] for r in reliability(y, p, bins))
        / max(len(y), 1)
    )


def reliability(y: Labels, p: Matrix, bins: int = ECE_BINS) -> list[dict[str, Any]]:
    """Per non-empty bin: its bounds, rows, mean predicted probability, observed share."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            out.append(
                {
                    "bin_low": b / bins,
                    "bin_high": (b + 1) / bins,
                    "rows": int(mask.sum()),
                    "predicted": float(p[mask].mean()),
                    "observed": float(y[mask].mean()),
                }
            )
    return out


def scores(y: Labels, p: Matrix) -> dict[str, Any]:
    """Accuracy, AUC (None with one outcome only), Brier, log loss, ECE and counts."""
    clipped = np.clip(p, _EPS, 1 - _EPS)
    both = 0 < int(y.sum()) < len(y)
    return {
        "rows": len(y),
        "grant_share": float(y.mean()) if len(y) else None,
        "accuracy": float(((p >= 0.5).astype(int) == y).mean()) if len(y) else None,
        "auc": float(roc_auc_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p)) if len(y) else None,
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])) if len(y) else None,
        "ece": expected_calibration_error(y, p) if len(y) else None,
    }


class Baselines:
    """The four baselines, learned from training rows' features and outcomes."""

    def __init__(self, features: pd.DataFrame, y: Labels, prior_weight: float = PRIOR_WEIGHT):
        self.m = prior_weight
        self.overall = float(y.mean())
        frame = features[["judge", "nationality"]].assign(y=y)
        self.judge = self._shrunk(frame.groupby("judge")["y"].agg(["sum", "count"]), self.overall)
        self.nationality = self._shrunk(
            frame.groupby("nationality")["y"].agg(["sum", "count"]), self.overall
        )
        cells = frame.groupby(["judge", "nationality"])["y"].agg(["sum", "count"]).reset_index()
        prior = cells["judge"].map(self.judge).fillna(self.overall)
        cells["rate"] = (cells["sum"] + self.m * prior) / (cells["count"] + self.m)
        self.cell = {
            (j, n): r for j, n, r in cells[["judge", "nationality", "rate"]].itertuples(index=False)
        }

    def _shrunk(self, counts: pd.DataFrame, prior: float) -> dict[str, float]:
        rates = (counts["sum"] + self.m * prior) / (counts["count"] + self.m)
        return {str(k): float(v) for k, v in rates.items()}

    def predict(self, features: pd.DataFrame) -> dict[str, Matrix]:
        judge = features["judge"].map(self.judge).fillna(self.overall).to_numpy(np.float64)
        nat = features["nationality"].map(self.nationality).fillna(self.overall)
        keys = zip(features["judge"], features["nationality"], strict=True)
        cell = np.array([self.cell.get(k, np.nan) for k in keys], dtype=np.float64)
        cell = np.where(np.isnan(cell), judge, cell)
        return {
            "majority": np.full(len(features), self.overall, dtype=np.float64),
            "judge": np.asarray(judge, dtype=np.float64),
            "nationality": np.asarray(nat.to_numpy(np.float64), dtype=np.float64),
            "judge_nationality": np.asarray(cell, dtype=np.float64),
        }


def predictions(
    model: TrainedModel, rows: pd.DataFrame, split: Split
) -> tuple[pd.DataFrame, Labels, dict[str, Matrix]]:
    """The test rows' features, outcomes, and each predictor's probabilities."""
    features = feature_frame(rows)
    y = target(rows)
    baselines = Baselines(features[split.training], y[split.training])
    test = features[split.test]
    matrix, _ = encode(test, model.levels)
    predicted = {"model": model.probability(matrix), **baselines.predict(test)}
    return test, y[split.test], predicted


def score_table(test: pd.DataFrame, y: Labels, predicted: Mapping[str, Matrix]) -> dict[str, Any]:
    """Overall scores and reliability per predictor, and scores per breakdown group."""
    out: dict[str, Any] = {
        "overall": {name: scores(y, p) for name, p in predicted.items()},
        "reliability": {name: reliability(y, p) for name, p in predicted.items()},
        "breakdowns": {},
    }
    for column in BREAKDOWNS:
        groups: dict[str, Any] = {}
        for level in sorted(set(test[column])):
            mask = (test[column] == level).to_numpy()
            groups[level] = {name: scores(y[mask], p[mask]) for name, p in predicted.items()}
        out["breakdowns"][column] = groups
    return out


def evaluate(
    store: StoreArg = None, release: ReleaseArg = None, *, engine: Engine | None = None
) -> dict[str, Any]:
    """The saved model of the release scored on its held-out years, beside the baselines.

    A JSON-ready report: ``release``, ``synthetic``, ``window``, ``metrics`` (predictor ->
    scores on the held-out years), ``reliability``, ``breakdowns``.
    """
    st = store_of(store)
    rel = resolve_release(st, release)
    model = load(st, rel.id)
    decisions = load_decisions(st, rel, engine=engine)
    split = time_split(
        decisions.rows,
        decisions.coverage,
        test_years=int(model.card["window"]["test_years_count"]),
        min_decisions=1,
    )
    test, y, predicted = predictions(model, decisions.rows, split)
    table = score_table(test, y, predicted)
    return {
        "release": rel.id,
        "synthetic": rel.synthetic,
        "definition": model.card["definition"],
        "target": model.card["target"],
        "window": model.card["window"],
        "ece_bins": ECE_BINS,
        "baseline_prior_weight": PRIOR_WEIGHT,
        "metrics": table["overall"],
        "reliability": table["reliability"],
        "breakdowns": table["breakdowns"],
    }


def store_of(store: StoreArg) -> Store:
    """The :class:`Store` a store argument names (as the analytics resolve it)."""
    if isinstance(store, Store):
        return store
    return Store.resolve(Path(store) if store else None)


SYNTHETIC_NOTE: Final = "SYNTHETIC DATA – not EOIR figures"


def charts(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Vega-Lite specs: the reliability curves and AUC / Brier bars of every predictor."""
    synthetic = bool(report.get("synthetic"))
    subtitle = [SYNTHETIC_NOTE] if synthetic else []
    points = [
        {"predictor": name, **row} for name, rows in report["reliability"].items() for row in rows
    ]
    reliability_spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": {"text": "Reliability on the held-out years", "subtitle": subtitle},
        "width": 420,
        "height": 320,
        "data": {"values": points},
        "layer": [
            {
                "data": {"values": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]},
                "mark": {"type": "line", "color": "#999", "strokeDash": [4, 4]},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative"},
                    "y": {"field": "y", "type": "quantitative"},
                },
            },
            {
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": {"field": "predicted", "type": "quantitative", "title": "predicted"},
                    "y": {"field": "observed", "type": "quantitative", "title": "observed"},
                    "color": {"field": "predictor", "type": "nominal"},
                    "tooltip": [
                        {"field": "predictor"},
                        {"field": "rows"},
                        {"field": "predicted", "format": ".3f"},
                        {"field": "observed", "format": ".3f"},
                    ],
                },
            },
        ],
    }
    bars = [
        {"predictor": name, "metric": metric, "value": values[metric]}
        for name, values in report["metrics"].items()
        for metric in ("auc", "brier", "log_loss", "ece")
        if values.get(metric) is not None
    ]
    metrics_spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": {"text": "Scores on the held-out years", "subtitle": subtitle},
        "data": {"values": bars},
        "facet": {"column": {"field": "metric", "type": "nominal"}},
        "resolve": {"scale": {"x": "independent"}},
        "spec": {
            "width": 160,
            "height": 120,
            "mark": "bar",
            "encoding": {
                "y": {"field": "predictor", "type": "nominal", "title": None},
                "x": {"field": "value", "type": "quantitative", "title": None},
                "tooltip": [{"field": "predictor"}, {"field": "value", "format": ".4f"}],
            },
        },
    }
    return [reliability_spec, metrics_spec]


def _static(name: str) -> str:
    return resources.files("asylumlens.web").joinpath("static", name).read_text("utf-8")


def _safe_json(value: Any) -> str:
    """JSON for a <script> block: no "</" can close it early."""
    return json.dumps(value).replace("</", "<\\/")


def html_report(report: Mapping[str, Any]) -> str:
    """One self-contained HTML page: the tables, and the charts drawn by the vendored Vega
    scripts embedded in the page (nothing is fetched from anywhere)."""
    from html import escape

    synthetic = bool(report.get("synthetic"))
    title = f"Outcome model, release {report['release']}"
    banner = f"<p class='synthetic'><strong>{SYNTHETIC_NOTE}</strong></p>" if synthetic else ""
    head = (
        "<tr><th>predictor</th>"
        + "".join(f"<th>{m}</th>" for m in ("rows", "accuracy", "auc", "brier", "log_loss", "ece"))
        + "</tr>"
    )
    body = "".join(
        "<tr><td>"
        + escape(name)
        + "</td>"
        + "".join(
            f"<td>{_cell(values.get(m))}</td>"
            for m in ("rows", "accuracy", "auc", "brier", "log_loss", "ece")
        )
        + "</tr>"
        for name, values in report["metrics"].items()
    )
    window = escape(json.dumps(report["window"]))
    scripts = "".join(
        f"<script>{_static(n)}</script>"
        for n in ("vega-6.4.0.min.js", "vega-lite-6.5.0.min.js", "vega-embed-7.3.0.min.js")
    )
    specs = _safe_json(charts(report))
    page_title = escape(("SYNTHETIC - " if synthetic else "") + title)
    bins = report["ece_bins"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{page_title}</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:2px 8px;text-align:right}}
.synthetic{{color:#b00020}}</style>{scripts}</head>
<body><h1>{escape(title)}</h1>{banner}
<p>Definition {escape(str(report["definition"]))}; target: {escape(str(report["target"]))}.
Window: <code>{window}</code>. Scores on the held-out fiscal years;
ECE over {bins} equal-width bins.</p>
<table><thead>{head}</thead><tbody>{body}</tbody></table>
<div id="chart-0"></div><div id="chart-1"></div>
<script>const specs = {specs};
specs.forEach((s, i) => vegaEmbed("#chart-" + i, s, {{actions: false}}));</script>
</body></html>
"""


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
