"""Stage 2's DuckDB read of a working copy: the typed ``read_csv`` source and the lines it
refused.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from asylumlens.ingest.cast import CSV_TYPES
from asylumlens.ingest.normalise import SideLine
from asylumlens.layout import Kind


def sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def typed_csv_source(path: Path, columns: list[tuple[str, Kind]], rejects: str) -> str:
    """DuckDB's typed read of a working copy; rows it cannot read go to ``rejects``."""
    spec = ", ".join(f"'{k}': '{CSV_TYPES[kind]}'" for k, kind in columns)
    return (
        f"read_csv({sql_path(path)}, columns={{{spec}}}, delim='\\t', quote='', escape='', "
        "header=true, strict_mode=true, new_line='\\n', parallel=true, auto_detect=false, "
        f"dateformat='%m/%Y', store_rejects=true, rejects_table='{rejects}_errors', "
        f"rejects_scan='{rejects}_scans')"
    )


def row_count(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    rows = con.execute(f"SELECT count(*) FROM read_parquet({sql_path(path)})").fetchall()
    return int(rows[0][0])


def rejected_lines(con: duckdb.DuckDBPyConnection, rejects: str) -> list[SideLine]:
    """Lines DuckDB's typed read refused (one reject row per bad value): side lines too.

    They reach DuckDB only when clean of NULs, CRs and non-ASCII bytes, so DuckDB's copy
    of the line is the line.
    """
    rows = con.execute(
        f"SELECT line, first(csv_line) FROM {rejects}_errors GROUP BY line ORDER BY line"
    ).fetchall()
    con.execute(f"DROP TABLE IF EXISTS {rejects}_errors")
    con.execute(f"DROP TABLE IF EXISTS {rejects}_scans")
    return [SideLine(int(line), str(text), 0) for line, text in rows]
