"""Write tables in the real release layout: tab-delimited, unquoted, cp1252, ``\\n`` line ends.

The layout (NOTES.md sections 1-2)::

    OUT/EOIR Case Data YYYY-MMDD/EOIR Case Data/<core table>.csv
    OUT/EOIR Case Data YYYY-MMDD/Lookup/<lookup table>.csv
    OUT/EOIR Case Data YYYY-MMDD/Count.txt       header, then "<table>\\t<n> rows copied."
    OUT/EOIR Case Data YYYY-MMDD/SYNTHETIC.txt   one line: what made this release

Each file starts with its header (``layout.TABLES[stem].header``), an empty field is NULL,
and nothing is quoted or escaped, so a value may not contain a tab, CR or LF.

Two ways in: :func:`write_release` writes rows given by the caller (the analytics tests
build releases whose decisions reproduce published counts this way), and
:class:`TableFile` streams Arrow chunks with faulted lines spliced in (used by
:mod:`asylumlens.synth.release`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Final

import pyarrow as pa
import pyarrow.csv as pcsv

from asylumlens.errors import ReleaseError
from asylumlens.layout import CORE_FOLDER, COUNT_FILE, LOOKUP_FOLDER, TABLES
from asylumlens.synth.reference import STANDARD_LOOKUPS, lookup_rows

ENCODING: Final = "cp1252"
MARKER_FILE: Final = "SYNTHETIC.txt"
_CSV_OPTIONS: Final = pcsv.WriteOptions(
    include_header=False, delimiter="\t", quoting_style="none", batch_size=65_536
)


def release_dir_name(release_date: date) -> str:
    """``EOIR Case Data 2026-1101`` for a release of 1 Nov 2026 (the real naming)."""
    return f"EOIR Case Data {release_date:%Y-%m%d}"


def table_path(root: Path, stem: str) -> Path:
    """Where a table's file lives inside a release folder."""
    folder = CORE_FOLDER if TABLES[stem].folder == "core" else LOOKUP_FOLDER
    return root / folder / f"{stem}.csv"


def encode_line(values: Sequence[str | None], *, where: str = "row") -> bytes:
    """One clean line: values tab-joined, None as empty, ``\\n`` ended, cp1252 encoded."""
    for value in values:
        if value is not None and any(ch in value for ch in "\t\r\n"):
            raise ReleaseError(f"{where}: value {value!r} contains a tab or line break")
    text = "\t".join("" if v is None else v for v in values) + "\n"
    try:
        return text.encode(ENCODING)
    except UnicodeEncodeError as exc:
        raise ReleaseError(f"{where}: {text.strip()!r} is not encodable in cp1252") from exc


class TableFile:
    """A release table being written: header first, then chunks, counting data lines."""

    def __init__(self, path: Path, header: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._sink = pa.OSFile(str(path), "wb")
        self._sink.write((header + "\n").encode(ENCODING))
        self.data_lines = 0

    def write_lines(self, lines: Iterable[bytes]) -> None:
        """Append ready-made lines (each already ends with its line break)."""
        for line in lines:
            self._sink.write(line)
            self.data_lines += 1

    def write_chunk(
        self, table: pa.Table, spliced: Mapping[int, Sequence[bytes]]
    ) -> dict[int, int]:
        """Write ``table``'s rows, replacing row ``i`` by the lines ``spliced[i]``.

        Returns the physical line number (header = 1) of the first line written for each
        spliced row, so a fault can be located exactly even after inserted duplicates.
        """
        where: dict[int, int] = {}
        pos = 0
        for i in sorted(spliced):
            if i > pos:
                self._write_rows(table.slice(pos, i - pos))
            where[i] = self.data_lines + 2
            self.write_lines(spliced[i])
            pos = i + 1
        if pos < table.num_rows:
            self._write_rows(table.slice(pos))
        return where

    def _write_rows(self, table: pa.Table) -> None:
        if table.num_rows:
            pcsv.write_csv(table, self._sink, _CSV_OPTIONS)
            self.data_lines += table.num_rows

    def close(self) -> None:
        self._sink.close()

    def __enter__(self) -> TableFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_count_file(root: Path, data_lines: Mapping[str, int]) -> Path:
    """``Count.txt``: one line per core table, sorted by name as in the real file."""
    path = root / COUNT_FILE
    lines = ["TableName\tContent"] + [
        f"{t}\t{n} rows copied." for t, n in sorted(data_lines.items())
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode(ENCODING))
    return path


def write_marker(root: Path, note: str) -> Path:
    """``SYNTHETIC.txt``: a one-line note so ingest labels the release SYNTHETIC."""
    if "\n" in note or "\r" in note:
        raise ReleaseError("synthetic_note must be a single line")
    path = root / MARKER_FILE
    path.write_text(note + "\n", encoding="utf-8")
    return path


def write_lookups(root: Path, skip: Iterable[str] = ()) -> dict[str, int]:
    """Write the standard lookup tables (real codes); returns rows per table."""
    counts: dict[str, int] = {}
    skipped = set(skip)
    for stem in STANDARD_LOOKUPS:
        if stem in skipped:
            continue
        rows = lookup_rows(stem)
        with TableFile(table_path(root, stem), TABLES[stem].header) as out:
            out.write_lines(encode_line(r, where=f"{stem}.csv") for r in rows)
        counts[stem] = len(rows)
    return counts


def write_release(
    out: Path,
    release_date: date,
    tables: Mapping[str, Iterable[Sequence[str | None]]],
    *,
    lookups: bool = True,
    synthetic_note: str,
) -> Path:
    """Write the given clean rows as a release in the real layout; return the release folder.

    ``tables`` maps a table stem of ``layout.TABLES`` (core or lookup) to its rows, each a
    sequence of values in file order (``None`` or ``""`` for an empty field). With ``lookups``
    the standard lookups are added (a lookup given in ``tables`` replaces the standard one).
    Count.txt lists every core table written, with its number of data lines. No faults are
    injected. Raises :class:`ReleaseError` for an unknown table, a row of the wrong length, or
    a value with a tab or line break or outside cp1252.

    Example::

        write_release(tmp, date(2021, 11, 1), {"A_TblCase": [case_row], ...},
                      synthetic_note="fixture: China FY2021 counts")
    """
    root = out / release_dir_name(release_date)
    counts: dict[str, int] = {}
    for stem, rows in tables.items():
        if stem not in TABLES:
            known = ", ".join(sorted(TABLES))
            raise ReleaseError(f"unknown table {stem!r}; known tables: {known}")
        width = len(TABLES[stem].columns)
        with TableFile(table_path(root, stem), TABLES[stem].header) as f:
            for i, row in enumerate(rows, 1):
                if len(row) != width:
                    raise ReleaseError(
                        f"{stem}.csv row {i}: {len(row)} values, the header has {width} columns"
                    )
                f.write_lines([encode_line(row, where=f"{stem}.csv row {i}")])
            if TABLES[stem].folder == "core":
                counts[stem] = f.data_lines
    if lookups:
        write_lookups(root, skip=tables.keys())
    root.mkdir(parents=True, exist_ok=True)
    write_count_file(root, counts)
    write_marker(root, synthetic_note)
    return root
