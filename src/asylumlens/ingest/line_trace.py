"""Rows DuckDB loaded on the main path, traced back to their line numbers (for the repairs
book): by first-field key where the table has one, else by position.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt

from asylumlens.ingest.books import Books
from asylumlens.ingest.normalise import Survey
from asylumlens.ingest.staging import PreparedTable
from asylumlens.ingest.typed_read import sql_path


def lines_of(
    ordinals: npt.NDArray[np.int64], excluded: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Line numbers of the main file's rows at ``ordinals`` (0-based, in line order).

    Row i is the (i+1)-th data line not in ``excluded`` (sorted): each excluded line j
    (0-based rank k) sits before row i when ``excluded[k] - k - 2 <= i``.
    """
    shifted = excluded - np.arange(excluded.shape[0], dtype=np.int64) - 2
    return ordinals + 2 + np.searchsorted(shifted, ordinals, side="right")


def main_repairs(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedTable,
    main: Path,
    excluded: npt.NDArray[np.int64],
    books: Books,
) -> None:
    """Record each value repair made on the main path (trimmed text, sentinel dates) by
    line: by the row's first-field key where the table has one (stage 1 kept the key of
    every line, and the main file holds one row per key), else by position."""
    stem = prepared.table.stem
    if prepared.key_first:
        rows = con.execute(
            f'SELECT "{prepared.columns[0][0]}", _repairs FROM read_parquet({sql_path(main)}) '
            "WHERE _repairs IS NOT NULL"
        ).fetchall()
        found = main_lines_for_keys(prepared.survey, [r[0] for r in rows], excluded)
        lines: list[int | None] = [found.get(k) for k, _ in rows]
    else:
        rows = con.execute(
            f"SELECT file_row_number, _repairs FROM "
            f"read_parquet({sql_path(main)}, file_row_number=true) WHERE _repairs IS NOT NULL"
        ).fetchall()
        ordinals = np.asarray([r[0] for r in rows], dtype=np.int64)
        lines = [int(x) for x in lines_of(ordinals, excluded)]
    for (_, repairs), line in zip(rows, lines, strict=True):
        for item in repairs.split(","):
            kind, _, column = item.partition(":")
            books.repairs.append((stem, line, kind, column))


def main_lines_for_keys(
    survey: Survey, keys: list[int], excluded: npt.NDArray[np.int64]
) -> dict[int, int]:
    """The line of the main-file row holding each key: the first line with that key that
    is not a side line (keys too large for stage 1's int32 record have none)."""
    if not keys or not survey.keys:
        return {}
    all_keys = np.concatenate(survey.keys)
    idx = np.flatnonzero(np.isin(all_keys, np.asarray(keys, dtype=np.int64)))
    lines = idx + 2
    idx = idx[~np.isin(lines, excluded)]
    found_keys, first = np.unique(all_keys[idx], return_index=True)
    return dict(zip(found_keys.tolist(), (idx[first] + 2).tolist(), strict=True))
