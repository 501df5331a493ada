"""Loading a release into a staging folder: every line loaded, repaired or quarantined.

Per table: stage 1 (:mod:`.normalise`) cleans the bytes and takes misaligned lines out;
stage 2 (:mod:`.cast`) types the clean lines in DuckDB and writes Parquet, splitting off
rows whose values do not fit their columns; the lines taken out are realigned
(:mod:`.realign`) when exactly one reading fits, and typed by the same SQL; the rest are
quarantined with their reason. Then the books are balanced: for every table,
lines read = rows loaded + rows quarantined, or the ingest fails.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import queue
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
import pyarrow as pa
import pyarrow.parquet as pq

from asylumlens.errors import ReleaseError
from asylumlens.ingest.cast import SQL_TYPES, typed_select
from asylumlens.ingest.normalise import (
    NormaliseResult,
    SuspectLine,
    decode_cp1252,
    normalise_table,
)
from asylumlens.ingest.realign import realign
from asylumlens.ingest.source import ReleaseSource, TableFile
from asylumlens.layout import (
    CODE_LOOKUPS,
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


def _read_header(source: ReleaseSource, stem: str) -> str:
    with source.open(stem) as fh:
        raw = fh.readline()
    return decode_cp1252(raw.replace(b"\x00", b"")).rstrip("\r\n")


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _csv_source(path: Path, columns: list[tuple[str, Kind]]) -> str:
    spec = ", ".join(f"'{k}': 'VARCHAR'" for k, _ in columns)
    return (
        f"read_csv({_sql_path(path)}, columns={{{spec}}}, delim='\\t', quote='', escape='', "
        f"header=true, strict_mode=true, new_line='\\n', parallel=true)"
    )


@dataclass
class _Prepared:
    """A table after stage 1: its columns and its clean file, ready for typing."""

    table: TableFile
    columns: list[tuple[str, Kind]]
    layout_cols: list[Column]
    header_notes: dict[str, Any]
    primary_key: str | None
    clean: Path
    norm: NormaliseResult
    started: float
    normalised: float


def prepare_table(
    source: ReleaseSource,
    table: TableFile,
    work_dir: Path,
    progress: IngestProgress | None = None,
) -> _Prepared:
    """Stage 1 for one table: read its header, stream it to a clean file."""
    started = time.monotonic()
    stem = table.stem
    header = _read_header(source, stem)
    columns, layout_cols, header_notes = _table_columns(stem, header, table.member)
    first_is_key = bool(columns) and columns[0][1] is Kind.INTEGER
    spec = TABLES.get(stem)
    primary_key = spec.primary_key if spec else (columns[0][0] if first_is_key else None)
    clean = work_dir / f"{stem}.tsv"
    if progress is not None:
        progress.start_table(stem, table.size)
    with source.open(stem) as raw, clean.open("wb") as dst:
        norm = normalise_table(
            raw,
            dst,
            expected_fields=len(columns),
            key_first=first_is_key,
            progress=(lambda b, n: progress.advance(b, n)) if progress is not None else None,
        )
    return _Prepared(
        table, columns, layout_cols, header_notes, primary_key, clean, norm, started,
        time.monotonic(),
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
    table, stem = prepared.table, prepared.table.stem
    columns, layout_cols, primary_key = (
        prepared.columns, prepared.layout_cols, prepared.primary_key
    )  # fmt: skip
    clean, norm, header_notes = prepared.clean, prepared.norm, prepared.header_notes
    started, normalised = prepared.started, prepared.normalised
    table_dir = out_dir / "tables" / stem
    table_dir.mkdir(parents=True)
    parts = work_dir / f"{stem}.parts"
    select = typed_select(columns, _csv_source(clean, columns), primary_key=primary_key)
    con.execute(
        f"COPY (SELECT *, _bad = '' AS _ok FROM ({select})) TO {_sql_path(parts)} "
        "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (_ok), WRITE_PARTITION_COLUMNS false)"
    )
    for i, part in enumerate(sorted((parts / "_ok=true").glob("*.parquet"))):
        shutil.move(str(part), table_dir / f"part-{i:04d}.parquet")

    typed = time.monotonic()
    books = _Books()
    _quarantine_bad_rows(con, stem, parts / "_ok=false", norm, clean, books)
    repaired_lines = _resolve_suspects(
        con, stem, norm.suspects, columns, layout_cols, primary_key, table_dir, work_dir, books
    )
    if not any(table_dir.glob("*.parquet")):
        _write_empty_table(con, columns, table_dir, clean)
    value_repair_lines = _value_repairs(con, stem, table_dir, primary_key, norm, books)
    for line in norm.nul_lines:
        books.repairs.append((stem, line, "nul_removed", None))
    for line, idx in norm.trimmed:
        for j in idx:
            books.repairs.append(
                (stem, line, "trimmed", columns[j][0] if j < len(columns) else None)
            )
    for line in repaired_lines:
        books.repairs.append((stem, line, "realigned", None))

    loaded = int(
        con.execute(
            f"SELECT count(*) FROM read_parquet({_sql_path(table_dir / '*.parquet')})"
        ).fetchone()[0]  # type: ignore[index]
    )
    quarantined = len(books.rejects)
    if loaded + quarantined != norm.data_lines:
        raise ReleaseError(
            f"{table.member}: accounting failed: {norm.data_lines} lines read but "
            f"{loaded} loaded + {quarantined} quarantined"
        )
    rejected_lines = {r[1] for r in books.rejects}
    repaired_rows = (
        set(norm.nul_lines) | {ln for ln, _ in norm.trimmed} | set(repaired_lines)
    ) | value_repair_lines
    repaired_rows -= rejected_lines
    repair_counts = Counter(kind for _, _, kind, _ in books.repairs)
    if norm.crlf_lines:
        repair_counts["crlf"] = norm.crlf_lines
    column_repairs: dict[str, Counter[str]] = {}
    for _, _, kind, column in books.repairs:
        if column is not None:
            column_repairs.setdefault(column, Counter())[kind] += 1
    count_txt = source.count_txt.get(stem)
    report: dict[str, Any] = {
        "file": table.member,
        "folder": table.folder,
        "bytes": norm.bytes_read,
        "sha256": norm.sha256,
        "lines": norm.data_lines,
        "loaded": loaded,
        "repaired": len(repaired_rows),
        "quarantined": quarantined,
        "reasons": dict(Counter(r[2] for r in books.rejects)),
        "repairs": dict(repair_counts),
        "column_repairs": {c: dict(v) for c, v in sorted(column_repairs.items())},
        "crlf_lines": norm.crlf_lines,
        "non_ascii_lines": norm.non_ascii_lines,
        "count_txt": count_txt,
        "count_matches": None if count_txt is None else count_txt == norm.data_lines,
        "header": header_notes,
        "columns": {k: SQL_TYPES[kind] for k, kind in columns},
        "seconds": round(time.monotonic() - started, 3),
        "stage_seconds": {
            "normalise": round(normalised - started, 3),
            "type": round(typed - normalised, 3),
            "resolve": round(time.monotonic() - typed, 3),
        },
    }
    clean.unlink(missing_ok=True)
    shutil.rmtree(parts, ignore_errors=True)
    if progress is not None:
        progress.finish_table(stem, report)
    return report, books


def _first_field_int(raw: str) -> int | None:
    head = raw.split("\t", 1)[0]
    return int(head) if head.isdigit() else None


def _lines_for_texts(clean: Path, texts: set[str], suspects: list[SuspectLine]) -> dict[str, int]:
    """Physical line numbers of clean-file lines with these exact texts (rare fallback).

    Used for rejected rows whose first field is not an integer key. The clean file is
    searched in C (``mmap.find``), and its line index is mapped back to the source line by
    adding the lines stage 1 took out before it.
    """
    removed = sorted(s.line for s in suspects)
    found: dict[str, int] = {}
    with clean.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for text in texts:
            at = data.find(b"\n" + text.encode("utf-8") + b"\n")
            if at < 0:
                continue
            # (no named view: the mmap cannot close while a numpy view of it is alive)
            newlines = int(np.count_nonzero(np.frombuffer(data, np.uint8, count=at + 1) == 10))
            clean_line = newlines + 1  # 1-based, header = line 1
            physical = clean_line
            for line in removed:  # each line taken out before this one shifts it down
                if line <= physical:
                    physical += 1
            found[text] = physical
    return found


def _quarantine_bad_rows(
    con: duckdb.DuckDBPyConnection,
    stem: str,
    bad_dir: Path,
    norm: NormaliseResult,
    clean: Path,
    books: _Books,
) -> None:
    files = sorted(bad_dir.glob("*.parquet"))
    if not files:
        return
    rows: list[tuple[str, str]] = con.execute(
        f"SELECT _raw, _bad FROM read_parquet({_sql_path(bad_dir / '*.parquet')})"
    ).fetchall()
    keys = [_first_field_int(raw) for raw, _ in rows]
    by_key = norm.lines_for_keys([k for k in keys if k is not None])
    unkeyed = {raw for (raw, _), k in zip(rows, keys, strict=True) if by_key.get(k or -1) is None}
    by_text = _lines_for_texts(clean, unkeyed, norm.suspects) if unkeyed else {}
    for (raw, bad), key in zip(rows, keys, strict=True):
        line = by_key.get(key) if key is not None else None
        if line is None:
            line = by_text.get(raw)
        books.rejects.append((stem, line, "bad_value", f"not of its type: {bad}", raw))


def _resolve_suspects(
    con: duckdb.DuckDBPyConnection,
    stem: str,
    suspects: list[SuspectLine],
    columns: list[tuple[str, Kind]],
    layout_cols: list[Column],
    primary_key: str | None,
    table_dir: Path,
    work_dir: Path,
    books: _Books,
) -> list[int]:
    """Realign what can be realigned (typed like every row); quarantine the rest."""
    fixed: list[tuple[int, list[str], str]] = []
    for s in suspects:
        if s.reason == "field_count":
            values = s.text.split("\t")
            reading = realign(values, layout_cols)
            if reading is not None:
                fixed.append((s.line, reading, s.text))
                continue
            detail = f"{s.fields} fields, header has {len(columns)}"
            if s.fields == len(columns) + 1:
                detail += "; no single realignment fits every column"
            books.rejects.append((stem, s.line, "field_count", detail, s.text))
        elif s.reason == "blank_line":
            books.rejects.append((stem, s.line, "blank_line", "empty line", s.text))
        else:
            books.rejects.append(
                (stem, s.line, "duplicate_key", "primary key seen on an earlier line", s.text)
            )
    if not fixed:
        return []
    small = work_dir / f"{stem}.realigned.tsv"
    with small.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(["_line", *(k for k, _ in columns)]) + "\n")
        for line, values, _ in fixed:
            fh.write("\t".join([str(line), *values]) + "\n")
    cols_with_line = [("_line", Kind.INTEGER), *columns]
    select = typed_select(
        columns,
        _csv_source(small, cols_with_line),
        primary_key=primary_key,
        extra=["CAST(_line AS BIGINT) AS _line"],
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE realigned AS {select}")
    if primary_key is not None and any(table_dir.glob("*.parquet")):
        con.execute(
            f"UPDATE realigned SET _bad = '__duplicate__' WHERE _bad = '' AND \"{primary_key}\" IN "
            f'(SELECT "{primary_key}" FROM read_parquet({_sql_path(table_dir / "*.parquet")}))'
        )
    texts = {line: text for line, _, text in fixed}
    for line, bad in con.execute("SELECT _line, _bad FROM realigned WHERE _bad <> ''").fetchall():
        if bad == "__duplicate__":
            books.rejects.append(
                (stem, line, "duplicate_key", "primary key seen on an earlier line", texts[line])
            )
        else:
            books.rejects.append((stem, line, "bad_value", f"not of its type: {bad}", texts[line]))
    good = [r[0] for r in con.execute("SELECT _line FROM realigned WHERE _bad = ''").fetchall()]
    if good:
        con.execute(
            f"COPY (SELECT * EXCLUDE (_line) FROM realigned WHERE _bad = '') TO "
            f"{_sql_path(table_dir / 'realigned.parquet')} (FORMAT parquet, COMPRESSION zstd)"
        )
    con.execute("DROP TABLE realigned")
    small.unlink(missing_ok=True)
    return sorted(good)


def _write_empty_table(
    con: duckdb.DuckDBPyConnection, columns: list[tuple[str, Kind]], table_dir: Path, clean: Path
) -> None:
    """A table whose every row was quarantined still gets a typed, empty Parquet file."""
    select = typed_select(columns, _csv_source(clean, columns))
    con.execute(
        f"COPY (SELECT * FROM ({select}) LIMIT 0) TO "
        f"{_sql_path(table_dir / 'part-0000.parquet')} (FORMAT parquet)"
    )


def _value_repairs(
    con: duckdb.DuckDBPyConnection,
    stem: str,
    table_dir: Path,
    primary_key: str | None,
    norm: NormaliseResult,
    books: _Books,
) -> set[int]:
    """Record each value-level repair made in SQL (null tokens, sentinel dates) by line."""
    key_sql = f'"{primary_key}"' if primary_key else "NULL"
    rows: list[tuple[int | None, str]] = con.execute(
        f"SELECT {key_sql}, _repairs FROM read_parquet({_sql_path(table_dir / '*.parquet')}) "
        "WHERE _repairs IS NOT NULL"
    ).fetchall()
    if not rows:
        return set()
    lines = norm.lines_for_keys([k for k, _ in rows if k is not None]) if primary_key else {}
    touched: set[int] = set()
    for key, repairs in rows:
        line = lines.get(key) if key is not None else None
        if line is not None:
            touched.add(line)
        for item in repairs.split(","):
            kind, _, column = item.partition(":")
            books.repairs.append((stem, line, kind, column))
    return touched


def _write_books(path: Path, rows: list[Any], schema: pa.Schema) -> None:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    table = pa.table(
        {f.name: pa.array(list(col), type=f.type) for f, col in zip(schema, columns, strict=True)},
        schema=schema,
    )
    pq.write_table(table, path, compression="zstd")


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
    for (child, key), (parent, pkey) in PARENT_LINKS.items():
        if child not in stems or parent not in stems:
            continue
        try:
            n = con.execute(
                f'SELECT count(*) FROM {view(child)} c WHERE c."{key}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM {view(parent)} p WHERE p."{pkey}" = c."{key}")'
            ).fetchone()
        except duckdb.BinderException:
            continue
        if n and n[0]:
            orphans.setdefault(child, {})[f"{key} -> {parent}"] = int(n[0])
    return {"out_of_lookup": unknown, "orphans": orphans}


def _prepared_in_order(
    source: ReleaseSource,
    order: list[TableFile],
    work_dir: Path,
    progress: IngestProgress | None,
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
                ready.put(prepare_table(source, table, work_dir, progress))
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
) -> dict[str, Any]:
    """Load every table of ``source`` into ``out_dir``; write and return the manifest."""
    started = time.monotonic()
    work_dir = out_dir / ".work"
    work_dir.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = {_sql_path(work_dir / 'spill')}")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET threads = {max(os.cpu_count() or 2, 2)}")
    tables: dict[str, Any] = {}
    rejects: list[Any] = []
    repairs: list[Any] = []
    order = sorted(source.tables.values(), key=lambda t: (t.folder != "lookup", -t.size))
    # Stage 1 (numpy, one core) of the next table runs while DuckDB types the current one.
    for prepared in _prepared_in_order(source, order, work_dir, progress):
        report, books = finish_table(con, source, prepared, out_dir, work_dir, progress)
        tables[prepared.table.stem] = report
        rejects.extend(books.rejects)
        repairs.extend(books.repairs)
    checked = time.monotonic()
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
