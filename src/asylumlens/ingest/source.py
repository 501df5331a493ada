"""Finding the tables of a release, wherever they sit: a zip (Deflate64 too) or a folder.

EOIR has renamed the zip and nested its folders differently over the years
(``FOIA TRAC Report 20221003/``, ``EOIR Case Data 2026-0401/EOIR Case Data/``), and the
case of file names drifts (``tbllookupCharges``, ``tblLookUp_Appln``). So a table is found
by its documented name (``layout.RELEASE_TABLES``, compared case-insensitively) at any
depth, and then held to its documented place: the core tables in one folder (the one
holding ``A_TblCase.csv``), the lookups in a ``Lookup/`` folder beside or inside it (or, in a
release unzipped flat, beside the core tables).

A release is input from outside, so it is read defensively:

* a file whose name is no table of the layout is recorded (``ignored``) and never read -
  in a zip, never decompressed; its name never reaches SQL or a path of ours;
* two files for one table (``old copy/A_TblCase.csv``, ``a_tblcase.csv``) are an error
  naming both, never "last one wins";
* a zip member larger than :data:`MAX_MEMBER_BYTES` uncompressed, or compressed more than
  :data:`MAX_MEMBER_RATIO` to 1, is refused before a byte of it is inflated, and a table is
  never read past its declared size.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, BinaryIO, Final, cast

import zipfile_deflate64  # noqa: F401  (registers Deflate64, method 9, with zipfile)

from asylumlens.errors import ReleaseError
from asylumlens.layout import CORE_TABLES, COUNT_FILE, LOOKUP_FOLDER, RELEASE_TABLES

SYNTHETIC_MARKER = "SYNTHETIC.txt"
_DATED = re.compile(r"(?:EOIR Case Data|FOIA TRAC Report)[ _-]*(\d{4})-?(\d{2})(\d{2})", re.I)
_KNOWN = {stem.lower(): stem for stem in RELEASE_TABLES}
_ANCHOR = "A_TblCase"

MAX_MEMBER_BYTES: Final = 16 << 30
"""The largest table file read (16 GiB uncompressed). The real release is 8.8 GB in all,
its largest table about 3 GB; a bigger member is refused, not streamed to disk."""

MAX_MEMBER_RATIO: Final = 200
"""The highest compression ratio accepted for a zip member of at least
:data:`RATIO_CHECKED_BYTES`. EOIR's tab-separated tables deflate about 5-15 to 1; a run of
NUL bytes deflates about 1,000 to 1 (a zip bomb)."""

RATIO_CHECKED_BYTES: Final = 16 << 20
"""Members smaller than this (16 MiB) are not judged by ratio: whatever they hold, they
are small, and tiny files compress oddly."""

MAX_NOTE_BYTES: Final = 1 << 20
"""The largest ``Count.txt`` or ``SYNTHETIC.txt`` read (1 MiB; the real Count.txt is < 2 KB)."""

NOT_A_TABLE = "not a table of the EOIR layout"
MAX_LISTED_IGNORED: Final = 1000
"""Files not read are listed up to this many (a hostile zip may hold millions); the manifest
gives their total (``ignored_total``)."""


@dataclass(frozen=True)
class TableFile:
    """One table file of a release: its canonical stem and where to read it."""

    stem: str
    folder: str  # "core" or "lookup"
    member: str  # path inside the zip, or the file path for a folder
    size: int


@dataclass
class ReleaseSource:
    """A release on disk, zip or folder, with its tables located."""

    path: Path
    is_zip: bool
    tables: dict[str, TableFile]
    count_txt: dict[str, int]
    synthetic_note: str | None
    release_date: date | None
    folder_name: str | None
    ignored: list[dict[str, str]] = field(default_factory=list)
    """Files of the release that are no table (path relative to the release, reason), the
    first :data:`MAX_LISTED_IGNORED` of them."""
    ignored_total: int = 0

    @property
    def release_id(self) -> str:
        if self.release_date is not None:
            return self.release_date.isoformat()
        return "undated-" + self.fingerprint()[:12]

    def fingerprint(self) -> str:
        """A cheap identity of the input (names, sizes, and for a zip its CRCs)."""
        h = hashlib.sha256()
        for stem in sorted(self.tables):
            t = self.tables[stem]
            h.update(f"{stem}\t{t.size}\n".encode())
        if self.is_zip:
            with zipfile.ZipFile(self.path) as zf:
                for info in sorted(zf.infolist(), key=lambda i: i.filename):
                    h.update(f"{info.filename}\t{info.CRC}\t{info.file_size}\n".encode())
        return h.hexdigest()

    @contextmanager
    def open(self, stem: str) -> Iterator[BinaryIO]:
        """The raw bytes of one table, streamed (a zip member is decompressed on the fly),
        never past the size the table declared when the release was opened."""
        table = self.tables[stem]
        where = table.member if not self.is_zip else f"{self.path}: {table.member}"
        if not self.is_zip:
            try:
                with open(table.member, "rb") as fh:
                    yield cast(BinaryIO, _Capped(fh, table.size, where))
            except OSError as exc:
                raise ReleaseError(f"{table.member}: cannot read: {exc.strerror}") from exc
            return
        try:
            with zipfile.ZipFile(self.path) as zf, zf.open(table.member) as fh:
                yield cast(BinaryIO, _Capped(fh, table.size, where))
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ReleaseError(f"{self.path}: {table.member}: corrupt or truncated: {exc}") from exc


class _Capped:
    """A read-only stream that refuses to yield more than ``limit`` bytes.

    Python's zipfile already stops a member at its declared size; this holds a folder's
    file to the size it had when the release was opened too (a file that grows, or a
    device behind a name, is an error rather than an endless read).
    """

    def __init__(self, raw: IO[bytes], limit: int, where: str) -> None:
        self._raw = raw
        self._left = limit
        self._where = where

    def _count(self, n: int) -> None:
        self._left -= n
        if self._left < 0:
            raise ReleaseError(f"{self._where}: longer than its declared size; not read further")

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._count(len(data))
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self._raw.readline(limit)
        self._count(len(data))
        return data

    def readinto(self, view: memoryview) -> int:
        got = self._raw.readinto(view)  # type: ignore[attr-defined]
        n = int(got or 0)
        self._count(n)
        return n


def check_member(info: zipfile.ZipInfo, path: Path) -> None:
    """Refuse a zip member too large to be a table, or compressed like a zip bomb, by name,
    from its declared sizes (before any of it is inflated)."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise ReleaseError(
            f"{path}: {info.filename}: uncompressed size {info.file_size:,} bytes exceeds the "
            f"{MAX_MEMBER_BYTES:,}-byte cap for one table; not read"
        )
    if info.file_size >= RATIO_CHECKED_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_MEMBER_RATIO:
            raise ReleaseError(
                f"{path}: {info.filename}: compression ratio {ratio:,.0f}:1 exceeds "
                f"{MAX_MEMBER_RATIO}:1 (a zip bomb, not a table); not read"
            )


def _release_date(names: list[str], fallback: str) -> tuple[date | None, str | None]:
    for name in [*names, fallback]:
        for part in _parts(name):
            m = _DATED.search(part)
            if m:
                try:
                    return date(int(m[1]), int(m[2]), int(m[3])), part
                except ValueError:
                    continue
    return None, None


def parse_count_txt(text: str) -> dict[str, int]:
    """``Count.txt``: ``TableName<TAB>12345 rows copied.`` (older) or ``...<TAB>12345``."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.strip().split("\t")
        if len(parts) < 2 or parts[0].lower() == "tablename":
            continue
        m = re.search(r"\d+", parts[1].replace(",", ""))
        stem = _KNOWN.get(parts[0].strip().lower())
        if m and stem is not None:
            counts[stem] = int(m.group())
    return counts


def _parts(name: str) -> tuple[str, ...]:
    """A member's path as parts; Windows zips may separate with backslashes."""
    return tuple(p for p in re.split(r"[\\/]", name) if p not in ("", "."))


def _table_stem(name: str) -> str | None:
    """The canonical stem of a file name that is a table of the layout, else None."""
    if len(name) > 4 and name[-4:].lower() == ".csv":
        return _KNOWN.get(name[:-4].lower())
    return None


@dataclass(frozen=True)
class _Entry:
    """One file of the release, zip member or folder file, before it is classified."""

    name: str  # relative to the release (zip member name, or path under the folder)
    parts: tuple[str, ...]
    where: str  # how messages name it: the member name, or the file's path
    size: int
    info: zipfile.ZipInfo | None = None


def _folder_entries(path: Path, ignored: list[dict[str, str]]) -> list[_Entry]:
    entries: list[_Entry] = []
    for file in sorted(path.rglob("*")):
        rel = file.relative_to(path).as_posix()
        if file.is_symlink():
            ignored.append({"path": rel, "reason": "a symbolic link; not followed"})
        elif file.is_file():
            entries.append(_Entry(rel, _parts(rel), str(file), file.stat().st_size))
    return entries


def _zip_entries(zf: zipfile.ZipFile) -> list[_Entry]:
    return [
        _Entry(i.filename, _parts(i.filename), i.filename, i.file_size, i)
        for i in zf.infolist()
        if not i.is_dir()
    ]


def _read_note(entry: _Entry, zf: zipfile.ZipFile | None, path: Path, encoding: str) -> str:
    """A small text file of the release (Count.txt, SYNTHETIC.txt), read to a bound."""
    if entry.size > MAX_NOTE_BYTES:
        raise ReleaseError(
            f"{path}: {entry.name}: {entry.size:,} bytes, more than the {MAX_NOTE_BYTES:,} "
            "such a file may hold; not read"
        )
    if zf is not None and entry.info is not None:
        with zf.open(entry.info) as fh:
            data = fh.read(MAX_NOTE_BYTES + 1)
    else:
        with open(entry.where, "rb") as fh:
            data = fh.read(MAX_NOTE_BYTES + 1)
    return data[:MAX_NOTE_BYTES].decode(encoding, errors="replace")


def _one_each(path: Path, found: dict[str, list[_Entry]]) -> dict[str, _Entry]:
    """One file per table (or note): two files mapping to one name are an error naming both."""
    for stem, entries in found.items():
        if len(entries) > 1:
            names = " and ".join(e.where for e in entries)
            raise ReleaseError(
                f"{path}: two files for {stem}: {names}; a release holds one file per table"
            )
    return {stem: entries[0] for stem, entries in found.items()}


def _check_places(path: Path, tables: dict[str, _Entry]) -> None:
    """Each table in its documented place: core tables beside A_TblCase, lookups in a
    ``Lookup`` folder beside or inside that folder, or beside the core tables (unzipped flat)."""
    anchor = tables[_ANCHOR].parts[:-1]
    lookup_homes = {anchor, *((anchor[:-1],) if anchor else ())}
    for stem, entry in tables.items():
        folder = entry.parts[:-1]
        if folder == anchor:
            continue
        in_lookup = bool(folder) and folder[-1].lower() == LOOKUP_FOLDER.lower()
        if RELEASE_TABLES[stem] == "lookup" and in_lookup and folder[:-1] in lookup_homes:
            continue
        home = "/".join(anchor) or "."
        raise ReleaseError(
            f"{path}: {entry.where}: {stem} is not in its documented place: core tables sit "
            f"beside {_ANCHOR}.csv (in {home}), lookups in {LOOKUP_FOLDER}/ beside them"
        )


def _sort_entries(
    entries: list[_Entry], ignored: list[dict[str, str]]
) -> tuple[dict[str, list[_Entry]], dict[str, list[_Entry]]]:
    """Entries by table stem and by note file (Count.txt, the SYNTHETIC marker); anything
    else is added to ``ignored`` as no table of the layout."""
    tables: dict[str, list[_Entry]] = {}
    notes: dict[str, list[_Entry]] = {}
    for entry in entries:
        base = entry.parts[-1] if entry.parts else ""
        stem = _table_stem(base)
        if stem is not None:
            tables.setdefault(stem, []).append(entry)
        elif base.lower() in (COUNT_FILE.lower(), SYNTHETIC_MARKER.lower()):
            notes.setdefault(base.lower(), []).append(entry)
        else:
            ignored.append({"path": entry.name, "reason": NOT_A_TABLE})
    return tables, notes


def open_release(path: Path) -> ReleaseSource:
    """Locate the tables of the release at ``path`` (a zip, or a folder at any depth)."""
    if not path.exists():
        raise ReleaseError(f"{path}: no such file or folder")
    ignored: list[dict[str, str]] = []
    zf: zipfile.ZipFile | None = None
    try:
        if path.is_dir():
            entries = _folder_entries(path, ignored)
        else:
            zf = zipfile.ZipFile(path)
            entries = _zip_entries(zf)
        tables, notes = _sort_entries(entries, ignored)
        found = _one_each(path, tables)
        note = _one_each(path, notes)
        missing = [stem for stem in CORE_TABLES if stem not in found]
        if missing:
            raise ReleaseError(
                f"{path}: no {missing[0]}.csv found; an EOIR release holds "
                f"{', '.join(s + '.csv' for s in CORE_TABLES)} (found {len(found)} tables)"
            )
        _check_places(path, found)
        for entry in found.values():
            if entry.info is not None:
                check_member(entry.info, path)
            elif entry.size > MAX_MEMBER_BYTES:
                raise ReleaseError(
                    f"{entry.where}: {entry.size:,} bytes exceeds the {MAX_MEMBER_BYTES:,}-byte "
                    "cap for one table; not read"
                )
        count = note.get(COUNT_FILE.lower())
        marker = note.get(SYNTHETIC_MARKER.lower())
        count_text = _read_note(count, zf, path, "cp1252") if count else None
        marker_text = _read_note(marker, zf, path, "utf-8").strip() if marker else None
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ReleaseError(f"{path}: not a readable zip ({exc})") from exc
    except OSError as exc:
        raise ReleaseError(f"{path}: cannot read: {exc.strerror}") from exc
    finally:
        if zf is not None:
            zf.close()
    release_date, folder_name = _release_date([e.name for e in entries], path.name)
    return ReleaseSource(
        path=path,
        is_zip=zf is not None,
        tables={
            stem: TableFile(stem, RELEASE_TABLES[stem], e.where, e.size)
            for stem, e in sorted(found.items())
        },
        count_txt=parse_count_txt(count_text) if count_text else {},
        synthetic_note=marker_text,
        release_date=release_date,
        folder_name=folder_name,
        ignored=ignored[:MAX_LISTED_IGNORED],
        ignored_total=len(ignored),
    )


def file_sha256(path: Path, chunk: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
