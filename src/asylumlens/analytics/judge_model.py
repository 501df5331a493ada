"""The judge model: beta-binomial judge rates, with intervals that carry the prior's uncertainty.

Judge ``j`` of a court decides ``n_j`` cases and grants ``k_j``; its grant rate ``p_j`` is a
draw from the court's Beta prior with mean ``mu`` and concentration ``kappa`` (alpha =
mu * kappa, beta = (1 - mu) * kappa). Two estimates come out of it:

* :func:`fit_prior`: the maximum marginal (beta-binomial) likelihood point (``mu``,
  ``kappa``), found from any start by a profile search: for each ``log kappa`` of a
  bounded grid, the best ``mu`` (the log-likelihood is concave in ``mu``, so a bisection
  on its score finds it), then a bounded 1-D optimiser between the grid neighbours of the
  best grid point, and a check that the returned point is at least as likely as every
  grid point. No method-of-moments start: that is what collapsed courts with many tiny
  caseloads onto the concentration bound.
* :func:`estimate_judges`: each judge's posterior, averaged over the posterior of
  (``mu``, ``log kappa``) on a grid (weights = marginal likelihood x :func:`log_hyperprior`),
  so a prior estimated from few judges widens the intervals instead of being taken as
  known. The posterior of ``p_j`` is a mixture of Betas; its mean is exact (given the
  grid) and its 2.5%/97.5% points come from the mixture CDF by a bracketed Newton search.

A court with one judge has no court prior to estimate: :func:`estimate_judges` says so
and returns the raw rate with its Wilson interval. A court whose judges are statistically
indistinguishable (the profile likelihood is highest at the concentration bound) is also
said so; its intervals still allow for the spread the data cannot rule out.

Pure numpy/scipy on arrays of counts: no I/O, no pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from asylumlens.analytics.intervals import NDArray, wilson_interval

CONCENTRATION_BOUNDS: Final = (1e-2, 1e6)
"""The range of ``kappa`` searched. Above 1e6 a Beta prior is a point for any caseload a
court has; below 1e-2 it puts every judge at 0% or 100%."""

MODEL_HIERARCHICAL: Final = "hierarchical"
MODEL_INDISTINGUISHABLE: Final = "indistinguishable"
MODEL_ONE_JUDGE: Final = "one judge"

_COARSE_POINTS: Final = 37  # log kappa grid of the search: 0.51 apart over the bounds
_FINE_POINTS: Final = 41  # log kappa nodes of the posterior, over where it has mass
_MU_NODES: Final = 24  # logit mu nodes per log kappa node
_REGION_DROP: Final = 35.0  # log posterior below its maximum that the fine grid leaves out
_TAIL_DROP: Final = 20.0  # log density drop at which the mu integration stops
_LOGIT_LIMIT: Final = 35.0
_BISECTIONS: Final = 48
_PRUNE: Final = 1e-12  # posterior mass of log kappa nodes that may be left out
_EXACT_CELLS: Final = 4_000  # judges x (mu, kappa) nodes below which mixtures are exact
_TIE: Final = 1e-7  # log-likelihood difference treated as a tie with the bound


@dataclass(frozen=True)
class PriorFit:
    """The maximum marginal likelihood Beta prior of a court's judge rates."""

    mean: float
    concentration: float
    loglik: float
    bound: str | None
    """``"upper"`` / ``"lower"`` when the likelihood is highest at that concentration bound."""

    @property
    def alpha(self) -> float:
        return self.mean * self.concentration

    @property
    def beta(self) -> float:
        return (1.0 - self.mean) * self.concentration


@dataclass(frozen=True)
class JudgeEstimates:
    """Each judge's estimate and interval, and what model produced them (and why)."""

    model: str
    note: str
    prior: PriorFit | None
    estimate: NDArray
    low: NDArray
    high: NDArray
    concentration_interval: tuple[float, float] | None
    """The 95% posterior interval of ``kappa`` (None for one judge)."""


@dataclass(frozen=True)
class _Counts:
    """Judges' (grants, decisions), with judges of identical counts merged into a weight."""

    k: NDArray
    n: NDArray
    weight: NDArray

    @classmethod
    def of(cls, grants: Any, totals: Any) -> _Counts:
        k = np.asarray(grants, dtype=np.float64).ravel()
        n = np.asarray(totals, dtype=np.float64).ravel()
        if k.shape != n.shape:
            raise ValueError("grants and totals differ in length")
        if len(n) == 0:
            raise ValueError("no judges")
        if (n <= 0).any() or (k < 0).any() or (k > n).any():
            raise ValueError("every judge needs 0 <= grants <= decisions and decisions > 0")
        pairs, weight = np.unique(np.stack([k, n], axis=1), axis=0, return_counts=True)
        return cls(pairs[:, 0].copy(), pairs[:, 1].copy(), weight.astype(np.float64))


def log_hyperprior(log_kappa: Any) -> NDArray:
    """Log density of the hyperprior in (``mu``, ``log kappa``), up to a constant.

    ``mu`` is uniform on (0, 1). ``kappa`` has density (1 + kappa)^(-3/2): the tail of
    Gelman et al.'s p(alpha, beta) ~ (alpha + beta)^(-5/2) (Bayesian Data Analysis, 3rd ed.,
    section 5.3; in (mu, kappa) that is kappa^(-3/2)), made proper by 1 + kappa so it does
    not pile its mass at kappa -> 0 (every judge at 0% or 100%). Per unit of log kappa the
    density is kappa (1 + kappa)^(-3/2): highest at kappa = 2, median 3; a court of
    near-identical judges (kappa > 1,000) has prior probability 3%, which data from a few
    judges with a few hundred decisions each overturn.
    """
    t = np.asarray(log_kappa, dtype=np.float64)
    return np.asarray(t - 1.5 * np.logaddexp(0.0, t), dtype=np.float64)


def _special() -> Any:
    from scipy import special  # imported here: scipy is slow to import

    return special


def _loglik(c: _Counts, t: NDArray, kappa: NDArray) -> NDArray:
    """Beta-binomial log-likelihood (no binomial coefficients) at logit-mean ``t``.

    ``t`` and ``kappa`` broadcast against each other; judges are the last axis.
    """
    sp = _special()
    mu = sp.expit(t)[..., None]
    kap = kappa[..., None]
    a, b = mu * kap, (1.0 - mu) * kap
    judge = (
        sp.gammaln(c.k + a)
        + sp.gammaln(c.n - c.k + b)
        - sp.gammaln(a)
        - sp.gammaln(b)
        + sp.gammaln(kap)
        - sp.gammaln(c.n + kap)
    )
    return np.asarray(judge @ c.weight, dtype=np.float64)


def _score(c: _Counts, t: NDArray, kappa: NDArray) -> NDArray:
    """d loglik / d mu at logit-mean ``t`` (its sign is that of d loglik / d t)."""
    sp = _special()
    mu = sp.expit(t)[..., None]
    kap = kappa[..., None]
    a, b = mu * kap, (1.0 - mu) * kap
    judge = sp.digamma(c.k + a) - sp.digamma(a) - sp.digamma(c.n - c.k + b) + sp.digamma(b)
    return np.asarray((judge @ c.weight) * kappa, dtype=np.float64)


def _bisect(sign_fn: Any, shape: tuple[int, ...]) -> NDArray:
    """Root of a decreasing function of t in [-35, 35], vectorised (clamped at the ends).

    Bisection until the bracket is narrower than 0.5 (the function's extreme values near
    the ends make secant steps useless there), then the Illinois variant of regula falsi,
    which keeps the bracket and converges superlinearly, to 1e-10 in t.
    """
    lo = np.full(shape, -_LOGIT_LIMIT)
    hi = np.full(shape, _LOGIT_LIMIT)
    for _ in range(8):
        mid = 0.5 * (lo + hi)
        up = sign_fn(mid) > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    f_lo, f_hi = sign_fn(lo), sign_fn(hi)
    side = np.zeros(shape)
    for _ in range(_BISECTIONS):
        done = (hi - lo <= 1e-10) | (f_lo <= 0) | (f_hi >= 0)
        if done.all():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        x = np.where(np.isfinite(x) & (x > lo) & (x < hi), x, 0.5 * (lo + hi))
        fx = sign_fn(x)
        up = (fx > 0) & ~done
        down = (fx <= 0) & ~done
        # Illinois: halve the value kept at an end that survives twice in a row
        f_hi = np.where(up & (side > 0), 0.5 * f_hi, f_hi)
        f_lo = np.where(down & (side < 0), 0.5 * f_lo, f_lo)
        lo, f_lo = np.where(up, x, lo), np.where(up, fx, f_lo)
        hi, f_hi = np.where(down, x, hi), np.where(down, fx, f_hi)
        side = np.where(up, 1.0, np.where(down, -1.0, side))
        exact = (fx == 0) & ~done
        lo, hi = np.where(exact, x, lo), np.where(exact, x, hi)
    return np.where(f_lo <= 0, lo, np.where(f_hi >= 0, hi, 0.5 * (lo + hi)))


def _best_mean(c: _Counts, kappa: NDArray) -> NDArray:
    """Logit of the mean maximising the likelihood at each ``kappa`` (concave in mu)."""
    return _bisect(lambda t: _score(c, t, kappa), kappa.shape)


def _best_mean_scalar(c: _Counts, kappa: float, near: float) -> float:
    """:func:`_best_mean` for one ``kappa`` by Brent's method (the optimiser's inner step),
    bracketed within 1 of ``near`` when the score's signs allow, else over [-35, 35]."""
    from scipy import optimize

    kap = np.array([kappa])

    def score(t: float) -> float:
        return float(_score(c, np.array([t]), kap)[0])

    lo, hi = max(near - 1.0, -_LOGIT_LIMIT), min(near + 1.0, _LOGIT_LIMIT)
    if not (score(lo) > 0 > score(hi)):
        lo, hi = -_LOGIT_LIMIT, _LOGIT_LIMIT
        if score(lo) <= 0:
            return lo
        if score(hi) >= 0:
            return hi
    return float(optimize.brentq(score, lo, hi, xtol=1e-9))


def _profile(c: _Counts, log_kappa: NDArray) -> tuple[NDArray, NDArray]:
    kappa = np.exp(log_kappa)
    t = _best_mean(c, kappa)
    return t, _loglik(c, t, kappa)


def _search_grid() -> NDArray:
    lo, hi = np.log(CONCENTRATION_BOUNDS[0]), np.log(CONCENTRATION_BOUNDS[1])
    return np.linspace(lo, hi, _COARSE_POINTS)


def _fit(c: _Counts) -> tuple[PriorFit, NDArray, NDArray]:
    """The maximum likelihood point, and the search grid's profile (for the posterior)."""
    from scipy import optimize, special

    grid = _search_grid()
    t_grid, prof = _profile(c, grid)
    best = int(np.argmax(prof))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]

    def negative(u: float) -> float:
        kappa = np.array([np.exp(u)])
        t = np.array([_best_mean_scalar(c, float(kappa[0]), float(t_grid[best]))])
        return -float(_loglik(c, t, kappa)[0])

    result = optimize.minimize_scalar(
        negative, bounds=(lo, hi), method="bounded", options={"xatol": 1e-4}
    )
    u, value = float(result.x), -float(result.fun)
    if not value >= prof[best]:  # verify: never worse than the best grid point
        u, value = float(grid[best]), float(prof[best])
    bound: str | None = None
    all_alike = bool((c.k == 0).all() or (c.k == c.n).all())  # the best mu is 0 (or 1)
    if all_alike or prof[-1] >= max(value, float(prof[best])) - _TIE:
        # highest at the upper bound, to rounding: judges alike, or all at 0% (100%)
        bound, u, value = "upper", float(grid[-1]), float(prof[-1])
    elif best == 0:
        bound, u, value = "lower", float(grid[0]), float(prof[0])
    t = float(_profile(c, np.array([u]))[0][0])
    fit = PriorFit(float(special.expit(t)), float(np.exp(u)), value, bound)
    return fit, prof, t_grid


def fit_prior(grants: Any, totals: Any) -> PriorFit:
    """The Beta prior of judge rates by maximum marginal likelihood (two judges or more).

    The returned point is verified to be at least as likely as every point of the search
    grid; ``bound`` says when the likelihood is highest at a concentration bound.
    """
    c = _Counts.of(grants, totals)
    if c.weight.sum() < 2:
        raise ValueError("a prior needs two judges or more")
    return _fit(c)[0]


@dataclass(frozen=True)
class _Posterior:
    """Posterior over log kappa nodes: weights, and mean/variance of mu at each node."""

    kappa: NDArray
    weight: NDArray
    mu_mean: NDArray
    mu_var: NDArray
    mu_step: NDArray
    """The widest gap between the mu nodes of each kappa node."""
    mu_nodes: NDArray
    """(kappa nodes, mu nodes): the mu nodes, and their weights within the kappa node."""
    mu_weight: NDArray


def _posterior(c: _Counts, search_profile: NDArray) -> _Posterior:
    """Posterior of (mu, log kappa) on a grid: log kappa nodes where it has mass, and at
    each a logit-mu quadrature between the points where the density falls by 20."""
    sp = _special()
    grid = _search_grid()
    rough = search_profile + log_hyperprior(grid)
    keep = np.flatnonzero(rough >= rough.max() - _REGION_DROP)
    lo, hi = grid[max(keep[0] - 1, 0)], grid[min(keep[-1] + 1, len(grid) - 1)]
    log_kappa = np.linspace(lo, hi, _FINE_POINTS)
    kappa = np.exp(log_kappa)

    def density(t: NDArray) -> NDArray:
        # log posterior of logit mu at each kappa: uniform mu has density mu(1-mu) in t
        jacobian = np.asarray(sp.log_expit(t) + sp.log_expit(-t), dtype=np.float64)
        return _loglik(c, t, kappa[:, None] if t.ndim == 2 else kappa) + jacobian

    def slope(t: NDArray) -> NDArray:
        mu = np.asarray(sp.expit(t), dtype=np.float64)
        return _score(c, t, kappa) * mu * (1.0 - mu) + (1.0 - 2.0 * mu)

    mode = _bisect(slope, kappa.shape)
    top = density(mode)
    step = 1e-4
    curvature = (slope(mode + step) - slope(mode - step)) / (2 * step)
    scale = 1.0 / np.sqrt(np.maximum(-curvature, 1e-6))
    ends = []
    for side in (-1.0, 1.0):
        reach = 6.0 * scale
        for _ in range(8):
            t_end = np.clip(mode + side * reach, -_LOGIT_LIMIT, _LOGIT_LIMIT)
            short = (top - density(t_end) < _TAIL_DROP) & (np.abs(t_end) < _LOGIT_LIMIT)
            if not short.any():
                break
            reach = np.where(short, 2.0 * reach, reach)
        ends.append(np.clip(mode + side * reach, -_LOGIT_LIMIT, _LOGIT_LIMIT))
    frac = np.linspace(0.0, 1.0, _MU_NODES)
    t_nodes = ends[0][:, None] + (ends[1] - ends[0])[:, None] * frac[None, :]
    log_f = density(t_nodes)  # (kappa, mu nodes)
    trap = np.full(_MU_NODES, 1.0)
    trap[[0, -1]] = 0.5
    width = (ends[1] - ends[0]) / (_MU_NODES - 1)
    peak = log_f.max(axis=1, keepdims=True)
    inner = np.exp(log_f - peak) * trap
    mass = inner.sum(axis=1)
    mu_nodes = sp.expit(t_nodes)
    mu_mean = (inner * mu_nodes).sum(axis=1) / mass
    mu_var = (inner * (mu_nodes - mu_mean[:, None]) ** 2).sum(axis=1) / mass
    log_w = peak[:, 0] + np.log(mass * width) + log_hyperprior(log_kappa)
    node_trap = np.full(_FINE_POINTS, 1.0)
    node_trap[[0, -1]] = 0.5
    w = _pruned(np.exp(log_w - log_w.max()) * node_trap)
    used = w > 0
    return _Posterior(
        kappa[used],
        w[used],
        mu_mean[used],
        mu_var[used],
        np.diff(mu_nodes, axis=1).max(axis=1)[used],
        mu_nodes[used],
        (inner / mass[:, None])[used],
    )


def _pruned(w: NDArray) -> NDArray:
    """Weights normalised, the smallest ones (together under 1e-12) set to 0."""
    w = w / w.sum()
    order = np.argsort(w)
    w[order[np.cumsum(w[order]) <= _PRUNE]] = 0.0
    return np.asarray(w / w.sum(), dtype=np.float64)


def _judge_components(post: _Posterior, k: NDArray, n: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Per judge and log kappa node, the Beta matching the mean and variance of p_j.

    Given kappa, p_j's posterior is a mixture over mu of Beta(mu kappa + k, (1 - mu) kappa
    + n - k); its mean and variance need only mu's mean and variance at that node.
    Returns (mean, alpha, beta), each (judges, nodes).
    """
    kap = post.kappa[None, :]
    m, v = post.mu_mean[None, :], post.mu_var[None, :]
    kk, nn = k[:, None], n[:, None]
    s = kap + nn
    mean = (kap * m + kk) / s
    # E[a b] with a = mu kappa + k, b = (1 - mu) kappa + n - k
    ab = (kap * m + kk) * (kap * (1 - m) + nn - kk) - kap**2 * v
    var = ab / (s**2 * (s + 1)) + (kap / s) ** 2 * v
    var = np.maximum(var, 1e-300)
    size = np.maximum(mean * (1 - mean) / var - 1.0, 1e-12)
    return mean, mean * size, (1 - mean) * size


def _mixture(post: _Posterior, k: NDArray, n: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Each judge's posterior as Beta components: (weights, means, alphas, betas).

    At a kappa node where the Betas of neighbouring mu nodes overlap (their means are
    closer than half a component's standard deviation, for the smallest caseload) the
    mu nodes are kept as components: exact up to quadrature. Where they would form a comb
    of narrow spikes (large kappa) the node is one Beta with the mixture's mean and
    variance. Large courts use the moment-matched Betas throughout: their mu is pinned
    down, so the two agree, and the arrays stay small.
    """
    w_c = post.weight
    mean_c, a_c, b_c = _judge_components(post, k, n)
    n_min = float(n.min())
    m = post.mu_mean
    sd = np.sqrt(m * (1 - m) / (post.kappa + n_min + 1.0))
    smooth = post.mu_step * post.kappa / (post.kappa + n_min) < 0.5 * sd
    cells = len(k) * int(smooth.sum()) * post.mu_nodes.shape[1]
    if not smooth.any() or cells > _EXACT_CELLS:
        return w_c, mean_c, a_c, b_c
    kap = np.repeat(post.kappa[smooth], post.mu_nodes.shape[1])[None, :]
    mu = post.mu_nodes[smooth].ravel()[None, :]
    w_s = (post.weight[smooth, None] * post.mu_weight[smooth]).ravel()
    a_s = mu * kap + k[:, None]
    b_s = (1 - mu) * kap + (n - k)[:, None]
    rest = ~smooth
    w = np.concatenate([w_s, w_c[rest]])
    keep = w > 0
    return (
        w[keep] / w[keep].sum(),
        np.concatenate([a_s / (a_s + b_s), mean_c[:, rest]], axis=1)[:, keep],
        np.concatenate([a_s, a_c[:, rest]], axis=1)[:, keep],
        np.concatenate([b_s, b_c[:, rest]], axis=1)[:, keep],
    )


def _mixture_quantile(
    w: NDArray, a: NDArray, b: NDArray, q: float, near: NDArray | None = None
) -> NDArray:
    """The q-quantile of each row's Beta mixture (weights ``w`` over the columns).

    The answer lies between the smallest and largest component quantile (the mixture CDF
    is a weighted mean of the components'); a Newton step inside that bracket, or a
    bisection when it would leave it, until the bracket or the CDF error is below 1e-10.
    ``near`` (a close guess) brackets it by +-0.01 instead, where the CDF confirms that.
    """
    sp = _special()
    if near is not None:
        lo, hi = np.clip(near - 0.01, 0.0, 1.0), np.clip(near + 0.01, 0.0, 1.0)
        cdf_lo = sp.betainc(a, b, lo[:, None]) @ w
        cdf_hi = sp.betainc(a, b, hi[:, None]) @ w
        if np.all((cdf_lo <= q) & (cdf_hi >= q)):
            x = near.copy()
        else:
            near = None
    if near is None:
        comp = sp.betaincinv(a, b, q)
        lo, hi = comp.min(axis=1), comp.max(axis=1)
        x = np.clip(comp @ w, lo, hi)
    log_norm = sp.betaln(a, b)
    for _ in range(60):
        cdf = sp.betainc(a, b, x[:, None]) @ w
        err = cdf - q
        lo = np.where(err < 0, x, lo)
        hi = np.where(err >= 0, x, hi)
        done = (hi - lo <= 1e-10) | (np.abs(err) <= 1e-10)
        if done.all():
            break
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            xc = x[:, None]
            log_pdf = (a - 1) * np.log(xc) + (b - 1) * np.log1p(-xc) - log_norm
            pdf = np.exp(log_pdf) @ w
            step = x - err / pdf
        ok = np.isfinite(step) & (step > lo) & (step < hi)
        x = np.where(done, x, np.where(ok, step, 0.5 * (lo + hi)))
    return x


def _one_judge(c: _Counts, grants: Any, totals: Any, confidence: float) -> JudgeEstimates:
    k = np.asarray(grants, dtype=np.float64).ravel()
    n = np.asarray(totals, dtype=np.float64).ravel()
    low, high = wilson_interval(k, n, confidence)
    note = "one judge: no court prior; raw rate with its Wilson interval"
    return JudgeEstimates(MODEL_ONE_JUDGE, note, None, k / n, low, high, None)


def estimate_judges(grants: Any, totals: Any, confidence: float = 0.95) -> JudgeEstimates:
    """Each judge's posterior mean and equal-tailed ``confidence`` interval.

    The posterior of each judge's rate is averaged over the posterior of the court prior
    (see the module docstring), so the intervals are as wide as the court's data warrant.
    """
    c = _Counts.of(grants, totals)
    if c.weight.sum() < 2:
        return _one_judge(c, grants, totals, confidence)
    fit, profile, _ = _fit(c)
    post = _posterior(c, profile)
    k = np.asarray(grants, dtype=np.float64).ravel()
    n = np.asarray(totals, dtype=np.float64).ravel()
    tail = (1.0 - confidence) / 2.0
    _, a_c, b_c = _judge_components(post, k, n)
    low = _mixture_quantile(post.weight, a_c, b_c, tail)
    high = _mixture_quantile(post.weight, a_c, b_c, 1.0 - tail)
    w, mean, a, b = _mixture(post, k, n)
    if a.shape != a_c.shape:  # a small court: polish on the exact mixture
        low = _mixture_quantile(w, a, b, tail, near=low)
        high = _mixture_quantile(w, a, b, 1.0 - tail, near=high)
    estimate = mean @ w
    cdf = np.cumsum(post.weight)
    last = len(cdf) - 1
    kappa_low = float(post.kappa[min(int(np.searchsorted(cdf, 0.025)), last)])
    kappa_high = float(post.kappa[min(int(np.searchsorted(cdf, 0.975)), last)])
    judges = int(c.weight.sum())
    if fit.bound == "upper":
        model = MODEL_INDISTINGUISHABLE
        note = (
            f"judges indistinguishable: the {judges} judges' rates differ no more than "
            "chance allows, so estimates are pooled toward the court rate; intervals allow "
            "for the differences the data cannot rule out"
        )
    else:
        model = MODEL_HIERARCHICAL
        note = (
            f"court prior Beta(mean {fit.mean:.3f}, concentration {fit.concentration:.3g}) "
            f"fitted to {judges} judges; intervals include its uncertainty "
            f"(concentration {kappa_low:.3g} to {kappa_high:.3g})"
        )
        if fit.bound == "lower":
            note += "; the judges spread as widely as a Beta prior allows"
    return JudgeEstimates(model, note, fit, estimate, low, high, (kappa_low, kappa_high))
