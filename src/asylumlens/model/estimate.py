"""One case's estimate: the saved model's probability of a grant, its interval and reasons.

Features the caller gives are set on every row of the model's reference sample (training
rows kept with it); the ones not given keep the sample's values, and the estimate is the
average over the sample: "cases like this one as the court saw them", not a guess that
every unknown is its most common value. The filing fiscal year, when not given, is the
training mix too: among decided cases, the recently filed ones are the quickly decided
ones, so "filed this year" is a corner of the data the model cannot read fairly. The
interval is the spread (2.5%-97.5%, in log-odds) of the bootstrap models' averaged
probabilities, centred on the main model's estimate; the contributions are the main
booster's TreeSHAP values (log-odds, before calibration) averaged over the sample, largest
first.

A model is loaded once per store, release and saved version (cached; a retrained model
replaces its card, which changes the key).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from asylumlens.analytics.source import ReleaseArg, StoreArg
from asylumlens.model.artifacts import OTHER, TrainedModel, card_path, load
from asylumlens.model.evaluate import store_of
from asylumlens.model.features import CATEGORICAL_FEATURES, FEATURES, MISSING
from asylumlens.model.split import ModelError
from asylumlens.store import Store

CAVEAT: Final = "describes past decisions of this court, not the merits of a case; not legal advice"
TOP_CONTRIBUTIONS: Final = 5
CONTRIBUTION_ROWS: Final = 16
BOOTSTRAP_ROWS: Final = 64
"""Reference rows the interval is computed over (the main estimate uses all of them)."""
"""Reference rows the contributions are averaged over (TreeSHAP costs ~0.1 ms a row)."""
CUSTODY_CODES: Final = ("D", "R", "N")


@dataclass(frozen=True)
class Estimate:
    """What the model says about one case, and on what it rests."""

    probability: float
    low: float
    high: float
    contributions: list[dict[str, Any]]
    release: str
    model_window: dict[str, Any]
    synthetic: bool
    inputs: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    caveat: str = CAVEAT

    def as_dict(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "low": self.low,
            "high": self.high,
            "contributions": self.contributions,
            "release": self.release,
            "model_window": self.model_window,
            "synthetic": self.synthetic,
            "inputs": self.inputs,
            "warnings": self.warnings,
            "caveat": self.caveat,
        }


_cache: dict[tuple[str, str, int], TrainedModel] = {}
_lock = threading.Lock()


def _release_id(store: Store, release: ReleaseArg) -> str:
    if release is not None and not isinstance(release, str):
        return release.id
    return store.release(release).id


def loaded_model(store: StoreArg = None, release: ReleaseArg = None) -> TrainedModel:
    """The saved model of ``release`` (the newest release when None), loaded once."""
    st = store_of(store)
    release_id = _release_id(st, release)
    card = card_path(st, release_id)
    stamp = card.stat().st_mtime_ns if card.is_file() else -1
    key = (str(Path(st.root).resolve()), release_id, stamp)
    with _lock:
        model = _cache.get(key)
    if model is None:
        model = load(st, release_id)
        with _lock:
            for old in [k for k in _cache if k[:2] == key[:2]]:
                del _cache[old]
            _cache[key] = model
    return model


def _value(feature: str, value: Any) -> str | float:
    if feature == "filing_fiscal_year":
        return float(value)
    if feature == "represented":
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in ("true", "false"):
                raise ModelError(f"represented must be true or false, not {value!r}")
            return lowered
        return "true" if bool(value) else "false"
    text = str(value).strip().upper()
    if feature == "custody" and text not in CUSTODY_CODES:
        raise ModelError("custody must be one of D, R, N (detained, released, never detained)")
    return text or MISSING


def _rows(model: TrainedModel, inputs: dict[str, Any]) -> tuple[Any, list[str]]:
    """The reference rows with the given features set, and a warning per unknown code."""
    rows = model.reference.copy()
    warnings = []
    for i, feature in enumerate(FEATURES):
        if feature not in inputs:
            continue
        value = inputs[feature]
        if feature not in CATEGORICAL_FEATURES:
            rows[:, i] = float(value)
            continue
        levels = model.levels[feature]
        if value in levels:
            rows[:, i] = levels.index(value)
        else:
            rows[:, i] = 0
            warnings.append(
                f"{feature} {value!r} is not among the model's levels: treated as {OTHER}"
            )
    return rows, warnings


def _logit(p: Any) -> Any:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def _interval(model: TrainedModel, rows: Any, probability: float) -> tuple[float, float]:
    """The bootstrap models' 2.5%-97.5% spread in log-odds around their own mean, placed
    around the main model's estimate (the bootstrap boosters are smaller, so their level
    may differ from it; their spread is what they are for)."""
    if not model.bootstraps:
        return probability, probability
    boot = _logit(model.bootstrap_probabilities(rows[:BOOTSTRAP_ROWS], threads=1).mean(axis=1))
    q_low, q_high = np.quantile(boot - boot.mean(), [0.025, 0.975])
    centre = float(_logit(probability))
    return (
        float(1 / (1 + np.exp(-(centre + q_low)))),
        float(1 / (1 + np.exp(-(centre + q_high)))),
    )


def estimate(
    store: StoreArg = None,
    *,
    judge: str,
    court: str,
    nationality: str,
    custody: str | None = None,
    represented: bool | None = None,
    release: ReleaseArg = None,
    **other: Any,
) -> Estimate:
    """The calibrated probability that an application like this one is granted.

    ``other`` takes the remaining :data:`~asylumlens.model.features.FEATURES` by name
    (``language``, ``case_type``, ``asylum_type``, ``sex``, ``filing_fiscal_year``); an
    unknown name is a :class:`ModelError`. A code the model never saw is treated as
    "other/unknown" and named in ``warnings``.
    """
    unknown = sorted(set(other) - set(FEATURES))
    if unknown:
        raise ModelError(f"unknown estimate input {unknown[0]!r}; valid: {', '.join(FEATURES)}")
    model = loaded_model(store, release)
    given: dict[str, Any] = {"judge": judge, "court": court, "nationality": nationality}
    if custody is not None:
        given["custody"] = custody
    if represented is not None:
        given["represented"] = represented
    given.update({k: v for k, v in other.items() if v is not None})
    inputs = {k: _value(k, v) for k, v in given.items() if v is not None}
    rows, warnings = _rows(model, inputs)
    probability = float(model.probability(rows, threads=1).mean())
    low, high = _interval(model, rows, probability)
    contrib = model.contributions(rows[:CONTRIBUTION_ROWS], threads=1).mean(axis=0)[: len(FEATURES)]
    order = np.argsort(-np.abs(contrib))[:TOP_CONTRIBUTIONS]
    contributions = [
        {
            "feature": FEATURES[i],
            "value": inputs.get(FEATURES[i], "(not given: training mix)"),
            "log_odds": float(contrib[i]),
        }
        for i in order
    ]
    return Estimate(
        probability=probability,
        low=low,
        high=high,
        contributions=contributions,
        release=str(model.card["release"]),
        model_window=dict(model.card["window"]),
        synthetic=bool(model.card["synthetic"]),
        inputs=inputs,
        warnings=warnings,
    )
