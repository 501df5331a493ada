"""Where the analytics read from: a release's ``decisions`` fact table, as an Ibis table.

Opening a release (views over its Parquet files) costs tens of milliseconds, so one
DuckDB connection is kept per published release folder and each query runs on its own
cursor (DuckDB cursors share the catalog and are safe to use from one thread each). A
release folder never changes once published; a release replaced under the same id gets
a new manifest, which invalidates the cached connection.

A release without ``decisions.parquet`` (one ingested before the fact table existed)
gets the table built in memory on first use.

Every connection, cursor and compiled query belongs to an :class:`Engine`: the process
default (:func:`default_engine`, which :func:`close_sources` closes) or one a caller owns
(the web app holds one, closed on shutdown). :meth:`Engine.close` (run for every engine
at interpreter exit) interrupts any query still running and closes them all: a DuckDB
query left running in a daemon thread (a web worker) when Python finalizes aborts the
process ("terminate called ... exception not rethrown", duckdb/duckdb#13904).

Each open release also knows how far its data reaches (:class:`Coverage`): the latest
completion date in its fact table, and the last day whose decisions are all in it. Years
ending after that day are partial, and every output says so.
"""

from __future__ import annotations

import atexit
import threading
import weakref
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


ReleaseKey = tuple[str, int]
"""A published release folder and its manifest's mtime: a replaced release gets a new key."""

CLOSE_WAIT_SECONDS = 10.0
_COMPILED_MAX = 4096


@dataclass(frozen=True)
class Source:
    """An open release: its ``decisions`` table as Ibis, and the release's provenance."""

    release: Release
    table: Any  # ibis.Table (ibis ships no type stubs)
    cursor: duckdb.DuckDBPyConnection
    key: ReleaseKey
    engine: Engine

    @property
    def coverage(self) -> Coverage:
        return Coverage(self.release.release_date, self.engine.data_through(self.key))

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
        sql = self.engine.compiled(self.key, query, lambda: build(self.table))
        return self.run_sql(sql)

    def run_sql(self, sql: str) -> pd.DataFrame:
        return self.engine.execute(self.cursor, sql)


class Engine:
    """Owns the DuckDB connections (one per published release version), the cursors handed
    to threads and the compiled-SQL cache of the analytics; :meth:`close` releases them all.

    Every analytics function takes ``engine=``; without it they use the process default
    (:func:`default_engine`). The web app holds one engine of its own and closes it on
    shutdown. Engines are independent: closing one leaves another's connections and
    caches alone.

    Decision: a closed engine is not dead. :meth:`close` interrupts running queries, waits
    (up to ``CLOSE_WAIT_SECONDS``) for them to leave DuckDB and closes every cursor and
    connection; the next :meth:`open` on it opens afresh (as a pool's ``dispose`` does), so
    a request arriving after an app's shutdown, or a test that closes the default, never
    meets a half-closed engine. Every engine still open is closed at interpreter exit.

    Locking: one lock guards the connection, cursor and compiled-SQL maps; a condition on
    it counts the queries executing, so :meth:`close` can wait for them. Each thread keeps
    its own cursor and Ibis backend per release (binding a backend and reading the table
    schema cost ~20 ms, too much to repeat per query); a cursor of a generation older than
    the engine's current one (bumped by :meth:`close`) is replaced on next use.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = threading.Condition(self._lock)
        self._active = 0  # queries executing now (execute)
        self._generation = 0
        self._connections: dict[ReleaseKey, duckdb.DuckDBPyConnection] = {}
        self._cursors: dict[ReleaseKey, list[duckdb.DuckDBPyConnection]] = {}
        self._compiled: OrderedDict[tuple[ReleaseKey, Hashable], str] = OrderedDict()
        self._coverage: dict[ReleaseKey, date | None] = {}
        self._local = threading.local()
        _engines.add(self)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def active(self) -> int:
        """Queries executing on this engine now."""
        with self._lock:
            return self._active

    @property
    def open_releases(self) -> int:
        """Release connections this engine holds open."""
        with self._lock:
            return len(self._connections)

    def data_through(self, key: ReleaseKey) -> date | None:
        with self._lock:
            return self._coverage.get(key)

    @contextmanager
    def open(self, store: StoreArg = None, release: ReleaseArg = None) -> Iterator[Source]:
        """The ``decisions`` table of a release (the newest when ``release`` is None)."""
        rel = resolve_release(store, release)
        key = _release_key(rel)
        base = self._base_connection(rel, key)
        bound: dict[ReleaseKey, tuple[int, duckdb.DuckDBPyConnection, Any]] = (
            self._local.__dict__.setdefault("bound", {})
        )
        entry = bound.get(key)
        if entry is None or entry[0] != self._generation:
            for stale in [k for k in bound if k[0] == key[0]]:
                del bound[stale]
            with self._lock:
                cursor = base.cursor()
                self._cursors.setdefault(key, []).append(cursor)
                generation = self._generation
            entry = (generation, cursor, ibis.duckdb.from_connection(cursor).table("decisions"))
            bound[key] = entry
        yield Source(rel, entry[2], entry[1], key, self)

    def compiled(self, key: ReleaseKey, query: Hashable, build: Callable[[], Any]) -> str:
        """The DuckDB SQL of ``query`` on release ``key``, compiled from ``build()`` once."""
        cache_key = (key, query)
        with self._lock:
            sql = self._compiled.get(cache_key)
            if sql is not None:
                self._compiled.move_to_end(cache_key)
                return sql
        sql = str(ibis.to_sql(build(), dialect="duckdb"))
        with self._lock:
            self._compiled[cache_key] = sql
            while len(self._compiled) > _COMPILED_MAX:
                self._compiled.popitem(last=False)
        return sql

    def execute(self, cursor: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
        """Run ``sql`` on one of this engine's cursors, counted so :meth:`close` can wait."""
        with self._running:
            self._active += 1
        try:
            df: pd.DataFrame = cursor.execute(sql).df()
        finally:
            with self._running:
                self._active -= 1
                self._running.notify_all()
        return df

    def close(self) -> None:
        """Interrupt running queries and close every connection and cursor of this engine.

        Safe to call at any time and more than once: the next :meth:`open` opens afresh.
        """
        with self._running:
            self._generation += 1
            cursors = [c for group in self._cursors.values() for c in group]
            connections = list(self._connections.values())
            self._cursors.clear()
            self._connections.clear()
            self._compiled.clear()
            self._coverage.clear()
            for cursor in cursors:
                cursor.interrupt()
            self._running.wait_for(lambda: self._active == 0, timeout=CLOSE_WAIT_SECONDS)
            for con in [*cursors, *connections]:
                con.close()

    def _base_connection(self, rel: Release, key: ReleaseKey) -> duckdb.DuckDBPyConnection:
        with self._lock:
            con = self._connections.get(key)
            if con is None:
                for old in [k for k in self._connections if k[0] == key[0]]:
                    # another thread may be mid-query on one: dropped, closed when it lets go
                    self._cursors.pop(old, None)
                    self._connections.pop(old).close()
                    self._coverage.pop(old, None)
                con = rel.connect()
                has_facts = con.execute(
                    "SELECT count(*) FROM duckdb_views() WHERE view_name = 'decisions'"
                ).fetchone()
                if not has_facts or not has_facts[0]:
                    con.execute(f"CREATE TABLE decisions AS {decisions_sql(con)}")
                latest = con.execute("SELECT max(comp_date) FROM decisions").fetchone()
                self._coverage[key] = latest[0] if latest else None
                self._connections[key] = con
            return con


_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The process's engine, used by every analytics call made without ``engine=``."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine()
        return _default


def resolve_release(store: StoreArg, release: ReleaseArg) -> Release:
    if isinstance(release, Release):
        return release
    st = store if isinstance(store, Store) else Store.resolve(Path(store) if store else None)
    return st.release(release)


def _release_key(rel: Release) -> ReleaseKey:
    return (str(rel.path.resolve()), (rel.path / MANIFEST).stat().st_mtime_ns)


@contextmanager
def open_source(
    store: StoreArg = None, release: ReleaseArg = None, *, engine: Engine | None = None
) -> Iterator[Source]:
    """The ``decisions`` table of a release (the newest when ``release`` is None), opened
    by ``engine`` (the process default when None)."""
    with (engine if engine is not None else default_engine()).open(store, release) as source:
        yield source


def close_sources() -> None:
    """Close the process default engine (its next use opens afresh); see :meth:`Engine.close`."""
    default_engine().close()


def _close_all() -> None:
    """At interpreter exit: no DuckDB work may be left in another thread when Python
    finalizes, whichever engine started it."""
    for engine in list(_engines):
        engine.close()


atexit.register(_close_all)
