"""Stage 1 of each table: header check, survey into a working copy, Count.txt check; run one
table ahead of stage 2 in a thread.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from asylumlens.errors import ReleaseError
from asylumlens.ingest.columns import table_columns
from asylumlens.ingest.header import read_header
from asylumlens.ingest.normalise import Survey, survey_table
from asylumlens.ingest.source import ReleaseSource, TableFile
from asylumlens.layout import TABLES, Column, Kind

COUNT_TXT_TOLERANCE = 5
"""Lines by which a table may differ from Count.txt and still load (recorded in the manifest
as ``count_matches: false`` with ``count_difference``). EOIR's Count.txt counts rows as its
export wrote them, and a stray line break splits a row in two, so a real release can be off
by a few lines; deportationdata warns from 5 on. Beyond that the file is not the table
Count.txt describes (cut, padded, or swapped), and the ingest fails unless told otherwise."""


class IngestProgress(Protocol):
    """What the ingest reports while it works (the CLI draws a bar or prints lines)."""

    def start_table(self, stem: str, total_bytes: int) -> None: ...
    def advance(self, bytes_read: int, lines: int) -> None: ...
    def finish_table(self, stem: str, report: dict[str, Any]) -> None: ...


@dataclass
class PreparedTable:
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
) -> PreparedTable:
    """Stage 1 for one table: read and check its header, survey it into a working copy,
    hold its line count to Count.txt."""
    started = time.monotonic()
    stem = table.stem
    with source.open(stem) as fh:
        header = read_header(fh, table.member)
    columns, layout_cols, header_notes = table_columns(stem, header.text, table.member)
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
    return PreparedTable(
        table, columns, layout_cols, header_notes, primary_key, key_first, clean, survey,
        started, time.monotonic(),
    )  # fmt: skip


def prepared_in_order(
    source: ReleaseSource,
    order: list[TableFile],
    work_dir: Path,
    progress: IngestProgress | None,
    allow_count_mismatch: bool,
) -> Iterator[PreparedTable]:
    """Run stage 1 one table ahead, in a thread; yield prepared tables in ``order``.

    At most one prepared table waits (a bounded queue), so the staging folder never holds
    more than two clean copies. A failure in the thread is raised here; stopping early
    (an error downstream) tells the thread to stop after its current table.
    """
    ready: queue.Queue[PreparedTable | BaseException | None] = queue.Queue(maxsize=1)
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
