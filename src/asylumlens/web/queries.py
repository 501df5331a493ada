"""The web layer's only door into the analytics: validated parameters in, JSON-ready rows out.

Nothing here builds SQL. Each call forwards validated, typed parameters to
:func:`asylumlens.rates`, :func:`asylumlens.compare` or :func:`asylumlens.judges`, which build
Ibis expressions. The app's release version never changes under it (the store keeps the
files a process opened), so results are memoised per app, keyed on the full validated
parameter set and bounded in bytes (anonymous clients choose the parameters): the second
visitor of a page, and every pagination or format twin of it, costs no query. Every call
passes the pinned :class:`~asylumlens.store.Release` itself, never its id, so a re-ingest
of the same id cannot switch the figures under a running server.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from asylumlens import analytics
from asylumlens.output import jsonable
from asylumlens.store import Release, Store
from asylumlens.web.memo import ByteBoundedLRU

Where = tuple[tuple[str, tuple[str, ...]], ...]
"""A filter as a hashable value: ((dimension, (code, ...)), ...), sorted by dimension."""


@dataclass(frozen=True)
class Frame:
    """An analytics result as plain JSON-ready rows, safe to share between requests."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    attrs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_pandas(cls, df: pd.DataFrame) -> Frame:
        columns = tuple(str(c) for c in df.columns)
        rows = tuple(
            {c: _cell(v) for c, v in zip(columns, rec, strict=True)}
            for rec in df.itertuples(index=False, name=None)
        )
        attrs = {str(k): _json_attr(v) for k, v in df.attrs.items()}
        return cls(columns, rows, attrs)

    def column(self, name: str) -> list[Any]:
        return [r.get(name) for r in self.rows]


def _cell(value: Any) -> Any:
    """A JSON-ready cell: pandas' missing markers (NaN, NA, NaT) become None."""
    if value is not None and not isinstance(value, list | tuple | dict) and pd.isna(value):
        return None
    return jsonable(value)


def _json_attr(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_attr(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_attr(v) for v in value]
    return _cell(value)


@dataclass(frozen=True)
class RatesQuery:
    """The parameters of :func:`asylumlens.rates`, validated and hashable."""

    definition: str = analytics.DEFAULT_DEFINITION
    by: tuple[str, ...] = ("fiscal_year",)
    where: Where = ()
    since: str | None = None
    until: str | None = None
    unit: str | None = None
    grant_codes: tuple[str, ...] | None = None
    min_decisions: int | None = None


def where_mapping(where: Where) -> dict[str, str | list[str]] | None:
    """The analytics' ``where=`` argument: one code as a string, several as a list."""
    if not where:
        return None
    return {dim: codes[0] if len(codes) == 1 else list(codes) for dim, codes in where}


def frame_bytes(frame: Frame) -> int:
    """Roughly the memory a frame holds: its row dicts and their values (column-name
    strings are shared between rows and counted once)."""
    total = sys.getsizeof(frame.rows) + sum(sys.getsizeof(c) for c in frame.columns)
    for row in frame.rows:
        total += sys.getsizeof(row) + sum(sys.getsizeof(v) for v in row.values())
    return total + len(repr(frame.attrs))


class FrameMemo(ByteBoundedLRU[Hashable, Frame]):
    """Computed frames (requests run on a thread pool) whose total :func:`frame_bytes`
    stays under ``max_bytes``."""

    def get(self, key: Hashable, compute: Callable[[], Frame]) -> Frame:
        frame = self.lookup(key)
        if frame is None:
            frame = compute()
            self.store(key, frame, frame_bytes(frame))
        return frame


DEFAULT_MEMO_BYTES = 128 * 1024 * 1024
CONTEXT_MEMO_BYTES = 4 * 1024 * 1024


class Queries:
    """Memoised analytics calls against one pinned release of one store, run by the app's
    :class:`~asylumlens.analytics.Engine` (the process default when none is given)."""

    def __init__(
        self,
        store: Store,
        release: Release,
        memo_bytes: int = DEFAULT_MEMO_BYTES,
        *,
        engine: analytics.Engine | None = None,
    ) -> None:
        self.store = store
        self.release = release
        self.memo = FrameMemo(memo_bytes)
        self.engine = engine
        self.contexts: ByteBoundedLRU[Hashable, analytics.CaseContext] = ByteBoundedLRU(
            CONTEXT_MEMO_BYTES
        )

    def case_context(
        self,
        *,
        judge: str | None,
        court: str | None,
        nationality: str | None,
        custody: str | None,
        represented: bool | None,
        definition: str = analytics.DEFAULT_DEFINITION,
    ) -> analytics.CaseContext:
        """:func:`asylumlens.analytics.case_context` on this release, memoised: a case page
        asks for the same codes on every view and after every form it posts (a dozen
        queries each time otherwise)."""
        key = (judge, court, nationality, custody, represented, definition)
        found = self.contexts.lookup(key)
        if found is None:
            found = analytics.case_context(
                judge=judge, court=court, nationality=nationality, custody=custody,
                represented=represented, definition=definition, store=self.store,
                release=self.release, engine=self.engine,
            )  # fmt: skip
            cost = 512 * (1 + len(found.figures) + len(found.trend) + len(found.notes))
            self.contexts.store(key, found, cost)
        return found

    def rates(self, q: RatesQuery) -> Frame:
        def compute() -> Frame:
            df = analytics.rates(
                definition=q.definition,
                by=q.by,
                where=where_mapping(q.where),
                since=q.since,
                until=q.until,
                unit=q.unit,
                grant_codes=list(q.grant_codes) if q.grant_codes is not None else None,
                min_decisions=q.min_decisions,
                store=self.store,
                release=self.release,
                engine=self.engine,
            )
            return Frame.from_pandas(df)

        return self.memo.get(("rates", q), compute)

    def codes(self, dimension: str) -> Frame:
        """``code``, ``label``, ``decisions`` of every code the release uses for ``dimension``."""

        def compute() -> Frame:
            df = analytics.codes(
                dimension, store=self.store, release=self.release, engine=self.engine
            )
            return Frame.from_pandas(df)

        return self.memo.get(("codes", dimension), compute)

    def compare(
        self, period: str, baseline: str, definition: str, where: Where, unit: str | None = None
    ) -> Frame:
        def compute() -> Frame:
            df = analytics.compare(
                period=period,
                baseline=baseline,
                definition=definition,
                where=where_mapping(where),
                unit=unit,
                store=self.store,
                release=self.release,
                engine=self.engine,
            )
            return Frame.from_pandas(df)

        return self.memo.get(("compare", period, baseline, definition, where, unit), compute)

    def judges(
        self,
        court: str,
        nationality: str | None,
        definition: str,
        since: str | None,
        until: str | None,
        unit: str | None = None,
    ) -> Frame:
        def compute() -> Frame:
            df = analytics.judges(
                court=court,
                nationality=nationality,
                definition=definition,
                since=since,
                until=until,
                unit=unit,
                store=self.store,
                release=self.release,
                engine=self.engine,
            )
            return Frame.from_pandas(df)

        key = ("judges", court, nationality, definition, since, until, unit)
        return self.memo.get(key, compute)
