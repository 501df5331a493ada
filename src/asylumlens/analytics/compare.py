"""A period's grant rate against a baseline run of fiscal years, in the newspaper's form.

"… fell to 10% in FY2025 from a 28% average in FY2010–FY2024" compares one year with the
*mean of yearly rates* over the baseline. A pooled rate (all baseline decisions together)
weights busy years more and can differ by several points, so both are given, labelled.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from asylumlens.analytics.dimensions import Where
from asylumlens.analytics.intervals import mean_of_rates_interval, wilson_interval
from asylumlens.analytics.periods import FiscalYears, parse_fiscal_years
from asylumlens.analytics.rates import RatesSpec, rates_for
from asylumlens.analytics.source import ReleaseArg, StoreArg, open_source
from asylumlens.errors import QueryError

MEASURES = ("period", "baseline_mean", "baseline_pooled")


def _pooled(rows: pd.DataFrame, fys: FiscalYears, measure: str, label: str) -> dict[str, Any]:
    sel = rows[rows["fiscal_year"].isin(fys.years)]
    grants, total = int(sel["grants"].sum()), int(sel["total"].sum())
    low, high = wilson_interval(grants, total)
    return {
        "measure": measure,
        "label": label,
        "fiscal_years": fys.label,
        "years_with_data": len(sel),
        "grants": grants,
        "denials": int(sel["denials"].sum()),
        "others": int(sel["others"].sum()),
        "total": total,
        "rate": grants / total if total else float("nan"),
        "ci_low": float(low),
        "ci_high": float(high),
    }


def sentence(
    period: dict[str, Any], mean: dict[str, Any], pooled: dict[str, Any], title: str
) -> str:
    """The comparison as one sentence, rounded as a newspaper would print it."""
    p, m = round(period["rate"] * 100), round(mean["rate"] * 100)
    verb = "fell to" if p < m else "rose to" if p > m else "was unchanged at"
    return (
        f"The asylum grant rate ({title}) {verb} {p}% in {period['fiscal_years']} from a "
        f"{m}% average in {mean['fiscal_years']} (pooled over those years: "
        f"{round(pooled['rate'] * 100)}%)."
    )


def compare(
    period: str = "FY2025",
    baseline: str = "FY2010-FY2024",
    definition: str = "eoir",
    where: Where | None = None,
    store: StoreArg = None,
    release: ReleaseArg = None,
) -> pd.DataFrame:
    """Three labelled rows: the period's rate, the baseline's mean of yearly rates, and
    the baseline's pooled rate, each with a 95% interval.

    ``df.attrs["sentence"]`` holds the newspaper sentence and ``df.attrs["baseline_years"]``
    the yearly rows behind the mean.
    """
    per = parse_fiscal_years(period, name="period")
    base = parse_fiscal_years(baseline, name="baseline")
    first, last = min(per.first, base.first), max(per.last, base.last)
    spec = RatesSpec.build(
        definition, ("fiscal_year",), where, f"FY{first}", f"FY{last}", min_decisions=None
    )
    with open_source(store, release) as source:
        try:
            yearly = rates_for(source, spec)
        except QueryError:
            raise QueryError(
                f"no asylum decisions in {per.label} or {base.label} match "
                f"(definition={definition}, where={dict(where or {})})"
            ) from None
        attrs = dict(yearly.attrs)
    title = str(attrs["definition_title"])
    if not yearly["fiscal_year"].isin(per.years).any():
        raise QueryError(f"no asylum decisions in {per.label} match; cannot compare")
    base_rows = yearly[yearly["fiscal_year"].isin(base.years)]
    if base_rows.empty:
        raise QueryError(f"no asylum decisions in baseline {base.label} match; cannot compare")
    this = _pooled(yearly, per, "period", f"rate in {per.label}")
    pooled = _pooled(yearly, base, "baseline_pooled", f"pooled rate over {base.label}")
    mean_rate, mean_low, mean_high = mean_of_rates_interval(base_rows["grants"], base_rows["total"])
    mean = {
        **pooled,
        "measure": "baseline_mean",
        "label": f"mean of yearly rates over {base.label}",
        "rate": mean_rate,
        "ci_low": mean_low,
        "ci_high": mean_high,
    }
    df = pd.DataFrame([this, mean, pooled])
    df.attrs.update(attrs)
    df.attrs.update(
        {
            "period": per.label,
            "baseline": base.label,
            "baseline_years": [
                {k: _plain(v) for k, v in row.items()}
                for row in base_rows[["fiscal_year", "grants", "total", "rate"]].to_dict("records")
            ],
            "baseline_years_missing": [
                y for y in base.years if y not in set(base_rows["fiscal_year"])
            ],
            "sentence": sentence(this, mean, pooled, title),
            "since": date(first - 1, 10, 1).isoformat(),
            "until": date(last, 9, 30).isoformat(),
        }
    )
    return df


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
