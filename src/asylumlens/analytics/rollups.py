"""Small pre-counted tables of a release's asylum decisions, for the queries pages make.

Why: a cold page runs 5-22 rates queries, each a scan of the 10 M-row fact table
(~70-160 ms each at full scale, plus a code lookup scan per filter). Pages only ever group
and filter by a few dimensions, so a release carries *rollups*: ``rollups/NAME.parquet``,
the ASYL decisions counted (``decisions``) per combination of the definition's scope
columns (:data:`SCOPE_KEYS`: which code, case type, initial completion) and a handful of
dimensions. Every definition's counting rules are filters and case expressions on those
scope columns, so the same Ibis rules run on the rollup, summing ``decisions`` where the
fact table counts rows.

A rollup can answer a query only when the query counts applications one by one (unit
``application``: the other units pick one decision per case across rows), does not look
up other relief (a join on proceedings), groups and filters by dimensions the rollup
keeps, and its date range is whole fiscal years (a fiscal-year filter is then the same
rows as the completion-date filter). Anything else, or a release without rollup files
(ingested before rollups existed), runs on the fact table: never a different number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import duckdb

from asylumlens.analytics.dimensions import DIMENSIONS

ROLLUP_DIR: Final = "rollups"
COUNT_COLUMN: Final = "decisions"
SCOPE_KEYS: Final = ("appl_dec", "case_type", "initial_completion")
"""The columns a definition's scope and outcome rules read."""


@dataclass(frozen=True)
class Rollup:
    """A rollup's name and the dimensions it keeps (besides :data:`SCOPE_KEYS`)."""

    name: str
    dimensions: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Its key columns: the scope, then each dimension."""
        return (*SCOPE_KEYS, *self.dimensions)


ROLLUPS: Final = (
    Rollup("year_court", ("fiscal_year", "court", "custody", "represented")),
    Rollup("year_nationality", ("fiscal_year", "nationality", "custody", "represented")),
    Rollup("year_judge_court", ("fiscal_year", "judge", "court")),
    Rollup("year_nationality_court", ("fiscal_year", "nationality", "court")),
    Rollup(
        "year_judge_group",
        ("fiscal_year", "judge", "court", "nationality", "custody", "represented"),
    ),
)
"""Smallest first (rows at full scale, 12.7 M cases: 0.30 M, 0.31 M, 0.61 M, 0.91 M,
2.9 M; the fact table has 9.8 M rows, 3.8 M of them ASYL): a
query takes the first that keeps every dimension it needs."""


def rollup_path(release_dir: Path, rollup: Rollup) -> Path:
    return release_dir / ROLLUP_DIR / f"{rollup.name}.parquet"


def rollup_sql(facts: str, rollup: Rollup) -> str:
    """The rollup's SELECT over the fact table ``facts`` (a quoted path or a view name).

    Our own constant names only. Rows are sorted by the dimension pages filter on (the
    second: nationality, court, judge), so a filter skips row groups. Codes are grouped
    alone and each carries its label (``max``: a code has one label, the lookup's), as the
    fact-table query does."""
    keys = ", ".join(rollup.columns)
    labels = "".join(
        f", max({label}) AS {label}"
        for label in (DIMENSIONS[d].label for d in rollup.dimensions)
        if label
    )
    return (
        f"SELECT {keys}{labels}, count(*) AS {COUNT_COLUMN} FROM {facts} "
        f"WHERE appl_code = 'ASYL' GROUP BY {keys} "
        f"ORDER BY {rollup.dimensions[1]}, {rollup.dimensions[0]}"
    )


def build_rollups(
    con: duckdb.DuckDBPyConnection, facts: Path, release_dir: Path
) -> dict[str, dict[str, int]]:
    """Write every rollup of the fact table ``facts`` under ``release_dir``; return, per
    rollup, its rows and the decisions it counts (each equals the fact table's ASYL rows:
    :func:`check_rollups` reconciles them with the manifest)."""
    out = release_dir / ROLLUP_DIR
    out.mkdir(parents=True, exist_ok=True)
    source = "read_parquet('" + str(facts).replace("'", "''") + "')"
    written: dict[str, dict[str, int]] = {}
    for rollup in ROLLUPS:
        target = rollup_path(release_dir, rollup)
        tmp = target.with_name(target.name + ".tmp")
        quoted = str(tmp).replace("'", "''")
        con.execute(f"COPY ({rollup_sql(source, rollup)}) TO '{quoted}' (FORMAT parquet)")
        row = con.execute(
            f"SELECT count(*), coalesce(sum({COUNT_COLUMN}), 0) FROM read_parquet('{quoted}')"
        ).fetchone()
        tmp.replace(target)
        written[rollup.name] = {"rows": int(row[0]) if row else 0,
                                "decisions": int(row[1]) if row else 0}  # fmt: skip
    return written


def asylum_rows(con: duckdb.DuckDBPyConnection, facts: Path) -> int:
    """The fact table's ASYL rows: what every rollup's ``decisions`` add up to."""
    quoted = str(facts).replace("'", "''")
    row = con.execute(
        f"SELECT count(*) FROM read_parquet('{quoted}') WHERE appl_code = 'ASYL'"
    ).fetchone()
    return int(row[0]) if row else 0


def check_rollups(written: Mapping[str, Mapping[str, int]], asylum: int) -> list[str]:
    """Problems with a release's rollups: a missing one, or one whose decisions do not add
    up to the fact table's ``asylum`` rows (empty when they reconcile)."""
    problems = [f"rollup {r.name} missing" for r in ROLLUPS if r.name not in written]
    problems += [
        f"rollup {name} counts {block['decisions']} decisions, the fact table {asylum}"
        for name, block in written.items()
        if block["decisions"] != asylum
    ]
    return problems


def present_rollups(release_dir: Path) -> tuple[Rollup, ...]:
    """The rollups this release folder holds (none for one ingested before rollups)."""
    return tuple(r for r in ROLLUPS if rollup_path(release_dir, r).exists())


def fiscal_year_span(start: date | None, end: date | None) -> tuple[int | None, int | None] | None:
    """``(first, last)`` fiscal years when ``start``/``end`` are whole fiscal years (1
    October, 30 September; None is open), else None: the rollups keep no dates."""
    if start is not None and (start.month, start.day) != (10, 1):
        return None
    if end is not None and (end.month, end.day) != (9, 30):
        return None
    return (start.year + 1 if start else None, end.year if end else None)


def covering(available: Iterable[Rollup], dimensions: Iterable[str]) -> Rollup | None:
    """The first (smallest) of ``available`` keeping every one of ``dimensions``."""
    needed = set(dimensions)
    for rollup in available:
        if needed <= set(rollup.dimensions):
            return rollup
    return None


def enabled(setting: str | None) -> bool:
    """Whether rollups serve queries: ``$ASYLUMLENS_ROLLUPS=off`` forces the fact table
    (benchmarks and the equality tests compare the two)."""
    return (setting or "on").strip().lower() not in ("off", "0", "false", "no")
