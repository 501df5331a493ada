"""The codes a release uses for a dimension, with labels and decision counts.

Listings, pickers and "did you mean" messages need the valid codes of a release; these
are the codes that occur on at least one decided asylum (ASYL) application.
"""

from __future__ import annotations

import ibis
import pandas as pd

from asylumlens.analytics.dimensions import check_dimension
from asylumlens.analytics.source import ReleaseArg, StoreArg, open_source


def codes(dimension: str, store: StoreArg = None, release: ReleaseArg = None) -> pd.DataFrame:
    """``code``, ``label`` and ``decisions`` (decided ASYL applications), most decisions first.

    Codes absent from the release's lookup keep a NULL label; NULL codes are left out.
    """
    dim = check_dimension(dimension)
    with open_source(store, release) as source:
        t = source.table
        asyl = t.filter(t.appl_code == "ASYL", t[dimension].notnull())
        label = asyl[dim.label] if dim.label else asyl[dimension].cast("string")
        expr = (
            asyl.group_by(code=asyl[dimension])
            .aggregate(label=label.max(), decisions=asyl.count())
            .order_by([ibis.desc("decisions"), "code"])
        )
        df = source.run(expr)
        df.attrs.update(source.attrs)
    df.attrs["dimension"] = dimension
    df["decisions"] = df["decisions"].astype("int64")
    return df.reset_index(drop=True)
