"""What the record says about cases like one: this judge, this court, this nationality,
detained or not, represented or not, and the trend of the last five fiscal years.

One call gathers the figures an attorney asks for before a hearing (issue 16, item 1), each
a :class:`ContextFigure` that names its definition, unit, release, period and whether it
falls under the TRAC threshold, with the dashboard page it comes from. Every number is the
library's own (:func:`rates`, :func:`judges`): nothing here computes a rate, so the panel can
never disagree with the pages it links to. It reads public figures only, from codes: it is
called by the case workspace with a case's codes, never with client data.

The judge's figure is the shrunken estimate of :func:`judges` (a small docket is pulled
towards its court, with an honest interval), at the court given or the judge's main court;
a judge code the release does not know is said to be absent rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlencode

import pandas as pd

from asylumlens.analytics.definitions import DEFAULT_DEFINITION, get_definition
from asylumlens.analytics.disparity import judges
from asylumlens.analytics.judge_courts import judge_courts
from asylumlens.analytics.rates import rates
from asylumlens.analytics.source import Engine, ReleaseArg, StoreArg
from asylumlens.errors import QueryError

TREND_YEARS: Final = 5


@dataclass(frozen=True)
class ContextFigure:
    """One grant rate of the context panel, with everything needed to cite it."""

    key: str
    """A stable name: ``judge``, ``court``, ``nationality_national``, ``detained`` …"""
    label: str
    rate: float | None
    low: float | None
    high: float | None
    grants: int
    decisions: int
    below_threshold: bool
    estimate: str
    """``raw`` (grants ÷ decisions, Wilson interval) or ``shrunken`` (the judge model)."""
    url: str
    """The dashboard page (or API query) the figure comes from, relative to the site."""


@dataclass(frozen=True)
class CourtSpread:
    """How far apart the court's judges are: shrunken estimates (min, max, IQR)."""

    judges: int
    low: float | None
    high: float | None
    iqr: float | None


@dataclass(frozen=True)
class CaseContext:
    definition: str
    unit: str
    release: str
    synthetic: bool
    period: str
    """The fiscal years every figure but the trend covers (``FY2021–FY2025``)."""
    figures: list[ContextFigure]
    trend: list[ContextFigure]
    court_spread: CourtSpread | None
    notes: list[str] = field(default_factory=list)
    """What could not be shown and why (an unknown judge, no court given)."""

    def figure(self, key: str) -> ContextFigure | None:
        return next((f for f in self.figures if f.key == key), None)


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _raw(key: str, label: str, row: pd.Series, url: str) -> ContextFigure:
    return ContextFigure(
        key,
        label,
        _num(row["rate"]),
        _num(row["ci_low"]),
        _num(row["ci_high"]),
        int(row["grants"]),
        int(row["total"]),
        bool(row["below_threshold"]),
        "raw",
        url,
    )


def _matching(**query: Any) -> pd.DataFrame:
    """:func:`rates`, or an empty frame when nothing matches or a code is not in the release
    (each caller then says in a note what is missing)."""
    try:
        return rates(**query)
    except QueryError:
        return pd.DataFrame()


def _explorer(by: str, where: dict[str, str], q: str) -> str:
    """An Explorer link for ``where`` (codes as given: encoded, never pasted into the URL)."""
    pairs = [("by", by), *(("where", f"{k}:{v}") for k, v in where.items())]
    return f"/explorer?{urlencode(pairs)}&{q}"


def _complete_years(df: pd.DataFrame) -> list[int]:
    return sorted(int(y) for y in df.loc[~df["partial"].astype(bool), "fiscal_year"])


def case_context(
    *,
    judge: str | None = None,
    court: str | None = None,
    nationality: str | None = None,
    custody: str | None = None,
    represented: bool | None = None,
    definition: str = DEFAULT_DEFINITION,
    years: int = TREND_YEARS,
    store: StoreArg = None,
    release: ReleaseArg = None,
    engine: Engine | None = None,
) -> CaseContext:
    """The context panel for a case with these codes, over the last ``years`` complete
    fiscal years of the release (figures) and year by year (trend).

    ``custody`` (D, R or N) and ``represented`` pick which of the two custody and
    representation figures is the case's own (both are always shown).
    """
    kw: dict[str, Any] = {"definition": definition, "store": store, "release": release}
    if engine is not None:
        kw["engine"] = engine
    by_year = rates(by=("fiscal_year",), **kw)
    complete = _complete_years(by_year)
    if not complete:
        raise QueryError("the release has no complete fiscal year to give context from")
    last = complete[-1]
    first = max(complete[0], last - years + 1)
    period: dict[str, Any] = {"since": f"FY{first}", "until": f"FY{last}"}
    span = f"FY{first}–FY{last}"
    notes: list[str] = []
    figures: list[ContextFigure] = []
    release_id = str(by_year.attrs.get("release", ""))
    q = urlencode({"definition": definition})

    court, court_figures, spread = _court_and_judge(
        judge, court, kw, period, f"{span} of release {release_id}", q, notes
    )
    figures.extend(court_figures)
    if nationality:
        figures.extend(
            _nationality(nationality, court, custody, represented, kw, period, span, q, notes)
        )

    trend_where = {k: v for k, v in (("judge", judge), ("court", court)) if v}
    if nationality:
        trend_where["nationality"] = nationality
    trend = _trend(trend_where, first, last, kw, q, notes)
    spec = get_definition(definition)
    return CaseContext(
        definition=definition,
        unit=str(by_year.attrs.get("unit", spec.unit)),
        release=release_id,
        synthetic=bool(by_year.attrs.get("synthetic", False)),
        period=span,
        figures=figures,
        trend=trend,
        court_spread=spread,
        notes=notes,
    )


def _splits(
    code: str,
    name: str,
    custody: str | None,
    represented: bool | None,
    kw: dict[str, Any],
    period: dict[str, Any],
    q: str,
) -> list[ContextFigure]:
    """The nationality's rate by custody and by representation (all courts)."""
    out: list[ContextFigure] = []
    where = {"nationality": code}
    for dim, own in (("custody", custody), ("represented", represented)):
        df = _matching(by=(dim,), where=where, **kw, **period)
        for _, row in df.iterrows():
            value = row[dim]
            mine = own is not None and str(value).upper() == str(own).upper()
            label = f"{name}, {row[f'{dim}_name'] or value}" + (" (this case)" if mine else "")
            out.append(_raw(f"{dim}:{value}", label, row, _explorer(dim, {"nationality": code}, q)))
    return out


def _trend(
    where: dict[str, str],
    first: int,
    last: int,
    kw: dict[str, Any],
    q: str,
    notes: list[str],
) -> list[ContextFigure]:
    """Year by year for the most specific of judge × nationality, court × nationality,
    nationality that has decisions in the window (each year flagged under 25)."""
    tries = [where]
    if "judge" in where:
        tries.append({k: v for k, v in where.items() if k != "judge"})
    if "court" in where and "nationality" in where:
        tries.append({"nationality": where["nationality"]})
    for attempt in tries:
        df = _matching(
            by=("fiscal_year",), where=attempt, since=f"FY{first}", until=f"FY{last}", **kw
        )
        if len(df):
            scope = " × ".join(f"{k} {v}" for k, v in attempt.items()) or "all cases"
            if attempt is not where:
                notes.append(
                    f"trend: no decisions for {' × '.join(where.values())}; shown for {scope}"
                )
            return [
                _raw(
                    f"FY{int(r['fiscal_year'])}",
                    f"FY{int(r['fiscal_year'])} ({scope})",
                    r,
                    _explorer("fiscal_year", attempt, q),
                )
                for _, r in df.iterrows()
            ]
    return []


def _court_and_judge(
    judge: str | None,
    court: str | None,
    kw: dict[str, Any],
    period: dict[str, Any],
    where: str,
    q: str,
    notes: list[str],
) -> tuple[str | None, list[ContextFigure], CourtSpread | None]:
    """The court's rate and spread of judges, and the judge's shrunken rate (at the court
    given, else the judge's main court in the window). ``where`` names the window and
    release for the notes."""
    figures: list[ContextFigure] = []
    spread: CourtSpread | None = None
    if judge and not court:
        try:
            found = judge_courts(judge, **kw, **period)
        except QueryError:
            found = pd.DataFrame()
        if len(found):
            court = str(found["court"].iloc[0])
    if not court:
        what = f"judge {judge} has no decided asylum application in {where}"
        notes.append(what if judge else "no court or judge recorded: no court or judge figures")
        return None, figures, None
    court_rows = _matching(by=("court",), where={"court": court}, **kw, **period)
    if len(court_rows):
        row = court_rows.iloc[0]
        court = str(row["court"])
        label = f"Court {row['court_name'] or court}"
        figures.append(_raw("court", label, row, f"/courts/{quote(court, safe='')}?{q}"))
    try:
        bench = judges(court, **kw, **period)
    except QueryError:  # no decided application at this court in the window
        bench = pd.DataFrame(columns=["judge"])
    shrunken = bench.attrs.get("spread", {}).get("shrunken", {})
    if shrunken.get("judges"):
        spread = CourtSpread(
            int(shrunken["judges"]),
            _num(shrunken.get("min")),
            _num(shrunken.get("max")),
            _num(shrunken.get("iqr")),
        )
    if judge:
        mine = bench[bench["judge"].astype(str).str.upper() == judge.strip().upper()]
        if len(mine):
            figures.append(_judge_figure(mine.iloc[0], q))
        else:
            notes.append(
                f"judge {judge} has no decided asylum application at court {court} in {where}"
            )
    return court, figures, spread


def _judge_figure(r: pd.Series, q: str) -> ContextFigure:
    return ContextFigure(
        key="judge",
        label=f"Judge {r['judge_name'] or r['judge']}",
        rate=_num(r["shrunk_rate"]),
        low=_num(r["shrunk_low"]),
        high=_num(r["shrunk_high"]),
        grants=int(r["grants"]),
        decisions=int(r["total"]),
        below_threshold=bool(r["below_threshold"]),
        estimate="shrunken",
        url=f"/judges/{quote(str(r['judge']), safe='')}?{q}",
    )


def _nationality(
    nationality: str,
    court: str | None,
    custody: str | None,
    represented: bool | None,
    kw: dict[str, Any],
    period: dict[str, Any],
    span: str,
    q: str,
    notes: list[str],
) -> list[ContextFigure]:
    """The nationality nationally and at the court, and split by custody and representation."""
    national = _matching(by=("nationality",), where={"nationality": nationality}, **kw, **period)
    if not len(national):
        notes.append(f"nationality {nationality}: no decided asylum application in {span}")
        return []
    row = national.iloc[0]
    code = str(row["nationality"])
    name = str(row["nationality_name"] or code)
    out = [
        _raw(
            "nationality_national",
            f"{name}, all courts",
            row,
            f"/nationalities/{quote(code, safe='')}?{q}",
        )
    ]
    if court:
        where = {"nationality": code, "court": court}
        at_court = _matching(by=("nationality",), where=where, **kw, **period)
        if len(at_court):
            label = f"{name}, at {court}"
            out.append(
                _raw(
                    "nationality_court",
                    label,
                    at_court.iloc[0],
                    f"/courts/{quote(court, safe='')}?{q}",
                )
            )
    out.extend(_splits(code, name, custody, represented, kw, period, q))
    return out
