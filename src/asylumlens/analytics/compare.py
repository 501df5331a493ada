"""A period's grant rate against a baseline run of fiscal years, in the newspaper's form.

"… fell to 10% in FY2025 from a 28% average in FY2010–FY2024" compares one year with an
average over the baseline. *How* the newspaper averaged is assumed, not known: AsylumLens
takes the unweighted mean of yearly rates (each year counts once, as an average of
published yearly figures would), and gives the pooled rate (all baseline decisions
together, which weights busy years more) beside it, labelled. The two can differ by
several points.

Honesty rules, each tested: counts beside every rate; a baseline year with fewer than
:data:`~asylumlens.analytics.rates.YEARLY_CELL_MIN` decisions is flagged and named in the
sentence (it still counts as a full year in the mean: that is what a mean of yearly rates
does); missing baseline years are named in the label; a partial fiscal year (one ending
after the release's last complete day) is flagged and said; the mean's interval admits
between-year variation (:func:`~asylumlens.analytics.intervals.mean_of_yearly_rates_interval`);
and the mean's row carries no grants/total pair, since those would divide to the pooled
rate, not the mean (the pooled counts are on the ``baseline_pooled`` row, and the
``decisions`` column says how many decisions stand behind each row).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

import pandas as pd

from asylumlens.analytics.definitions import DEFAULT_DEFINITION, get_definition
from asylumlens.analytics.dimensions import Where
from asylumlens.analytics.intervals import mean_of_yearly_rates_interval, wilson_interval
from asylumlens.analytics.periods import (
    BASELINE_START,
    FiscalYears,
    headline_periods,
    parse_fiscal_years,
)
from asylumlens.analytics.rates import (
    YEARLY_CELL_MIN,
    RatesSpec,
    check_where_values,
    rates_for,
)
from asylumlens.analytics.source import EngineArg, ReleaseArg, Source, StoreArg, open_source
from asylumlens.errors import QueryError

MEASURES: Final = ("period", "baseline_mean", "baseline_pooled")
WILSON: Final = "Wilson 95% (pooled decisions)"
MEAN_INTERVAL: Final = "t over years, 95% (between-year spread; Agresti-Coull floor)"
_COUNTS: Final = ("grants", "denials", "others", "other_relief", "total")


def _years_text(years: list[int]) -> str:
    return ", ".join(f"FY{y}" for y in years)


def years_label(fys: FiscalYears, missing: list[int]) -> str:
    """``FY2010–FY2024``, naming the years without data: ``… (no data for FY2013)``."""
    if not missing:
        return fys.label
    return f"{fys.label} (no data for {_years_text(missing)})"


def _row(
    rows: pd.DataFrame, fys: FiscalYears, measure: str, label: str, relief: bool
) -> dict[str, Any]:
    sel = rows[rows["fiscal_year"].isin(fys.years)]
    present = set(int(y) for y in sel["fiscal_year"])
    missing = [y for y in fys.years if y not in present]
    thin = {
        int(y): int(n)
        for y, n in zip(sel["fiscal_year"], sel["total"], strict=True)
        if n < YEARLY_CELL_MIN
    }
    grants, total = int(sel["grants"].sum()), int(sel["total"].sum())
    low, high = wilson_interval(grants, total)
    out: dict[str, Any] = {
        "measure": measure,
        "label": label,
        "fiscal_years": years_label(fys, missing),
        "years_with_data": len(sel),
        "years_missing": _years_text(missing),
        "years_below_threshold": _years_text(list(thin)),
        "_thin": thin,
        "grants": grants,
        "denials": int(sel["denials"].sum()),
        "others": int(sel["others"].sum()),
    }
    if relief:
        out["other_relief"] = int(sel["other_relief"].sum())
    out.update(
        {
            "total": total,
            "decisions": total,
            "rate": grants / total if total else float("nan"),
            "ci_low": float(low),
            "ci_high": float(high),
            "interval": WILSON,
            "below_threshold": bool(thin) or total < YEARLY_CELL_MIN,
            "partial": bool(sel["partial"].any()),
        }
    )
    return out


def _pct(rate: float) -> int:
    return round(rate * 100)


def sentence(
    period: dict[str, Any],
    mean: dict[str, Any],
    pooled: dict[str, Any],
    title: str,
    unit: str,
    last_complete_day: str | None,
) -> str:
    """The comparison as one paragraph, rounded as a newspaper would print it, followed by
    the counts behind it and every caveat that applies (thin, missing, partial years)."""
    p, m = _pct(period["rate"]), _pct(mean["rate"])
    verb = "fell to" if p < m else "rose to" if p > m else "was unchanged at"
    parts = [
        f"The asylum grant rate ({title}, counting {unit}s) {verb} {p}% in "
        f"{period['fiscal_years']} from a {m}% average in {mean['fiscal_years']} "
        f"(pooled over those years: {_pct(pooled['rate'])}%).",
        f"Counts: {period['grants']:,} grants of {period['total']:,} decisions in "
        f"{period['fiscal_years']}; {pooled['grants']:,} of {pooled['total']:,} over the "
        f"{pooled['years_with_data']} baseline years with data.",
    ]
    for row, role in ((period, "period"), (mean, "baseline")):
        if row["_thin"]:
            listed = ", ".join(
                f"FY{y} ({n} decision{'' if n == 1 else 's'})" for y, n in row["_thin"].items()
            )
            parts.append(
                f"Fewer than {YEARLY_CELL_MIN} decisions in {listed} ({role}); "
                + (
                    "each still counts as a full year in the average."
                    if role == "baseline"
                    else "the rate rests on few decisions."
                )
            )
    if period["partial"] or mean["partial"]:
        which = [r["fiscal_years"] for r in (period, mean) if r["partial"]]
        parts.append(
            f"Partial year: {' and '.join(which)} ends after {last_complete_day}, the last "
            "complete day of this release's data; its count is incomplete."
        )
    return " ".join(parts)


def years_with_data(source: Source, definition: str, unit: str | None = None) -> list[int]:
    """The fiscal years in which ``definition`` counts at least one decision (all courts)."""
    spec = RatesSpec.build(definition, ("fiscal_year",), None, None, None, unit)
    try:
        yearly = rates_for(source, spec)
    except QueryError:
        return []
    return sorted(int(y) for y in yearly["fiscal_year"].dropna())


def _defaults(
    source: Source, definition: str, unit: str | None, period: str | None, baseline: str | None
) -> tuple[str, str]:
    """``period`` and ``baseline`` with the headline defaults filled in where None: the
    latest complete fiscal year, against FY2010 (or the first year with data) through the
    year before the period (the period given, else the default one)."""
    years = years_with_data(source, definition, unit)
    if period is None:
        period = headline_periods(source.coverage.last_complete_day, years)[0]
    if baseline is None:
        first_of_period = parse_fiscal_years(period, name="period").first
        earlier = [y for y in years if y < first_of_period]
        if not earlier:
            raise QueryError(
                f"no fiscal year with data before {period} for a default baseline; give baseline"
            )
        start = max(BASELINE_START, min(earlier))
        if start >= first_of_period:
            start = min(earlier)
        baseline = f"FY{start}-FY{first_of_period - 1}"
    return period, baseline


def default_comparison(
    definition: str = DEFAULT_DEFINITION,
    *,
    store: StoreArg = None,
    release: ReleaseArg = None,
    engine: EngineArg = None,
    unit: str | None = None,
    period: str | None = None,
) -> tuple[str, str]:
    """The journalist's default line for a release, e.g. ``("FY2025", "FY2010-FY2024")``.

    The latest fiscal year complete by the release's last complete day (and with data),
    against FY2010 (or the first fiscal year with data) through the year before. Given a
    ``period``, its default baseline. The CLI, the API and the home page all use it, so
    they print the same line. A QueryError when the release has no such pair of periods.
    """
    get_definition(definition)
    with open_source(store, release, engine=engine) as source:
        return _defaults(source, definition, unit, period, None)


def compare(
    period: str | None = None,
    *,
    baseline: str | None = None,
    definition: str = DEFAULT_DEFINITION,
    where: Where | None = None,
    unit: str | None = None,
    store: StoreArg = None,
    release: ReleaseArg = None,
    engine: EngineArg = None,
) -> pd.DataFrame:
    """Three labelled rows: the period's rate, the baseline's mean of yearly rates, and
    the baseline's pooled rate, each with a 95% interval and the counts behind it.

    ``period`` defaults to the latest fiscal year complete in the release, ``baseline`` to
    FY2010 (or the first fiscal year with data) through the year before the period
    (:func:`default_comparison`). The newspaper's averaging method is assumed (an
    unweighted mean of yearly rates), not known; the pooled rate is shown beside it.
    ``unit`` defaults to the definition's own.

    ``df.attrs["sentence"]`` holds the newspaper sentence with its counts and caveats;
    ``df.attrs["baseline_years"]`` the yearly rows behind the mean (with
    ``below_threshold`` and ``partial``); ``baseline_years_missing`` and
    ``baseline_years_below_threshold`` the years named in the label and sentence;
    ``defaulted`` which of period and baseline were chosen by default.
    """
    get_definition(definition)
    with open_source(store, release, engine=engine) as source:
        defaulted = [n for n, v in (("period", period), ("baseline", baseline)) if v is None]
        period, baseline = _defaults(source, definition, unit, period, baseline)
        per = parse_fiscal_years(period, name="period")
        base = parse_fiscal_years(baseline, name="baseline")
        first, last = min(per.first, base.first), max(per.last, base.last)
        spec = RatesSpec.build(
            definition, ("fiscal_year",), where, f"FY{first}", f"FY{last}", unit, None
        )
        # resolved first, so that an unknown or ambiguous value says so (not "no decisions")
        spec = check_where_values(source, spec)
        try:
            yearly = rates_for(source, spec)
        except QueryError:
            applied = {name: list(values) for name, values in spec.where}
            raise QueryError(
                f"no asylum decisions in {per.label} or {base.label} match "
                f"(definition={definition}, where={applied})"
            ) from None
        attrs = dict(yearly.attrs)
    title = str(attrs["definition_title"])
    if not yearly["fiscal_year"].isin(per.years).any():
        raise QueryError(f"no asylum decisions in {per.label} match; cannot compare")
    base_rows = yearly[yearly["fiscal_year"].isin(base.years)]
    if base_rows.empty:
        raise QueryError(f"no asylum decisions in baseline {base.label} match; cannot compare")
    relief = spec.definition.other_relief
    this = _row(yearly, per, "period", f"rate in {per.label}", relief)
    pooled = _row(yearly, base, "baseline_pooled", f"pooled rate over {base.label}", relief)
    mean_rate, mean_low, mean_high = mean_of_yearly_rates_interval(
        base_rows["grants"], base_rows["total"]
    )
    no_counts: dict[str, Any] = {c: None for c in _COUNTS if c in pooled}
    mean: dict[str, Any] = {
        **pooled,
        "measure": "baseline_mean",
        "label": (
            f"mean of {pooled['years_with_data']} yearly rates over {base.label} "
            "(pooled counts: see baseline_pooled)"
        ),
        "rate": mean_rate,
        "ci_low": mean_low,
        "ci_high": mean_high,
        "interval": MEAN_INTERVAL,
        "below_threshold": bool(pooled["years_below_threshold"]),
        **no_counts,
    }
    sentence_text = sentence(
        this, mean, pooled, title, str(attrs["unit"]), attrs.get("last_complete_day")
    )
    for row in (this, mean, pooled):
        row.pop("_thin")
    df = pd.DataFrame([this, mean, pooled])
    for col in _COUNTS:
        if col in df:
            df[col] = pd.Series([r.get(col) for r in (this, mean, pooled)], dtype=object)
    df["definition"] = attrs["definition"]
    df["unit"] = attrs["unit"]
    df["release"] = attrs["release"]
    df["synthetic"] = bool(attrs["synthetic"])
    df.attrs.update(attrs)
    df.attrs.update(
        {
            "period": per.label,
            "baseline": base.label,
            "baseline_years": [
                {k: _plain(v) for k, v in row.items()}
                for row in base_rows[
                    ["fiscal_year", "grants", "total", "rate", "below_threshold", "partial"]
                ].to_dict("records")
            ],
            "baseline_years_missing": [
                y for y in base.years if y not in set(base_rows["fiscal_year"])
            ],
            "baseline_years_below_threshold": [
                int(y)
                for y, n in zip(base_rows["fiscal_year"], base_rows["total"], strict=True)
                if n < YEARLY_CELL_MIN
            ],
            "period_years_missing": [y for y in per.years if y not in set(yearly["fiscal_year"])],
            "interval_methods": {"pooled": WILSON, "mean": MEAN_INTERVAL},
            "averaging": "unweighted mean of yearly rates (assumed; the newspaper's is not known)",
            "sentence": sentence_text,
            "defaulted": defaulted,
            "since": date(first - 1, 10, 1).isoformat(),
            "until": date(last, 9, 30).isoformat(),
        }
    )
    return df


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
