"""The byte-level line scanner behind stage 1, compiled with Numba.

DuckDB types the release's tables far faster than Python can, but it must only be shown
lines it will read *exactly* as AsylumLens's rules say. Its CSV reader is lenient where
we are strict (it reads ``'1.5'`` into a BIGINT as 2, ``'yes'`` as true, ``'925-01-01'``
as a date) and it cannot be told about cp1252, NUL bytes, stray CRs or repeated keys. So
one pass over each chunk of raw bytes marks the lines that need the careful path - the
*side lines* - and everything else goes to DuckDB untouched.

A line goes to the side path when it (``why`` bits):

* is blank, or has a field count other than the header's;
* is longer than the line limit (``LONG``: :data:`asylumlens.ingest.normalise.MAX_LINE_BYTES`,
  well under DuckDB's own 2 MiB limit, past which DuckDB reports a line cut short);
* holds a NUL, a CR or a byte >= 0x80 (cp1252 text DuckDB would misread as UTF-8);
* has an INTEGER field that is not 1-18 plain digits, a BOOLEAN field that is not one
  of ``0 1 true false TRUE FALSE``, a BIRTH_MONTH that is not ``M/YYYY``, or a padded
  (space-edged) value in any non-text field;
* repeats the integer key in its first field (``DUP``: a key seen on an earlier line,
  from a bitmap of every key seen so far), or holds a key too large for the bitmap.

Text padding and sentinel dates are left to SQL, which is cheap per value; they are
common in real releases (1.7 M ``'SP '`` codes in one table). The scanner notes which
text columns hold any padded value and which date columns any value not plainly in the
plausible years, so that SQL trims and checks only those.

The kernel is a plain byte loop: one table lookup per byte, with work only at field ends.
It releases the GIL, so stage 1 of one table overlaps DuckDB's typing of another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from numba import njit

from asylumlens.layout import PLAUSIBLE_YEARS, Kind

KIND_CODES: Final[dict[Kind, int]] = {
    Kind.TEXT: 0,
    Kind.INTEGER: 1,
    Kind.DATE: 2,
    Kind.BOOLEAN: 3,
    Kind.BIRTH_MONTH: 4,
}
_TEXT, _INTEGER, _DATE, _BOOLEAN, _BIRTH_MONTH = 0, 1, 2, 3, 4
_YEAR_ABOVE, _YEAR_BELOW = PLAUSIBLE_YEARS[0], PLAUSIBLE_YEARS[1]

BLANK: Final = 1
FIELDS: Final = 2
NUL: Final = 4
CR: Final = 8
HIGH: Final = 16
BAD_FORM: Final = 32
DUP: Final = 64
KEY_LARGE: Final = 128
LONG: Final = 256

# byte classes: 0 ordinary, 1 tab, 2 newline, 3 NUL / CR / >= 0x80
_CLASSES = np.zeros(256, dtype=np.uint8)
_CLASSES[9] = 1
_CLASSES[10] = 2
_CLASSES[0] = 3
_CLASSES[13] = 3
_CLASSES[128:] = 3

MAX_BITMAP_BITS: Final = 1 << 33
"""Keys below this are tracked in a bitmap (1 GiB at most; real EOIR keys need < 8 MiB)."""


_TRUE = np.frombuffer(b"true", dtype=np.uint8)
_FALSE = np.frombuffer(b"false", dtype=np.uint8)
_TRUE_UPPER = np.frombuffer(b"TRUE", dtype=np.uint8)
_FALSE_UPPER = np.frombuffer(b"FALSE", dtype=np.uint8)


@njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _is(buf: Any, s: int, n: int, word: Any) -> bool:  # pragma: no cover - compiled
    if n != word.shape[0]:
        return False
    for i in range(n):  # noqa: SIM110 - compiled: a plain loop
        if buf[s + i] != word[i]:
            return False
    return True


@njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _plain_year(buf: Any, s: int, e: int) -> bool:  # pragma: no cover - compiled
    """A date value that starts ``YYYY-`` with a year strictly inside the plausible range
    (strictly: no time-zone shift DuckDB might apply can carry it out of the range)."""
    if e - s < 5 or buf[s + 4] != 45:
        return False
    year = 0
    for i in range(s, s + 4):
        if buf[i] < 48 or buf[i] > 57:
            return False
        year = year * 10 + (buf[i] - 48)
    return _YEAR_ABOVE < year < _YEAR_BELOW


@njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _form_ok(  # noqa: C901 - Numba-inlined per-field check, one branch per kind
    buf: Any, s: int, e: int, kind: int
) -> bool:  # pragma: no cover - compiled
    n = e - s
    if n == 0 or kind == _TEXT:
        return True
    if buf[s] == 32 or buf[e - 1] == 32:
        return False
    if kind == _INTEGER:
        if n > 18:
            return False
        for i in range(s, e):  # noqa: SIM110 - compiled: a plain loop
            if buf[i] < 48 or buf[i] > 57:
                return False
        return True
    if kind == _BOOLEAN:
        if n == 1:
            return bool(buf[s] == 48 or buf[s] == 49)
        return (
            _is(buf, s, n, _TRUE)
            or _is(buf, s, n, _FALSE)
            or _is(buf, s, n, _TRUE_UPPER)
            or _is(buf, s, n, _FALSE_UPPER)
        )
    if kind == _BIRTH_MONTH:
        if n == 6:
            slash = s + 1
        elif n == 7:
            slash = s + 2
        else:
            return False
        for i in range(s, e):
            if i == slash:
                if buf[i] != 47:
                    return False
            elif buf[i] < 48 or buf[i] > 57:
                return False
        return True
    return True  # DATE: DuckDB's own timestamp parse is our rule (TRY_CAST)


@njit(nogil=True, cache=True, boundscheck=False)
def _scan(  # noqa: C901, PLR0915 - the Numba byte-loop kernel: one pass, a call per byte would cost
    buf: Any,
    pos: int,
    classes: Any,
    n_fields: int,
    kinds: Any,
    key_first: bool,
    bitmap: Any,
    keys: Any,
    lines: int,
    side_start: Any,
    side_end: Any,
    side_why: Any,
    side_line: Any,
    n_side: int,
    max_bits: int,
    padded: Any,
    max_line: int,
) -> tuple[int, int, int, int]:  # pragma: no cover - compiled
    """Scan from byte ``pos``; stop early (before a line) when an output array is full or
    a key needs a bigger bitmap. Returns (lines, side lines, stop position, key to fit)."""
    n = buf.shape[0]
    nbits = bitmap.shape[0] * 64
    i = pos
    while i < n:
        if lines >= keys.shape[0] or n_side >= side_start.shape[0]:
            return lines, n_side, i, -1
        start = i
        why = 0
        key = -1
        if key_first:
            j = i
            value = 0
            while j < n and 48 <= buf[j] <= 57 and j - i < 19:
                value = value * 10 + (buf[j] - 48)
                j += 1
            if j > i and j - i <= 18 and j < n and (buf[j] == 9 or buf[j] == 10):
                key = value
                if nbits <= key < max_bits:
                    return lines, n_side, i, key
        field = 0
        field_start = i
        while True:
            c = classes[buf[i]]
            if c == 0:
                i += 1
                continue
            if c == 3:
                b = buf[i]
                if b == 0:
                    why |= NUL
                elif b == 13:
                    why |= CR
                else:
                    why |= HIGH
                i += 1
                continue
            if field < n_fields:
                kind = kinds[field]
                if kind == _TEXT:
                    if i > field_start and (buf[field_start] == 32 or buf[i - 1] == 32):
                        padded[field] = 1  # text padding is trimmed in SQL, column by column
                elif kind == _DATE:
                    if i > field_start and not _plain_year(buf, field_start, i):
                        padded[field] = 1  # a possible sentinel: SQL checks this column
                elif not _form_ok(buf, field_start, i, kind):
                    why |= BAD_FORM
            field += 1
            if c == 2:
                break
            i += 1
            field_start = i
        if i - start > max_line:
            why |= LONG
        if i == start:
            why |= BLANK
        elif field != n_fields:
            why |= FIELDS
        elif key_first and key < 0:
            why |= BAD_FORM  # an empty or malformed key
        if key >= 0:
            if key < nbits:
                word = key >> 6
                bit = np.uint64(1) << np.uint64(key & 63)
                if bitmap[word] & bit:
                    why |= DUP
                else:
                    bitmap[word] |= bit
            else:
                why |= KEY_LARGE
        keys[lines] = key if key < 2147483647 else -1
        if why:
            side_start[n_side] = start
            side_end[n_side] = i
            side_why[n_side] = why
            side_line[n_side] = lines
            n_side += 1
        lines += 1
        i += 1
    return lines, n_side, i, -1


class LineScanner:
    """Scans whole-line chunks of one table, remembering the keys seen so far."""

    def __init__(self, kinds: list[Kind], *, key_first: bool, max_line: int) -> None:
        self.kinds = np.asarray([KIND_CODES[k] for k in kinds], dtype=np.int8)
        self.key_first = key_first
        self.max_line = max_line
        """Lines longer than this many bytes (without their newline) are marked ``LONG``."""
        self.bitmap = np.zeros(1, dtype=np.uint64)
        self.padded = np.zeros(len(kinds), dtype=np.uint8)
        """1 for each column whose values need SQL's repairs on the main path: a text
        column with some space-edged value, a date column with some value that is not
        plainly a plausible year (a possible sentinel)."""

    def _fit(self, key: int) -> None:
        """Grow the bitmap (doubling) until it can hold ``key``."""
        size = self.bitmap.shape[0]
        while size * 64 <= key:
            size *= 2
        grown = np.zeros(size, dtype=np.uint64)
        grown[: self.bitmap.shape[0]] = self.bitmap
        self.bitmap = grown

    def register(self, key: int) -> bool:
        """Note a key the kernel could not track (KEY_LARGE); True if seen before."""
        if key >= MAX_BITMAP_BITS:
            return False
        self._fit(key)
        word, bit = key >> 6, np.uint64(1) << np.uint64(key & 63)
        seen = bool(self.bitmap[word] & bit)
        self.bitmap[word] |= bit
        return seen

    def scan(self, chunk: npt.NDArray[np.uint8]) -> Scanned:
        """Scan ``chunk`` (whole lines, each ending in ``\\n``); see :class:`Scanned`."""
        keys = np.empty(max(chunk.shape[0] // 64, 1024), dtype=np.int32)
        starts = np.empty(256, dtype=np.int64)
        ends = np.empty(256, dtype=np.int64)
        whys = np.empty(256, dtype=np.int32)
        at = np.empty(256, dtype=np.int64)
        lines = n_side = pos = 0
        while True:
            lines, n_side, pos, need = _scan(
                chunk, pos, _CLASSES, len(self.kinds), self.kinds, self.key_first,
                self.bitmap, keys, lines, starts, ends, whys, at, n_side, MAX_BITMAP_BITS,
                self.padded, self.max_line,
            )  # fmt: skip
            if pos >= chunk.shape[0]:
                break
            if need >= 0:
                self._fit(need)
            if lines >= keys.shape[0]:
                keys = np.concatenate([keys, np.empty(keys.shape[0], dtype=np.int32)])
            if n_side >= starts.shape[0]:
                more = starts.shape[0]
                starts = np.concatenate([starts, np.empty(more, dtype=np.int64)])
                ends = np.concatenate([ends, np.empty(more, dtype=np.int64)])
                whys = np.concatenate([whys, np.empty(more, dtype=np.int32)])
                at = np.concatenate([at, np.empty(more, dtype=np.int64)])
        return Scanned(
            lines, keys[:lines], starts[:n_side], ends[:n_side], whys[:n_side], at[:n_side]
        )


@dataclass(frozen=True)
class Scanned:
    """One chunk's scan: its line count, the first-field key of each line (-1: none or
    too large for int32) and, per side line, its byte span (end = its newline), why bits
    and 0-based line index in the chunk."""

    lines: int
    keys: npt.NDArray[np.int32]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    whys: npt.NDArray[np.int32]
    line_index: npt.NDArray[np.int64]
