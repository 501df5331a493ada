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

This module runs those steps for a whole release; the steps live in their own modules:
:mod:`.staging` (stage 1, one table ahead), :mod:`.typed_read` (stage 2's DuckDB read),
:mod:`.side_lines` (stage 3), :mod:`.line_trace` (rows back to lines), :mod:`.books`
(rejects, repairs, the damage ceiling), :mod:`.report` (per table), :mod:`.integrity`
(across tables) and :mod:`.manifest`. The names callers import from here stay here.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from asylumlens.errors import ReleaseError
from asylumlens.ingest.books import (
    DAMAGE_FLOOR,
    MAX_DAMAGED_SHARE,
    REJECT_SCHEMA,
    REPAIR_SCHEMA,
    Books,
    check_damage,
    write_books,
)
from asylumlens.ingest.cast import main_select
from asylumlens.ingest.columns import REQUIRED_COLUMNS
from asylumlens.ingest.integrity import check_integrity
from asylumlens.ingest.line_trace import main_repairs
from asylumlens.ingest.manifest import release_manifest, write_manifest
from asylumlens.ingest.report import table_report
from asylumlens.ingest.side_lines import resolve_side
from asylumlens.ingest.source import ReleaseSource
from asylumlens.ingest.staging import (
    COUNT_TXT_TOLERANCE,
    IngestProgress,
    PreparedTable,
    prepare_table,
    prepared_in_order,
)
from asylumlens.ingest.typed_read import rejected_lines, row_count, sql_path, typed_csv_source
from asylumlens.manifest import Manifest

__all__ = [
    "COUNT_TXT_TOLERANCE",
    "DAMAGE_FLOOR",
    "MAX_DAMAGED_SHARE",
    "REJECT_SCHEMA",
    "REPAIR_SCHEMA",
    "REQUIRED_COLUMNS",
    "IngestProgress",
    "PreparedTable",
    "finish_table",
    "prepare_table",
    "stage_release",
    "write_manifest",
]


def finish_table(
    con: duckdb.DuckDBPyConnection,
    source: ReleaseSource,
    prepared: PreparedTable,
    out_dir: Path,
    work_dir: Path,
    progress: IngestProgress | None = None,
) -> tuple[dict[str, Any], Books]:
    """Stages 2 and 3 for one prepared table: type, write Parquet, resolve, balance books."""
    table, stem, columns = prepared.table, prepared.table.stem, prepared.columns
    survey, clean = prepared.survey, prepared.clean
    table_dir = out_dir / "tables" / stem
    table_dir.mkdir(parents=True)
    main = table_dir / "part-0000.parquet"
    rejects = "rejects_" + re.sub(r"[^a-z0-9_]", "_", stem.lower())
    flagged = {columns[i][0] for i in survey.repair_columns}
    select = main_select(columns, typed_csv_source(clean, columns, rejects), repair=flagged)
    # A keyed table's rows are traced to lines by key; only a keyless one needs DuckDB to
    # keep line order (which costs it about 5%).
    con.execute(f"SET preserve_insertion_order = {str(not prepared.key_first).lower()}")
    con.execute(
        f"COPY ({select}) TO {sql_path(main)} "
        "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
    )
    rejected = rejected_lines(con, rejects)
    typed = time.monotonic()

    books = Books()
    side = sorted([*survey.side, *rejected], key=lambda s: s.line)
    excluded = np.asarray([s.line for s in side], dtype=np.int64)
    main_rows = row_count(con, main)
    outcome = resolve_side(con, prepared, side, main, excluded, table_dir, books)
    main_repairs(con, prepared, main, excluded, books)
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
    check_damage(table, survey.data_lines, loaded, quarantined, len(outcome.realigned))
    report = table_report(
        prepared,
        books,
        loaded=loaded,
        side_lines=len(side),
        count_txt=source.count_txt.get(stem),
        typed=typed,
    )
    clean.unlink(missing_ok=True)
    if progress is not None:
        progress.finish_table(stem, report)
    return report, books


def stage_release(
    source: ReleaseSource,
    out_dir: Path,
    *,
    source_sha256: str,
    progress: IngestProgress | None = None,
    memory_limit: str = "3GB",
    allow_count_mismatch: bool = False,
) -> Manifest:
    """Load every table of ``source`` into ``out_dir``; write and return the manifest.

    Fails (:class:`ReleaseError`) on a table whose line count disagrees with Count.txt,
    unless ``allow_count_mismatch``; the manifest records the disagreement either way.
    """
    started = time.monotonic()
    work_dir = out_dir / ".work"
    work_dir.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = {sql_path(work_dir / 'spill')}")
    # (finish_table sets preserve_insertion_order per table: keyless tables keep line order)
    con.execute(f"SET threads = {max(os.cpu_count() or 2, 2)}")
    tables: dict[str, Any] = {}
    rejects: list[Any] = []
    repairs: list[Any] = []
    # smallest first: DuckDB waits only for the first (small) table's stage 1
    order = sorted(source.tables.values(), key=lambda t: (t.folder != "lookup", t.size))
    # Stage 1 (one core, GIL released) of the next table runs while DuckDB types this one.
    for prepared in prepared_in_order(source, order, work_dir, progress, allow_count_mismatch):
        report, books = finish_table(con, source, prepared, out_dir, work_dir, progress)
        tables[prepared.table.stem] = report
        rejects.extend(books.rejects)
        repairs.extend(books.repairs)
    checked = time.monotonic()
    con.execute("SET preserve_insertion_order = false")
    integrity = check_integrity(con, out_dir, set(tables))
    integrity_seconds = round(time.monotonic() - checked, 3)
    for stem, cols in integrity["out_of_lookup"].items():
        tables[stem]["out_of_lookup"] = cols
    for stem, links in integrity["orphans"].items():
        tables[stem]["orphans"] = links
    write_books(out_dir / "rejects.parquet", rejects, REJECT_SCHEMA)
    write_books(out_dir / "repairs.parquet", repairs, REPAIR_SCHEMA)
    con.close()
    shutil.rmtree(work_dir, ignore_errors=True)
    manifest = release_manifest(
        source,
        tables,
        source_sha256=source_sha256,
        started=started,
        integrity_seconds=integrity_seconds,
    )
    write_manifest(out_dir, manifest)
    return manifest
