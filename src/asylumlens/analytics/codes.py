"""The codes a release uses for a dimension, with labels and decision counts.

Listings, pickers and "did you mean" messages need the valid codes of a release; these
are the codes that occur on at least one decided asylum (ASYL) application.
:func:`find_codes` searches them by a fragment of a code or a name.
"""

from __future__ import annotations

import ibis
import pandas as pd

from asylumlens.analytics.code_match import KnownCode, closest, search_rank
from asylumlens.analytics.dimensions import check_dimension
from asylumlens.analytics.rollups import COUNT_COLUMN, ROLLUPS, covering
from asylumlens.analytics.source import EngineArg, ReleaseArg, StoreArg, open_source
from asylumlens.errors import QueryError


def codes(
    dimension: str,
    *,
    store: StoreArg = None,
    release: ReleaseArg = None,
    engine: EngineArg = None,
) -> pd.DataFrame:
    """``code``, ``label`` and ``decisions`` (decided ASYL applications), most decisions first.

    Codes absent from the release's lookup keep a NULL label; NULL codes are left out.
    """
    dim = check_dimension(dimension)
    with open_source(store, release, engine=engine) as source:
        rollup = covering([r for r in ROLLUPS if r.name in source.rollups], {dimension})
        if rollup is not None:
            # the rollup holds every ASYL row, counted: the same codes, labels and counts
            t = source.rollups[rollup.name]
            asyl = t.filter(t[dimension].notnull())
            count = asyl[COUNT_COLUMN].sum()
        else:
            t = source.table
            asyl = t.filter(t.appl_code == "ASYL", t[dimension].notnull())
            count = asyl.count()
        label = asyl[dim.label] if dim.label else asyl[dimension].cast("string")
        expr = (
            asyl.group_by(code=asyl[dimension])
            .aggregate(label=label.max(), decisions=count)
            .order_by([ibis.desc("decisions"), "code"])
        )
        df = source.run(expr)
        df.attrs.update(source.attrs)
    df.attrs["dimension"] = dimension
    df["decisions"] = df["decisions"].astype("int64")
    return df.reset_index(drop=True)


def find_codes(
    dimension: str,
    text: str,
    *,
    store: StoreArg = None,
    release: ReleaseArg = None,
    engine: EngineArg = None,
) -> pd.DataFrame:
    """The codes whose code or label matches ``text`` (case-insensitive): ``code``,
    ``label``, ``decisions``, best match first (the code itself, the whole label, a label
    prefix, a word of the label, then any part), busiest first within each.

    The help for name-to-code: ``find_codes("nationality", "china")`` finds CH. Raises
    QueryError naming the closest codes when nothing matches.
    """
    fragment = " ".join(str(text).split())
    if not fragment:
        raise QueryError("search text is empty; give part of a code or a name")
    listed = codes(dimension, store=store, release=release, engine=engine)
    known = [
        KnownCode(str(c), None if pd.isna(lbl) else str(lbl))
        for c, lbl in zip(listed["code"], listed["label"], strict=True)
    ]
    ranks = pd.Series([search_rank(fragment, k) for k in known], index=listed.index, dtype=float)
    hits = listed.assign(_rank=ranks).dropna(subset=["_rank"])
    if hits.empty:
        near = ", ".join(k.shown() for k in closest(fragment, known, limit=5))
        raise QueryError(
            f"no {dimension} code or name in release {listed.attrs.get('release')} matches "
            f"{fragment!r}; closest: {near or 'none (the release has no such codes)'}"
        )
    hits = hits.sort_values(["_rank", "decisions", "code"], ascending=[True, False, True])
    out = hits.drop(columns="_rank").reset_index(drop=True)
    out.attrs.update(listed.attrs)
    out.attrs["search"] = fragment
    return out
