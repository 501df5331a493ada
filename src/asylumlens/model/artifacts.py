"""A trained outcome model and its files in the store: one folder per release.

Layout (never in the repository; the store is data)::

    <store>/models/<release_id>/model.txt        the calibrated model's booster (LightGBM text)
    <store>/models/<release_id>/bootstrap-NN.txt the bootstrap boosters (the interval)
    <store>/models/<release_id>/card.json        release, window, features, levels,
                                                 calibration, metrics, parameters
    <store>/models/<release_id>/reference.json   encoded training rows the estimate averages
                                                 over for features a caller does not give

A folder is written beside its final name and renamed into place, so a reader sees the old
model or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd

from asylumlens.model.features import CATEGORICAL_FEATURES, FEATURES
from asylumlens.model.split import ModelError
from asylumlens.store import Store

MODELS_DIR: Final = "models"
OTHER: Final = "other/unknown"
"""Level 0 of every categorical feature: levels rare in training, and codes it never saw."""

Matrix = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class Calibration:
    """Platt scaling: p = 1 / (1 + exp(-(slope * raw + intercept))) on the booster's raw
    log-odds, fit on the calibration slice (a monotone map: it keeps the ranking, so AUC)."""

    slope: float
    intercept: float

    def apply(self, raw: Matrix) -> Matrix:
        z = self.slope * raw + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def encode(features: pd.DataFrame, levels: dict[str, list[str]]) -> tuple[Matrix, list[str]]:
    """The booster's matrix for a :func:`~asylumlens.model.features.feature_frame`, and a
    warning per (feature, value) the levels do not know (mapped to :data:`OTHER`)."""
    columns: list[Any] = []
    warnings: list[str] = []
    for feature in FEATURES:
        values = features[feature]
        if feature not in CATEGORICAL_FEATURES:
            columns.append(values.to_numpy(dtype=np.float64))
            continue
        index = {level: i for i, level in enumerate(levels[feature])}
        codes = values.map(index)
        unknown = sorted(set(values[codes.isna()]))
        warnings += [
            f"{feature} {value!r} is not among the model's levels: treated as {OTHER}"
            for value in unknown
        ]
        columns.append(codes.fillna(0).to_numpy(dtype=np.float64))
    return np.column_stack(columns), warnings


@dataclass
class TrainedModel:
    """The calibrated booster, its bootstrap boosters and its card (a JSON-ready dict)."""

    booster: lgb.Booster
    bootstraps: list[tuple[lgb.Booster, Calibration]]
    calibration: Calibration
    card: dict[str, Any]
    reference: Matrix

    @property
    def levels(self) -> dict[str, list[str]]:
        levels: dict[str, list[str]] = self.card["levels"]
        return levels

    def raw(self, matrix: Matrix, threads: int = 0) -> Matrix:
        """Raw scores; ``threads=1`` for a few rows (an estimate): LightGBM's thread pool
        costs more than it saves on a small batch, most of all on a busy machine."""
        return np.asarray(
            self.booster.predict(matrix, raw_score=True, num_threads=threads), dtype=np.float64
        )

    def probability(self, matrix: Matrix, threads: int = 0) -> Matrix:
        return self.calibration.apply(self.raw(matrix, threads))

    def bootstrap_probabilities(self, matrix: Matrix, threads: int = 0) -> Matrix:
        """One row per bootstrap model, one column per row of ``matrix``."""
        return np.vstack(
            [
                cal.apply(
                    np.asarray(
                        b.predict(matrix, raw_score=True, num_threads=threads), dtype=np.float64
                    )
                )
                for b, cal in self.bootstraps
            ]
        )

    def contributions(self, matrix: Matrix, threads: int = 0) -> Matrix:
        """Per-row, per-feature log-odds contributions (TreeSHAP), last column the bias."""
        return np.asarray(
            self.booster.predict(matrix, pred_contrib=True, num_threads=threads),
            dtype=np.float64,
        )


def model_dir(store: Store, release_id: str) -> Path:
    return store.root / MODELS_DIR / release_id


def save(store: Store, model: TrainedModel) -> Path:
    """Write ``model`` under its release's folder, replacing an older one atomically."""
    final = model_dir(store, str(model.card["release"]))
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    model.booster.save_model(str(tmp / "model.txt"))
    for i, (booster, _) in enumerate(model.bootstraps):
        booster.save_model(str(tmp / f"bootstrap-{i:02d}.txt"))
    card = {
        **model.card,
        "calibration": _calibration_json(model.calibration),
        "bootstrap_calibration": [_calibration_json(c) for _, c in model.bootstraps],
    }
    (tmp / "card.json").write_text(json.dumps(card, indent=2, sort_keys=True), "utf-8")
    (tmp / "reference.json").write_text(json.dumps(model.reference.tolist()), "utf-8")
    old = final.with_name(f".{final.name}.{os.getpid()}.old")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def _calibration_json(cal: Calibration) -> dict[str, float]:
    return {"slope": cal.slope, "intercept": cal.intercept}


def _calibration(data: dict[str, Any]) -> Calibration:
    return Calibration(float(data["slope"]), float(data["intercept"]))


def card_path(store: Store, release_id: str) -> Path:
    return model_dir(store, release_id) / "card.json"


def load(store: Store, release_id: str) -> TrainedModel:
    """The saved model of ``release_id``; a :class:`ModelError` saying how to train one."""
    folder = model_dir(store, release_id)
    if not (folder / "card.json").is_file():
        raise ModelError(
            f"no outcome model for release {release_id} in store {store.root}; train one "
            f"with `asylumlens model train --release {release_id}`"
        )
    card: dict[str, Any] = json.loads((folder / "card.json").read_text("utf-8"))
    booster = lgb.Booster(model_file=str(folder / "model.txt"))
    bootstraps = [
        (lgb.Booster(model_file=str(folder / f"bootstrap-{i:02d}.txt")), _calibration(c))
        for i, c in enumerate(card.get("bootstrap_calibration", []))
    ]
    reference = np.asarray(
        json.loads((folder / "reference.json").read_text("utf-8")), dtype=np.float64
    )
    return TrainedModel(booster, bootstraps, _calibration(card["calibration"]), card, reference)
