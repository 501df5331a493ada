"""How long-running work shows itself: a Rich bar on a terminal, plain lines otherwise.

Logs from cron or CI get one line per table instead of carriage-return noise.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)


class IngestBar:
    """A Rich progress bar per table, with bytes/s and rows/s."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.fields[stem]:<28}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[rows]:>12,} rows  {task.fields[rate]:>9,.0f} rows/s"),
            TimeElapsedColumn(),
            console=console,
        )
        self._task: TaskID | None = None
        self._started = 0.0

    def __enter__(self) -> IngestBar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start_table(self, stem: str, total_bytes: int) -> None:
        self._started = time.monotonic()
        self._task = self._progress.add_task("", total=total_bytes, stem=stem, rows=0, rate=0.0)

    def advance(self, bytes_read: int, lines: int) -> None:
        if self._task is not None:
            rate = lines / max(time.monotonic() - self._started, 1e-6)
            self._progress.update(self._task, completed=bytes_read, rows=lines, rate=rate)

    def finish_table(self, stem: str, report: dict[str, Any]) -> None:
        if self._task is not None:
            rate = report["lines"] / max(report["seconds"], 1e-6)
            self._progress.update(
                self._task, completed=report["bytes"], rows=report["lines"], rate=rate
            )


class IngestLines:
    """One plain line per finished table (for logs).

    Tables load on several threads: each line is written whole, in one call under a lock,
    so two tables' lines never run together (``print`` writes the text and the newline
    apart, and another thread's line can land between them).
    """

    def __init__(self, out: IO[str] = sys.stderr) -> None:
        self._out = out
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self._lock:
            self._out.write(text + "\n")
            self._out.flush()

    def __enter__(self) -> IngestLines:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start_table(self, stem: str, total_bytes: int) -> None:
        self._line(f"ingest: {stem}: reading {total_bytes:,} bytes")

    def advance(self, bytes_read: int, lines: int) -> None:
        return None

    def finish_table(self, stem: str, report: dict[str, Any]) -> None:
        rate = report["lines"] / max(report["seconds"], 1e-6)
        self._line(
            f"ingest: {stem}: {report['lines']:,} lines, {report['loaded']:,} loaded, "
            f"{report['repaired']:,} repaired, {report['quarantined']:,} quarantined "
            f"in {report['seconds']:.1f}s ({rate:,.0f} rows/s)"
        )


def ingest_progress(console: Console) -> IngestBar | IngestLines:
    return IngestBar(console) if console.is_terminal else IngestLines(console.file)
