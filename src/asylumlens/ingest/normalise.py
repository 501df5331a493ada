"""Stage 1 of ingest: split one raw table into lines DuckDB can type and *side lines*.

EOIR writes cp1252 text with NUL bytes, stray CRs, rows whose field count is off because
a value held a tab, and repeated keys; DuckDB's CSV reader is lenient where AsylumLens is
strict (see :mod:`.scan`). This pass streams the raw bytes once, in large chunks, and:

* hashes them (SHA-256);
* marks, with the compiled scanner, every line that DuckDB must not read as it stands;
* writes the table to a working copy with each such side line *blanked* (an empty line:
  DuckDB skips it but still counts it, so the line numbers DuckDB reports stay the
  source's);
* hands back each side line's text - NULs removed, a CR line end dropped, decoded as
  cp1252 - with its line number and why it was set aside;
* keeps the first-field key of every line, so that any row DuckDB loads can be traced
  back to its line;
* sets aside every line longer than :data:`MAX_LINE_BYTES` (reject ``line_too_long``). Such
  a line is never held whole: past the buffer it is streamed, hashed and counted, and only
  its first :data:`MAX_KEPT_LINE_BYTES` are kept for the rejects (its full length is
  recorded), so memory stays bounded whatever one line holds (a zip bomb is one line of NULs).

Files written with CRLF throughout (or NULs throughout) are cleaned in bulk first, so
that a whole file is never routed line by line through Python.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

import numpy as np
import numpy.typing as npt

from asylumlens.ingest.scan import (
    BLANK,
    CR,
    DUP,
    HIGH,
    KEY_LARGE,
    LONG,
    NUL,
    LineScanner,
    Scanned,
)
from asylumlens.layout import Kind

CHUNK_BYTES: Final = 64 * 1024 * 1024
MAX_LINE_BYTES: Final = 1 << 20
"""The longest data line read as a row (1 MiB, without its line end): half DuckDB's own
2 MiB line limit, and hundreds of times EOIR's widest row (98 short columns, < 2 KB)."""
MAX_KEPT_LINE_BYTES: Final = 16 << 20
"""How much of an over-long line the rejects keep (16 MiB): a line up to 16 times the limit
is kept whole; of a longer one the first 16 MiB, with its full length in the detail."""
MAX_HEADER_BYTES: Final = 1 << 20
"""The longest header line read (1 MiB); a longer first line is no header."""
_PROBE_BYTES: Final = 1 << 20

# cp1252 leaves five bytes undefined; decode them as their latin-1 code points rather
# than failing, so no byte is ever lost (WHATWG's windows-1252 does the same).
_CP1252_TABLE: Final = "".join(
    bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)
)


def decode_cp1252(raw: bytes) -> str:
    """Decode cp1252, mapping its five undefined bytes to U+0081 etc. instead of failing."""
    return codecs.charmap_decode(raw, "strict", _CP1252_TABLE)[0]


@dataclass
class SideLine:
    """A line set aside from DuckDB's pass: 1-based line number, decoded text, why bits."""

    line: int
    text: str
    why: int
    length: int = 0
    """The line's length in bytes as read."""
    cut: bool = False
    """True when ``text`` is only the first :data:`MAX_KEPT_LINE_BYTES` of an over-long line."""


@dataclass
class Survey:
    """What stage 1 saw in one table."""

    header: str
    data_lines: int = 0
    bytes_read: int = 0
    sha256: str = ""
    side: list[SideLine] = field(default_factory=list)
    nul_lines: list[int] = field(default_factory=list)
    crlf_lines: int = 0
    non_ascii_lines: int = 0
    missing_final_newline: bool = False
    keys: list[npt.NDArray[np.int32]] = field(default_factory=list)
    """First-field integer key of each data line, in line order (-1: none), per chunk."""
    repair_columns: set[int] = field(default_factory=set)
    """Indexes of the columns where a line DuckDB reads may need a value repair: a
    space-edged text value, a date not plainly in the plausible years."""

    def lines_for_keys(self, wanted: list[int]) -> dict[int, list[int]]:
        """Every line number holding each of the given first-field keys."""
        if not self.keys or not wanted:
            return {}
        all_keys = np.concatenate(self.keys)
        want = np.asarray(sorted(set(wanted)), dtype=np.int64)
        hits = np.flatnonzero(np.isin(all_keys, want))
        found: dict[int, list[int]] = {}
        for i in hits.tolist():
            found.setdefault(int(all_keys[i]), []).append(i + 2)
        return found


ProgressCallback = Callable[[int, int], None]
"""Called with (bytes read so far, data lines so far) after each chunk."""


def survey_table(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    kinds: list[Kind] | None = None,
    key_first: bool = False,
    progress: ProgressCallback | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    max_line_bytes: int = MAX_LINE_BYTES,
    keep_bytes: int = MAX_KEPT_LINE_BYTES,
) -> Survey:
    """Stream ``src`` (raw release bytes) to ``dst`` (the copy DuckDB reads).

    ``kinds`` gives the column kinds in header order (default: all text, as many as the
    header has fields). The header is written to ``dst`` decoded and stripped of NULs and
    CR. ``key_first`` turns on the first-field key reading (repeat detection, tracing).
    Lines over ``max_line_bytes`` are side lines (``LONG``), of which ``keep_bytes`` are kept.
    """
    hasher = hashlib.sha256()
    raw_header = src.readline(MAX_HEADER_BYTES + 1)
    hasher.update(raw_header)
    header_text = decode_cp1252(raw_header.replace(b"\x00", b"")).rstrip("\r\n")
    survey = Survey(header=header_text, bytes_read=len(raw_header))
    if kinds is None:
        kinds = [Kind.TEXT] * (header_text.count("\t") + 1)
    scanner = LineScanner(kinds, key_first=key_first, max_line=max_line_bytes)
    keep = max(keep_bytes, 1)
    dst.write(header_text.encode("utf-8") + b"\n")

    buf = bytearray(max(chunk_bytes, 1))
    filled = 0
    line_base = 1  # physical line number of the header; data lines start at 2
    eof = False
    while not eof:
        view = memoryview(buf)
        got = _read_into(src, view[filled:])
        hasher.update(view[filled : filled + got])
        view.release()
        survey.bytes_read += got
        filled += got
        eof = filled < len(buf)
        end = buf.rfind(b"\n", 0, filled) + 1
        if not eof and end == 0 and filled > max_line_bytes:  # over the limit: stream it
            filled, eof = _stream_long_line(
                src, dst, buf, filled, hasher, line_base, scanner, survey, keep
            )
            line_base += 1
            if progress is not None:
                progress(survey.bytes_read, survey.data_lines)
            continue
        if not eof and end == 0:  # one line longer than the buffer (yet within the limit)
            buf.extend(bytes(len(buf)))
            continue
        if eof and end < filled:  # the last line has no newline
            buf[filled:filled] = b"\n"
            filled += 1
            end = filled
            survey.missing_final_newline = True
        if end:
            line_base = _survey_chunk(buf, end, dst, line_base, scanner, survey, keep)
        if progress is not None:
            progress(survey.bytes_read, survey.data_lines)
        tail = filled - end
        buf[:tail] = buf[end:filled]
        filled = tail
    survey.sha256 = hasher.hexdigest()
    survey.repair_columns = {int(i) for i in np.flatnonzero(scanner.padded)}
    return survey


def _read_into(src: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` from ``src`` (streams such as zip members return short reads)."""
    total = 0
    while total < len(view):
        got = src.readinto(view[total:])  # type: ignore[attr-defined]
        if not got:
            break
        total += got
    return int(total)


def _stream_long_line(
    src: BinaryIO,
    dst: BinaryIO,
    buf: bytearray,
    filled: int,
    hasher: Any,
    line_base: int,
    scanner: LineScanner,
    survey: Survey,
    keep: int,
) -> tuple[int, bool]:
    """Read past one line longer than the limit, ``buf[:filled]`` being its start.

    Keeps its first ``keep`` bytes, counts its length, hashes every byte; the bytes after
    its newline are moved to the start of ``buf``. Returns (bytes now in ``buf``, at end of
    file). The working copy gets a blank line in its place (DuckDB still counts it).
    """
    kept = bytearray(buf[: min(filled, keep)])
    length = filled
    filled = 0
    eof = False
    while True:
        view = memoryview(buf)
        got = _read_into(src, view)
        hasher.update(view[:got])
        view.release()
        survey.bytes_read += got
        newline = buf.find(b"\n", 0, got)
        stop = got if newline < 0 else newline
        if len(kept) < keep:
            kept += buf[: min(stop, keep - len(kept))]
        length += stop
        if newline >= 0:
            tail = got - newline - 1
            buf[:tail] = buf[newline + 1 : got]
            filled = tail
            break
        if got < len(buf):
            eof = True
            survey.missing_final_newline = True
            break
    dst.write(b"\n")
    side = _side_line(bytes(kept), line_base + 1, LONG | _bits(kept), scanner, survey)
    side.length = length
    side.cut = length > len(kept)
    survey.side.append(side)
    if scanner.key_first:
        survey.keys.append(np.full(1, -1, dtype=np.int32))
    survey.data_lines += 1
    return filled, eof


def _bits(raw: bytes | bytearray) -> int:
    """The byte-class why bits of a kept line (NUL, CR, high bytes), as the kernel sets them."""
    why = NUL if b"\x00" in raw else 0
    if b"\r" in raw:
        why |= CR
    if not raw.isascii():
        why |= HIGH
    return why


def _survey_chunk(
    buf: bytearray,
    end: int,
    dst: BinaryIO,
    line_base: int,
    scanner: LineScanner,
    survey: Survey,
    keep: int,
) -> int:
    """Scan ``buf[:end]`` (whole lines), write its copy, collect side lines; return the
    line number of its last line."""
    data: bytes | bytearray = buf
    # Judge "throughout" on the first MiB (counting bytes over the whole chunk costs more
    # than the scan); a file that turns CRLF later is still right, line by line.
    probe = min(end, _PROBE_BYTES)
    rough_lines = buf.count(b"\n", 0, probe)
    if buf.count(b"\r", 0, probe) > rough_lines // 8:  # CRLF throughout: clean in bulk
        raw = bytes(buf[:end])
        arr = np.frombuffer(raw, dtype=np.uint8)
        survey.crlf_lines += int(np.count_nonzero((arr[:-1] == 13) & (arr[1:] == 10)))
        data = raw.replace(b"\r\n", b"\n")
        end = len(data)
    if data.count(b"\x00", 0, probe) > rough_lines // 8:  # NULs throughout: strip in bulk
        raw = bytes(data[:end])
        arr = np.frombuffer(raw, dtype=np.uint8)
        newlines = np.flatnonzero(arr == 10)
        at = np.flatnonzero(arr == 0)
        lines = np.unique(np.searchsorted(newlines, at, side="left")) + line_base + 1
        survey.nul_lines.extend(lines.tolist())
        data = raw.replace(b"\x00", b"")
        end = len(data)
    with memoryview(data) as whole, whole[:end] as mv:
        arr = np.frombuffer(mv, dtype=np.uint8)
        found: Scanned = scanner.scan(arr)
        del arr  # the buffer cannot be resized while a numpy view of it lives
        if scanner.key_first:
            survey.keys.append(found.keys)
        pos = 0
        for s, e, why, index in zip(
            found.starts.tolist(),
            found.ends.tolist(),
            found.whys.tolist(),
            found.line_index.tolist(),
            strict=True,
        ):
            dst.write(mv[pos:s])
            dst.write(b"\n")  # blanked: DuckDB skips it, and still counts the line
            line_no = line_base + 1 + index
            pos = e + 1
            side = _side_line(bytes(mv[s : min(e, s + keep)]), line_no, why, scanner, survey)
            side.length = e - s
            side.cut = e - s > keep
            survey.side.append(side)
        dst.write(mv[pos:])
    survey.data_lines += found.lines
    return line_base + found.lines


def _side_line(
    raw: bytes, line_no: int, why: int, scanner: LineScanner, survey: Survey
) -> SideLine:
    """Decode one side line, recording what was removed from it."""
    if why & NUL:
        survey.nul_lines.append(line_no)
        raw = raw.replace(b"\x00", b"")
    if why & CR and raw.endswith(b"\r"):
        survey.crlf_lines += 1
        raw = raw[:-1]
    if why & HIGH:
        survey.non_ascii_lines += 1
    text = raw.decode("ascii") if raw.isascii() else decode_cp1252(raw)
    if text == "" and not why & BLANK:
        why |= BLANK
    if why & KEY_LARGE:
        head = text.split("\t", 1)[0]
        if head.isdigit() and scanner.register(int(head)):
            why |= DUP
    return SideLine(line_no, text, why)
