"""How a download reports progress: a Rich bar on a terminal, plain lines in logs.

:func:`~asylumlens.releases.fetch.fetch_release` only calls the four methods of
:class:`FetchProgress`; the CLI picks the implementation. Under cron or systemd the output
goes to a log, where a redrawn bar would be noise, so :class:`LineProgress` prints a line
every tenth of the file instead.
"""

from __future__ import annotations

import time
from typing import Protocol, TextIO

from rich.console import Console
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class FetchProgress(Protocol):
    """Receives the progress of one download (several attempts when it resumes)."""

    def start(self, total: int | None, completed: int) -> None:
        """An attempt begins: ``completed`` bytes are already on disk, of ``total``."""

    def advance(self, amount: int) -> None:
        """``amount`` more bytes were written."""

    def note(self, message: str) -> None:
        """A one-line message: a retry, a resume, a discarded partial file."""

    def finish(self) -> None:
        """The download ended (successfully or not)."""


class RichProgress:
    """A Rich progress bar with bytes, bytes/s and time left, for an interactive terminal."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]downloading"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None

    def start(self, total: int | None, completed: int) -> None:
        if self._task is None:
            self._progress.start()
            self._task = self._progress.add_task("download", total=total, completed=completed)
        else:
            self._progress.reset(self._task, total=total, completed=completed)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def note(self, message: str) -> None:
        self._progress.console.print(message, highlight=False, soft_wrap=True)

    def finish(self) -> None:
        self._progress.stop()


class LineProgress:
    """Plain progress lines (every 10 %), for logs and pipes."""

    def __init__(self, stream: TextIO, *, step: float = 0.1) -> None:
        self._stream = stream
        self._step = step
        self._total: int | None = None
        self._done = 0
        self._next_mark = 0.0
        self._started = time.monotonic()
        self._start_bytes = 0

    def start(self, total: int | None, completed: int) -> None:
        self._total, self._done, self._start_bytes = total, completed, completed
        self._started = time.monotonic()
        self._next_mark = (completed / total if total else 0.0) + self._step
        size = decimal(total) if total is not None else "unknown size"
        resumed = f", resuming at {decimal(completed)}" if completed else ""
        self._line(f"downloading {size}{resumed}")

    def advance(self, amount: int) -> None:
        self._done += amount
        if not self._total:
            return
        share = self._done / self._total
        complete = self._done >= self._total  # always reported, whatever marks a resume left
        if share < self._next_mark and not complete:
            return
        while self._next_mark <= share:
            self._next_mark += self._step
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = (self._done - self._start_bytes) / elapsed
        self._line(
            f"  {share:4.0%}  {decimal(self._done)} of {decimal(self._total)}  "
            f"{decimal(int(rate))}/s"
        )

    def note(self, message: str) -> None:
        self._line(message)

    def finish(self) -> None:
        self._stream.flush()

    def _line(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()
