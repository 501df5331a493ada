"""The judge model against truths computed independently: brute-force grids, statsmodels,
and courts simulated from known Beta priors (bench/judge_coverage.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from scipy import optimize, special
from statsmodels.stats.proportion import proportion_confint

from asylumlens.analytics.judge_model import (
    CONCENTRATION_BOUNDS,
    MODEL_HIERARCHICAL,
    MODEL_INDISTINGUISHABLE,
    MODEL_ONE_JUDGE,
    estimate_judges,
    fit_prior,
)

BENCH = Path(__file__).resolve().parents[1] / "bench" / "judge_coverage.py"

# The court of the statistician's review: six judges with 600-1,200 decisions and raw
# rates from 10% to 61%, and twenty visiting judges with one or two decisions each.
BIG_N = np.array([600, 700, 800, 1000, 1100, 1200])
BIG_K = np.array([60, 140, 240, 400, 550, 732])  # 10%, 20%, 30%, 40%, 50%, 61%
TINY_N = np.array([1, 2] * 10)
TINY_K = np.array([0, 1, 1, 0, 0, 0, 1, 2, 0, 1] * 2)
COURT_N = np.concatenate([BIG_N, TINY_N])
COURT_K = np.concatenate([BIG_K, TINY_K])


def loglik_grid(k: np.ndarray, n: np.ndarray, mu: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """Beta-binomial log-likelihood on a (mu, kappa) grid, written out independently."""
    m, kap = np.meshgrid(mu, kappa, indexing="ij")
    a, b = m * kap, (1 - m) * kap
    return sum(  # type: ignore[return-value]
        special.betaln(kj + a, nj - kj + b) - special.betaln(a, b)
        for kj, nj in zip(k, n, strict=True)
    )


def test_six_big_and_twenty_tiny_keep_the_spread() -> None:
    # brute force: the likelihood maximum on a dense grid, then polished by Nelder-Mead
    mu = np.linspace(0.2, 0.5, 301)
    kappa = np.exp(np.linspace(np.log(1.0), np.log(100.0), 461))
    ll = loglik_grid(COURT_K, COURT_N, mu, kappa)
    i, j = np.unravel_index(np.argmax(ll), ll.shape)

    def negative(x: np.ndarray) -> float:
        return -float(loglik_grid(COURT_K, COURT_N, np.array([x[0]]), np.exp([x[1]]))[0, 0])

    best = optimize.minimize(
        negative,
        [mu[i], np.log(kappa[j])],
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10},
    )
    true_mu, true_kappa = best.x[0], float(np.exp(best.x[1]))
    assert 5.0 < true_kappa < 10.0  # the review's "near 7"

    fit = fit_prior(COURT_K, COURT_N)
    assert fit.bound is None
    assert fit.concentration == pytest.approx(true_kappa, rel=1e-3)
    assert fit.mean == pytest.approx(true_mu, abs=1e-4)
    assert fit.loglik >= -best.fun - 1e-6

    est = estimate_judges(COURT_K, COURT_N)
    assert est.model == MODEL_HIERARCHICAL
    big = est.estimate[:6]
    raw = BIG_K / BIG_N
    assert np.all(np.diff(big) > 0.05)  # the six stay apart, in their raw order
    assert np.abs(big - raw).max() < 0.01  # 600+ decisions barely move
    width = est.high[:6] - est.low[:6]
    wilson = np.array(
        [
            np.subtract(*proportion_confint(k, n, method="wilson")[::-1])
            for k, n in zip(BIG_K, BIG_N, strict=True)
        ]
    )
    assert np.all(width > 0.8 * wilson)  # not the 0.06-point intervals of the collapse
    # the visiting judges are pulled toward the court, but stay uncertain
    assert np.all(est.high[6:] - est.low[6:] > 0.3)


def test_prior_is_never_worse_than_any_grid_point() -> None:
    rng = np.random.default_rng(11)
    mu = np.linspace(0.005, 0.995, 199)
    kappa = np.exp(np.linspace(np.log(CONCENTRATION_BOUNDS[0]), np.log(1e4), 121))
    for judges in (2, 3, 8, 40):
        for _ in range(3):
            n = rng.integers(1, 400, size=judges)
            k = rng.binomial(n, rng.beta(1.5, 3.0, size=judges))
            fit = fit_prior(k, n)
            assert fit.loglik >= loglik_grid(k, n, mu, kappa).max() - 1e-7
            a, b = fit.alpha, fit.beta
            here = float(loglik_grid(k, n, np.array([fit.mean]), np.array([a + b]))[0, 0])
            assert here == pytest.approx(fit.loglik, abs=1e-6)


def test_one_judge_gets_the_wilson_interval_not_a_bound_prior() -> None:
    est = estimate_judges([0], [5])
    low, high = proportion_confint(0, 5, alpha=0.05, method="wilson")
    assert est.model == MODEL_ONE_JUDGE and est.prior is None
    assert "one judge" in est.note and "no court prior" in est.note
    assert est.estimate[0] == 0.0
    assert est.low[0] == pytest.approx(low, abs=1e-12)
    assert est.high[0] == pytest.approx(high, abs=1e-12)
    assert est.high[0] > 0.4


def test_indistinguishable_judges_are_said_so_and_not_certain() -> None:
    k, n = np.array([50, 52, 49, 51]), np.array([100, 100, 100, 100])
    est = estimate_judges(k, n)
    assert est.model == MODEL_INDISTINGUISHABLE
    assert est.prior is not None  # narrows the Optional for mypy; the values follow
    # the likelihood is highest at the concentration bound, around the pooled rate 202/400
    assert (est.prior.bound, est.prior.concentration) == (
        "upper",
        pytest.approx(CONCENTRATION_BOUNDS[1]),
    )
    assert est.prior.mean == pytest.approx(202 / 400, abs=1e-6)
    assert "indistinguishable" in est.note
    low, high = proportion_confint(k.sum(), n.sum(), method="wilson")
    # never narrower than the interval of the pooled rate itself
    assert np.all(est.high - est.low >= high - low)
    everyone_zero = estimate_judges([0, 0, 0], [5, 7, 3])
    assert everyone_zero.model == MODEL_INDISTINGUISHABLE
    assert np.all(everyone_zero.high > 0.1)


def test_posterior_matches_brute_force_integration() -> None:
    """Posterior means and 95% points against a dense (mu, log kappa) grid integration
    with the documented hyperprior: mu uniform, kappa density (1 + kappa)^(-3/2)."""
    k, n = np.array([5, 30, 2]), np.array([20, 60, 3])
    mu = (np.arange(300) + 0.5) / 300
    t = np.linspace(np.log(CONCENTRATION_BOUNDS[0]), np.log(CONCENTRATION_BOUNDS[1]), 300)
    log_post = loglik_grid(k, n, mu, np.exp(t)) + (t - 1.5 * np.log1p(np.exp(t)))[None, :]
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    keep = w > 1e-10
    m, kap = np.meshgrid(mu, np.exp(t), indexing="ij")
    w, a0, b0 = w[keep], (m * kap)[keep], ((1 - m) * kap)[keep]
    est = estimate_judges(k, n)
    for j in range(len(k)):
        a, b = a0 + k[j], b0 + n[j] - k[j]
        assert est.estimate[j] == pytest.approx(float(w @ (a / (a + b))), abs=1e-5)
        for q, got in ((0.025, est.low[j]), (0.975, est.high[j])):

            def cdf_gap(x: float, q: float = q, a: np.ndarray = a, b: np.ndarray = b) -> float:
                return float(w @ special.betainc(a, b, x)) - q

            # bracketed near the model's answer (brentq fails if the bracket is wrong)
            want = optimize.brentq(cdf_gap, got - 0.01, got + 0.01, xtol=1e-7)
            assert got == pytest.approx(want, abs=1e-3)


def test_large_courts_match_the_plug_in_posterior() -> None:
    # with 400 judges the prior is pinned down, so averaging over it changes little
    rng = np.random.default_rng(7)
    n = rng.integers(50, 400, size=400)
    k = rng.binomial(n, rng.beta(2.0, 6.0, size=400))
    est = estimate_judges(k, n)
    assert est.prior is not None  # narrows the Optional for mypy; the values follow
    assert est.prior.bound is None
    assert est.prior.mean == pytest.approx(0.25, abs=0.02)
    assert est.prior.concentration == pytest.approx(8.0, rel=0.25)
    a, b = est.prior.alpha + k, est.prior.beta + n - k
    assert est.estimate == pytest.approx(a / (a + b), abs=2e-3)
    from scipy import stats

    assert est.low == pytest.approx(stats.beta.ppf(0.025, a, b), abs=4e-3)


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="decisions > 0"):
        estimate_judges([1], [0])
    with pytest.raises(ValueError, match="two judges"):
        fit_prior([1], [3])


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("judge_coverage", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["judge_coverage"] = module
    spec.loader.exec_module(module)
    return module


def test_simulated_courts_cover_the_true_rates() -> None:
    """95% intervals hold the true judge rates >= 92% of the time in every hard shape, and
    shrinkage never misorders judges (>= 100 decisions) whose raw rates clearly differ."""
    bench = _bench()
    ranked = 0
    for shape in bench.SHAPES:
        result = bench.simulate(shape, bench.SEED, scale=0.5)
        assert result.intervals >= 300, shape.name
        assert result.rate >= 0.92, (shape.name, result.rate)
        assert result.reversed_pairs == 0, shape.name
        ranked += result.ranked_pairs
        if shape.name == "homogeneous":
            # alike judges: pooling makes intervals narrower than each judge's own
            assert result.median_width < result.raw_median_width
    assert ranked >= 1000  # the ranking check is not vacuous
