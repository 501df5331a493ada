"""Check a published claim: under which reading does the data give the claimed figures?

A figure that reaches the public ("the asylum approval rate plummeted to 10 percent in 2025,
from the 28 percent average recorded between 2010 and 2024") comes without its method. The
check sweeps every documented reading and ranks them by how far each lands from the claim
(``docs/claims.md``):

* **definition**: every definition whose ``rate`` differs (``trac_other_relief``'s rate is
  ``trac``'s, so it is left out and the result says so);
* **unit**: application, case, proceeding;
* **year basis**: a year written without ``FY``/``CY`` is read as a fiscal and as a calendar
  year; a period running past the release's last complete day is also read "to date", cut
  at that day;
* **baseline aggregation**: pooled (all baseline decisions together) or the unweighted mean
  of yearly rates;
* **grant set**: every grant code (G, F, C, I, P), or full grants only (G, F), the one
  alternative docs/methodology.md documents.

The engine only counts, by year and decision code (few queries for many readings: see
``_YearCounts``); every grant set and aggregation is then computed from those counts in numpy.
A test holds each reading's counts to :func:`asylumlens.analytics.rates` run with the same
parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from asylumlens.analytics.definitions import (
    DEFAULT_GRANT_CODES,
    DEFINITIONS,
    UNITS,
    Definition,
    Unit,
    get_definition,
)
from asylumlens.analytics.dimensions import Where
from asylumlens.analytics.intervals import mean_of_yearly_rates_interval, wilson_interval
from asylumlens.analytics.periods import (
    Period,
    parse_period,
    years_period,
)
from asylumlens.analytics.rates import (
    YEARLY_CELL_MIN,
    RatesSpec,
    check_where_values,
    overtaken_rows,
    scoped,
    selected_decisions,
)
from asylumlens.analytics.source import EngineArg, ReleaseArg, Source, StoreArg, open_source
from asylumlens.errors import QueryError

SWEPT_DEFINITIONS: Final = ("eoir", "eoir_admin_closure", "trac", "trac_case_outcome")
"""Definitions swept; ``trac_other_relief`` is left out: its ``rate`` (grants ÷ grants +
denials, L counted as other relief instead of a denial) equals ``trac``'s exactly."""
GRANT_SETS: Final[dict[str, tuple[str, ...]]] = {
    "all grants": DEFAULT_GRANT_CODES,
    "full grants only": ("G", "F"),
}
"""The documented grant sets: every grant code, or without conditional and stipulated
grants (docs/methodology.md, "Narrowing the grant set")."""
AGGREGATIONS: Final = ("pooled", "mean of years")

CLAIM_SHAPES: Final = (
    'accepted shapes: "10% in 2025"; "10% in 2025, from a 28% average between 2010 and '
    '2024"; "fell from 28% to 10% in 2025"; "plummeted to 10 percent in 2025, from the 28 '
    'percent average recorded between 2010 and 2024"; years as 2025, FY2025, CY2025, '
    "2010-2024 or 2025-01-01..2025-09-30"
)


# ---------------------------------------------------------------------------------------
# The claim


@dataclass(frozen=True)
class ClaimedRate:
    """One claimed figure: a rate in percent, as printed, over a period."""

    percent: float
    decimals: int
    """Decimal places printed (10% -> 0, 10.4% -> 1): the default tolerance is half a unit
    of the last place."""
    period: Period

    @property
    def rounding_tolerance(self) -> float:
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def text(self) -> str:
        return f"{self.percent:.{self.decimals}f}% in {_period_words(self.period)}"


@dataclass(frozen=True)
class Claim:
    """What a claim says: the period's rate and, optionally, a baseline's."""

    period: ClaimedRate
    baseline: ClaimedRate | None = None
    where: Where | None = None
    tolerance: float | None = None
    """Percentage points; None: each figure's rounding (±0.5 for whole percents)."""
    text: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    """What the reader assumed (e.g. a baseline year taken as the year before)."""

    def tolerance_for(self, figure: ClaimedRate) -> float:
        return self.tolerance if self.tolerance is not None else figure.rounding_tolerance

    @property
    def understood(self) -> str:
        """The claim as understood, in one line, shown before any figure."""
        parts = [f"rate {self.period.text}"]
        if self.baseline is not None:
            parts.append(f"baseline {self.baseline.text}")
        if self.where:
            scope = ", ".join(
                f"{k}={v if isinstance(v, str | int | bool) else ','.join(map(str, v))}"
                for k, v in self.where.items()
            )
            parts.append(f"scope {scope}")
        tolerances = ", ".join(
            f"±{self.tolerance_for(f):g} point{'' if self.tolerance_for(f) == 1 else 's'} ({role})"
            for f, role in ((self.period, "period"), (self.baseline, "baseline"))
            if f is not None
        )
        parts.append(
            f"tolerance {tolerances}"
            + (" (the claim's rounding)" if self.tolerance is None else "")
        )
        return "; ".join(parts) + "".join(f"; {n}" for n in self.notes)


def _period_words(period: Period) -> str:
    if period.basis == "dates" or period.stated:
        return period.label
    years = f"{period.first}" if period.first == period.last else f"{period.first}–{period.last}"
    return f"{years} (fiscal or calendar)"


def _decimals(value: float | str) -> int:
    text = value.strip() if isinstance(value, str) else repr(float(value))
    if isinstance(value, str):
        return len(text.split(".", 1)[1]) if "." in text else 0
    number = float(value)
    if number.is_integer():
        return 0
    return len(text.split(".", 1)[1]) if "." in text and "e" not in text else 2


def claimed_rate(value: float | str, period: str | Period, name: str) -> ClaimedRate:
    """A claimed percentage (``10``, ``"10.4"``) over ``period``, checked."""
    try:
        percent = float(value)
    except (TypeError, ValueError):
        raise QueryError(f"{name}={value!r} is not a percentage like 10 or 10.4") from None
    if not np.isfinite(percent) or not 0.0 <= percent <= 100.0:
        raise QueryError(f"{name}={value!r} is not a percentage between 0 and 100")
    return ClaimedRate(percent, _decimals(value), parse_period(period, name=f"{name} period"))


def make_claim(
    rate: float | str,
    period: str | Period,
    baseline_rate: float | str | None = None,
    baseline: str | Period | None = None,
    where: Where | None = None,
    tolerance: float | None = None,
    text: str | None = None,
) -> Claim:
    """A :class:`Claim` from its parts (what the CLI flags give), each checked."""
    if (baseline_rate is None) != (baseline is None):
        raise QueryError("baseline_rate and baseline go together: give both or neither")
    if tolerance is not None and not (np.isfinite(tolerance) and tolerance > 0):
        raise QueryError(f"tolerance={tolerance!r} must be more than 0 percentage points")
    claimed = claimed_rate(rate, period, "rate")
    base = None
    if baseline_rate is not None and baseline is not None:
        base = claimed_rate(baseline_rate, baseline, "baseline_rate")
    return Claim(claimed, base, where, tolerance, text)


# ---------------------------------------------------------------------------------------
# Parsing a sentence

_PERCENT: Final = re.compile(
    r"(?<![0-9.])([0-9]{1,3}(?:\.[0-9]+)?)\s*(?:%|percent\b|per\s+cent\b)",
    re.IGNORECASE | re.ASCII,
)
_Y: Final = r"(?:(?:FY|CY)\s?)?[0-9]{4}"
_SPAN_WORDS: Final = re.compile(
    rf"\b(?:between|from)\s+(?:fiscal\s+years?\s+|calendar\s+years?\s+)?({_Y})\s+"
    rf"(?:and|to|through|until|-|–)\s+({_Y})\b",
    re.IGNORECASE | re.ASCII,
)
_DATES: Final = re.compile(
    r"\b([0-9]{4}-[0-9]{2}-[0-9]{2}\s*(?:\.\.|–)\s*[0-9]{4}-[0-9]{2}-[0-9]{2})\b", re.ASCII
)
_SPAN: Final = re.compile(rf"\b({_Y}\s*[-–]\s*{_Y})\b", re.IGNORECASE | re.ASCII)
_ONE_YEAR: Final = re.compile(
    r"\b(?:(fiscal|calendar)\s+(?:year\s+)?)?((?:(?:FY|CY)\s?)?[0-9]{4})\b",
    re.IGNORECASE | re.ASCII,
)
_FROM_BEFORE: Final = re.compile(r"\bfrom\s+(?:an?|the)?\s*(?:average\s+of\s+)?$", re.IGNORECASE)
_TO_BEFORE: Final = re.compile(r"\b(?:to|at)\s+(?:an?|the|just)?\s*$", re.IGNORECASE)
_AVERAGE_AFTER: Final = re.compile(r"^\s*(?:annual\s+|yearly\s+)?average\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Found:
    value: str
    start: int
    end: int


def _first_period(segment: str) -> str | None:
    """The first period named in ``segment``, as :func:`parse_period` text."""
    found: list[tuple[int, str]] = []
    if m := _DATES.search(segment):
        found.append((m.start(), m.group(1).replace("–", "..")))
    if m := _SPAN_WORDS.search(segment):
        found.append((m.start(), f"{_compact(m.group(1))}-{_compact(m.group(2))}"))
    if m := _SPAN.search(segment):
        found.append((m.start(), re.sub(r"\s", "", m.group(1)).replace("–", "-")))
    for m in _ONE_YEAR.finditer(segment):
        if _DATES.search(segment[max(0, m.start() - 11) : m.end() + 6]):
            continue  # the year of a date, found above
        word = (m.group(1) or "").lower()
        year = _compact(m.group(2))
        if word == "fiscal" and year.isdigit():
            year = f"FY{year}"
        elif word == "calendar" and year.isdigit():
            year = f"CY{year}"
        found.append((m.start(), year))
        break
    # at one position the longest reading wins (2010-2024 over 2010)
    return min(found, key=lambda f: (f[0], -len(f[1])))[1] if found else None


def _compact(year: str) -> str:
    return re.sub(r"\s", "", year).upper()


def _periods_of(sentence: str, found: list[_Found]) -> list[str | None]:
    """Each percentage's period: the first named after it (before the next percentage),
    else the last named before it (after the previous one)."""
    periods: list[str | None] = []
    for i, f in enumerate(found):
        stop = found[i + 1].start if i + 1 < len(found) else len(sentence)
        after = _first_period(sentence[f.end : stop])
        if after is None:
            begin = found[i - 1].end if i > 0 else 0
            after = _last_period(sentence[begin : f.start])
        periods.append(after)
    return periods


def _roles(sentence: str, found: list[_Found]) -> list[int]:
    """Of two percentages, which is the baseline's (1) and which the period's (0): the one
    after "from" or followed by "average", else the other of the one after "to"."""
    baseline_marks = [
        bool(_FROM_BEFORE.search(sentence[: f.start]))
        or bool(_AVERAGE_AFTER.search(sentence[f.end :]))
        for f in found
    ]
    period_marks = [bool(_TO_BEFORE.search(sentence[: f.start])) for f in found]
    if baseline_marks.count(True) == 1:
        base_index = baseline_marks.index(True)
    elif period_marks.count(True) == 1:
        base_index = 1 - period_marks.index(True)
    else:
        raise QueryError(
            f"cannot tell the period's rate from the baseline's in {sentence!r}; {CLAIM_SHAPES}"
        )
    return [1 if i == base_index else 0 for i in range(2)]


def parse_claim(text: str) -> Claim:
    """A claim from one sentence in the common shapes (:data:`CLAIM_SHAPES`).

    Each percentage takes the first period named after it (before the next percentage),
    else the last one named before it. With two percentages, the one after "from" (or
    followed by "average") is the baseline and the other the period's. A baseline without
    a period of its own is taken as the year before the period's, and the claim says so.
    Anything else is a QueryError whose one line lists the accepted shapes.
    """
    if not isinstance(text, str) or not text.strip():
        raise QueryError(f"claim is empty; {CLAIM_SHAPES}")
    sentence = " ".join(text.split())
    found = [_Found(m.group(1), m.start(), m.end()) for m in _PERCENT.finditer(sentence)]
    if not found or len(found) > 2:
        many = "no percentage" if not found else f"{len(found)} percentages"
        raise QueryError(f"cannot read the claim {sentence!r} ({many}); {CLAIM_SHAPES}")
    periods = _periods_of(sentence, found)
    notes: list[str] = []
    roles = [0] if len(found) == 1 else _roles(sentence, found)
    period_index = roles.index(0)
    period_text = periods[period_index]
    if period_text is None:
        raise QueryError(
            f"no year for the claimed {found[period_index].value}% in {sentence!r}; {CLAIM_SHAPES}"
        )
    period = parse_period(period_text, name="claim period")
    baseline: ClaimedRate | None = None
    if len(found) == 2:
        base_index = roles.index(1)
        base_text = periods[base_index]
        if base_text is None or base_text == period_text:
            if period.basis == "dates" or period.first is None:
                raise QueryError(
                    f"no period for the baseline {found[base_index].value}% in {sentence!r}; "
                    f"{CLAIM_SHAPES}"
                )
            prior = replace(
                years_period(
                    "fiscal" if period.basis == "fiscal" else "calendar",
                    period.first - 1,
                    period.first - 1,
                ),
                stated=period.stated,
            )
            notes.append(
                f"no baseline period named: read as the year before ({_period_words(prior)})"
            )
            base_period = prior
        else:
            base_period = parse_period(base_text, name="claim baseline")
        baseline = ClaimedRate(
            float(found[base_index].value), _decimals(found[base_index].value), base_period
        )
    claimed = ClaimedRate(
        float(found[period_index].value), _decimals(found[period_index].value), period
    )
    if not 0.0 <= claimed.percent <= 100.0 or (baseline and not 0 <= baseline.percent <= 100):
        raise QueryError(f"a claimed percentage in {sentence!r} is above 100")
    return Claim(claimed, baseline, text=sentence, notes=tuple(notes))


def _last_period(segment: str) -> str | None:
    """The last period named in ``segment`` (a year told before its figure)."""
    best: str | None = None
    position = 0
    while position < len(segment):
        found = _first_period(segment[position:])
        if found is None:
            break
        best = found
        match = re.search(re.escape(found[:4]), segment[position:])
        if match is None:
            break
        position += match.end()
    return best


# ---------------------------------------------------------------------------------------
# Readings and their counts

Kind = Literal["fiscal", "calendar"]


@dataclass(frozen=True)
class Frame:
    """One query: a definition × unit × (query) grant set, by year of ``kind`` (or over a
    span of dates when ``kind`` is None), between ``start`` and ``end``."""

    definition: str
    unit: Unit
    grant_codes: tuple[str, ...] | None
    kind: Kind | None
    start: date
    end: date


def _code_counts_expr(t: Any, spec: RatesSpec) -> Any:
    """Decisions per (year, APPL_DEC code) of ``spec``'s counted rows: the only work the
    engine does; grant sets are classified from the codes afterwards."""
    asyl = selected_decisions(t, spec)
    keys = [*spec.by, "appl_dec"]
    return asyl.group_by(keys).aggregate(n=asyl.count())


@dataclass
class _Counts:
    """Yearly (or whole-span) decisions by code for one frame."""

    years: np.ndarray[Any, np.dtype[np.int64]]
    codes: list[str]
    n: np.ndarray[Any, np.dtype[np.int64]]  # years x codes

    def classify(self, definition: Definition) -> tuple[np.ndarray[Any, Any], ...]:
        """Grants, denials, others and total per year under ``definition``'s codes."""

        def total_of(codes: Sequence[str]) -> np.ndarray[Any, Any]:
            cols = [i for i, c in enumerate(self.codes) if c in codes]
            return self.n[:, cols].sum(axis=1) if cols else np.zeros(len(self.years), np.int64)

        grants = total_of(definition.grant_codes)
        denials = total_of(definition.denial_codes)
        others = total_of(definition.other_codes + definition.other_relief_codes)
        return grants, denials, others, grants + denials + others


def _run_frame(source: Source, frame: Frame, where: Any) -> _Counts:
    by = (f"{frame.kind}_year",) if frame.kind else ()
    spec = RatesSpec.build(
        frame.definition, by, None, frame.start, frame.end, frame.unit, frame.grant_codes
    )
    spec = replace(spec, where=where)
    counts = source.run_cached(("claim_codes", spec), partial(_code_counts_expr, spec=spec))
    codes = sorted({str(c) for c in counts["appl_dec"]})
    if by:
        years = np.array(sorted({int(y) for y in counts[by[0]]}), dtype=np.int64)
    else:
        years = np.array([0], dtype=np.int64)
    n = np.zeros((len(years), len(codes)), dtype=np.int64)
    year_index = {int(y): i for i, y in enumerate(years)}
    code_index = {c: i for i, c in enumerate(codes)}
    year_values = counts[by[0]] if by else [0] * len(counts)
    for y, c, k in zip(year_values, counts["appl_dec"], counts["n"], strict=True):
        n[year_index[int(y)], code_index[str(c)]] += int(k)
    return _Counts(years, codes, n)


# One query per frame would run 28 for the seed sentence (4 definitions x 3 units x 2 year
# bases, + 4 for TRAC's narrowed grants). Instead, for every frame of whole years:
# - one query counts every ASYL row by the columns the definitions filter on and whether it
#   is alone in its case (proceeding): any definition's counts by application, and of rows
#   alone by case or proceeding, are sums of these, since a row alone is its unit's only
#   candidate under any span;
# - one query per definition x unit x query grant set counts the other rows by year and
#   by the year something overtakes them (rates.overtaken_rows), so the pick of any span of
#   whole years is a sum too. On a release where few cases are decided twice this scans
#   little.
# A frame cut mid-year ("to date") or a span of dates keeps its own query (_run_frame).
# test_year_counts_give_each_frame_its_own_query holds each sum to that frame's query.

_NEVER: Final = 10**6
"""The year overtaken of a row never overtaken: after any year."""

_ALONE_KEYS: Final = (
    "fiscal_year",
    "calendar_year",
    "case_type",
    "initial_completion",
    "appl_dec",
    "case_alone",
    "proceeding_alone",
)


def _alone_expr(t: Any, where: Any) -> Any:
    asyl = scoped(t.filter(t.appl_code == "ASYL"), where)
    asyl = asyl.mutate(
        case_alone=asyl.case_asylum_decisions == 1,
        proceeding_alone=asyl.proceeding_asylum_decisions == 1,
    )
    return asyl.group_by(list(_ALONE_KEYS)).aggregate(n=asyl.count())


def _overtaken_expr(t: Any, spec: RatesSpec, unit: Unit) -> Any:
    rest = overtaken_rows(selected_decisions(t, spec), unit)
    over = rest.overtaken_on
    rest = rest.mutate(
        over_cy=over.year().cast("int64").fill_null(_NEVER),
        over_fy=(over.year() + (over.month() >= 10).cast("int64")).fill_null(_NEVER),
    )
    keys = ["fiscal_year", "calendar_year", "over_fy", "over_cy", "appl_dec"]
    return rest.group_by(keys).aggregate(n=rest.count())


def _whole_years(frame: Frame) -> bool:
    """Whether ``frame`` runs over whole years of its own kind."""
    if frame.kind is None:
        return False
    first = 10 if frame.kind == "fiscal" else 1
    after = frame.end + timedelta(days=1)
    return (frame.start.month, frame.start.day) == (first, 1) == (after.month, after.day)


def _year_span(frame: Frame) -> tuple[int, int]:
    return frame.start.year + (frame.kind == "fiscal"), frame.end.year


def _as_counts(years: Any, codes: Any, n: Any) -> _Counts:
    """Sum ``n`` by (year, code) into a :class:`_Counts`."""
    table = pd.DataFrame({"year": years, "code": codes, "n": n})
    wide = table.pivot_table(index="year", columns="code", values="n", aggfunc="sum")
    wide = wide.fillna(0)
    return _Counts(
        wide.index.to_numpy(np.int64), [str(c) for c in wide.columns], wide.to_numpy(np.int64)
    )


class _YearCounts:
    """The counts of every whole-year frame of one claim check, from few queries."""

    def __init__(self, source: Source, where: Any) -> None:
        self._source = source
        self._where = where
        self._alone: pd.DataFrame | None = None
        self._overtaken: dict[tuple[str, Unit, tuple[str, ...] | None], pd.DataFrame] = {}
        self.queries = 0

    covers = staticmethod(_whole_years)

    def frame(self, frame: Frame) -> _Counts:
        """The counts :func:`_run_frame` gives for ``frame`` (whole years of its kind)."""
        assert frame.kind is not None
        year_col = f"{frame.kind}_year"
        first, last = _year_span(frame)
        definition = get_definition(frame.definition, frame.grant_codes)
        a = self._alone_rows()
        keep = a["appl_dec"].isin(definition.counted_codes) & a[year_col].between(first, last)
        if definition.case_types is not None:
            keep &= a["case_type"].isin(definition.case_types)
        if definition.initial_only:
            keep &= a["initial_completion"].fillna(False).astype(bool)
        if frame.unit != "application":
            keep &= a[f"{frame.unit}_alone"].fillna(False).astype(bool)
        parts = [a.loc[keep, [year_col, "appl_dec", "n"]]]
        if frame.unit != "application":
            r = self._overtaken_rows(frame)
            over = r["over_fy" if frame.kind == "fiscal" else "over_cy"]
            keep_r = r[year_col].between(first, last) & (over > last)
            parts.append(r.loc[keep_r, [year_col, "appl_dec", "n"]])
        rows = pd.concat(parts, ignore_index=True)
        return _as_counts(
            rows[year_col].to_numpy(np.int64), rows["appl_dec"].astype(str), rows["n"]
        )

    def _alone_rows(self) -> pd.DataFrame:
        if self._alone is None:
            self._alone = self._source.run_cached(
                ("claim_alone", self._where), partial(_alone_expr, where=self._where)
            )
            self.queries += 1
        return self._alone

    def _overtaken_rows(self, frame: Frame) -> pd.DataFrame:
        family = (frame.definition, frame.unit, frame.grant_codes)
        if family not in self._overtaken:
            spec = RatesSpec.build(
                frame.definition, (), None, unit="application", grant_codes=frame.grant_codes
            )
            spec = replace(spec, where=self._where)
            self._overtaken[family] = self._source.run_cached(
                ("claim_overtaken", spec, frame.unit),
                partial(_overtaken_expr, spec=spec, unit=frame.unit),
            )
            self.queries += 1
        return self._overtaken[family]


@dataclass(frozen=True)
class _Figure:
    rate: float
    low: float
    high: float
    grants: int | None
    decisions: int
    years_with_data: int
    years_missing: int
    below_threshold: bool


def _pooled(grants: np.ndarray[Any, Any], totals: np.ndarray[Any, Any], years: int) -> _Figure:
    g, t = int(grants.sum()), int(totals.sum())
    low, high = wilson_interval(g, t)
    with_data = int((totals > 0).sum())
    return _Figure(
        g / t if t else float("nan"),
        float(low),
        float(high),
        g,
        t,
        with_data,
        max(0, years - with_data),
        bool((totals[totals > 0] < YEARLY_CELL_MIN).any()) or t < YEARLY_CELL_MIN,
    )


def _mean(grants: np.ndarray[Any, Any], totals: np.ndarray[Any, Any], years: int) -> _Figure:
    keep = totals > 0
    rate, low, high = mean_of_yearly_rates_interval(grants[keep], totals[keep])
    with_data = int(keep.sum())
    return _Figure(
        rate,
        low,
        high,
        None,
        int(totals.sum()),
        with_data,
        max(0, years - with_data),
        bool((totals[keep] < YEARLY_CELL_MIN).any()),
    )


def _select(counts: _Counts, period: Period) -> np.ndarray[Any, Any]:
    """Row mask of ``counts`` for ``period``'s years (every row for a span of dates)."""
    if period.basis == "dates":
        return np.ones(len(counts.years), dtype=bool)
    return np.isin(counts.years, np.array(period.years, dtype=np.int64))


@dataclass(frozen=True)
class _Basis:
    """How a reading takes its years: ``label`` names it in the result."""

    label: str
    period: Period
    baseline: Period | None
    cut: date | None = None  # "to date": the period's frame ends on this day


def _read_as(period: Period, kind: Kind) -> Period:
    if period.basis == "dates" or period.stated:
        return period
    return period.as_basis(kind)


def _bases(claim: Claim, last_day: date | None) -> list[_Basis]:
    """Every year basis the claim's periods can be read on (module docstring)."""
    parts = [claim.period.period] + ([claim.baseline.period] if claim.baseline else [])
    ambiguous = any(p.basis != "dates" and not p.stated for p in parts)
    kinds: tuple[Kind, ...] = ("fiscal", "calendar") if ambiguous else ("fiscal",)
    out: list[_Basis] = []
    seen: set[tuple[str, str | None]] = set()
    for kind in kinds:
        period = _read_as(claim.period.period, kind)
        baseline = _read_as(claim.baseline.period, kind) if claim.baseline else None
        key = (period.label, baseline.label if baseline else None)
        if key in seen:
            continue
        seen.add(key)
        name = period.basis if period.basis == "dates" else f"{period.basis} years"
        if baseline is not None and baseline.basis != period.basis:
            name = f"{period.basis} period, {baseline.basis} baseline"
        out.append(_Basis(name, period, baseline))
        runs_past = last_day is not None and period.start <= last_day < period.end
        if period.basis != "dates" and last_day is not None and runs_past:
            out.append(
                _Basis(
                    f"{period.basis} years, to {last_day.isoformat()}",
                    period.to_date(last_day),
                    baseline,
                    last_day,
                )
            )
    return out


def _frames_for(
    basis: _Basis, definition: str, unit: Unit, grant_codes: tuple[str, ...] | None
) -> tuple[Frame, Frame | None]:
    """The frames of the period and baseline: one frame for both when they share a year
    basis (as ``compare`` does: one unit pick over the whole span), else one each."""
    period, baseline = basis.period, basis.baseline
    if period.basis != "dates" and baseline is not None and baseline.basis == period.basis:
        kind: Kind = "fiscal" if period.basis == "fiscal" else "calendar"
        start = min(period.start, baseline.start)
        end = max(period.end, baseline.end)
        if basis.cut is not None:
            end = basis.cut
        shared = Frame(definition, unit, grant_codes, kind, start, end)
        return shared, shared

    def own(p: Period, cut: date | None) -> Frame:
        kind: Kind | None = None if p.basis == "dates" else p.basis
        return Frame(definition, unit, grant_codes, kind, p.start, cut or p.end)

    return own(period, basis.cut), own(baseline, None) if baseline is not None else None


# ---------------------------------------------------------------------------------------
# The check


def _check_spans(claim: Claim, first: date | None, last: date | None, release: str) -> None:
    """A QueryError when a claimed period lies wholly outside the release's data."""
    if first is None or last is None:
        raise QueryError(f"release {release} has no asylum decisions to check a claim against")
    for role, figure in (("period", claim.period), ("baseline", claim.baseline)):
        if figure is None:
            continue
        p = figure.period
        readings = [p] if p.basis == "dates" or p.stated else [p.as_basis("fiscal"), p]
        if all(r.end < first or r.start > last for r in readings):
            raise QueryError(
                f"{role} {_period_words(p)} is outside the data of release {release} "
                f"(asylum decisions from {first.isoformat()} to {last.isoformat()})"
            )


def _data_range(source: Source) -> tuple[date | None, date | None]:
    def expr(t: Any) -> Any:
        asyl = t.filter(t.appl_code == "ASYL")
        return asyl.aggregate(first=asyl.comp_date.min(), last=asyl.comp_date.max())

    found = source.run_cached(("claim_data_range",), expr)
    first, last = found["first"].iloc[0], found["last"].iloc[0]
    return (
        None if pd.isna(first) else pd.Timestamp(first).date(),
        None if pd.isna(last) else pd.Timestamp(last).date(),
    )


def check_claim(
    claim: str | Claim | None = None,
    *,
    rate: float | str | None = None,
    period: str | None = None,
    baseline_rate: float | str | None = None,
    baseline: str | None = None,
    where: Where | None = None,
    tolerance: float | None = None,
    store: StoreArg = None,
    release: ReleaseArg = None,
    engine: EngineArg = None,
) -> pd.DataFrame:
    """Every reading of a claim, ranked by distance from it, one row per reading.

    ``claim`` is a sentence (:func:`parse_claim`) or a :class:`Claim`; else ``rate`` and
    ``period`` (with optionally ``baseline_rate`` and ``baseline``) give it. ``where``
    scopes it (``{"nationality": "CH"}``); ``tolerance`` (percentage points, > 0) defaults
    to each figure's rounding: ±0.5 for a whole percent, ±0.05 for one decimal.

    Columns: the reading (``definition``, ``unit``, ``year_basis``, ``grant_set``,
    ``aggregation``), the period's and baseline's ``*_label``, ``*_grants`` (None for a
    mean of years), ``*_decisions``, ``*_rate`` (a fraction), ``*_ci_low``/``*_ci_high``
    (95%: Wilson for pooled figures, t over years for a mean), ``*_years_missing``,
    ``*_partial``, ``*_below_threshold`` and ``*_diff_points`` (reading − claim, in
    points); ``distance_points`` (the larger absolute difference), ``matches`` (every
    figure within tolerance), ``release`` and ``synthetic``. ``df.attrs``: ``understood``,
    ``claim``, ``tolerance``, ``matched`` (how many readings match), ``definitions``,
    ``excluded_definitions``, ``queries`` and the release's provenance.
    """
    chosen = _the_claim(claim, rate, period, baseline_rate, baseline, where, tolerance)
    with open_source(store, release, engine=engine) as source:
        first_day, data_through = _data_range(source)
        _check_spans(chosen, first_day, data_through, source.release.id)
        probe = RatesSpec.build("eoir", (), chosen.where)
        resolved = check_where_values(source, probe).where
        last_day = source.coverage.last_complete_day
        bases = _bases(chosen, last_day)
        frames: dict[Frame, _Counts] = {}
        whole_years = _YearCounts(source, resolved)
        queries = 0
        rows: list[dict[str, Any]] = []
        for name in SWEPT_DEFINITIONS:
            definition = DEFINITIONS[name]
            for unit in UNITS:
                for grant_set, codes in GRANT_SETS.items():
                    counted = definition.with_grant_codes(codes)
                    # Narrowing only reclassifies codes unless it changes which decisions a
                    # case can keep (TRAC's narrowed grants leave the count): own query then.
                    own_query = (
                        codes != DEFAULT_GRANT_CODES
                        and definition.dropped_grants == "excluded"
                        and unit != "application"
                    )
                    query_codes = codes if own_query else None
                    for basis in bases:
                        pf, bf = _frames_for(basis, name, unit, query_codes)
                        for f in (pf, bf):
                            if f is None or f in frames:
                                continue
                            if _YearCounts.covers(f):
                                frames[f] = whole_years.frame(f)
                            else:
                                frames[f] = _run_frame(source, f, resolved)
                                queries += 1
                        rows.extend(
                            _readings(
                                chosen,
                                basis,
                                counted,
                                unit,
                                grant_set,
                                frames[pf],
                                frames[bf] if bf else None,
                                last_day,
                            )
                        )
        attrs = dict(source.attrs)
        attrs["where"] = {n: list(v) for n, v in resolved}
    return _result(rows, chosen, attrs, queries + whole_years.queries)


def _the_claim(
    claim: str | Claim | None,
    rate: float | str | None,
    period: str | None,
    baseline_rate: float | str | None,
    baseline: str | None,
    where: Where | None,
    tolerance: float | None,
) -> Claim:
    if tolerance is not None and not (np.isfinite(tolerance) and tolerance > 0):
        raise QueryError(f"tolerance={tolerance!r} must be more than 0 percentage points")
    if isinstance(claim, Claim):
        found = claim
    elif isinstance(claim, str):
        if rate is not None or period is not None:
            raise QueryError("give the claim as a sentence or as rate and period, not both")
        found = parse_claim(claim)
    else:
        if rate is None or period is None:
            raise QueryError(f"give the claim as a sentence or as rate and period; {CLAIM_SHAPES}")
        found = make_claim(rate, period, baseline_rate, baseline)
    if where is not None:
        found = replace(found, where=where)
    if tolerance is not None:
        found = replace(found, tolerance=float(tolerance))
    return found


def _readings(
    claim: Claim,
    basis: _Basis,
    definition: Definition,
    unit: Unit,
    grant_set: str,
    period_counts: _Counts,
    baseline_counts: _Counts | None,
    last_day: date | None,
) -> list[dict[str, Any]]:
    """The readings of one family on one basis: one per baseline aggregation."""
    grants, _, _, totals = period_counts.classify(definition)
    mask = _select(period_counts, basis.period)
    span_years = len(basis.period.years) or 1
    figure = _pooled(grants[mask], totals[mask], span_years)
    partial_period = basis.cut is not None or basis.period.is_partial(last_day)
    common: dict[str, Any] = {
        "definition": definition.name,
        "definition_name": definition.plain_name,
        "unit": unit,
        "year_basis": basis.label,
        "grant_set": f"{grant_set} ({','.join(definition.grant_codes)})",
        "period_label": basis.period.label,
        **_figure_columns("period", figure, claim.period),
        "period_partial": partial_period,
    }
    if claim.baseline is None or basis.baseline is None or baseline_counts is None:
        row = {**common, "aggregation": None}
        return [_finish_row(row, claim)]
    bg, _, _, bt = baseline_counts.classify(definition)
    bmask = _select(baseline_counts, basis.baseline)
    years = len(basis.baseline.years) or 1
    out = []
    aggregations = AGGREGATIONS if basis.baseline.basis != "dates" else ("pooled",)
    for aggregation in aggregations:
        make = _pooled if aggregation == "pooled" else _mean
        base = make(bg[bmask], bt[bmask], years)
        row = {
            **common,
            "aggregation": aggregation,
            "baseline_label": basis.baseline.label,
            **_figure_columns("baseline", base, claim.baseline),
            "baseline_partial": basis.baseline.is_partial(last_day),
        }
        out.append(_finish_row(row, claim))
    return out


def _figure_columns(prefix: str, figure: _Figure, claimed: ClaimedRate) -> dict[str, Any]:
    diff = figure.rate * 100.0 - claimed.percent
    return {
        f"{prefix}_grants": figure.grants,
        f"{prefix}_decisions": figure.decisions,
        f"{prefix}_rate": figure.rate,
        f"{prefix}_ci_low": figure.low,
        f"{prefix}_ci_high": figure.high,
        f"{prefix}_years_with_data": figure.years_with_data,
        f"{prefix}_years_missing": figure.years_missing,
        f"{prefix}_below_threshold": figure.below_threshold,
        f"{prefix}_diff_points": diff,
    }


_EPSILON: Final = 1e-9  # 10.5% against "10%" is within ±0.5 whatever the float rounding


def _finish_row(row: dict[str, Any], claim: Claim) -> dict[str, Any]:
    diffs = [(abs(row["period_diff_points"]), claim.tolerance_for(claim.period))]
    if claim.baseline is not None and "baseline_diff_points" in row:
        diffs.append((abs(row["baseline_diff_points"]), claim.tolerance_for(claim.baseline)))
    distance = max(d for d, _ in diffs)
    row["distance_points"] = float("inf") if np.isnan(distance) else distance
    row["matches"] = all(not np.isnan(d) and d <= tol + _EPSILON for d, tol in diffs)
    return row


_ORDER: Final = [
    "definition",
    "definition_name",
    "unit",
    "year_basis",
    "grant_set",
    "aggregation",
    "period_label",
    "period_grants",
    "period_decisions",
    "period_rate",
    "period_ci_low",
    "period_ci_high",
    "period_years_with_data",
    "period_years_missing",
    "period_partial",
    "period_below_threshold",
    "period_diff_points",
    "baseline_label",
    "baseline_grants",
    "baseline_decisions",
    "baseline_rate",
    "baseline_ci_low",
    "baseline_ci_high",
    "baseline_years_with_data",
    "baseline_years_missing",
    "baseline_partial",
    "baseline_below_threshold",
    "baseline_diff_points",
    "distance_points",
    "matches",
]


def _result(
    rows: list[dict[str, Any]], claim: Claim, attrs: dict[str, Any], queries: int
) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    columns = [c for c in _ORDER if c in df.columns]
    df = df[columns]
    for col in ("period_grants", "baseline_grants"):
        if col in df:
            df[col] = pd.Series([r.get(col) for r in rows], dtype=object)
    df = df.sort_values(
        ["distance_points", "definition", "unit", "year_basis", "grant_set"],
        kind="stable",
        na_position="last",
    ).reset_index(drop=True)
    if "aggregation" in df and df["aggregation"].isna().all():
        df = df.drop(columns="aggregation")
    df["release"] = attrs["release"]
    df["synthetic"] = bool(attrs["synthetic"])
    matched = int(df["matches"].sum())
    df.attrs.update(attrs)
    df.attrs.update(
        {
            "understood": claim.understood,
            "claim": {
                "text": claim.text,
                "rate": claim.period.percent,
                "period": claim.period.period.label,
                "period_basis_stated": claim.period.period.stated,
                "baseline_rate": claim.baseline.percent if claim.baseline else None,
                "baseline": claim.baseline.period.label if claim.baseline else None,
                "notes": list(claim.notes),
            },
            "tolerance": {
                "period": claim.tolerance_for(claim.period),
                "baseline": claim.tolerance_for(claim.baseline) if claim.baseline else None,
                "from_rounding": claim.tolerance is None,
            },
            "matched": matched,
            "readings": len(df),
            "queries": queries,
            "definitions": list(SWEPT_DEFINITIONS),
            "excluded_definitions": {
                "trac_other_relief": "its rate equals trac's (L is other relief, not a denial)"
            },
            "grant_sets": {k: list(v) for k, v in GRANT_SETS.items()},
            "verdict": verdict(matched, len(df), bool(attrs["synthetic"]), attrs["release"]),
        }
    )
    return df


def verdict(matched: int, readings: int, synthetic: bool, release: str) -> str:
    """The plain answer: whether any reading reproduces the claim."""
    about = f"{'SYNTHETIC ' if synthetic else ''}release {release}"
    if matched == 0:
        return f"No reading of {about} reproduces the claim ({readings} readings checked)."
    return f"{matched} of {readings} readings of {about} reproduce the claim within tolerance."
