"""Stage 1 of ingest: turn one raw release table into clean UTF-8 lines DuckDB can trust.

EOIR writes cp1252 text with NUL bytes, stray CRs and rows whose field count is off
because a value held a tab. DuckDB reads neither cp1252 (its latin-1 decoder rejects
0x80-0x9F, where cp1252 keeps its curly quotes and the euro sign) nor misaligned rows
faithfully (``null_padding`` keeps a row with an extra field, shifted). So this pass
streams the bytes once, in large chunks, with vectorised numpy scans, and:

* strips NUL bytes and the CR of CRLF line ends, recording each line it touched;
* decodes cp1252 (only the lines that hold a byte >= 0x80 are decoded one by one);
* counts fields per line, and takes every line whose count differs from the header's
  (and every blank line) *out* of the clean file, to be realigned or quarantined;
* trims spaces around every field (EOIR pads codes: ``'SP '``), recording each line and
  column it trimmed - cheaper here, on the few padded lines, than ``trim()`` on every
  value in SQL;
* optionally reads the integer key in the first field (all keyed EOIR tables put the key
  first), takes a repeated key out as ``duplicate_key``, and keeps the key of every line
  so that a row the typing stage rejects can be traced back to its line number.

The raw bytes are hashed (SHA-256) on the way through.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, Final

import numpy as np
import numpy.typing as npt

CHUNK_BYTES: Final = 64 * 1024 * 1024
_ASCII_PROBE: Final = 1 << 20

_NL: Final = 10
_TAB: Final = 9

# cp1252 leaves five bytes undefined; decode them as their latin-1 code points rather
# than failing, so no byte is ever lost (WHATWG's windows-1252 does the same).
_CP1252_TABLE: Final = "".join(
    bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)
)


def decode_cp1252(raw: bytes) -> str:
    """Decode cp1252, mapping its five undefined bytes to U+0081 etc. instead of failing."""
    return codecs.charmap_decode(raw, "strict", _CP1252_TABLE)[0]


@dataclass
class SuspectLine:
    """A line taken out of the clean file: its 1-based line number, text and why."""

    line: int
    text: str
    reason: str  # "field_count", "blank_line" or "duplicate_key"
    fields: int


@dataclass
class NormaliseResult:
    """What stage 1 saw in one table."""

    header: str
    data_lines: int = 0
    bytes_read: int = 0
    sha256: str = ""
    suspects: list[SuspectLine] = field(default_factory=list)
    nul_lines: list[int] = field(default_factory=list)
    crlf_lines: int = 0
    crlf_sample: list[int] = field(default_factory=list)
    non_ascii_lines: int = 0
    missing_final_newline: bool = False
    trimmed: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    """(line, indexes of the fields that lost padding) for every trimmed line."""
    keys: list[npt.NDArray[np.int64]] = field(default_factory=list)
    """First-field integer key of each data line, in line order (-1: none), per chunk."""

    def lines_for_keys(self, wanted: list[int]) -> dict[int, int]:
        """Line numbers of the given first-field keys (the first line holding each)."""
        if not self.keys:
            return {}
        all_keys = np.concatenate(self.keys)
        found: dict[int, int] = {}
        want = np.asarray(sorted(set(wanted)), dtype=np.int64)
        hits = np.flatnonzero(np.isin(all_keys, want))
        for i in hits.tolist():
            found.setdefault(int(all_keys[i]), i + 2)
        return found


ProgressCallback = Callable[[int, int], None]
"""Called with (bytes read so far, data lines so far) after each chunk."""


class _KeyTracker:
    """Remembers the integer keys seen so far, in a bitmap when they are small."""

    def __init__(self) -> None:
        self._seen = np.zeros(1 << 20, dtype=np.bool_)
        self._large: set[int] = set()

    def repeats(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Mark each key seen before (earlier in the file or earlier in ``keys``)."""
        out = np.zeros(keys.shape[0], dtype=np.bool_)
        valid = keys >= 0
        small = valid & (keys < (1 << 32))
        idx = np.flatnonzero(small)
        if idx.size:
            k = keys[idx]
            top = int(k.max())
            if top >= self._seen.shape[0]:
                grown = np.zeros(max(top + 1, self._seen.shape[0] * 2), dtype=np.bool_)
                grown[: self._seen.shape[0]] = self._seen
                self._seen = grown
            before = self._seen[k]
            # repeats within this chunk: every occurrence after the first
            _, first = np.unique(k, return_index=True)
            within = np.ones(k.shape[0], dtype=np.bool_)
            within[first] = False
            out[idx] = before | within
            self._seen[k] = True
        for i in np.flatnonzero(valid & ~small):
            key = int(keys[i])
            out[i] = key in self._large
            self._large.add(key)
        return out


def _first_field_ints(
    buf: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Parse the first field of each line as a non-negative integer; -1 where it is not one.

    Horner's rule one digit position at a time, stopping at the tab that ends the field:
    a handful of vectorised gathers instead of a lines x width matrix.
    """
    max_digits = 15
    n = starts.shape[0]
    values = np.zeros(n, dtype=np.int64)
    ok = np.ones(n, dtype=np.bool_)
    active = np.ones(n, dtype=np.bool_)
    last = buf.shape[0] - 1
    for k in range(max_digits + 1):
        byte = buf[np.minimum(starts + k, last)]
        ends = active & (byte == _TAB)
        if k == 0:
            ok &= ~ends  # an empty key is not a key
        digit = byte.astype(np.int64) - 48
        is_digit = (digit >= 0) & (digit <= 9)
        ok &= ~active | ends | is_digit
        going = active & ~ends & is_digit
        values = np.where(going, values * 10 + digit, values)
        active = going
        if not active.any():
            break
    ok &= ~active  # more than max_digits digits
    return np.where(ok, values, -1)


def normalise_table(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    expected_fields: int | None = None,
    key_first: bool = False,
    progress: ProgressCallback | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> NormaliseResult:
    """Stream ``src`` (raw release bytes) to ``dst`` (clean UTF-8 lines, suspects removed).

    ``expected_fields`` defaults to the header's field count. The header is written to
    ``dst`` decoded and stripped of NULs and CR. ``key_first`` turns on the first-field
    key reading (duplicate detection and key -> line tracing).
    """
    hasher = hashlib.sha256()
    raw_header = src.readline()
    hasher.update(raw_header)
    header_text = decode_cp1252(raw_header.replace(b"\x00", b"")).rstrip("\r\n")
    result = NormaliseResult(header=header_text, bytes_read=len(raw_header))
    n_fields = expected_fields if expected_fields is not None else header_text.count("\t") + 1
    dst.write(header_text.encode("utf-8") + b"\n")
    keys = _KeyTracker() if key_first else None

    carry = b""
    line_base = 1  # physical line number of the header; data lines start at 2
    while True:
        block = src.read(chunk_bytes)
        hasher.update(block)
        result.bytes_read += len(block)
        eof = not block
        data = carry + block
        if not eof:
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            carry = data[cut + 1 :]
            data = data[: cut + 1]
        else:
            carry = b""
            if not data:
                break
            if not data.endswith(b"\n"):
                data += b"\n"
                result.missing_final_newline = True
        line_base = _normalise_chunk(data, dst, line_base, n_fields, keys, result)
        if progress is not None:
            progress(result.bytes_read, result.data_lines)
        if eof:
            break
    result.sha256 = hasher.hexdigest()
    return result


def _line_numbers(
    positions: npt.NDArray[np.int64], newlines: npt.NDArray[np.int64], line_base: int
) -> npt.NDArray[np.int64]:
    """Physical line numbers of byte ``positions`` in a chunk whose first line is base+1."""
    return np.searchsorted(newlines, positions, side="left").astype(np.int64) + line_base + 1


def _high_byte_positions(data: bytes, arr: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Positions of bytes >= 0x80, scanning only the 1 MiB blocks that are not ASCII."""
    view = memoryview(data)
    found: list[npt.NDArray[np.int64]] = []
    for off in range(0, len(data), _ASCII_PROBE):
        if not view[off : off + _ASCII_PROBE].tobytes().isascii():
            found.append(np.flatnonzero(arr[off : off + _ASCII_PROBE] >= 0x80) + off)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _padded_positions(arr: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Positions of spaces that start or end a field (next to a tab, a newline, line start).

    Spaces are common (every datetime holds one), padded fields are not: so gather the
    neighbours of each space rather than scanning shifted copies of the whole chunk.
    """
    spaces = np.flatnonzero(arr == 32)
    if not spaces.size:
        return spaces.astype(np.int64)
    last = arr.shape[0] - 1
    before = arr[np.maximum(spaces - 1, 0)]
    after = arr[np.minimum(spaces + 1, last)]
    edge = (before == _TAB) | (before == _NL) | (after == _TAB) | (after == _NL) | (spaces == 0)
    return np.asarray(spaces[edge], dtype=np.int64)


def _byte_positions(data: bytes, byte: bytes, count: int) -> list[int]:
    """Where a rare byte occurs (``bytes.find`` is a memchr: fast when the byte is rare)."""
    found: list[int] = []
    at = data.find(byte)
    while at >= 0 and len(found) < count:
        found.append(at)
        at = data.find(byte, at + 1)
    return found


def _normalise_chunk(
    data: bytes,
    dst: BinaryIO,
    line_base: int,
    n_fields: int,
    keys: _KeyTracker | None,
    result: NormaliseResult,
) -> int:
    """Clean one chunk of whole lines; return the line number of its last line."""
    # NULs and CRs are rare: their lines go through the per-line path below. Only when
    # they are everywhere (a whole file with CRLF ends) is the chunk rewritten in bulk.
    rough_lines = data.count(b"\n")
    if data.count(b"\r") > rough_lines // 8:
        arr = np.frombuffer(data, dtype=np.uint8)
        result.crlf_lines += int(np.count_nonzero((arr[:-1] == 13) & (arr[1:] == _NL)))
        data = data.replace(b"\r\n", b"\n")
    nuls = data.count(b"\x00")
    if nuls > rough_lines // 8:
        arr = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(arr == _NL)
        nul_at = np.flatnonzero(arr == 0)
        result.nul_lines.extend(np.unique(_line_numbers(nul_at, newlines, line_base)).tolist())
        data = data.replace(b"\x00", b"")
        nuls = 0
    rare = _byte_positions(data, b"\r", data.count(b"\r")) + _byte_positions(data, b"\x00", nuls)

    arr = np.frombuffer(data, dtype=np.uint8)
    is_nl = arr == _NL
    is_tab = arr == _TAB
    newlines = np.flatnonzero(is_nl).astype(np.int64)
    n_lines = newlines.shape[0]
    starts = np.empty(n_lines, dtype=np.int64)
    starts[0] = 0
    starts[1:] = newlines[:-1] + 1
    # tabs per line in one pass; uint16 cannot wrap for any line DuckDB would accept
    fields = np.add.reduceat(is_tab.view(np.uint8), starts, dtype=np.uint16).astype(np.int64) + 1
    blank = newlines == starts
    fields[blank] = 1  # reduceat of an empty segment reads the next element
    bad = (fields != n_fields) | blank

    if keys is not None:
        parsed = np.where(bad, -1, _first_field_ints(arr, starts))
        dup = keys.repeats(parsed)
        result.keys.append(np.where(dup, -1, parsed))
    else:
        dup = np.zeros(n_lines, dtype=np.bool_)

    high = _high_byte_positions(data, arr)
    padded = _padded_positions(arr)
    touched = np.concatenate([high, padded, np.asarray(rare, dtype=np.int64)])
    touched_lines = (
        np.unique(np.searchsorted(newlines, touched, side="left"))
        if touched.size
        else np.empty(0, np.int64)
    )
    if high.size:
        result.non_ascii_lines += int(np.unique(np.searchsorted(newlines, high)).shape[0])

    special = np.union1d(np.flatnonzero(bad | dup), touched_lines)
    pieces: list[bytes] = []
    pos = 0
    for i in special.tolist():
        s, e = int(starts[i]), int(newlines[i])
        pieces.append(data[pos:s])
        pos = e + 1
        raw_line = data[s:e]
        line_no = line_base + 1 + i
        if b"\x00" in raw_line:
            result.nul_lines.append(line_no)
            raw_line = raw_line.replace(b"\x00", b"")
        if raw_line.endswith(b"\r"):
            result.crlf_lines += 1
            if len(result.crlf_sample) < 1000:
                result.crlf_sample.append(line_no)
            raw_line = raw_line[:-1]
        text = raw_line.decode("ascii") if raw_line.isascii() else decode_cp1252(raw_line)
        if text == "":
            bad[i], blank[i] = True, True
        if bad[i] or dup[i]:
            reason = "blank_line" if blank[i] else ("field_count" if bad[i] else "duplicate_key")
            result.suspects.append(SuspectLine(line_no, text, reason, int(fields[i])))
            continue
        values = text.split("\t")
        trimmed = tuple(j for j, v in enumerate(values) if v != v.strip(" "))
        if trimmed:
            result.trimmed.append((line_no, trimmed))
            text = "\t".join(v.strip(" ") for v in values)
        pieces.append(text.encode("utf-8") + b"\n")
    pieces.append(data[pos:])
    dst.write(b"".join(pieces) if len(pieces) > 1 else pieces[0])
    result.data_lines += n_lines
    return line_base + n_lines
