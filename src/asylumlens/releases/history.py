"""The history of every record across all the releases in a store.

EOIR replaces its release every month and silently deletes and recodes records
(``shared/eoir/NOTES.md`` section 1.1; TRAC found over 900,000 case records missing in
2019). :mod:`asylumlens.releases.diff` compares one pair; a researcher keeping every
monthly release needs, per record, when it was first and last seen, the releases it was
missing from, and every change of its decision code or completion date; and, per pair of
consecutive releases, how many records were added, deleted, recoded, and how far the
headline rates moved.

One definition of the query, any engine: each release's table becomes a thin Ibis
projection (key, decision code, completion date, release index), the projections are
stacked, and window functions over ``key`` ordered by release index (``lag``/``lead``)
mark each appearance: new, back after a gap, recoded, completion date changed, gone
before the next release. Aggregates over those marks give the per-record rows and the
per-pair counts. The expressions compile to DuckDB or Spark SQL (``engine=``); only
:func:`_open_tables` knows which engine reads the Parquet. A change is always against the
record's previous appearance, so a record that comes back with another code counts as
recoded in the pair where it came back.

What is tracked per table (``table=``):

* ``case`` (``A_TblCase.idncase``): presence only (the case row has no decision);
* ``proceeding`` (``B_TblProceeding.idnproceeding``): ``dec_code`` and ``comp_date``;
* ``application`` (``tbl_Court_Appln.idnproceedingappln``): ``appl_dec``, and the
  completion date of its proceeding (the application row has none of its own; the
  decisions table dates an application the same way).

Rate moves use :func:`asylumlens.analytics.rates` on each release: per definition, the
grant rate pooled over the fiscal years complete in both releases, old vs new, and the
part of that move due to recodes alone: the new rate minus the rate of the new release
with the old decision codes put back (:mod:`asylumlens.releases.restored`, one fact-table
build per pair, on DuckDB like ingest; its rates run on the chosen engine).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import ibis
import pandas as pd

from asylumlens.errors import QueryError
from asylumlens.store import MEMORY_LIMIT, Release, Store, quote_identifier

StoreArg = Store | Path | str | None
"""What ``store=`` takes: a Store, its folder, or None ($ASYLUMLENS_STORE, else the default)."""


@dataclass(frozen=True)
class TrackedTable:
    """What the history follows in one table: its key and the columns whose changes count."""

    stem: str
    key: str
    decision: str | None
    comp_date: bool


HISTORY_TABLES: Final[dict[str, TrackedTable]] = {
    "case": TrackedTable("A_TblCase", "idncase", None, False),
    "proceeding": TrackedTable("B_TblProceeding", "idnproceeding", "dec_code", True),
    "application": TrackedTable("tbl_Court_Appln", "idnproceedingappln", "appl_dec", True),
}
DEFAULT_TABLE: Final = "application"

RECORD_COLUMNS: Final = (
    "table", "key", "first_seen", "last_seen", "releases_seen", "absent_in", "deleted_in",
    "reappeared_in", "recoded_in", "comp_date_changed_in",
)  # fmt: skip
CHANGE_COLUMNS: Final = ("table", "key", "old_release", "new_release", "column", "old", "new")
SUMMARY_COLUMNS: Final = (
    "old_release", "new_release", "table", "old_rows", "new_rows", "added", "deleted",
    "reappeared", "recoded", "comp_date_changed", "definition", "fiscal_years",
    "old_rate", "new_rate", "change_points", "restored_rate", "recode_points",
)  # fmt: skip

TableOpener = Callable[[str, int], Any]
"""(table stem, release index) -> that release's table as an Ibis table."""


def tracked(table: str) -> TrackedTable:
    """The table ``table`` names (case, proceeding or application), or a QueryError."""
    try:
        return HISTORY_TABLES[table]
    except KeyError:
        raise QueryError(
            f"unknown history table {table!r}; valid: {', '.join(HISTORY_TABLES)}"
        ) from None


def _snapshot(opener: TableOpener, spec: TrackedTable, index: int) -> Any:
    """One release's records: key, decision code, completion date, release index."""
    t = opener(spec.stem, index)
    code = t[spec.decision].cast("string") if spec.decision else ibis.null("string")
    if spec.stem == "tbl_Court_Appln":
        p = opener("B_TblProceeding", index)
        p = p.select(p_idn=p.idnproceeding, p_comp=p.comp_date.cast("date"))
        t = t.left_join(p, t.idnproceeding == p.p_idn)
        comp = t.p_comp
    elif spec.comp_date:
        comp = t.comp_date.cast("date")
    else:
        comp = ibis.null("date")
    return t.select(
        key=t[spec.key].cast("int64"),
        code=code,
        comp_date=comp,
        release_index=ibis.literal(index, "int64"),
    )


def marked_appearances(opener: TableOpener, spec: TrackedTable, releases: int) -> Any:
    """Every (record, release) appearance with the marks the history is built from.

    ``is_new``: the record's first appearance; ``is_back``: it was missing from the
    release(s) just before; ``is_recoded`` / ``is_comp_changed``: the decision code /
    completion date differs from its previous appearance; ``is_gone``: it is missing from
    the next release (never true in the last release).
    """
    stacked = ibis.union(*(_snapshot(opener, spec, i) for i in range(releases)), distinct=False)
    w = ibis.window(group_by=stacked.key, order_by=stacked.release_index)
    m = stacked.mutate(
        prev_index=stacked.release_index.lag().over(w),
        next_index=stacked.release_index.lead().over(w),
        prev_code=stacked.code.lag().over(w),
        prev_comp_date=stacked.comp_date.lag().over(w),
    )
    seen_before = m.prev_index.notnull()
    return m.mutate(
        is_new=~seen_before,
        is_back=seen_before & (m.release_index > m.prev_index + 1),
        is_recoded=seen_before & ~m.code.identical_to(m.prev_code),
        is_comp_changed=seen_before & ~m.comp_date.identical_to(m.prev_comp_date),
        is_gone=(m.release_index < releases - 1)
        & (m.next_index.isnull() | (m.next_index > m.release_index + 1)),
    )


def _count(flag: Any) -> Any:
    return flag.cast("int64").sum()


def record_expr(marked: Any) -> Any:
    """One row per record: first/last release index, appearances, how many changes."""
    return marked.group_by("key").aggregate(
        first_index=marked.release_index.min(),
        last_index=marked.release_index.max(),
        releases_seen=marked.count(),
    )


def event_expr(marked: Any) -> Any:
    """The appearances where something happened (back, recoded, completion date, gone)."""
    return marked.filter(
        marked.is_back | marked.is_recoded | marked.is_comp_changed | marked.is_gone
    ).select(
        "key", "release_index", "prev_index", "next_index", "code", "prev_code",
        "comp_date", "prev_comp_date", "is_back", "is_recoded", "is_comp_changed", "is_gone",
    )  # fmt: skip


def pair_expr(marked: Any) -> Any:
    """Per release index: rows, added (first seen), back, recoded, completion-date changes,
    and the rows missing from the *next* release (``gone_next``)."""
    later = marked.release_index > 0
    return marked.group_by("release_index").aggregate(
        rows=marked.count(),
        added=_count(marked.is_new & later),
        reappeared=_count(marked.is_back),
        recoded=_count(marked.is_recoded),
        comp_date_changed=_count(marked.is_comp_changed),
        gone_next=_count(marked.is_gone),
    )


def _store(store: StoreArg) -> Store:
    return store if isinstance(store, Store) else Store.resolve(Path(store) if store else None)


def _needed_stems(spec: TrackedTable) -> tuple[str, ...]:
    return (spec.stem, "B_TblProceeding") if spec.stem == "tbl_Court_Appln" else (spec.stem,)


@contextmanager
def _open_tables(
    releases: Sequence[Release], stems: Sequence[str], engine: Any
) -> Iterator[tuple[TableOpener, Callable[[Any], pd.DataFrame]]]:
    """Each release's tables as Ibis tables on ``engine``, and a runner for expressions.

    DuckDB: one in-memory connection with a view per (release, table) over its Parquet,
    bounded like ingest (memory limit, spill folder). Spark: the same Parquet read by URI
    into the process's session. The runner compiles with Ibis and runs on ``engine``.
    """
    for rel in releases:
        missing = [s for s in stems if s not in rel.table_stems()]
        if missing:
            raise QueryError(f"release {rel.id} has no {', '.join(missing)} table")
    if engine.kind == "spark":
        from asylumlens.analytics import spark

        session = spark.spark_session(engine.spark_master)
        backend = ibis.pyspark.connect(session)
        opened: dict[tuple[str, int], Any] = {}
        for i, rel in enumerate(releases):
            for stem in stems:
                folder = (rel.path / "tables" / stem).resolve()
                digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
                opened[(stem, i)] = backend.read_parquet(
                    folder.as_uri() + "/*.parquet", table_name=f"asylumlens_history_{digest}"
                )
        yield (
            lambda stem, i: opened[(stem, i)],
            lambda expr: engine.execute(None, str(ibis.to_sql(expr, dialect=engine.dialect))),
        )
        return
    spill = tempfile.TemporaryDirectory(prefix="asylumlens-history-")
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute(f"SET temp_directory = '{spill.name.replace(chr(39), chr(39) * 2)}'")
        for i, rel in enumerate(releases):
            views = rel.view_definitions()
            for stem in stems:
                con.execute(f"CREATE VIEW {quote_identifier(f'r{i}_{stem}')} AS {views[stem]}")
        backend = ibis.duckdb.from_connection(con)
        yield (
            lambda stem, i: backend.table(f"r{i}_{stem}"),
            lambda expr: engine.execute(con, str(ibis.to_sql(expr, dialect="duckdb"))),
        )
    finally:
        con.close()
        spill.cleanup()


@dataclass(frozen=True)
class _Run:
    """The raw results of one history query, by release index."""

    ids: list[str]
    records: pd.DataFrame
    events: pd.DataFrame
    pairs: pd.DataFrame
    synthetic: bool


def _run(store: StoreArg, table: str, engine: Any, parts: Sequence[str]) -> _Run:
    from asylumlens.analytics.source import resolve_engine

    spec = tracked(table)
    eng = resolve_engine(engine)
    st = _store(store)
    releases = st.releases()
    if not releases:
        st.release()  # the store's own error: no release, and how to get one
        raise QueryError(f"no release in store {st.root}")
    empty = pd.DataFrame()
    results = {"records": empty, "events": empty, "pairs": empty}
    with _open_tables(releases, _needed_stems(spec), eng) as (opener, run):
        marked = marked_appearances(opener, spec, len(releases))
        builders = {"records": record_expr, "events": event_expr, "pairs": pair_expr}
        for part in parts:
            results[part] = run(builders[part](marked))
    return _Run(
        [r.id for r in releases],
        results["records"],
        results["events"],
        results["pairs"],
        any(r.synthetic for r in releases),
    )


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A result's rows as plain dicts (one typed access path for every engine's frame)."""
    return [{str(k): v for k, v in row.items()} for row in df.to_dict("records")]


def _index_lists(run: _Run) -> dict[str, dict[int, list[int]]]:
    """Per record key: the release indexes where it was absent, deleted, back, recoded,
    and where its completion date changed (from the event rows)."""
    last = len(run.ids) - 1
    lists: dict[str, dict[int, list[int]]] = {
        k: {} for k in ("absent", "deleted", "back", "recoded", "comp")
    }
    for e in _records(run.events):
        key, at = int(e["key"]), int(e["release_index"])
        if e["is_back"]:
            prev = int(e["prev_index"])
            lists["absent"].setdefault(key, []).extend(range(prev + 1, at))
            lists["deleted"].setdefault(key, []).append(prev + 1)
            lists["back"].setdefault(key, []).append(at)
        if e["is_recoded"]:
            lists["recoded"].setdefault(key, []).append(at)
        if e["is_comp_changed"]:
            lists["comp"].setdefault(key, []).append(at)
        if e["is_gone"] and pd.isna(e["next_index"]):  # gone for good: absent to the end
            lists["absent"].setdefault(key, []).extend(range(at + 1, last + 1))
            lists["deleted"].setdefault(key, []).append(at + 1)
    for by_key in lists.values():
        for key in by_key:
            by_key[key] = sorted(by_key[key])
    return lists


def _attrs(df: pd.DataFrame, run: _Run, table: str) -> pd.DataFrame:
    df.attrs.update(
        {"table": table, "releases": run.ids, "synthetic": run.synthetic, "engine_rows": len(df)}
    )
    return df


def history(
    store: StoreArg = None, *, table: str = DEFAULT_TABLE, engine: Any = None
) -> pd.DataFrame:
    """One row per record of ``table`` ever seen in the store's releases (oldest first).

    Columns: ``table``, ``key``, ``first_seen``, ``last_seen``, ``releases_seen``, and lists
    of release ids: ``absent_in`` (every release after its first where it was missing),
    ``deleted_in`` (each release it went missing from), ``reappeared_in``, ``recoded_in``
    (decision code differs from its previous appearance) and ``comp_date_changed_in``.
    ``df.attrs``: ``table``, ``releases`` (ids, in order), ``synthetic``.
    """
    run = _run(store, table, engine, ("records", "events"))
    ids = run.ids
    lists = _index_lists(run)

    def named(kind: str, key: int) -> list[str]:
        return [ids[i] for i in lists[kind].get(key, [])]

    rows = [
        {
            "table": table,
            "key": int(r["key"]),
            "first_seen": ids[int(r["first_index"])],
            "last_seen": ids[int(r["last_index"])],
            "releases_seen": int(r["releases_seen"]),
            "absent_in": named("absent", int(r["key"])),
            "deleted_in": named("deleted", int(r["key"])),
            "reappeared_in": named("back", int(r["key"])),
            "recoded_in": named("recoded", int(r["key"])),
            "comp_date_changed_in": named("comp", int(r["key"])),
        }
        for r in _records(run.records)
    ]
    df = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    return _attrs(df.sort_values("key", ignore_index=True), run, table)


def history_changes(
    store: StoreArg = None, *, table: str = DEFAULT_TABLE, engine: Any = None
) -> pd.DataFrame:
    """One row per change of a tracked column against the record's previous appearance.

    Columns: ``table``, ``key``, ``old_release`` (its previous appearance), ``new_release``,
    ``column`` (the decision column's name or ``comp_date``), ``old``, ``new`` (text; dates
    ISO; None when empty).
    """
    spec = tracked(table)
    run = _run(store, table, engine, ("events",))
    rows: list[dict[str, Any]] = []
    for e in _records(run.events):
        prev = e["prev_index"]
        base = {
            "table": table,
            "key": int(e["key"]),
            "old_release": None if pd.isna(prev) else run.ids[int(prev)],
            "new_release": run.ids[int(e["release_index"])],
        }
        if e["is_recoded"]:
            old, new = _text(e["prev_code"]), _text(e["code"])
            rows.append({**base, "column": spec.decision, "old": old, "new": new})
        if e["is_comp_changed"]:
            old, new = _text(e["prev_comp_date"]), _text(e["comp_date"])
            rows.append({**base, "column": "comp_date", "old": old, "new": new})
    df = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    return _attrs(df.sort_values(["new_release", "key", "column"], ignore_index=True), run, table)


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "date") and not isinstance(value, str):
        return str(pd.Timestamp(value).date().isoformat())
    return str(value)


def history_summary(
    store: StoreArg = None,
    *,
    table: str = DEFAULT_TABLE,
    engine: Any = None,
    restore_codes: bool = True,
) -> pd.DataFrame:
    """Per pair of consecutive releases and definition: what changed, and the rate move.

    Counts (for ``table``): ``old_rows``, ``new_rows``, ``added`` (first seen in the new
    release), ``deleted`` (in the old, missing from the new), ``reappeared`` (missing from
    the old after being seen before, back in the new), ``recoded``, ``comp_date_changed``
    (against the record's previous appearance). Rates (per ``definition``): the grant rate
    of each release pooled over ``fiscal_years`` (the fiscal years complete in both; every
    common year when none is), and ``change_points`` = (new - old) x 100;
    ``restored_rate``: the newer release with the older one's decision codes put back on
    every record in both (:mod:`asylumlens.releases.restored`), and ``recode_points`` =
    (new - restored) x 100, the part of the move due to recodes alone. Building the
    restored fact table costs an ingest's fact-table step per pair; ``restore_codes=False``
    skips it (both columns None), as the web app does.
    """
    releases = _store(store).releases()
    # One release has no pair: skip the pass over its whole table (seconds at full scale).
    run = _run(store, table, engine, ("pairs",) if len(releases) > 1 else ())
    by_index = {int(r["release_index"]): r for r in _records(run.pairs)}
    rows: list[dict[str, Any]] = []
    for i in range(1, len(run.ids)):
        old, new = by_index[i - 1], by_index[i]
        counts = {
            "old_release": run.ids[i - 1],
            "new_release": run.ids[i],
            "table": table,
            "old_rows": int(old["rows"]),
            "new_rows": int(new["rows"]),
            "added": int(new["added"]),
            "deleted": int(old["gone_next"]),
            "reappeared": int(new["reappeared"]),
            "recoded": int(new["recoded"]),
            "comp_date_changed": int(new["comp_date_changed"]),
        }
        for move in _rate_moves(releases[i - 1], releases[i], engine, restore_codes):
            rows.append({**counts, **move})
    df = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return _attrs(df, run, table)


def _yearly(rel: Release, definition: str, engine: Any) -> pd.DataFrame:
    from asylumlens.analytics import rates

    try:
        df = rates(definition, by=("fiscal_year",), release=rel, engine=engine)
    except QueryError:
        return pd.DataFrame(columns=["fiscal_year", "grants", "total", "partial"])
    return df[["fiscal_year", "grants", "total", "partial"]]


def _rate_moves(old: Release, new: Release, engine: Any, restore: bool) -> list[dict[str, Any]]:
    """Per definition: the pooled grant rate of both releases on their common years, and
    (``restore``) of the newer release with the older one's decision codes put back."""
    from asylumlens.analytics import DEFINITIONS, Engine
    from asylumlens.analytics.source import resolve_engine
    from asylumlens.releases.restored import restored_release

    eng = resolve_engine(engine)
    moves = []
    with ExitStack() as stack:
        restored = stack.enter_context(restored_release(old, new)) if restore else None
        # a private engine: the restored release is deleted on exit, so none of its
        # connections or compiled queries may outlive this call in a shared engine
        private = stack.enter_context(Engine(eng.kind, spark_master=eng.spark_master))
        for name in DEFINITIONS:
            a, b = _yearly(old, name, engine), _yearly(new, name, engine)
            both = a.merge(b, on="fiscal_year", suffixes=("_old", "_new"))
            complete = both[~both["partial_old"].astype(bool) & ~both["partial_new"].astype(bool)]
            if len(complete):
                both = complete
            years = sorted(int(y) for y in both["fiscal_year"])
            restored_rate = None
            if restored is not None:
                back = _yearly(restored, name, private)
                back = back[back["fiscal_year"].isin(years)]
                restored_rate = _pooled(back["grants"], back["total"])
            old_rate = _pooled(both["grants_old"], both["total_old"])
            new_rate = _pooled(both["grants_new"], both["total_new"])
            moves.append(
                {
                    "definition": name,
                    "fiscal_years": f"FY{years[0]}-FY{years[-1]}" if years else None,
                    "old_rate": old_rate,
                    "new_rate": new_rate,
                    "change_points": _points(new_rate, old_rate),
                    "restored_rate": restored_rate,
                    "recode_points": _points(new_rate, restored_rate),
                }
            )
    return moves


def _points(new: float | None, old: float | None) -> float | None:
    return round((new - old) * 100, 4) if new is not None and old is not None else None


def _pooled(grants: pd.Series, total: pd.Series) -> float | None:
    denominator = int(total.sum())
    return float(grants.sum()) / denominator if denominator else None
