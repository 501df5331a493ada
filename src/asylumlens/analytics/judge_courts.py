"""The courts a judge sat in, most decisions first: which court a judge is compared with.

A judge's page (and any notebook comparing a judge with "their" court) needs one court to
set the judge against. The rule is the judge's *main court*: the court where the judge
decided the most asylum applications counted by the definition, in the group and period
asked about (ties: the court code first in order). When the judge decided nothing in that
group and period, the judge is still compared with their usual court: the court of most of
all their decisions (EOIR's definition, every period, no group), and ``df.attrs["basis"]``
says which of the two the ranking is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final, Literal

import pandas as pd

from asylumlens.analytics.definitions import DEFAULT_DEFINITION
from asylumlens.analytics.dimensions import FilterValue, Where
from asylumlens.analytics.rates import RatesSpec, check_where_values, rates_for
from asylumlens.analytics.source import EngineArg, ReleaseArg, Source, StoreArg, open_source
from asylumlens.errors import QueryError

Basis = Literal["group", "all"]
"""``group``: ranked by the decisions in the group and period asked about; ``all``: none
there, so ranked by all the judge's decisions (EOIR's definition, every period)."""

FALLBACK_DEFINITION: Final = "eoir"
"""The definition counting "all the judge's decisions" when the group has none."""

COLUMNS: Final = ("court", "court_name", "total")


def _ranked(df: pd.DataFrame | None) -> pd.DataFrame:
    """Courts with a code, most decisions first, ties by court code."""
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    known = df.loc[df["court"].notna(), list(COLUMNS)]
    ranked = known.assign(_code=known["court"].astype(str)).sort_values(
        ["total", "_code"], ascending=[False, True], kind="stable"
    )
    return ranked.drop(columns="_code").reset_index(drop=True)


def judge_courts(
    judge: str,
    *,
    definition: str = DEFAULT_DEFINITION,
    where: Where | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
    unit: str | None = None,
    store: StoreArg = None,
    release: ReleaseArg = None,
    engine: EngineArg = None,
) -> pd.DataFrame:
    """The courts ``judge`` decided in: ``court``, ``court_name``, ``total`` (decisions the
    definition counts), the judge's main court first (module docstring).

    ``judge`` and ``where`` take codes in any case or names, as every filter does.
    ``where`` is a group (nationality, custody, representation, ...) as :func:`rates`
    takes it; the judge filter is added to it. ``df.attrs["basis"]`` is ``"group"`` or
    ``"all"`` and ``df.attrs["judge"]`` the judge's code as the release writes it. A judge
    code the release does not use is a :class:`QueryError` naming the closest.
    """
    group: dict[str, FilterValue | Sequence[FilterValue]] = {**(where or {}), "judge": judge}
    with open_source(store, release, engine=engine) as source:
        # codes first, so an unknown judge or group value is an error, never "no courts"
        spec = check_where_values(
            source, RatesSpec.build(definition, ("court",), group, since, until, unit)
        )
        code = str(dict(spec.where)["judge"][0])
        ranked = _ranked(_counted(source, spec))
        basis: Basis = "group"
        if ranked.empty:
            basis = "all"
            everything = RatesSpec.build(FALLBACK_DEFINITION, ("court",), {"judge": code})
            ranked = _ranked(_counted(source, everything))
    ranked.attrs.update({"judge": code, "basis": basis, "definition": spec.definition.name})
    return ranked


def _counted(source: Source, spec: RatesSpec) -> pd.DataFrame | None:
    """Rates by court for ``spec`` (codes already resolved), or None when no decision
    matches."""
    try:
        return rates_for(source, spec)
    except QueryError:
        return None
