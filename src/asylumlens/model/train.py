"""Fit the outcome model of a release: LightGBM on filing-time features, calibrated, with
bootstrap models for an interval, scored on the held-out years, saved in the store.

Choices (docs/model.md says why):

* Categorical features are LightGBM categoricals (integer codes; level 0 is
  :data:`~asylumlens.model.artifacts.OTHER`): a level with fewer than
  ``min_level_count`` training rows joins "other/unknown", as does a code unseen in
  training at predict time.
* Calibration is Platt scaling on the booster's raw log-odds, fit on the last training
  year (the calibration slice); the booster is fit on the years before it. A monotone map:
  calibration never changes the ranking.
* The interval comes from ``bootstrap`` smaller boosters, each fit on a resample (with
  replacement) of the fit rows and calibrated on the same slice.
* Scale: at most ``max_rows`` training rows, sampled without replacement within each
  fiscal year in proportion to its size (a stratified sample; seeded), so a full release
  (about 2-3 M granted or denied initial ASYL decisions in scope) trains on 2 cores in
  minutes. Every seed is fixed: the same release and options give the same model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from asylumlens.analytics.source import Engine, ReleaseArg, StoreArg, resolve_release
from asylumlens.model.artifacts import (
    OTHER,
    Calibration,
    Matrix,
    TrainedModel,
    encode,
    save,
)
from asylumlens.model.evaluate import (
    BASELINES,
    predictions,
    score_table,
    store_of,
)
from asylumlens.model.features import (
    CATEGORICAL_FEATURES,
    DEFINITION,
    DENIAL_CODES,
    FEATURES,
    GRANT_CODES,
    feature_frame,
    load_decisions,
    target,
)
from asylumlens.model.split import Split, time_split

REFERENCE_ROWS: Final = 256
"""Training rows kept with the model: an estimate averages over them for the features a
caller does not give (the training distribution of those features)."""


@dataclass(frozen=True)
class TrainOptions:
    """Sizes and seeds. The defaults are for a full release; tests pass smaller ones."""

    n_estimators: int = 300
    learning_rate: float = 0.08
    num_leaves: int = 31
    min_child_samples: int = 50
    bootstrap: int = 12
    bootstrap_estimators: int = 60
    max_rows: int = 2_000_000
    min_level_count: int = 30
    min_decisions: int = 200
    seed: int = 16
    threads: int = 2


def _params(options: TrainOptions, seed: int) -> dict[str, Any]:
    return {
        "objective": "binary",
        "learning_rate": options.learning_rate,
        "num_leaves": options.num_leaves,
        "min_child_samples": options.min_child_samples,
        "min_data_per_group": options.min_child_samples,
        "cat_smooth": 10.0,
        "max_cat_to_onehot": 8,
        "seed": seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": options.threads,
        "verbose": -1,
    }


def levels_of(features: pd.DataFrame, min_count: int) -> dict[str, list[str]]:
    """Per categorical feature: :data:`OTHER` first, then every level with at least
    ``min_count`` rows, sorted (so codes do not depend on row order)."""
    out: dict[str, list[str]] = {}
    for feature in CATEGORICAL_FEATURES:
        counts = features[feature].value_counts()
        kept = sorted(str(v) for v, n in counts.items() if n >= min_count and v != OTHER)
        out[feature] = [OTHER, *kept]
    return out


def _fit(
    matrix: Matrix, y: np.ndarray, options: TrainOptions, rounds: int, seed: int
) -> lgb.Booster:
    categorical = [FEATURES.index(f) for f in CATEGORICAL_FEATURES]
    data = lgb.Dataset(
        matrix,
        label=y,
        feature_name=list(FEATURES),
        categorical_feature=categorical,
        params={"verbose": -1},
        free_raw_data=True,
    )
    return lgb.train(_params(options, seed), data, num_boost_round=rounds)


def _platt(booster: lgb.Booster, matrix: Matrix, y: np.ndarray) -> Calibration:
    raw = np.asarray(booster.predict(matrix, raw_score=True), dtype=np.float64)
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return Calibration(float(fit.coef_[0][0]), float(fit.intercept_[0]))


def _sample(rows: pd.DataFrame, split: Split, max_rows: int, seed: int) -> pd.DataFrame:
    """At most ``max_rows`` of the training rows, stratified by fiscal year; test rows are
    all kept (scores are on every held-out decision)."""
    training = rows[split.training]
    if len(training) <= max_rows:
        return rows
    share = max_rows / len(training)
    kept = training.groupby("fiscal_year", group_keys=False).sample(frac=share, random_state=seed)
    return pd.concat([kept, rows[split.test]]).sort_index()


def train(
    store: StoreArg = None,
    release: ReleaseArg = None,
    *,
    test_years: int = 2,
    options: TrainOptions | None = None,
    engine: Engine | None = None,
    save_model: bool = True,
) -> TrainedModel:
    """Train, score and save the outcome model of ``release`` (the newest when None).

    Raises :class:`~asylumlens.model.split.ModelError` when the release has too few
    granted or denied decisions in the fit, calibration or test years.
    """
    opts = options or TrainOptions()
    st = store_of(store)
    rel = resolve_release(st, release)
    decisions = load_decisions(st, rel, engine=engine)
    split = time_split(
        decisions.rows, decisions.coverage, test_years=test_years, min_decisions=opts.min_decisions
    )
    rows = _sample(decisions.rows, split, opts.max_rows, opts.seed).reset_index(drop=True)
    split = time_split(rows, decisions.coverage, test_years=test_years, min_decisions=1)
    features = feature_frame(rows)
    y = target(rows)
    levels = levels_of(features[split.fit], opts.min_level_count)
    matrix, _ = encode(features, levels)
    fit_x, fit_y = matrix[split.fit], y[split.fit]
    cal_x, cal_y = matrix[split.calibration], y[split.calibration]
    booster = _fit(fit_x, fit_y, opts, opts.n_estimators, opts.seed)
    calibration = _platt(booster, cal_x, cal_y)
    rng = np.random.default_rng(opts.seed)
    bootstraps = []
    for i in range(opts.bootstrap):
        pick = rng.integers(0, len(fit_y), len(fit_y))
        b = _fit(fit_x[pick], fit_y[pick], opts, opts.bootstrap_estimators, opts.seed + 1 + i)
        bootstraps.append((b, _platt(b, cal_x, cal_y)))
    training_x = matrix[split.training]
    reference = training_x[
        rng.choice(len(training_x), min(REFERENCE_ROWS, len(training_x)), replace=False)
    ]
    card = _card(rel.id, rel.synthetic, split, levels, opts, rows, features, y)
    model = TrainedModel(booster, bootstraps, calibration, card, reference)
    test, test_y, predicted = predictions(model, rows, split)
    card["metrics"] = score_table(test, test_y, predicted)["overall"]
    if save_model:
        save(st, model)
    return model


def _card(
    release: str,
    synthetic: bool,
    split: Split,
    levels: dict[str, list[str]],
    options: TrainOptions,
    rows: pd.DataFrame,
    features: pd.DataFrame,
    y: np.ndarray,
) -> dict[str, Any]:
    filing = features["filing_fiscal_year"][split.training].dropna()
    return {
        "release": release,
        "synthetic": synthetic,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "definition": DEFINITION,
        "target": (
            f"grant ({', '.join(GRANT_CODES)}) vs denial ({', '.join(DENIAL_CODES)}) of a "
            f"decided ASYL application in the {DEFINITION} definition's scope"
        ),
        "features": list(FEATURES),
        "levels": levels,
        "window": {
            "first_fiscal_year": split.first_year,
            "calibration_fiscal_year": split.calibration_year,
            "test_fiscal_years": list(split.test_years),
            "test_years_count": len(split.test_years),
            "fit_rows": int(split.fit.sum()),
            "calibration_rows": int(split.calibration.sum()),
            "test_rows": int(split.test.sum()),
            "training_grant_share": float(y[split.training].mean()),
            "latest_filing_fiscal_year": int(filing.max()) if len(filing) else None,
        },
        "options": asdict(options),
        "baselines": list(BASELINES),
    }
