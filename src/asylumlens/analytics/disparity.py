"""Judge disparity within a court: raw rates beside empirical-Bayes shrunken estimates.

A judge with 12 decisions and 0 grants has a raw rate of 0%, which says little. The
shrunken estimate pulls each judge toward the court's distribution of judge rates, by
how little data the judge has: a beta-binomial model whose Beta(alpha, beta) prior is
fitted to the court's judges by maximum marginal likelihood (scipy), started from the
method-of-moments estimate. Each judge's posterior is Beta(alpha + grants,
beta + total - grants); its mean is the shrunken rate and its 2.5%/97.5% quantiles the
95% equal-tailed posterior interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from asylumlens.analytics.rates import JUDGE_PERIOD_MIN, RatesSpec, rates_for
from asylumlens.analytics.source import ReleaseArg, StoreArg, open_source
from asylumlens.errors import QueryError

_MIN_CONCENTRATION = 1e-3
_MAX_CONCENTRATION = 1e7


@dataclass(frozen=True)
class BetaPrior:
    alpha: float
    beta: float
    method: str

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


def _moments(k: np.ndarray[Any, Any], n: np.ndarray[Any, Any]) -> tuple[float, float]:
    """Method-of-moments (mean, concentration) of judge rates; the optimiser's start."""
    p = k / n
    mu = float(np.clip(k.sum() / n.sum(), 1e-6, 1 - 1e-6))
    var = float(np.average((p - mu) ** 2, weights=n))
    binom_var = mu * (1 - mu) * float(np.mean(1.0 / n))
    excess = var - binom_var
    if excess <= 0:
        return mu, _MAX_CONCENTRATION
    kappa = mu * (1 - mu) / excess - 1.0
    return mu, float(np.clip(kappa, _MIN_CONCENTRATION, _MAX_CONCENTRATION))


def fit_beta_prior(grants: Any, totals: Any) -> BetaPrior:
    """Beta prior of judge grant rates by maximum marginal (beta-binomial) likelihood."""
    from scipy import optimize, special  # imported here: scipy is slow to import

    k = np.asarray(grants, dtype=np.float64)
    n = np.asarray(totals, dtype=np.float64)
    keep = n > 0
    k, n = k[keep], n[keep]
    if len(k) == 0:
        raise QueryError("no judge has a decision to fit a prior to")
    mu0, kappa0 = _moments(k, n)
    if len(k) < 2:
        a = mu0 * kappa0
        return BetaPrior(a, kappa0 - a, "moments")

    def negloglik(theta: np.ndarray[Any, Any]) -> float:
        mu = special.expit(theta[0])
        kappa = np.exp(theta[1])
        a, b = mu * kappa, (1 - mu) * kappa
        return -float(np.sum(special.betaln(k + a, n - k + b) - special.betaln(a, b)))

    start = np.array([special.logit(mu0), np.log(kappa0)])
    bounds = [(-20.0, 20.0), (np.log(_MIN_CONCENTRATION), np.log(_MAX_CONCENTRATION))]
    result = optimize.minimize(negloglik, start, method="L-BFGS-B", bounds=bounds)
    if not result.success and negloglik(result.x) > negloglik(start):
        a = mu0 * kappa0
        return BetaPrior(a, kappa0 - a, "moments")
    mu, kappa = float(special.expit(result.x[0])), float(np.exp(result.x[1]))
    return BetaPrior(mu * kappa, (1 - mu) * kappa, "marginal likelihood")


def shrink(grants: Any, totals: Any, prior: BetaPrior, confidence: float = 0.95) -> pd.DataFrame:
    """Posterior mean and equal-tailed interval per judge under ``prior``."""
    from scipy import stats

    k = np.asarray(grants, dtype=np.float64)
    n = np.asarray(totals, dtype=np.float64)
    a, b = prior.alpha + k, prior.beta + n - k
    tail = (1 - confidence) / 2
    return pd.DataFrame(
        {
            "shrunk_rate": a / (a + b),
            "shrunk_low": stats.beta.ppf(tail, a, b),
            "shrunk_high": stats.beta.ppf(1 - tail, a, b),
        }
    )


def spread(values: pd.Series) -> dict[str, float | int]:
    v = values.dropna().to_numpy(dtype=np.float64)
    if len(v) == 0:
        return {"judges": 0, "min": float("nan"), "max": float("nan"), "iqr": float("nan")}
    q1, q3 = np.percentile(v, [25, 75])
    return {"judges": len(v), "min": float(v.min()), "max": float(v.max()), "iqr": float(q3 - q1)}


def judges(
    court: str,
    nationality: str | None = None,
    definition: str = "trac",
    since: str | date | None = None,
    until: str | date | None = None,
    store: StoreArg = None,
    release: ReleaseArg = None,
    unit: str | None = None,
) -> pd.DataFrame:
    """Each judge of ``court``: raw rate with Wilson interval, and the shrunken estimate.

    ``unit`` (application, proceeding or case) defaults to the definition's own.

    ``df.attrs["spread"]`` holds min, max and IQR of the raw rates (all judges, and judges
    at or above the 100-decision threshold) and of the shrunken rates;
    ``df.attrs["prior"]`` the fitted Beta prior.
    """
    where: dict[str, str] = {"court": court}
    if nationality:
        where["nationality"] = nationality
    spec = RatesSpec.build(
        definition, ("court", "judge"), where, since, until, unit, min_decisions=JUDGE_PERIOD_MIN
    )
    with open_source(store, release) as source:
        df = rates_for(source, spec)
    prior = fit_beta_prior(df["grants"], df["total"])
    post = shrink(df["grants"], df["total"], prior)
    out = pd.concat([df.reset_index(drop=True), post], axis=1)
    out = out.sort_values(["shrunk_rate", "judge"], ascending=[False, True]).reset_index(drop=True)
    eligible = out.loc[~out["below_threshold"], "rate"]
    out.attrs.update(df.attrs)
    out.attrs.update(
        {
            "court": court,
            "nationality": nationality,
            "prior": {
                "alpha": prior.alpha,
                "beta": prior.beta,
                "mean": prior.mean,
                "method": prior.method,
            },
            "spread": {
                "raw": spread(out["rate"]),
                "raw_at_threshold": spread(eligible),
                "shrunken": spread(out["shrunk_rate"]),
            },
        }
    )
    return out
