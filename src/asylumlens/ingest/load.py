"""Loading a release into a staging folder: every line loaded, repaired or quarantined.

Per table: stage 1 (:mod:`.normalise`) hashes the bytes, sets aside the *side lines*
(those DuckDB must not read as they stand: misaligned, undecodable, repeated keys, values
DuckDB would read too leniently) and writes a working copy with them blanked. Stage 2
(:mod:`.cast`) has DuckDB parse and type that copy straight into Parquet, in line order;
lines DuckDB still rejects join the side lines, with the line number DuckDB reports.
The side lines are then cleaned, realigned (:mod:`.realign`) when exactly one reading
fits, typed by the strict all-VARCHAR SQL and either loaded (a second Parquet file) or
quarantined with their reason. Then the books are balanced: for every table,
lines read = rows loaded + rows quarantined, or the ingest fails.

Rows DuckDB loaded are traced back to their lines by their first-field key (stage 1 kept
every line's key, and every repeat of a key is a side line), or, in a table without such a
key, by position: that table is written in line order, and the lines it lacks are exactly
the side lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from asylumlens.errors import ReleaseError
from asylumlens.ingest.cast import CSV_TYPES, SQL_TYPES, main_select, typed_select
from asylumlens.ingest.header import read_header
from asylumlens.ingest.normalise import MAX_LINE_BYTES, SideLine, Survey, survey_table
from asylumlens.ingest.realign import realign
from asylumlens.ingest.scan import BLANK, LONG
from asylumlens.ingest.source import ReleaseSource, TableFile
from asylumlens.layout import (
    CODE_LOOKUPS,
    CORE_TABLES,
    PARENT_LINKS,
    TABLES,
    Column,
    Kind,
    kind_from_name,
    normalise_name,
)

# Columns without which a table cannot serve the analytics: a header lacking one is an
# error, not a warning. Other known columns may be absent (loaded as NULL, reported).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "A_TblCase": ("idncase", "nat", "case_type"),
    "B_TblProceeding": ("idnproceeding", "idncase", "comp_date", "ij_code", "base_city_code"),
    "tbl_Court_Appln": ("idnproceedingappln", "idnproceeding", "idncase", "appl_code", "appl_dec"),
}

MAX_DAMAGED_SHARE = 0.10
"""The largest share of a table's lines that may be realigned or quarantined (10%). Real
releases damage a few lines per million; past this share the table is not what its header
says (columns shifted, a wrong file), and the ingest fails rather than publish it."""
DAMAGE_FLOOR = 100
"""The ceiling applies from this many damaged lines on: a tiny table with a few bad rows
is reported, not refused. (A core table must still mostly load, see
:func:`_check_damage`.)"""

COUNT_TXT_TOLERANCE = 5
"""Lines by which a table may differ from Count.txt and still load (recorded in the manifest
as ``count_matches: false`` with ``count_difference``). EOIR's Count.txt counts rows as its
export wrote them, and a stray line break splits a row in two, so a real release can be off
by a few lines; deportationdata warns from 5 on. Beyond that the file is not the table
Count.txt describes (cut, padded, or swapped), and the ingest fails unless told otherwise."""

REJECT_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("raw", pa.string()),
    ]
)
REPAIR_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("line", pa.int64()),
        ("kind", pa.string()),
        ("column", pa.string()),
    ]
)


class IngestProgress(Protocol):
    """What the ingest reports while it works (the CLI draws a bar or prints lines)."""

    def start_table(self, stem: str, total_bytes: int) -> None: ...
    def advance(self, bytes_read: int, lines: int) -> None: ...
    def finish_table(self, stem: str, report: dict[str, Any]) -> None: ...


@dataclass
class _Books:
    """Rejects and repairs collected for one table."""

    rejects: list[tuple[str, int | None, str, str, str]] = field(default_factory=list)
    repairs: list[tuple[str, int | None, str, str | None]] = field(default_factory=list)


def _table_columns(
    stem: str, header: str, file: str
) -> tuple[list[tuple[str, Kind]], list[Column], dict[str, Any]]:
    """Typed columns in header order, the layout columns they map to, and header notes."""
    spec = TABLES.get(stem)
    by_key = {c.key: c for c in spec.columns} if spec else {}
    names = header.split("\t")
    columns: list[tuple[str, Kind]] = []
    layout_cols: list[Column] = []
    renamed: dict[str, str] = {}
    seen: set[str] = set()
    for name in names:
        key = normalise_name(name)
        if not key:
            key = f"column{len(columns) + 1}"
        while key in seen:
            key += "_2"
        seen.add(key)
        known = by_key.get(key)
        if known is not None and known.name != name.strip():
            renamed[name] = known.name
        kind = known.kind if known is not None else kind_from_name(name)
        columns.append((key, kind))
        layout_cols.append(known if known is not None else Column(name.strip(), kind))
    keys = {k for k, _ in columns}
    for required in REQUIRED_COLUMNS.get(stem, ()):
        if required not in keys:
            expected = by_key[required].name if required in by_key else required
            raise ReleaseError(
                f"{file}: header has no column {expected} (line 1); found: {', '.join(names)}"
            )
    missing = [c.name for c in spec.columns if c.key not in keys] if spec else []
    extra = [n for n, (k, _) in zip(names, columns, strict=True) if k not in by_key] if spec else []
    notes = {"renamed": renamed, "missing": missing, "extra": extra}
    return columns, layout_cols, notes


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _typed_csv_source(path: Path, columns: list[tuple[str, Kind]], rejects: str) -> str:
    """DuckDB's typed read of a working copy; rows it cannot read go to ``rejects``."""
    spec = ", ".join(f"'{k}': '{CSV_TYPES[kind]}'" for k, kind in columns)
    return (
        f"read_csv({_sql_path(path)}, columns={{{spec}}}, delim='\\t', quote='', escape='', "
        "header=true, strict_mode=true, new_line='\\n', parallel=true, auto_detect=false, "
        f"dateformat='%m/%Y', store_rejects=true, rejects_table='{rejects}_errors', "
        f"rejects_scan='{rejects}_scans')"
    )


@dataclass
class _Prepared:
    """A table after stage 1: its columns, its side lines and its working copy."""

    table: TableFile
    columns: list[tuple[str, Kind]]
    layout_cols: list[Column]
    header_notes: dict[str, Any]
    primary_key: str | None
    key_first: bool
    clean: Path
    survey: Survey
    started: float
    surveyed: float


def prepare_table(
    source: ReleaseSource,
    table: TableFile,
    work_dir: Path,
    progress: IngestProgress | None = None,
    *,
    allow_count_mismatch: bool = False,
) -> _Prepared:
    """Stage 1 for one table: read and check its header, survey it into a working copy,
    hold its line count to Count.txt."""
    started = time.monotonic()
    stem = table.stem
    with source.open(stem) as fh:
        header = read_header(fh, table.member)
    columns, layout_cols, header_notes = _table_columns(stem, header.text, table.member)
    key_first = bool(columns) and columns[0][1] is Kind.INTEGER
    spec = TABLES.get(stem)
    primary_key = spec.primary_key if spec else (columns[0][0] if key_first else None)
    clean = work_dir / f"{stem}.tsv"
    if progress is not None:
        progress.start_table(stem, table.size)
    with source.open(stem) as raw, clean.open("wb") as dst:
        survey = survey_table(
            raw,
            dst,
            kinds=[k for _, k in columns],
            key_first=key_first,
            progress=(lambda b, n: progress.advance(b, n)) if progress is not None else None,
        )
    expected = source.count_txt.get(stem)
    if (
        expected is not None
        and abs(expected - survey.data_lines) > COUNT_TXT_TOLERANCE
        and not allow_count_mismatch
    ):
        raise ReleaseError(
            f"{table.member}: Count.txt says {stem} has {expected:,} rows, found "
            f"{survey.data_lines:,} lines (pass --allow-count-mismatch to ingest it anyway)"
        )
    return _Prepared(
        table, columns, layout_cols, header_notes, primary_key, key_first, clean, survey,
        started, time.monotonic(),
    )  # fmt: skip


def finish_table(
    con: duckdb.DuckDBPyConnection,
    source: ReleaseSource,
    prepared: _Prepared,
    out_dir: Path,
    work_dir: Path,
    progress: IngestProgress | None = None,
) -> tuple[dict[str, Any], _Books]:
    """Stages 2 and 3 for one prepared table: type, write Parquet, resolve, balance books."""
    table, stem, columns = prepared.table, prepared.table.stem, prepared.columns
    survey, clean = prepared.survey, prepared.clean
    table_dir = out_dir / "tables" / stem
    table_dir.mkdir(parents=True)
    main = table_dir / "part-0000.parquet"
    rejects = "rejects_" + re.sub(r"[^a-z0-9_]", "_", stem.lower())
    flagged = {columns[i][0] for i in survey.repair_columns}
    select = main_select(columns, _typed_csv_source(clean, columns, rejects), repair=flagged)
    # A keyed table's rows are traced to lines by key; only a keyless one needs DuckDB to
    # keep line order (which costs it about 5%).
    con.execute(f"SET preserve_insertion_order = {str(not prepared.key_first).lower()}")
    con.execute(
        f"COPY ({select}) TO {_sql_path(main)} "
        "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
    )
    rejected = _rejected_lines(con, rejects)
    typed = time.monotonic()

    books = _Books()
    side = sorted([*survey.side, *rejected], key=lambda s: s.line)
    excluded = np.asarray([s.line for s in side], dtype=np.int64)
    main_rows = _row_count(con, main)
    outcome = _resolve_side(con, prepared, side, main, excluded, table_dir, books)
    _main_repairs(con, prepared, main, excluded, books)
    for line in survey.nul_lines:
        books.repairs.append((stem, line, "nul_removed", None))
    for line in outcome.realigned:
        books.repairs.append((stem, line, "realigned", None))

    loaded = main_rows - outcome.main_dropped + outcome.side_loaded
    quarantined = len(books.rejects)
    if loaded + quarantined != survey.data_lines:
        raise ReleaseError(
            f"{table.member}: accounting failed: {survey.data_lines} lines read but "
            f"{loaded} loaded + {quarantined} quarantined"
        )
    _check_damage(table, survey.data_lines, loaded, quarantined, len(outcome.realigned))
    rejected_lines = {r[1] for r in books.rejects}
    repaired_rows = {r[1] for r in books.repairs} - rejected_lines
    repair_counts = Counter(kind for _, _, kind, _ in books.repairs)
    if survey.crlf_lines:
        repair_counts["crlf"] = survey.crlf_lines
    column_repairs: dict[str, Counter[str]] = {}
    for _, _, kind, column in books.repairs:
        if column is not None:
            column_repairs.setdefault(column, Counter())[kind] += 1
    count_txt = source.count_txt.get(stem)
    report: dict[str, Any] = {
        "file": table.member,
        "folder": table.folder,
        "bytes": survey.bytes_read,
        "sha256": survey.sha256,
        "lines": survey.data_lines,
        "loaded": loaded,
        "repaired": len(repaired_rows),
        "quarantined": quarantined,
        "reasons": dict(Counter(r[2] for r in books.rejects)),
        "repairs": dict(repair_counts),
        "column_repairs": {c: dict(v) for c, v in sorted(column_repairs.items())},
        "crlf_lines": survey.crlf_lines,
        "non_ascii_lines": survey.non_ascii_lines,
        "side_lines": len(side),
        "count_txt": count_txt,
        "count_matches": None if count_txt is None else count_txt == survey.data_lines,
        "count_difference": None if count_txt is None else survey.data_lines - count_txt,
        "header": prepared.header_notes,
        "columns": {k: SQL_TYPES[kind] for k, kind in columns},
        "seconds": round(time.monotonic() - prepared.started, 3),
        "stage_seconds": {
            "survey": round(prepared.surveyed - prepared.started, 3),
            "type": round(typed - prepared.surveyed, 3),
            "resolve": round(time.monotonic() - typed, 3),
        },
    }
    clean.unlink(missing_ok=True)
    if progress is not None:
        progress.finish_table(stem, report)
    return report, books


def _check_damage(
    table: TableFile, lines: int, loaded: int, quarantined: int, realigned: int
) -> None:
    """Fail a table mostly damaged: over :data:`MAX_DAMAGED_SHARE` of its lines realigned
    or quarantined (from :data:`DAMAGE_FLOOR` lines on), or, for a core table
    (``layout.CORE_TABLES``), no row loaded or most lines quarantined."""
    damaged = quarantined + realigned
    if damaged >= DAMAGE_FLOOR and damaged > MAX_DAMAGED_SHARE * lines:
        raise ReleaseError(
            f"{table.member}: {table.stem}: {damaged:,} of {lines:,} lines "
            f"({damaged / lines:.1%}) had to be realigned or quarantined, over the "
            f"{MAX_DAMAGED_SHARE:.0%} ceiling: the table is not what its header says"
        )
    if table.stem not in CORE_TABLES:
        return
    if loaded == 0:
        raise ReleaseError(
            f"{table.member}: {table.stem} has no loadable row ({lines:,} lines read, "
            f"{quarantined:,} quarantined); a release needs its core tables"
        )
    if 2 * quarantined > lines:
        raise ReleaseError(
            f"{table.member}: {table.stem}: {quarantined:,} of {lines:,} lines "
            f"({quarantined / lines:.1%}) quarantined; most of a core table must load"
        )


def _row_count(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    rows = con.execute(f"SELECT count(*) FROM read_parquet({_sql_path(path)})").fetchall()
    return int(rows[0][0])


def _rejected_lines(con: duckdb.DuckDBPyConnection, rejects: str) -> list[SideLine]:
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


def _lines_of(
    ordinals: npt.NDArray[np.int64], excluded: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Line numbers of the main file's rows at ``ordinals`` (0-based, in line order).

    Row i is the (i+1)-th data line not in ``excluded`` (sorted): each excluded line j
    (0-based rank k) sits before row i when ``excluded[k] - k - 2 <= i``.
    """
    shifted = excluded - np.arange(excluded.shape[0], dtype=np.int64) - 2
    return ordinals + 2 + np.searchsorted(shifted, ordinals, side="right")


def _main_repairs(
    con: duckdb.DuckDBPyConnection,
    prepared: _Prepared,
    main: Path,
    excluded: npt.NDArray[np.int64],
    books: _Books,
) -> None:
    """Record each value repair made on the main path (trimmed text, sentinel dates) by
    line: by the row's first-field key where the table has one (stage 1 kept the key of
    every line, and the main file holds one row per key), else by position."""
    stem = prepared.table.stem
    if prepared.key_first:
        rows = con.execute(
            f'SELECT "{prepared.columns[0][0]}", _repairs FROM read_parquet({_sql_path(main)}) '
            "WHERE _repairs IS NOT NULL"
        ).fetchall()
        found = _main_lines_for_keys(prepared.survey, [r[0] for r in rows], excluded)
        lines: list[int | None] = [found.get(k) for k, _ in rows]
    else:
        rows = con.execute(
            f"SELECT file_row_number, _repairs FROM "
            f"read_parquet({_sql_path(main)}, file_row_number=true) WHERE _repairs IS NOT NULL"
        ).fetchall()
        ordinals = np.asarray([r[0] for r in rows], dtype=np.int64)
        lines = [int(x) for x in _lines_of(ordinals, excluded)]
    for (_, repairs), line in zip(rows, lines, strict=True):
        for item in repairs.split(","):
            kind, _, column = item.partition(":")
            books.repairs.append((stem, line, kind, column))


def _main_lines_for_keys(
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


@dataclass
class _SideOutcome:
    side_loaded: int = 0
    main_dropped: int = 0
    realigned: list[int] = field(default_factory=list)


def _clean_values(
    stem: str,
    s: SideLine,
    columns: list[tuple[str, Kind]],
    layout_cols: list[Column],
    books: _Books,
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


def _resolve_side(
    con: duckdb.DuckDBPyConnection,
    prepared: _Prepared,
    side: list[SideLine],
    main: Path,
    excluded: npt.NDArray[np.int64],
    table_dir: Path,
    books: _Books,
) -> _SideOutcome:
    """Clean, realign and type the side lines; quarantine what cannot load.

    A key seen on an earlier line makes a row a duplicate - whichever path that earlier
    line took. Stage 1 sends every repeat of a key to the side path, so the main file
    holds at most the first line of each key.
    """
    stem, columns = prepared.table.stem, prepared.columns
    outcome = _SideOutcome()
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
            f"TO {_sql_path(table_dir / 'part-side.parquet')} (FORMAT parquet, COMPRESSION zstd)"
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
    prepared: _Prepared,
    main: Path,
    excluded: npt.NDArray[np.int64],
    texts: dict[int, str],
    books: _Books,
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
            f'SELECT "{key_col}" FROM read_parquet({_sql_path(main)}) '
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
    prepared: _Prepared,
    main: Path,
    drop: dict[int, int],
    books: _Books,
) -> None:
    """Rewrite the main file without rows that repeat a key an earlier side line holds.

    Rare: it needs a first-field key stage 1 could not read on the earlier line.
    """
    stem, key_col = prepared.table.stem, prepared.columns[0][0]
    rows = con.execute(
        f'SELECT "{key_col}", concat_ws(chr(9), COLUMNS(* EXCLUDE (_repairs))::VARCHAR) '
        f'FROM read_parquet({_sql_path(main)}) WHERE "{key_col}" IN (SELECT unnest($1::BIGINT[]))',
        [sorted(drop)],
    ).fetchall()
    tmp = main.with_suffix(".tmp")
    con.execute(
        f"COPY (SELECT * FROM read_parquet({_sql_path(main)}) "
        f'WHERE "{key_col}" NOT IN (SELECT unnest($1::BIGINT[]))) TO {_sql_path(tmp)} '
        "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)",
        [sorted(drop)],
    )
    tmp.replace(main)
    for key, text in rows:
        books.rejects.append(
            (stem, drop[key], "duplicate_key",
             "primary key seen on an earlier line (raw: the row as typed)", text)
        )  # fmt: skip


def _write_books(path: Path, rows: list[Any], schema: pa.Schema) -> None:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    table = pa.table(
        {f.name: pa.array(list(col), type=f.type) for f, col in zip(schema, columns, strict=True)},
        schema=schema,
    )
    pq.write_table(table, path, compression="zstd")


def _has_column(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> bool:
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return any(r[0] == column for r in rows)


def _integrity(con: duckdb.DuckDBPyConnection, out_dir: Path, stems: set[str]) -> dict[str, Any]:
    """Codes absent from the release's own lookups, and rows whose parent is missing."""

    def view(stem: str) -> str:
        return f"read_parquet({_sql_path(out_dir / 'tables' / stem / '*.parquet')})"

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


def _prepared_in_order(
    source: ReleaseSource,
    order: list[TableFile],
    work_dir: Path,
    progress: IngestProgress | None,
    allow_count_mismatch: bool,
) -> Iterator[_Prepared]:
    """Run stage 1 one table ahead, in a thread; yield prepared tables in ``order``.

    At most one prepared table waits (a bounded queue), so the staging folder never holds
    more than two clean copies. A failure in the thread is raised here; stopping early
    (an error downstream) tells the thread to stop after its current table.
    """
    ready: queue.Queue[_Prepared | BaseException | None] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for table in order:
                if stop.is_set():
                    return
                ready.put(
                    prepare_table(
                        source, table, work_dir, progress,
                        allow_count_mismatch=allow_count_mismatch,
                    )
                )  # fmt: skip
        except BaseException as exc:  # handed to the consumer, raised there
            ready.put(exc)
            return
        ready.put(None)

    worker = threading.Thread(target=produce, name="asylumlens-stage1", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.1)
        worker.join()


def stage_release(
    source: ReleaseSource,
    out_dir: Path,
    *,
    source_sha256: str,
    progress: IngestProgress | None = None,
    memory_limit: str = "3GB",
    allow_count_mismatch: bool = False,
) -> dict[str, Any]:
    """Load every table of ``source`` into ``out_dir``; write and return the manifest.

    Fails (:class:`ReleaseError`) on a table whose line count disagrees with Count.txt,
    unless ``allow_count_mismatch``; the manifest records the disagreement either way.
    """
    started = time.monotonic()
    work_dir = out_dir / ".work"
    work_dir.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = {_sql_path(work_dir / 'spill')}")
    # (finish_table sets preserve_insertion_order per table: keyless tables keep line order)
    con.execute(f"SET threads = {max(os.cpu_count() or 2, 2)}")
    tables: dict[str, Any] = {}
    rejects: list[Any] = []
    repairs: list[Any] = []
    # smallest first: DuckDB waits only for the first (small) table's stage 1
    order = sorted(source.tables.values(), key=lambda t: (t.folder != "lookup", t.size))
    # Stage 1 (one core, GIL released) of the next table runs while DuckDB types this one.
    for prepared in _prepared_in_order(source, order, work_dir, progress, allow_count_mismatch):
        report, books = finish_table(con, source, prepared, out_dir, work_dir, progress)
        tables[prepared.table.stem] = report
        rejects.extend(books.rejects)
        repairs.extend(books.repairs)
    checked = time.monotonic()
    con.execute("SET preserve_insertion_order = false")
    integrity = _integrity(con, out_dir, set(tables))
    integrity_seconds = round(time.monotonic() - checked, 3)
    for stem, cols in integrity["out_of_lookup"].items():
        tables[stem]["out_of_lookup"] = cols
    for stem, links in integrity["orphans"].items():
        tables[stem]["orphans"] = links
    _write_books(out_dir / "rejects.parquet", rejects, REJECT_SCHEMA)
    _write_books(out_dir / "repairs.parquet", repairs, REPAIR_SCHEMA)
    con.close()
    shutil.rmtree(work_dir, ignore_errors=True)
    from asylumlens import __version__

    manifest: dict[str, Any] = {
        "release": {
            "id": source.release_id,
            "date": source.release_date.isoformat() if source.release_date else None,
            "folder": source.folder_name,
            "source": str(source.path.resolve()),
            "source_kind": "zip" if source.is_zip else "folder",
            "source_sha256": source_sha256,
            "fingerprint": source.fingerprint(),
            "synthetic": source.synthetic_note is not None,
            "synthetic_note": source.synthetic_note,
            "count_txt": bool(source.count_txt),
            "ignored": source.ignored,
            "ignored_total": source.ignored_total,
            "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "asylumlens_version": __version__,
            "duration_s": round(time.monotonic() - started, 3),
            "integrity_seconds": integrity_seconds,
        },
        "totals": {
            "lines": sum(t["lines"] for t in tables.values()),
            "loaded": sum(t["loaded"] for t in tables.values()),
            "repaired": sum(t["repaired"] for t in tables.values()),
            "quarantined": sum(t["quarantined"] for t in tables.values()),
        },
        "tables": tables,
    }
    write_manifest(out_dir, manifest)
    return manifest


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    tmp = out_dir / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(out_dir / "manifest.json")
