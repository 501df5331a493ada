"""Reading a table's header, and checking it against the first data lines before any row.

A header that lacks one column (or has one too many) does not make a few bad rows: it
shifts every value of every row by one place. Row by row, such a table looks like
thousands of stray tabs, and realignment would "repair" values into the wrong column. So
before stage 1 reads any row, the header's field count is compared with the field count
most of the first data lines share: if they differ, the header does not describe the
data, and the ingest stops with an error naming the file.

The check reads a bounded sample (:data:`SAMPLE_LINES` lines within :data:`SAMPLE_BYTES`),
so its cost does not grow with the table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import BinaryIO, Final

from asylumlens.errors import ReleaseError
from asylumlens.ingest.normalise import MAX_HEADER_BYTES, decode_cp1252

SAMPLE_LINES: Final = 1000
"""Data lines sampled from the start of a table for the header check."""
SAMPLE_BYTES: Final = 1 << 20
"""At most this many bytes (1 MiB: hundreds of lines even of EOIR's widest tables) are read."""
MIN_AGREEING: Final = 10
"""A dominant field count shared by fewer sampled lines than this proves nothing (a tiny
table of a few odd rows is a matter for the rows, not the header)."""


@dataclass(frozen=True)
class Header:
    """A table's header line, decoded, and what the sample of data lines said of it."""

    text: str
    fields: int
    sampled: int
    """Non-blank data lines in the sample."""
    dominant: int | None
    """The field count most sampled lines have (None: no sample)."""
    dominant_lines: int


def read_header(fh: BinaryIO, where: str) -> Header:
    """The header of the table streamed by ``fh``, checked against its first data lines.

    Raises :class:`ReleaseError` naming ``where`` for a header line longer than
    :data:`MAX_HEADER_BYTES`, or one whose field count differs from that of most of the
    sampled data lines (a header missing a column, or with one too many).
    """
    raw = fh.readline(MAX_HEADER_BYTES + 1)
    if len(raw) > MAX_HEADER_BYTES and not raw.endswith(b"\n"):
        raise ReleaseError(
            f"{where}: line 1 is longer than {MAX_HEADER_BYTES:,} bytes; not a header"
        )
    text = decode_cp1252(raw.replace(b"\x00", b"")).rstrip("\r\n")
    fields = text.count("\t") + 1
    sample = fh.read(SAMPLE_BYTES).split(b"\n")[:-1][:SAMPLE_LINES]
    counts = Counter(line.count(b"\t") + 1 for line in sample if line.rstrip(b"\r"))
    dominant, dominant_lines = counts.most_common(1)[0] if counts else (None, 0)
    header = Header(text, fields, sum(counts.values()), dominant, dominant_lines)
    if (
        dominant is not None
        and dominant != fields
        and dominant_lines >= MIN_AGREEING
        and 2 * dominant_lines > header.sampled
    ):
        raise ReleaseError(
            f"{where}: the header (line 1) has {fields} fields but {dominant_lines:,} of the "
            f"first {header.sampled:,} data lines have {dominant}: the header does not "
            "describe the data (a column missing or added)"
        )
    return header
