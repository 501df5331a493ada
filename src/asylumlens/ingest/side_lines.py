"""Stage 3: the side lines cleaned, realigned and typed; the first line of each key loads,
the rest is quarantined with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from asylumlens.ingest.books import Books
from asylumlens.ingest.cast import typed_select
from asylumlens.ingest.normalise import MAX_LINE_BYTES, SideLine
from asylumlens.ingest.realign import realign
from asylumlens.ingest.scan import BLANK, LONG
from asylumlens.ingest.staging import PreparedTable
from asylumlens.ingest.typed_read import sql_path
from asylumlens.layout import Column, Kind


@dataclass
class SideOutcome:
    side_loaded: int = 0
    main_dropped: int = 0
    realigned: list[int] = field(default_factory=list)


def _clean_values(
    stem: str,
    s: SideLine,
    columns: list[tuple[str, Kind]],
    layout_cols: list[Column],
    books: Books,
) -> tuple[list[str], bool] | None:
    """The trimmed values of a side line (realigned when needed), or None if quarantined.

    Returns (values, realigned). Trimming is recorded per column, as the main path does.
    """
    if s.why & LONG:
        detail = f"line of {s.length:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit"
        if s.cut:
            detail += f"; raw: its first {len(s.text):,} characters"
        books.rejects.append((stem, s.line, "line_too_long", detail, s.text))
        return None
    if s.why & BLANK or s.text == "":
        books.rejects.append((stem, s.line, "blank_line", "empty line", s.text))
        return None
    values = s.text.split("\t")
    realigned = False
    if len(values) != len(columns):
        reading = realign(values, layout_cols)
        if reading is None:
            detail = f"{len(values)} fields, header has {len(columns)}"
            if len(values) == len(columns) + 1:
                detail += "; no single realignment fits every column"
            books.rejects.append((stem, s.line, "field_count", detail, s.text))
            return None
        return reading, True
    trimmed = [v.strip(" ") for v in values]
    for (key, _), before, after in zip(columns, values, trimmed, strict=True):
        if before != after:
            books.repairs.append((stem, s.line, "trimmed", key))
    return trimmed, realigned


def resolve_side(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedTable,
    side: list[SideLine],
    main: Path,
    excluded: npt.NDArray[np.int64],
    table_dir: Path,
    books: Books,
) -> SideOutcome:
    """Clean, realign and type the side lines; quarantine what cannot load.

    A key seen on an earlier line makes a row a duplicate - whichever path that earlier
    line took. Stage 1 sends every repeat of a key to the side path, so the main file
    holds at most the first line of each key.
    """
    stem, columns = prepared.table.stem, prepared.columns
    outcome = SideOutcome()
    if not side:
        return outcome
    texts: dict[int, str] = {}
    rows: list[list[str | None]] = []
    for s in side:
        cleaned = _clean_values(stem, s, columns, prepared.layout_cols, books)
        if cleaned is None:
            continue
        values, realigned = cleaned
        if realigned:
            outcome.realigned.append(s.line)
        texts[s.line] = s.text
        rows.append([str(s.line), *(v if v != "" else None for v in values)])
    if not rows:
        return outcome
    # handed to DuckDB as Arrow, not as text: a side value may hold a CR or anything else
    names = ["_line", *(k for k, _ in columns)]
    con.register(
        "side_source",
        pa.table(
            {
                n: pa.array(col, type=pa.string())
                for n, col in zip(names, zip(*rows, strict=True), strict=True)
            }
        ),
    )
    select = typed_select(
        columns,
        "side_source",
        primary_key=prepared.primary_key,
        extra=["CAST(_line AS BIGINT) AS _line"],
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE side_rows AS {select}")
    con.unregister("side_source")
    for line, bad in con.execute(
        "SELECT _line, _bad FROM side_rows WHERE _bad <> '' ORDER BY _line"
    ).fetchall():
        books.rejects.append((stem, line, "bad_value", f"not of its type: {bad}", texts[line]))
    for line, repairs in con.execute(
        "SELECT _line, _repairs FROM side_rows WHERE _bad = '' AND _repairs IS NOT NULL"
    ).fetchall():
        for item in repairs.split(","):
            kind, _, column = item.partition(":")
            books.repairs.append((stem, line, kind, column))
    keep = _first_of_each_key(con, prepared, main, excluded, texts, books)
    outcome.realigned = [ln for ln in outcome.realigned if ln in keep.side_lines]
    if keep.drop_from_main:
        _drop_from_main(con, prepared, main, keep.drop_from_main, books)
        outcome.main_dropped = len(keep.drop_from_main)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE side_keep AS SELECT unnest($1::BIGINT[]) AS _line",
        [sorted(keep.side_lines)],
    )
    outcome.side_loaded = len(keep.side_lines)
    if keep.side_lines:
        con.execute(
            "COPY (SELECT * EXCLUDE (_line, _bad, _raw) FROM side_rows "
            "WHERE _line IN (SELECT _line FROM side_keep) ORDER BY _line) "
            f"TO {sql_path(table_dir / 'part-side.parquet')} (FORMAT parquet, COMPRESSION zstd)"
        )
    con.execute("DROP TABLE side_rows")
    con.execute("DROP TABLE side_keep")
    return outcome


@dataclass
class _Keep:
    side_lines: set[int]
    drop_from_main: dict[int, int]  # key -> line of the main row that is a later repeat


def _first_of_each_key(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedTable,
    main: Path,
    excluded: npt.NDArray[np.int64],
    texts: dict[int, str],
    books: Books,
) -> _Keep:
    """Which typed side rows load: all of them, less the repeats of a key loaded earlier."""
    stem = prepared.table.stem
    good: list[tuple[int, int | None]] = (
        con.execute(
            f"SELECT _line, \"{prepared.columns[0][0]}\" FROM side_rows WHERE _bad = '' "
            "ORDER BY _line"
        ).fetchall()
        if prepared.key_first
        else [
            (r[0], None)
            for r in con.execute("SELECT _line FROM side_rows WHERE _bad = ''").fetchall()
        ]
    )
    keep = _Keep(set(), {})
    keyed = {k for _, k in good if k is not None}
    if not keyed:
        keep.side_lines = {ln for ln, _ in good}
        return keep
    key_col = prepared.columns[0][0]
    in_main = {
        int(r[0])
        for r in con.execute(
            f'SELECT "{key_col}" FROM read_parquet({sql_path(main)}) '
            f'WHERE "{key_col}" IN (SELECT unnest($1::BIGINT[]))',
            [sorted(keyed)],
        ).fetchall()
    }
    side_set = set(excluded.tolist())
    main_line: dict[int, int | None] = {}
    for k, lines in prepared.survey.lines_for_keys(sorted(in_main)).items():
        main_line[k] = next((ln for ln in lines if ln not in side_set), None)
    first: dict[int, int] = {}  # key -> line that loads, among side rows and main rows
    for k in in_main:
        first[k] = main_line.get(k) or 0  # unknown line: the main row came first
    for line, key in good:
        if key is None:
            keep.side_lines.add(line)
            continue
        holder = first.get(key)
        if holder is None:
            first[key] = line
            keep.side_lines.add(line)
        elif key in in_main and holder == main_line.get(key) and holder > line:
            # the main row repeats a key this earlier side line holds: it yields
            keep.drop_from_main[key] = holder
            first[key] = line
            keep.side_lines.add(line)
        else:
            books.rejects.append(
                (stem, line, "duplicate_key", "primary key seen on an earlier line", texts[line])
            )
    return keep


def _drop_from_main(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedTable,
    main: Path,
    drop: dict[int, int],
    books: Books,
) -> None:
    """Rewrite the main file without rows that repeat a key an earlier side line holds.

    Rare: it needs a first-field key stage 1 could not read on the earlier line.
    """
    stem, key_col = prepared.table.stem, prepared.columns[0][0]
    rows = con.execute(
        f'SELECT "{key_col}", concat_ws(chr(9), COLUMNS(* EXCLUDE (_repairs))::VARCHAR) '
        f'FROM read_parquet({sql_path(main)}) WHERE "{key_col}" IN (SELECT unnest($1::BIGINT[]))',
        [sorted(drop)],
    ).fetchall()
    tmp = main.with_suffix(".tmp")
    con.execute(
        f"COPY (SELECT * FROM read_parquet({sql_path(main)}) "
        f'WHERE "{key_col}" NOT IN (SELECT unnest($1::BIGINT[]))) TO {sql_path(tmp)} '
        "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)",
        [sorted(drop)],
    )
    tmp.replace(main)
    for key, text in rows:
        books.rejects.append(
            (stem, drop[key], "duplicate_key",
             "primary key seen on an earlier line (raw: the row as typed)", text)
        )  # fmt: skip
