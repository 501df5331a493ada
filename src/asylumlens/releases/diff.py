"""What changed between two releases in the store: records, decisions, and headline rates.

EOIR replaces its release every month and does not only append: records disappear and
decisions are recoded (``shared/eoir/NOTES.md`` section 1.1). A figure computed on last
month's release can move for reasons that have nothing to do with new decisions, so before
trusting a change in a grant rate one needs to see:

* per table, the records added, removed and changed (matched by primary key, any column
  but the ingest's ``_repairs`` trace differing);
* the decisions recoded: application rows whose ``APPL_DEC`` changed (old -> new code
  counts), proceedings whose ``DEC_CODE`` or ``OTHER_COMP`` changed;
* how each headline figure moved: the grant rate by fiscal year x nationality under every
  definition of :data:`asylumlens.analytics.DEFINITIONS`.

Record comparisons are DuckDB joins over the two releases' Parquet (views from
:meth:`Release.view_definitions`); table and column names come from the store's own
Parquet schemas, never from user input. The rates come from :func:`asylumlens.analytics.rates`
on each release, joined in DuckDB. :func:`diff_releases` returns plain dataclasses;
:func:`write_report` (JSON + HTML) is the only writer.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb
import pandas as pd

from asylumlens.errors import QueryError
from asylumlens.layout import TABLES
from asylumlens.store import MEMORY_LIMIT, Release, Store, quote_identifier

EXCLUDED_COLUMNS: Final = frozenset({"_repairs"})
"""Columns that say how a row was read, not what EOIR recorded: never a change."""
RECODED_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "tbl_Court_Appln": ("appl_dec",),
    "B_TblProceeding": ("dec_code", "other_comp"),
}
RATE_BY: Final = ("fiscal_year", "nationality")
DEFAULT_KEY_LIMIT: Final = 10_000
"""At most this many keys per table and kind (added, removed, changed) in a report."""
LARGEST: Final = 20
"""How many of the largest rate moves a report lists first."""
MIN_DECISIONS: Final = 25
"""A cell with fewer decisions in either release is not ranked among the largest moves
(TRAC's minimum for a yearly cell; small cells swing by tens of points on one decision)."""


@dataclass(frozen=True)
class TableDiff:
    """One table compared by primary key."""

    table: str
    key: str
    old_rows: int
    new_rows: int
    added: int
    removed: int
    changed: int
    changed_columns: dict[str, int]
    added_keys: list[int]
    removed_keys: list[int]
    changed_keys: list[int]
    keys_complete: bool


@dataclass(frozen=True)
class CodeChange:
    """Rows of ``table`` whose ``column`` went from ``old`` to ``new`` (None = empty)."""

    table: str
    column: str
    old: str | None
    new: str | None
    rows: int


@dataclass(frozen=True)
class RateMove:
    """One headline cell (definition, fiscal year, nationality) in both releases."""

    definition: str
    fiscal_year: int
    nationality: str | None
    nationality_name: str | None
    old_rate: float | None
    new_rate: float | None
    change_points: float | None
    old_total: int
    new_total: int
    old_grants: int
    new_grants: int
    below_threshold: bool


@dataclass(frozen=True)
class ReleaseDiff:
    """Everything :func:`diff_releases` found; ``as_json`` is the report's JSON form."""

    old: dict[str, Any]
    new: dict[str, Any]
    tables: list[TableDiff]
    recoded: list[CodeChange]
    rate_moves: list[RateMove]
    largest_moves: list[RateMove]
    min_decisions: int
    notes: list[str] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        return bool(self.old.get("synthetic") or self.new.get("synthetic"))

    @property
    def name(self) -> str:
        return f"{self.old['id']}__{self.new['id']}"

    def recoded_rows(self, table: str, column: str) -> int:
        return sum(c.rows for c in self.recoded if c.table == table and c.column == column)

    def as_json(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "synthetic": self.synthetic,
            "tables": [asdict(t) for t in self.tables],
            "recoded": [asdict(c) for c in self.recoded],
            "recoded_rows": {
                f"{t}.{c}": self.recoded_rows(t, c)
                for t, cols in RECODED_COLUMNS.items()
                for c in cols
            },
            "rates": {
                "by": list(RATE_BY),
                "min_decisions": self.min_decisions,
                "largest_moves": [asdict(m) for m in self.largest_moves],
                "moves": [asdict(m) for m in self.rate_moves],
            },
            "notes": self.notes,
        }


def release_summary(rel: Release) -> dict[str, Any]:
    info = rel.info
    return {
        "id": rel.id,
        "date": info.get("date"),
        "synthetic": rel.synthetic,
        "source_sha256": info.get("source_sha256"),
        "ingested_at": info.get("ingested_at"),
    }


def _attach(con: duckdb.DuckDBPyConnection, prefix: str, rel: Release) -> set[str]:
    """Views ``<prefix>_<stem>`` over ``rel``; returns the stems present."""
    stems = set()
    for name, sql in rel.view_definitions().items():
        if name in TABLES:
            con.execute(f"CREATE VIEW {quote_identifier(f'{prefix}_{name}')} AS {sql}")
            stems.add(name)
    return stems


def _columns(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    rows = con.execute(f"DESCRIBE {quote_identifier(view)}").fetchall()
    return [str(r[0]) for r in rows]


def _keys(con: duckdb.DuckDBPyConnection, sql: str, limit: int) -> list[int]:
    return [int(r[0]) for r in con.execute(f"{sql} ORDER BY 1 LIMIT ?", [limit]).fetchall()]


def table_diff(con: duckdb.DuckDBPyConnection, stem: str, key_limit: int) -> TableDiff:
    """Compare ``old_<stem>`` and ``new_<stem>`` by the table's primary key."""
    pk = TABLES[stem].primary_key
    assert pk is not None
    old_v, new_v = quote_identifier(f"old_{stem}"), quote_identifier(f"new_{stem}")
    new_cols = set(_columns(con, f"new_{stem}"))
    shared = [
        c
        for c in _columns(con, f"old_{stem}")
        if c in new_cols and c != pk and c not in EXCLUDED_COLUMNS
    ]
    k = quote_identifier(pk)
    differs = [f"o.{quote_identifier(c)} IS DISTINCT FROM n.{quote_identifier(c)}" for c in shared]
    any_differs = " OR ".join(differs) or "FALSE"
    per_column = ", ".join(
        f"count(*) FILTER (WHERE o.{k} IS NOT NULL AND n.{k} IS NOT NULL AND {d})" for d in differs
    )
    join = f"FROM {old_v} o FULL OUTER JOIN {new_v} n ON o.{k} = n.{k}"
    both = f"o.{k} IS NOT NULL AND n.{k} IS NOT NULL"
    row = con.execute(
        f"SELECT count(o.{k}), count(n.{k}), count(*) FILTER (WHERE o.{k} IS NULL), "
        f"count(*) FILTER (WHERE n.{k} IS NULL), "
        f"count(*) FILTER (WHERE {both} AND ({any_differs}))"
        + (f", {per_column}" if per_column else "")
        + f" {join}"
    ).fetchone()
    assert row is not None
    old_rows, new_rows, added, removed, changed = (int(v) for v in row[:5])
    by_column = {c: int(n) for c, n in zip(shared, row[5:], strict=True) if n}
    added_keys = _keys(con, f"SELECT n.{k} {join} WHERE o.{k} IS NULL", key_limit)
    removed_keys = _keys(con, f"SELECT o.{k} {join} WHERE n.{k} IS NULL", key_limit)
    changed_keys = _keys(con, f"SELECT o.{k} {join} WHERE {both} AND ({any_differs})", key_limit)
    complete = max(added, removed, changed) <= key_limit
    return TableDiff(
        stem, pk, old_rows, new_rows, added, removed, changed, by_column,
        added_keys, removed_keys, changed_keys, complete,
    )  # fmt: skip


def code_changes(con: duckdb.DuckDBPyConnection, stem: str, column: str) -> list[CodeChange]:
    """Old -> new code pairs of ``column`` on rows present in both releases, most first."""
    pk = TABLES[stem].primary_key
    assert pk is not None
    k, c = quote_identifier(pk), quote_identifier(column)
    rows = con.execute(
        f"SELECT o.{c}, n.{c}, count(*) FROM {quote_identifier(f'old_{stem}')} o "
        f"JOIN {quote_identifier(f'new_{stem}')} n ON o.{k} = n.{k} "
        f"WHERE o.{c} IS DISTINCT FROM n.{c} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
    ).fetchall()
    return [CodeChange(stem, column, r[0], r[1], int(r[2])) for r in rows]


def _headline(rel: Release, definition: str) -> pd.DataFrame:
    """The release's grant rates by fiscal year x nationality, or an empty frame."""
    from asylumlens.analytics import rates

    try:
        df = rates(definition=definition, by=RATE_BY, release=rel)
    except QueryError:
        return pd.DataFrame(
            columns=["fiscal_year", "nationality", "nationality_name", "grants", "total", "rate"]
        )
    return df[["fiscal_year", "nationality", "nationality_name", "grants", "total", "rate"]]


_MOVES_SQL: Final = """
SELECT
    coalesce(n.fiscal_year, o.fiscal_year)::BIGINT AS fiscal_year,
    coalesce(n.nationality, o.nationality) AS nationality,
    coalesce(n.nationality_name, o.nationality_name) AS nationality_name,
    o.rate::DOUBLE AS old_rate,
    n.rate::DOUBLE AS new_rate,
    round((n.rate - o.rate) * 100, 4)::DOUBLE AS change_points,
    coalesce(o.total, 0)::BIGINT AS old_total,
    coalesce(n.total, 0)::BIGINT AS new_total,
    coalesce(o.grants, 0)::BIGINT AS old_grants,
    coalesce(n.grants, 0)::BIGINT AS new_grants
FROM old_rates o FULL OUTER JOIN new_rates n
    ON o.fiscal_year = n.fiscal_year AND o.nationality IS NOT DISTINCT FROM n.nationality
ORDER BY fiscal_year, nationality
"""


def rate_moves(old: Release, new: Release, min_decisions: int) -> list[RateMove]:
    """Every (definition, fiscal year, nationality) cell in either release, old vs new."""
    from asylumlens.analytics import DEFINITIONS

    moves: list[RateMove] = []
    con = duckdb.connect()
    try:
        for name in DEFINITIONS:
            con.register("old_rates", _headline(old, name))
            con.register("new_rates", _headline(new, name))
            cur = con.execute(_MOVES_SQL)
            names = [d[0] for d in cur.description]
            for values in cur.fetchall():
                row = dict(zip(names, values, strict=True))
                small = min(row["old_total"], row["new_total"]) < min_decisions
                moves.append(RateMove(definition=name, below_threshold=small, **row))
            con.unregister("old_rates")
            con.unregister("new_rates")
    finally:
        con.close()
    return moves


def largest_moves(moves: list[RateMove], n: int = LARGEST) -> list[RateMove]:
    """The ``n`` largest moves in points among cells with enough decisions in both releases."""
    ranked = [m for m in moves if m.change_points is not None and not m.below_threshold]
    ranked.sort(key=lambda m: (-abs(m.change_points or 0.0), m.definition, m.fiscal_year))
    return ranked[:n]


def diff_releases(
    old: Release,
    new: Release,
    *,
    key_limit: int = DEFAULT_KEY_LIMIT,
    min_decisions: int = MIN_DECISIONS,
) -> ReleaseDiff:
    """Compare two releases of the store (see the module docstring for what is compared)."""
    spill = tempfile.TemporaryDirectory(prefix="asylumlens-diff-")
    con = duckdb.connect()
    try:
        # the same bound as ingest: full releases join tens of millions of rows per table
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        quoted = spill.name.replace("'", "''")  # our own temporary folder, not user input
        con.execute(f"SET temp_directory = '{quoted}'")
        stems = _attach(con, "old", old) & _attach(con, "new", new)
        keyed = [s for s in TABLES if s in stems and TABLES[s].primary_key is not None]
        tables = [table_diff(con, s, key_limit) for s in keyed]
        recoded = [
            change
            for stem, columns in RECODED_COLUMNS.items()
            if stem in stems
            for column in columns
            for change in code_changes(con, stem, column)
        ]
    finally:
        con.close()
        spill.cleanup()
    notes = []
    if old.id == new.id:
        notes.append("OLD and NEW are the same release: nothing can differ")
    moves = rate_moves(old, new, min_decisions)
    return ReleaseDiff(
        release_summary(old),
        release_summary(new),
        tables,
        recoded,
        moves,
        largest_moves(moves),
        min_decisions,
        notes,
    )


def diffs_dir(store: Store) -> Path:
    return store.root / "diffs"


def write_report(diff: ReleaseDiff, folder: Path) -> tuple[Path, Path]:
    """``<folder>/<OLD>__<NEW>.json`` and ``.html``, each written then renamed into place."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder.mkdir(parents=True, exist_ok=True)
    data = diff.as_json()
    json_path = folder / f"{diff.name}.json"
    html_path = folder / f"{diff.name}.html"
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
    )
    html = env.get_template("diff.html").render(report=data, name=diff.name)
    for path, text in ((json_path, json.dumps(data, indent=1) + "\n"), (html_path, html)):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return json_path, html_path


def list_reports(store: Store) -> list[dict[str, Any]]:
    """The diff reports in ``<store>/diffs``: name, both release ids, synthetic, file names."""
    folder = diffs_dir(store)
    found: list[dict[str, Any]] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*__*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(
                {
                    "name": path.stem,
                    "old": data["old"]["id"],
                    "new": data["new"]["id"],
                    "synthetic": bool(data.get("synthetic")),
                    "json": path.name,
                    "html": path.with_suffix(".html").name
                    if path.with_suffix(".html").exists()
                    else None,
                }
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found
