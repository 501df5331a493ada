"""Finding the tables of a release, wherever they sit: a zip (Deflate64 too) or a folder.

EOIR has renamed the zip and nested its folders differently over the years
(``FOIA TRAC Report 20221003/``, ``EOIR Case Data 2026-0401/EOIR Case Data/``), and the
case of file names drifts (``tbllookupCharges``, ``tblLookUp_Appln``). So tables are
found by file stem, case-insensitively, at any depth; ``Lookup/`` marks lookup tables.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import zipfile_deflate64  # noqa: F401  (registers Deflate64, method 9, with zipfile)

from asylumlens.errors import ReleaseError
from asylumlens.layout import COUNT_FILE, LOOKUP_FOLDER, TABLES

SYNTHETIC_MARKER = "SYNTHETIC.txt"
_DATED = re.compile(r"(?:EOIR Case Data|FOIA TRAC Report)[ _-]*(\d{4})-?(\d{2})(\d{2})", re.I)
_KNOWN = {stem.lower(): stem for stem in TABLES}


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
        """The raw bytes of one table, streamed (a zip member is decompressed on the fly)."""
        table = self.tables[stem]
        if not self.is_zip:
            try:
                with open(table.member, "rb") as fh:
                    yield fh
            except OSError as exc:
                raise ReleaseError(f"{table.member}: cannot read: {exc.strerror}") from exc
            return
        try:
            with zipfile.ZipFile(self.path) as zf, zf.open(table.member) as fh:
                yield fh  # type: ignore[misc]
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ReleaseError(f"{self.path}: {table.member}: corrupt or truncated: {exc}") from exc


def _canonical_stem(name: str) -> str:
    stem = PurePosixPath(name).stem
    return _KNOWN.get(stem.lower(), stem)


def _folder_of(parts: tuple[str, ...]) -> str:
    return "lookup" if any(p.lower() == LOOKUP_FOLDER.lower() for p in parts[:-1]) else "core"


def _release_date(names: list[str], fallback: str) -> tuple[date | None, str | None]:
    for name in [*names, fallback]:
        for part in PurePosixPath(name).parts:
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
        if m:
            counts[_canonical_stem(parts[0].strip())] = int(m.group())
    return counts


def open_release(path: Path) -> ReleaseSource:
    """Locate the tables of the release at ``path`` (a zip, or a folder at any depth)."""
    if not path.exists():
        raise ReleaseError(f"{path}: no such file or folder")
    tables: dict[str, TableFile] = {}
    count_text: str | None = None
    marker: str | None = None
    if path.is_dir():
        names: list[str] = []
        for file in sorted(path.rglob("*")):
            if not file.is_file():
                continue
            rel = file.relative_to(path)
            names.append(rel.as_posix())
            lower = file.name.lower()
            if lower == COUNT_FILE.lower():
                count_text = file.read_text(encoding="cp1252", errors="replace")
            elif lower == SYNTHETIC_MARKER.lower():
                marker = file.read_text(encoding="utf-8", errors="replace").strip()
            elif lower.endswith(".csv"):
                stem = _canonical_stem(file.name)
                tables[stem] = TableFile(
                    stem, _folder_of(rel.parts), str(file), file.stat().st_size
                )
        is_zip = False
    else:
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
                names = [i.filename for i in infos]
                for info in infos:
                    if info.is_dir():
                        continue
                    pure = PurePosixPath(info.filename)
                    lower = pure.name.lower()
                    if lower == COUNT_FILE.lower():
                        count_text = zf.read(info).decode("cp1252", errors="replace")
                    elif lower == SYNTHETIC_MARKER.lower():
                        marker = zf.read(info).decode("utf-8", errors="replace").strip()
                    elif lower.endswith(".csv"):
                        stem = _canonical_stem(pure.name)
                        tables[stem] = TableFile(
                            stem, _folder_of(pure.parts), info.filename, info.file_size
                        )
        except (zipfile.BadZipFile, EOFError) as exc:
            raise ReleaseError(f"{path}: not a readable zip ({exc})") from exc
        except OSError as exc:
            raise ReleaseError(f"{path}: cannot read: {exc.strerror}") from exc
        is_zip = True
    release_date, folder_name = _release_date(names, path.name)
    required = ("A_TblCase", "B_TblProceeding", "tbl_Court_Appln")
    missing = [stem for stem in required if stem not in tables]
    if missing:
        raise ReleaseError(
            f"{path}: no {missing[0]}.csv found; an EOIR release holds "
            f"{', '.join(s + '.csv' for s in required)} (found {len(tables)} tables)"
        )
    return ReleaseSource(
        path=path,
        is_zip=is_zip,
        tables=tables,
        count_txt=parse_count_txt(count_text) if count_text else {},
        synthetic_note=marker,
        release_date=release_date,
        folder_name=folder_name,
    )


def file_sha256(path: Path, chunk: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
