"""Judge disparity within a court: raw rates beside shrunken estimates, pseudo-judges apart.

A judge with 12 decisions and 0 grants has a raw rate of 0%, which says little. The
shrunken estimate pulls each judge toward the court's distribution of judge rates, by
how little data the judge has; the model (a beta-binomial with a hyperprior, intervals
that carry the prior's uncertainty) is :mod:`asylumlens.analytics.judge_model`, and
``docs/methodology.md`` ("The judge model") states it with its simulated coverage.

Not every IJ_CODE is a judge. A blank code, ``AAA`` "<All Judges>", the clerical transfer
code, and temporary, visiting, video, master-calendar, docket, detail and test codes name a
slot or a role (often shared by many people, or a second code of a judge who has a regular
one). Their decisions are listed apart in ``df.attrs["not_judges"]`` with their counts and
the reason, and are never fitted or ranked. The rule is data: :data:`NOT_A_JUDGE_CODES` and
:data:`NOT_A_JUDGE_NAMES`, applied to the code and to its name in the release's
tblLookupJudge.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd

from asylumlens.analytics.definitions import DEFAULT_DEFINITION
from asylumlens.analytics.judge_model import estimate_judges
from asylumlens.analytics.rates import JUDGE_PERIOD_MIN, RatesSpec, rates_for
from asylumlens.analytics.source import EngineArg, ReleaseArg, StoreArg, open_source
from asylumlens.errors import QueryError

NO_JUDGE_CODE: Final = "no judge code"

NOT_A_JUDGE_CODES: Final[dict[str, str]] = {
    "AAA": "placeholder for all judges",
    "CLR": "clerical transfer code",
    "XXX": "shared code of former judges",
}
"""IJ_CODEs that are never a judge, whatever the lookup calls them."""

NOT_A_JUDGE_NAMES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (r"<[^>]*>", "placeholder name"),
        (r"\(temp\)", "temporary code"),
        (r"\bvisiting\b", "visiting-judge code"),
        (r"\bmaster calendar\b", "master-calendar code"),
        (r"\bvideo\b", "video docket"),
        (r"\bclerical\b", "clerical code"),
        (r"\bdocket\b", "docket, not a person"),
        (r"\bdetail judge\b", "detail slot"),
        (r"\btest(?:ing)?\b", "test code"),
        (r"\b(new|incoming|training|former)\b.*\b(ij|judge)\b", "placeholder for a judge"),
        (r"\b(ij|judge)\b", "a role, not a person"),
        (r"^[a-z .]+ \d+$", "numbered slot"),
    )
)
"""Patterns of tblLookupJudge names that name a role or slot, with the reason; first match
wins. Checked against EOIR's lookup (1,133 codes): no named judge matches one."""


def not_a_judge(code: Any, name: Any) -> str | None:
    """Why ``code`` (named ``name`` in the judge lookup) is not a judge, or None if it is.

    A code the lookup does not list (no name) counts as a judge: nothing says otherwise.
    """
    if code is None or (not isinstance(code, str) and pd.isna(code)) or not str(code).strip():
        return NO_JUDGE_CODE
    reason = NOT_A_JUDGE_CODES.get(str(code).strip().upper())
    if reason:
        return reason
    if isinstance(name, str):
        for pattern, why in NOT_A_JUDGE_NAMES:
            if pattern.search(name.strip()):
                return why
    return None


def spread(values: pd.Series) -> dict[str, float | int]:
    v = values.dropna().to_numpy(dtype=np.float64)
    if len(v) == 0:
        return {"judges": 0, "min": float("nan"), "max": float("nan"), "iqr": float("nan")}
    q1, q3 = np.percentile(v, [25, 75])
    return {"judges": len(v), "min": float(v.min()), "max": float(v.max()), "iqr": float(q3 - q1)}


def _not_judges_records(df: pd.DataFrame, reasons: pd.Series) -> list[dict[str, Any]]:
    """The pseudo-judge rows as plain records (JSON-ready), largest first."""
    cols = [c for c in ("judge", "judge_name", "grants", "denials", "others", "total") if c in df]
    apart = df.loc[reasons.notna(), cols].assign(reason=reasons[reasons.notna()])
    apart = apart.sort_values("total", ascending=False, kind="stable")
    records: list[dict[str, Any]] = []
    for rec in apart.to_dict("records"):
        row: dict[str, Any] = {}
        for key, value in rec.items():
            if isinstance(value, np.integer):
                row[str(key)] = int(value)
            elif value is None or (not isinstance(value, str) and pd.isna(value)):
                row[str(key)] = None
            else:
                row[str(key)] = value
        records.append(row)
    return records


def judges(
    court: str,
    *,
    nationality: str | None = None,
    definition: str = DEFAULT_DEFINITION,
    since: str | date | None = None,
    until: str | date | None = None,
    store: StoreArg = None,
    release: ReleaseArg = None,
    engine: EngineArg = None,
    unit: str | None = None,
) -> pd.DataFrame:
    """Each judge of ``court``: raw rate with Wilson interval, and the shrunken estimate.

    ``unit`` (application, proceeding or case) defaults to the definition's own. ``court``
    and ``nationality`` take a code in any case or a name (``"nyc"``, ``"china"``), resolved
    to the release's code as every filter is; ``df.attrs`` reports the codes applied.

    ``shrunk_rate`` is the judge's posterior mean and ``shrunk_low``/``shrunk_high`` its
    95% equal-tailed interval, averaged over the uncertainty of the court prior.
    ``df.attrs["model"]`` is ``"hierarchical"``, ``"indistinguishable"`` or ``"one judge"``
    and ``df.attrs["note"]`` says in a sentence what that means for these numbers.
    ``df.attrs["prior"]`` holds the maximum marginal likelihood Beta prior (alpha, beta,
    mean, concentration, its 95% posterior range, method); ``df.attrs["spread"]`` min, max
    and IQR of the raw rates (all judges, and judges at or above the 100-decision
    threshold) and of the shrunken rates; ``df.attrs["not_judges"]`` the codes that are not
    judges (see :func:`not_a_judge`), with their counts and reason, never fitted or ranked.
    """
    where: dict[str, str] = {"court": court}
    if nationality:
        where["nationality"] = nationality
    spec = RatesSpec.build(
        definition, ("court", "judge"), where, since, until, unit, min_decisions=JUDGE_PERIOD_MIN
    )
    with open_source(store, release, engine=engine) as source:
        df = rates_for(source, spec)
    # the release's own codes, as resolved from what was given ("nyc" -> "NYC")
    court = str(df.attrs["where"]["court"][0])
    if nationality:
        nationality = str(df.attrs["where"]["nationality"][0])
    reasons = pd.Series(
        [not_a_judge(c, n) for c, n in zip(df["judge"], df["judge_name"], strict=True)],
        index=df.index,
        dtype=object,
    )
    not_judges = _not_judges_records(df, reasons)
    people = df.loc[reasons.isna()].reset_index(drop=True)
    if people.empty:
        codes = ", ".join(str(r["judge"]) for r in not_judges[:5])
        raise QueryError(
            f"court {court}: no asylum decision has an identified judge; "
            f"{sum(int(r['total']) for r in not_judges)} are under codes that are not "
            f"judges ({codes})"
        )
    fit = estimate_judges(people["grants"], people["total"])
    out = people.assign(shrunk_rate=fit.estimate, shrunk_low=fit.low, shrunk_high=fit.high)
    out = out.sort_values(["shrunk_rate", "judge"], ascending=[False, True]).reset_index(drop=True)
    eligible = out.loc[~out["below_threshold"], "rate"]
    prior = fit.prior
    nan = float("nan")
    low, high = fit.concentration_interval or (nan, nan)
    out.attrs.update(df.attrs)
    out.attrs.update(
        {
            "court": court,
            "nationality": nationality,
            "model": fit.model,
            "note": fit.note,
            "prior": {
                "alpha": prior.alpha if prior else nan,
                "beta": prior.beta if prior else nan,
                "mean": prior.mean if prior else nan,
                "concentration": prior.concentration if prior else nan,
                "concentration_low": low,
                "concentration_high": high,
                "method": "marginal likelihood" if prior else "none",
            },
            "spread": {
                "raw": spread(out["rate"]),
                "raw_at_threshold": spread(eligible),
                "shrunken": spread(out["shrunk_rate"]),
            },
            "not_judges": not_judges,
        }
    )
    return out
