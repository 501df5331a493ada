"""The web layer's only door into the analytics: validated parameters in, JSON-ready rows out.

Nothing here builds SQL. Each call forwards validated, typed parameters to
:func:`asylumlens.rates`, :func:`asylumlens.compare` or :func:`asylumlens.judges`, which build
Ibis expressions. A release in the store never changes, so results are memoised per app
(keyed on the full parameter set): the second visitor of a page, and every pagination or
format twin of it, costs no query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from asylumlens import analytics
from asylumlens.output import jsonable
from asylumlens.store import Release, Store

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

    definition: str = "eoir"
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


class _Memo:
    """A small thread-safe LRU of computed frames (requests run on a thread pool)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Frame] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Frame]) -> Frame:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        frame = compute()
        with self._lock:
            self._items[key] = frame
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return frame


class Queries:
    """Memoised analytics calls against one pinned release of one store."""

    def __init__(self, store: Store, release: Release, memo_size: int = 1024) -> None:
        self.store = store
        self.release = release
        self._memo = _Memo(memo_size)

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
                release=self.release.id,
            )
            return Frame.from_pandas(df)

        return self._memo.get(("rates", q), compute)

    def codes(self, dimension: str) -> Frame:
        """``code``, ``label``, ``decisions`` of every code the release uses for ``dimension``."""

        def compute() -> Frame:
            df = analytics.codes(dimension, store=self.store, release=self.release.id)
            return Frame.from_pandas(df)

        return self._memo.get(("codes", dimension), compute)

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
                release=self.release.id,
            )
            return Frame.from_pandas(df)

        return self._memo.get(("compare", period, baseline, definition, where, unit), compute)

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
                release=self.release.id,
            )
            return Frame.from_pandas(df)

        key = ("judges", court, nationality, definition, since, until, unit)
        return self._memo.get(key, compute)
