"""The release-pair history summary the Data page and ``/api/v1/history`` show.

The history reads every release in the store, so unlike the other views it is not tied to
the release a page shows. Computing it costs one pass over every release's table; the
result only changes when the set of published releases does, so it is kept per table and
per store state (each release's id, folder and manifest stamp), a handful of rows each.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

from asylumlens.releases.history import DEFAULT_TABLE, SUMMARY_COLUMNS, history_summary, tracked
from asylumlens.store import MANIFEST, Store
from asylumlens.web.views import View

_CACHE_MAX: Final = 16
_cache: OrderedDict[tuple[Any, ...], View] = OrderedDict()
_lock = threading.Lock()


def _store_state(store: Store) -> tuple[Any, ...]:
    """What the summary depends on: every published release version, in order."""
    return tuple(
        (r.id, str(r.path), (r.path / MANIFEST).stat().st_mtime_ns) for r in store.releases()
    )


def history_view(store: Store, table: str = DEFAULT_TABLE, engine: Any = None) -> View:
    """Per consecutive release pair and definition: records added, deleted, back, recoded,
    completion dates changed, and the grant-rate move (:func:`history_summary`).

    Without the recodes' part of the move (``restore_codes=False``: ``restored_rate`` and
    ``recode_points`` are None): it rebuilds a fact table per pair, minutes at full scale,
    too slow for a page; ``asylumlens history --summary`` computes it.

    ``facts``: ``table``, ``releases`` (ids, oldest first), ``synthetic``.
    """
    tracked(table)  # an unknown table is the library's QueryError, before any work
    key = (str(store.root), table, _store_state(store))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    df = history_summary(store, table=table, engine=engine, restore_codes=False)
    view = View(
        SUMMARY_COLUMNS,
        [{str(c): _plain(v) for c, v in row.items()} for row in df.to_dict("records")],
        facts={
            "table": table,
            "releases": list(df.attrs["releases"]),
            "synthetic": bool(df.attrs["synthetic"]),
        },
    )
    with _lock:
        _cache[key] = view
        while len(_cache) > _CACHE_MAX:
            _cache.popitem(last=False)
    return view


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, NaN as None (JSON and the templates want both)."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
