"""Checks across a staged release's tables: codes absent from its own lookups, and rows whose
parent row is missing (reported in the manifest, not refused).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from asylumlens.ingest.typed_read import sql_path
from asylumlens.layout import CODE_LOOKUPS, PARENT_LINKS


def _has_column(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> bool:
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return any(r[0] == column for r in rows)


def check_integrity(
    con: duckdb.DuckDBPyConnection, out_dir: Path, stems: set[str]
) -> dict[str, Any]:
    """Codes absent from the release's own lookups, and rows whose parent is missing."""

    def view(stem: str) -> str:
        return f"read_parquet({sql_path(out_dir / 'tables' / stem / '*.parquet')})"

    unknown: dict[str, dict[str, Any]] = {}
    for (stem, column), ref in CODE_LOOKUPS.items():
        if stem not in stems or ref.table not in stems:
            continue
        try:
            rows = con.execute(
                f'SELECT t."{column}", count(*) FROM {view(stem)} t '
                f'WHERE t."{column}" IS NOT NULL AND t."{column}" NOT IN '
                f'(SELECT "{ref.column}" FROM {view(ref.table)} WHERE "{ref.column}" IS NOT NULL) '
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        except duckdb.BinderException:
            continue
        if rows:
            unknown.setdefault(stem, {})[column] = {
                "rows": sum(n for _, n in rows),
                "codes": {code: n for code, n in rows[:20]},
                "lookup": ref.table,
            }
    orphans: dict[str, dict[str, int]] = {}
    by_parent: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for (child, key), (parent, pkey) in PARENT_LINKS.items():
        if child in stems and parent in stems and _has_column(con, view(child), key):
            by_parent.setdefault((parent, pkey), []).append((child, key))
    for (parent, pkey), links in by_parent.items():
        if not _has_column(con, view(parent), pkey):
            continue
        # one anti-join per parent: its key hash table is built once for all children
        children = " UNION ALL ".join(
            f'SELECT {i} AS link, "{key}" AS k FROM {view(child)} WHERE "{key}" IS NOT NULL'
            for i, (child, key) in enumerate(links)
        )
        counts = con.execute(
            f"SELECT link, count(*) FROM ({children}) c ANTI JOIN {view(parent)} p "
            f'ON p."{pkey}" = c.k GROUP BY link'
        ).fetchall()
        for link, n in counts:
            child, key = links[int(link)]
            orphans.setdefault(child, {})[f"{key} -> {parent}"] = int(n)
    return {"out_of_lookup": unknown, "orphans": orphans}
