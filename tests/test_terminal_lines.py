"""Plain progress lines stay whole when tables load on several threads (a log line that runs
into another's made a one-line-error test see two lines: an intermittent CI failure)."""

from __future__ import annotations

import re
import threading
import time

from asylumlens.terminal import IngestLines


class SlowStream:
    """A stream whose every write yields the CPU, so any line written in pieces gets
    another thread's piece in between."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def write(self, text: str) -> int:
        self.chunks.append(text)
        time.sleep(0.001)
        return len(text)

    def flush(self) -> None:
        return None


def test_lines_from_many_threads_are_never_interleaved() -> None:
    stream = SlowStream()
    lines = IngestLines(stream)  # type: ignore[arg-type]
    start = threading.Barrier(8)

    def work(n: int) -> None:
        start.wait()
        for i in range(20):
            lines.start_table(f"t{n}", i)
            report = {"lines": i, "loaded": i, "repaired": 0, "quarantined": 0, "seconds": 1.0}
            lines.finish_table(f"t{n}", report)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    written = "".join(stream.chunks).splitlines()
    assert len(written) == 8 * 20 * 2
    shape = re.compile(r"^ingest: t\d: (reading \d+ bytes|\d+ lines, .* rows/s\))$")
    assert [w for w in written if not shape.match(w)] == []
