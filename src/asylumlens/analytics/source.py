"""Where the analytics read from: a release's ``decisions`` fact table, as an Ibis table.

Opening a release (views over its Parquet files) costs tens of milliseconds, so one
DuckDB connection is kept per published release folder and each query runs on its own
cursor (DuckDB cursors share the catalog and are safe to use from one thread each). A
release folder never changes once published; a release replaced under the same id gets
a new manifest, which invalidates the cached connection.

A release without ``decisions.parquet`` (one ingested before the fact table existed)
gets the table built in memory on first use.

Every connection and cursor is owned here, and :func:`close_sources` (also run at
interpreter exit) interrupts any query still running and closes them all: a DuckDB
query left running in a daemon thread (a web worker) when Python finalizes aborts the
process ("terminate called ... exception not rethrown", duckdb/duckdb#13904).

Each open release also knows how far its data reaches (:class:`Coverage`): the latest
completion date in its fact table, and the last day whose decisions are all in it. Years
ending after that day are partial, and every output says so.
"""

from __future__ import annotations

import atexit
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pandas as pd

from asylumlens.analytics.decisions import decisions_sql
from asylumlens.store import MANIFEST, Release, Store

StoreArg = Store | Path | str | None
ReleaseArg = Release | str | None

Table = Any  # ibis.Table

_lock = threading.Lock()
_connections: dict[tuple[str, int], duckdb.DuckDBPyConnection] = {}
_COMPILED_MAX = 4096
_compiled: OrderedDict[tuple[tuple[str, int], Hashable], str] = OrderedDict()
_cursors: dict[tuple[str, int], list[duckdb.DuckDBPyConnection]] = {}  # handed to threads
_generation = 0  # bumped by close_sources: thread-local cursors of older ones are closed
_running = threading.Condition(_lock)
_active = 0  # queries executing now (run_sql)
CLOSE_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Coverage:
    """How far a release's data reaches.

    ``data_through`` is the latest completion date of any decision in the fact table.
    ``last_complete_day`` is the last day all of whose decisions the release can hold: the
    day before the release date (EOIR extracts the data on that date; the day itself may be
    cut mid-way), but never after ``data_through`` (a release whose newest decision is
    older than its date is stale, and the missing weeks are not "complete"). Without a
    release date it is ``data_through``. The release date comes first because a single
    mis-keyed future completion date would otherwise make an unfinished year look whole.
    """

    release_date: date | None
    data_through: date | None

    @property
    def last_complete_day(self) -> date | None:
        if self.release_date is None:
            return self.data_through
        day_before = self.release_date - timedelta(days=1)
        if self.data_through is None:
            return day_before
        return min(day_before, self.data_through)

    @property
    def basis(self) -> str:
        """Which of the two dates set :attr:`last_complete_day` (for the docs and outputs)."""
        last = self.last_complete_day
        if last is None:
            return "no decisions"
        if self.release_date is not None and last == self.release_date - timedelta(days=1):
            return "the day before the release date"
        return "the latest completion date"

    def covers(self, day: date) -> bool:
        """Whether every decision up to ``day`` is in the release."""
        last = self.last_complete_day
        return last is not None and day <= last


_coverage: dict[tuple[str, int], date | None] = {}


@dataclass(frozen=True)
class Source:
    """An open release: its ``decisions`` table as Ibis, and the release's provenance."""

    release: Release
    table: Any  # ibis.Table (ibis ships no type stubs)
    cursor: duckdb.DuckDBPyConnection
    key: tuple[str, int]

    @property
    def coverage(self) -> Coverage:
        return Coverage(self.release.release_date, _coverage.get(self.key))

    @property
    def attrs(self) -> dict[str, Any]:
        info = self.release.info
        cover = self.coverage
        last = cover.last_complete_day
        return {
            "release": self.release.id,
            "release_date": info.get("date"),
            "synthetic": self.release.synthetic,
            "data_through": cover.data_through.isoformat() if cover.data_through else None,
            "last_complete_day": last.isoformat() if last else None,
            "last_complete_day_basis": cover.basis,
        }

    def run(self, expr: Any) -> pd.DataFrame:
        """Execute an Ibis expression: compiled by Ibis (values become quoted literals),
        run on this source's cursor, returned as pandas."""
        return self.run_sql(str(ibis.to_sql(expr, dialect="duckdb")))

    def run_cached(self, query: Hashable, build: Callable[[Table], Any]) -> pd.DataFrame:
        """Like :meth:`run` for ``build(self.table)``, reusing the compiled SQL of an equal
        ``query`` on this release: building and compiling an Ibis expression costs tens
        of milliseconds, more than running it on the fact table."""
        cache_key = (self.key, query)
        with _lock:
            sql = _compiled.get(cache_key)
            if sql is not None:
                _compiled.move_to_end(cache_key)
        if sql is None:
            sql = str(ibis.to_sql(build(self.table), dialect="duckdb"))
            with _lock:
                _compiled[cache_key] = sql
                while len(_compiled) > _COMPILED_MAX:
                    _compiled.popitem(last=False)
        return self.run_sql(sql)

    def run_sql(self, sql: str) -> pd.DataFrame:
        global _active
        with _running:
            _active += 1
        try:
            df: pd.DataFrame = self.cursor.execute(sql).df()
        finally:
            with _running:
                _active -= 1
                _running.notify_all()
        return df


def resolve_release(store: StoreArg, release: ReleaseArg) -> Release:
    if isinstance(release, Release):
        return release
    st = store if isinstance(store, Store) else Store.resolve(Path(store) if store else None)
    return st.release(release)


def _release_key(rel: Release) -> tuple[str, int]:
    return (str(rel.path.resolve()), (rel.path / MANIFEST).stat().st_mtime_ns)


def _base_connection(rel: Release, key: tuple[str, int]) -> duckdb.DuckDBPyConnection:
    with _lock:
        con = _connections.get(key)
        if con is None:
            for old in [k for k in _connections if k[0] == key[0]]:
                # another thread may be mid-query on one: dropped, closed when it lets go
                _cursors.pop(old, None)
                _connections.pop(old).close()
                _coverage.pop(old, None)
            con = rel.connect()
            has_facts = con.execute(
                "SELECT count(*) FROM duckdb_views() WHERE view_name = 'decisions'"
            ).fetchone()
            if not has_facts or not has_facts[0]:
                con.execute(f"CREATE TABLE decisions AS {decisions_sql(con)}")
            latest = con.execute("SELECT max(comp_date) FROM decisions").fetchone()
            _coverage[key] = latest[0] if latest else None
            _connections[key] = con
        return con


_local = threading.local()


@contextmanager
def open_source(store: StoreArg = None, release: ReleaseArg = None) -> Iterator[Source]:
    """The ``decisions`` table of a release (the newest when ``release`` is None).

    Each thread keeps its own cursor and Ibis backend per release connection (binding a
    backend and reading the table schema cost ~20 ms, too much to repeat per query).
    """
    rel = resolve_release(store, release)
    key = _release_key(rel)
    base = _base_connection(rel, key)
    bound: dict[tuple[str, int], tuple[int, duckdb.DuckDBPyConnection, Any]] = (
        _local.__dict__.setdefault("bound", {})
    )
    entry = bound.get(key)
    if entry is None or entry[0] != _generation:
        for stale in [k for k in bound if k[0] == key[0]]:
            del bound[stale]
        with _lock:
            cursor = base.cursor()
            _cursors.setdefault(key, []).append(cursor)
            generation = _generation
        entry = (generation, cursor, ibis.duckdb.from_connection(cursor).table("decisions"))
        bound[key] = entry
    yield Source(rel, entry[2], entry[1], key)


def close_sources() -> None:
    """Interrupt running queries and close every cached connection and cursor.

    Safe to call at any time: the next :func:`open_source` opens afresh. Registered with
    :mod:`atexit`, so no DuckDB work is left in another thread when Python finalizes.
    """
    global _generation
    with _running:
        _generation += 1
        cursors = [c for group in _cursors.values() for c in group]
        connections = list(_connections.values())
        _cursors.clear()
        _connections.clear()
        _compiled.clear()
        for cursor in cursors:
            cursor.interrupt()
        _running.wait_for(lambda: _active == 0, timeout=CLOSE_WAIT_SECONDS)
        for con in [*cursors, *connections]:
            con.close()


atexit.register(close_sources)
