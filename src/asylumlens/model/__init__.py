"""The outcome model: a calibrated, honestly evaluated estimate from filing-time features.

    train(store=None, release=None, *, test_years=2, options=None) -> TrainedModel
    evaluate(store=None, release=None) -> dict            # held-out scores vs baselines
    estimate(store=None, *, judge, court, nationality, custody=None, represented=None,
             release=None, **other) -> Estimate

Reads only the public analytics (the decisions fact table); never case data. Models live
in the store (``<store>/models/<release_id>/``), one per release. docs/model.md is the
model card.
"""

from __future__ import annotations

from asylumlens.model.estimate import CAVEAT, Estimate, estimate
from asylumlens.model.evaluate import evaluate, html_report
from asylumlens.model.features import FEATURES
from asylumlens.model.split import ModelError
from asylumlens.model.train import TrainOptions, train

__all__ = [
    "CAVEAT",
    "FEATURES",
    "Estimate",
    "ModelError",
    "TrainOptions",
    "estimate",
    "evaluate",
    "html_report",
    "train",
]
