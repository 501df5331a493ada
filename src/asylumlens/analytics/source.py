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

An engine is of one *kind*: ``duckdb`` (the default) or ``spark``
(:mod:`asylumlens.analytics.spark`). Both run the same Ibis expressions, compiled to their
own SQL dialect; only this module knows which one runs a query. A Spark engine reads the
release's ``decisions.parquet`` by its ``file://`` URI through the process's Spark session;
``engine="spark"`` (a string) anywhere ``engine=`` is taken means the process's Spark
engine, as ``"duckdb"`` or None means the DuckDB default.

Each open release also knows how far its data reaches (:class:`Coverage`): the latest
completion date in its fact table, and the last day whose decisions are all in it. Years
ending after that day are partial, and every output says so.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast, get_args

import duckdb
import ibis
import pandas as pd

from asylumlens.analytics import bound, spark
from asylumlens.analytics import rollups as rollup_files
from asylumlens.analytics.decisions import decisions_sql
from asylumlens.errors import QueryError, StoreError
from asylumlens.store import MANIFEST, Release, Store

StoreArg = Store | Path | str | None
ReleaseArg = Release | str | None

Table = Any  # ibis.Table
V = TypeVar("V")

EngineKind = Literal["duckdb", "spark"]
ENGINE_KINDS: Final[tuple[str, ...]] = get_args(EngineKind)
DEFAULT_ENGINE_KIND: Final = "duckdb"
_DIALECT: Final[dict[str, str]] = {"duckdb": "duckdb", "spark": "pyspark"}


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
_KEPT_MAX = 256
"""Lookup results kept per engine (:meth:`Engine.kept`): a dimension's codes on a few
releases, each a few thousand rows at most."""


@dataclass(frozen=True)
class Source:
    """An open release: its ``decisions`` table as Ibis, and the release's provenance."""

    release: Release
    table: Any  # ibis.Table (ibis ships no type stubs)
    cursor: duckdb.DuckDBPyConnection | None  # None on a Spark engine (its session runs it)
    key: ReleaseKey
    engine: Engine
    rollups: dict[str, Any] = field(default_factory=dict)
    """Rollup name -> its Ibis table (:mod:`asylumlens.analytics.rollups`): those the
    release holds, when the engine serves from rollups; empty otherwise."""

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
        run by this source's engine, returned as pandas."""
        return self.run_sql(str(ibis.to_sql(expr, dialect=self.engine.dialect)))

    def run_cached(self, query: Hashable, build: Callable[[Table], Any]) -> pd.DataFrame:
        """Like :meth:`run` for ``build(self.table)``, reusing the compiled SQL of an equal
        ``query`` on this release: building and compiling an Ibis expression costs tens
        of milliseconds, more than running it on the fact table."""
        sql = self.engine.compiled(self.key, query, lambda: build(self.table))
        return self.run_sql(sql)

    def run_bound(
        self, query: Hashable, build: Callable[[Sequence[str]], Any], values: Sequence[str]
    ) -> pd.DataFrame:
        """``build(values)`` run with ``values`` bound as parameters (:mod:`.bound`).

        ``query`` names the shape and must not depend on ``values``: its SQL is compiled
        once, from ``build(placeholders)``, and reused for any values. Where a shape cannot
        be bound (or on Spark) the query is compiled with literals, as :meth:`run_cached`.
        """
        if self.cursor is not None and values:
            count = len(values)
            sql = self.engine.compiled_bound(
                self.key, query, lambda: build(bound.placeholders(count)), count
            )
            if sql is not None:
                return self.engine.execute(self.cursor, sql, values)
        return self.run_cached((query, tuple(values)), lambda _table: build(values))

    def run_kept(self, query: Hashable, build: Callable[[Table], Any]) -> pd.DataFrame:
        """Like :meth:`run_cached`, keeping the (small) result for the life of the engine:
        for lookups asked on every request, such as a dimension's codes, which a published
        release can never change. The caller must not modify the frame."""
        return self.engine.kept(self.key, query, lambda: self.run_cached(query, build))

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

    def __init__(
        self,
        kind: str = DEFAULT_ENGINE_KIND,
        *,
        spark_master: str | None = None,
        rollups: bool | None = None,
    ) -> None:
        """``kind`` is ``duckdb`` or ``spark``; ``spark_master`` (a Spark engine only) names
        the cluster, else ``$SPARK_MASTER``, else ``local[2]``. ``rollups`` (default:
        on unless ``$ASYLUMLENS_ROLLUPS=off``) lets covered queries read the release's
        rollups instead of the fact table (same figures; DuckDB only)."""
        if kind not in ENGINE_KINDS:
            raise QueryError(f"unknown engine {kind!r}; valid: {', '.join(ENGINE_KINDS)}")
        if spark_master is not None and kind != "spark":
            raise QueryError("spark_master applies to the spark engine only")
        self.kind: EngineKind = cast(EngineKind, kind)
        self.use_rollups = (
            rollup_files.enabled(os.environ.get("ASYLUMLENS_ROLLUPS"))
            if rollups is None
            else rollups
        ) and kind == "duckdb"
        self.spark_master = spark.spark_master(spark_master) if kind == "spark" else None
        self._spark_tables: dict[ReleaseKey, Any] = {}
        self._job_group = f"asylumlens-engine-{id(self):x}"
        self._lock = threading.Lock()
        self._running = threading.Condition(self._lock)
        self._active = 0  # queries executing now (execute)
        self._generation = 0
        self._connections: dict[ReleaseKey, duckdb.DuckDBPyConnection] = {}
        self._cursors: dict[ReleaseKey, list[duckdb.DuckDBPyConnection]] = {}
        self._compiled: OrderedDict[tuple[ReleaseKey, Hashable], str] = OrderedDict()
        self._kept: OrderedDict[tuple[ReleaseKey, Hashable], pd.DataFrame] = OrderedDict()
        self._tables: dict[ReleaseKey, tuple[int, Any, dict[str, Any]]] = {}
        self._coverage: dict[ReleaseKey, date | None] = {}
        self._local = threading.local()
        _engines.add(self)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """The SQL dialect Ibis compiles this engine's queries to."""
        return _DIALECT[self.kind]

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
        if self.kind == "spark":
            yield Source(rel, self._spark_table(rel, key), None, key, self)
            return
        base = self._base_connection(rel, key)
        bound: dict[ReleaseKey, tuple[int, duckdb.DuckDBPyConnection]] = (
            self._local.__dict__.setdefault("bound", {})
        )
        entry = bound.get(key)
        if entry is None or entry[0] != self._generation:
            for stale in [k for k in bound if k[0] == key[0]]:
                del bound[stale]
            with self._lock:
                cursor = base.cursor()
                self._cursors.setdefault(key, []).append(cursor)
                entry = (self._generation, cursor)
            bound[key] = entry
        facts, rollup_tables = self._ibis_tables(rel, key, entry[1])
        yield Source(rel, facts, entry[1], key, self, rollup_tables)

    def _ibis_tables(
        self, rel: Release, key: ReleaseKey, cursor: duckdb.DuckDBPyConnection
    ) -> tuple[Any, dict[str, Any]]:
        """The release's fact table and rollups as Ibis tables, made once per release and
        shared by every thread: an Ibis table only describes the schema that expressions
        are built and compiled against (each query then runs on its thread's own cursor),
        and making one asks DuckDB for its schema, ~20 ms a table, which every new worker
        thread would otherwise pay on its first query."""
        with self._lock:
            made = self._tables.get(key)
            if made is not None and made[0] == self._generation:
                return made[1], made[2]
            generation = self._generation
        backend = ibis.duckdb.from_connection(cursor)
        rollup_tables = {
            r.name: backend.table(_rollup_view(r))
            for r in (rollup_files.present_rollups(rel.path) if self.use_rollups else ())
        }
        facts = backend.table("decisions")
        with self._lock:
            self._tables[key] = (generation, facts, rollup_tables)
        return facts, rollup_tables

    def compiled(self, key: ReleaseKey, query: Hashable, build: Callable[[], Any]) -> str:
        """The SQL (this engine's dialect) of ``query`` on release ``key``, compiled from
        ``build()`` once."""
        return self._once(self._compiled, _COMPILED_MAX, (key, query), lambda: self._sql(build()))

    def compiled_bound(
        self, key: ReleaseKey, query: Hashable, build: Callable[[], Any], count: int
    ) -> str | None:
        """The SQL of the shape ``query`` with its ``count`` placeholders as ``$1…$n``
        (:func:`.bound.bind_placeholders`), compiled once; None when it cannot be bound."""
        made = self._once(
            self._compiled,
            _COMPILED_MAX,
            (key, ("bound", query)),
            lambda: bound.bind_placeholders(self._sql(build()), count) or "",  # "": won't bind
        )
        return made or None

    def kept(
        self, key: ReleaseKey, query: Hashable, compute: Callable[[], pd.DataFrame]
    ) -> pd.DataFrame:
        """The result of ``query`` on release ``key``, computed once (:meth:`Source.run_kept`)."""
        return self._once(self._kept, _KEPT_MAX, (key, query), compute)

    def _sql(self, expr: Any) -> str:
        return str(ibis.to_sql(expr, dialect=self.dialect))

    def _once(
        self,
        cache: OrderedDict[tuple[ReleaseKey, Hashable], V],
        limit: int,
        cache_key: tuple[ReleaseKey, Hashable],
        make: Callable[[], V],
    ) -> V:
        """``cache[cache_key]``, made by ``make()`` (outside the lock) when missing; the
        least recently used entries go beyond ``limit``."""
        with self._lock:
            found = cache.get(cache_key)
            if found is not None:
                cache.move_to_end(cache_key)
                return found
        made = make()
        with self._lock:
            cache[cache_key] = made
            while len(cache) > limit:
                cache.popitem(last=False)
        return made

    def execute(
        self, cursor: duckdb.DuckDBPyConnection | None, sql: str, params: Sequence[str] = ()
    ) -> pd.DataFrame:
        """Run ``sql`` on one of this engine's cursors (on a Spark engine: its session),
        counted so :meth:`close` can wait. ``params`` bind ``$1…$n`` (DuckDB only)."""
        with self._running:
            self._active += 1
        try:
            if cursor is None:
                if params:
                    raise QueryError("bound parameters run on DuckDB only")
                session = spark.spark_session(self.spark_master)
                df: pd.DataFrame = spark.run_sql(session, sql, self._job_group)
            else:
                df = (cursor.execute(sql, list(params)) if params else cursor.execute(sql)).df()
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
            self._kept.clear()
            self._tables.clear()
            self._coverage.clear()
            self._spark_tables.clear()
            for cursor in cursors:
                cursor.interrupt()
            if self.kind == "spark" and self._active:
                spark.cancel(spark.spark_session(self.spark_master), self._job_group)
            self._running.wait_for(lambda: self._active == 0, timeout=CLOSE_WAIT_SECONDS)
            for con in [*cursors, *connections]:
                con.close()

    def _spark_table(self, rel: Release, key: ReleaseKey) -> Any:
        """The release's fact table on Spark (a view over its ``decisions.parquet``), and
        its coverage, opened once per release version."""
        with self._lock:
            table = self._spark_tables.get(key)
        if table is not None:
            return table
        facts = rel.path / "decisions.parquet"
        if not facts.exists():
            raise StoreError(
                f"release {rel.id} has no decisions.parquet (ingested by an older version); "
                "the spark engine reads the fact table only: ingest the release again"
            )
        session = spark.spark_session(self.spark_master)
        table = spark.decisions_table(session, facts.resolve().as_uri(), spark.view_name(key))
        latest = self.execute(
            None, str(ibis.to_sql(table.comp_date.max().name("latest"), dialect=self.dialect))
        )
        value = latest["latest"].iloc[0] if len(latest) else None
        with self._lock:
            self._coverage[key] = (
                None if value is None or pd.isna(value) else pd.Timestamp(value).date()
            )
            self._spark_tables[key] = table
        return table

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
                for rollup in rollup_files.present_rollups(rel.path):
                    quoted = str(rollup_files.rollup_path(rel.path, rollup)).replace("'", "''")
                    con.execute(
                        f"CREATE OR REPLACE VIEW {_rollup_view(rollup)} AS "
                        f"SELECT * FROM read_parquet('{quoted}')"
                    )
                latest = con.execute("SELECT max(comp_date) FROM decisions").fetchone()
                self._coverage[key] = latest[0] if latest else None
                self._connections[key] = con
            return con


def _rollup_view(rollup: rollup_files.Rollup) -> str:
    """The connection's view of a rollup's file (our own constant names)."""
    return f"rollup_{rollup.name}"


_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_default: Engine | None = None
_default_lock = threading.Lock()


_default_spark: Engine | None = None

EngineArg = Engine | str | None
"""What ``engine=`` takes: an :class:`Engine`, an engine kind (``"duckdb"``, ``"spark"``:
the process's engine of that kind) or None (the process default, DuckDB)."""


def default_engine() -> Engine:
    """The process's engine, used by every analytics call made without ``engine=``."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine()
        return _default


def default_spark_engine() -> Engine:
    """The process's Spark engine (``engine="spark"``), on ``$SPARK_MASTER`` or local."""
    global _default_spark
    with _default_lock:
        if _default_spark is None:
            _default_spark = Engine("spark")
        return _default_spark


def resolve_engine(engine: EngineArg) -> Engine:
    """The engine ``engine=`` names (see :data:`EngineArg`); an unknown kind is a
    QueryError naming the valid ones."""
    if isinstance(engine, Engine):
        return engine
    if engine is None or engine == "duckdb":
        return default_engine()
    if engine == "spark":
        return default_spark_engine()
    raise QueryError(f"unknown engine {engine!r}; valid: {', '.join(ENGINE_KINDS)}")


def resolve_release(store: StoreArg, release: ReleaseArg) -> Release:
    if isinstance(release, Release):
        return release
    st = store if isinstance(store, Store) else Store.resolve(Path(store) if store else None)
    return st.release(release)


def _release_key(rel: Release) -> ReleaseKey:
    return (str(rel.path.resolve()), (rel.path / MANIFEST).stat().st_mtime_ns)


@contextmanager
def open_source(
    store: StoreArg = None, release: ReleaseArg = None, *, engine: EngineArg = None
) -> Iterator[Source]:
    """The ``decisions`` table of a release (the newest when ``release`` is None), opened
    by ``engine`` (:func:`resolve_engine`: the process default when None)."""
    with resolve_engine(engine).open(store, release) as source:
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
