"""Coverage of the judge model's 95% intervals on courts simulated from known Beta priors.

Usage::

    python bench/judge_coverage.py [--seed 20261201] [--scale 1]

Each shape is a kind of court that is hard for judge shrinkage: two judges; six big
caseloads beside twenty visiting judges with one or two decisions; 300 judges; judges
who are all alike; judges who differ wildly. For each simulated court, every judge's true
rate is drawn from the shape's Beta prior and its grants from Binomial(decisions, rate);
:func:`asylumlens.analytics.judge_model.estimate_judges` sees only the counts. The table
gives, per shape, how often the 95% interval holds the true rate (and the same for the raw
Wilson interval), the median interval width, how often the court was called
indistinguishable, and the ranking check: among pairs of judges with at least 100
decisions whose raw rates differ by more than 1.96 standard errors of the difference, how
many the shrunken estimates put in the other order (or tie).

``tests/test_judge_model.py`` runs :func:`simulate` with the default seed and asserts on
it; ``docs/methodology.md`` shows this script's output.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from asylumlens.analytics.intervals import wilson_interval
from asylumlens.analytics.judge_model import MODEL_INDISTINGUISHABLE, estimate_judges

SEED = 20261201
RANK_MIN_DECISIONS = 100

Caseloads = Callable[[np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Shape:
    name: str
    mean: float
    concentration: float
    courts: int
    caseloads: Caseloads


def _uniform(lo: int, hi: int, size: int) -> Caseloads:
    return lambda rng: rng.integers(lo, hi + 1, size=size)


def _six_and_twenty(rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([rng.integers(600, 1201, size=6), rng.integers(1, 3, size=20)])


def _three_hundred(rng: np.random.Generator) -> np.ndarray:
    return np.round(np.exp(rng.uniform(np.log(5), np.log(2000), size=300))).astype(np.int64)


SHAPES: tuple[Shape, ...] = (
    Shape("2 judges", 0.30, 8.0, 300, _uniform(20, 600, 2)),
    Shape("6 big + 20 tiny", 0.35, 7.0, 40, _six_and_twenty),
    Shape("300 judges", 0.35, 10.0, 4, _three_hundred),
    Shape("homogeneous", 0.30, 5000.0, 50, _uniform(50, 800, 20)),
    Shape("very heterogeneous", 0.40, 1.0, 50, _uniform(5, 500, 20)),
)


@dataclass(frozen=True)
class Coverage:
    shape: Shape
    intervals: int
    covered: int
    raw_covered: int
    median_width: float
    raw_median_width: float
    indistinguishable: int
    ranked_pairs: int
    reversed_pairs: int

    @property
    def rate(self) -> float:
        return self.covered / self.intervals

    @property
    def raw_rate(self) -> float:
        return self.raw_covered / self.intervals


def _pairs(n: np.ndarray, k: np.ndarray, shrunk: np.ndarray) -> tuple[int, int]:
    """(pairs whose raw rates clearly differ, of those the ones shrinkage misorders)."""
    big = np.flatnonzero(n >= RANK_MIN_DECISIONS)
    p = k[big] / n[big]
    var = p * (1 - p) / n[big]
    s = shrunk[big]
    i, j = np.triu_indices(len(big), 1)
    clear = np.abs(p[i] - p[j]) > 1.96 * np.sqrt(var[i] + var[j])
    agree = np.sign(p[i] - p[j]) == np.sign(s[i] - s[j])
    return int(clear.sum()), int((clear & ~agree).sum())


def simulate(shape: Shape, seed: int = SEED, scale: float = 1.0) -> Coverage:
    """Draw ``shape.courts * scale`` courts from the shape's prior and score the intervals."""
    rng = np.random.default_rng([seed, SHAPES.index(shape)])
    a, b = shape.mean * shape.concentration, (1 - shape.mean) * shape.concentration
    covered = raw_covered = total = indistinguishable = ranked = reversed_ = 0
    widths: list[np.ndarray] = []
    raw_widths: list[np.ndarray] = []
    for _ in range(max(1, round(shape.courts * scale))):
        n = shape.caseloads(rng)
        truth = rng.beta(a, b, size=len(n))
        k = rng.binomial(n, truth)
        est = estimate_judges(k, n)
        covered += int(((est.low <= truth) & (truth <= est.high)).sum())
        low, high = wilson_interval(k, n)
        raw_covered += int(((low <= truth) & (truth <= high)).sum())
        total += len(n)
        widths.append(est.high - est.low)
        raw_widths.append(high - low)
        indistinguishable += est.model == MODEL_INDISTINGUISHABLE
        pairs, wrong = _pairs(n, k, est.estimate)
        ranked += pairs
        reversed_ += wrong
    return Coverage(
        shape,
        total,
        covered,
        raw_covered,
        float(np.median(np.concatenate(widths))),
        float(np.median(np.concatenate(raw_widths))),
        indistinguishable,
        ranked,
        reversed_,
    )


def table(results: list[Coverage], seed: int) -> str:
    """A Markdown table of the results (what docs/methodology.md shows)."""
    lines = [
        f"Seed {seed}. Coverage of the true judge rates by 95% intervals.",
        "",
        "| shape | prior (mean, concentration) | courts | intervals | shrunken coverage "
        "| raw Wilson coverage | median width (shrunken / raw) | indistinguishable courts "
        "| clearly ordered pairs, n ≥ 100 | misordered |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r.shape
        courts = r.intervals // max(1, len(s.caseloads(np.random.default_rng(0))))
        lines.append(
            f"| {s.name} | {s.mean:.2f}, {s.concentration:g} | {courts} | {r.intervals} "
            f"| {r.rate:.1%} | {r.raw_rate:.1%} "
            f"| {r.median_width:.3f} / {r.raw_median_width:.3f} | {r.indistinguishable} "
            f"| {r.ranked_pairs} | {r.reversed_pairs} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the court counts")
    args = parser.parse_args()
    results = [simulate(s, args.seed, args.scale) for s in SHAPES]
    print(table(results, args.seed))


if __name__ == "__main__":
    main()
