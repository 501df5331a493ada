"""The per-table ingest report (one entry of the manifest's ``tables``): what was read,
loaded, repaired and quarantined, why, and how long each stage took."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from asylumlens.ingest.books import Books
from asylumlens.ingest.cast import SQL_TYPES
from asylumlens.ingest.staging import PreparedTable


def table_report(
    prepared: PreparedTable,
    books: Books,
    *,
    loaded: int,
    side_lines: int,
    count_txt: int | None,
    typed: float,
) -> dict[str, Any]:
    """The report of one table whose books balance; ``typed`` is when stage 2 ended."""
    table, survey = prepared.table, prepared.survey
    quarantined = len(books.rejects)
    rejected_lines = {r[1] for r in books.rejects}
    repaired_rows = {r[1] for r in books.repairs} - rejected_lines
    repair_counts = Counter(kind for _, _, kind, _ in books.repairs)
    if survey.crlf_lines:
        repair_counts["crlf"] = survey.crlf_lines
    column_repairs: dict[str, Counter[str]] = {}
    for _, _, kind, column in books.repairs:
        if column is not None:
            column_repairs.setdefault(column, Counter())[kind] += 1
    return {
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
        "side_lines": side_lines,
        "count_txt": count_txt,
        "count_matches": None if count_txt is None else count_txt == survey.data_lines,
        "count_difference": None if count_txt is None else survey.data_lines - count_txt,
        "header": prepared.header_notes,
        "columns": {k: SQL_TYPES[kind] for k, kind in prepared.columns},
        "seconds": round(time.monotonic() - prepared.started, 3),
        "stage_seconds": {
            "survey": round(prepared.surveyed - prepared.started, 3),
            "type": round(typed - prepared.surveyed, 3),
            "resolve": round(time.monotonic() - typed, 3),
        },
    }
