"""The "next month" of a synthetic release: records added, deleted and recoded, with the truth.

EOIR replaces its release every month, and between two releases it does not only append:
it deletes records and revises decisions (``shared/eoir/NOTES.md`` section 1.1). Comparing
two releases (``asylumlens diff``) therefore needs a pair whose differences are known
exactly. :func:`next_release` makes one from an earlier synthetic release folder:

* **added**: new cases from the same population model, with their proceedings,
  applications, representatives, custody history and appeals; every new key is above the
  largest key of its table in the earlier release, so no id is reused;
* **deleted**: whole cases with every child row, plus stray proceedings (with their
  applications and appeals, so no new orphan appears) and stray applications;
* **recoded**: ``APPL_DEC`` on existing application rows and ``DEC_CODE`` on existing
  proceedings that already had a decision.

Every change is listed (table, primary key, old and new value) under ``evolution`` in the new
``synth-manifest.json``. The earlier release's faulted lines are copied byte for byte and
never deleted or recoded (nor is any row of a case or proceeding a fault touches), so the
earlier manifest's faults are carried over as written, with their new line numbers; the
added rows are clean. The files are streamed line by line: memory holds only the sets of
deleted keys and the change lists.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from asylumlens import __version__
from asylumlens.errors import ReleaseError
from asylumlens.layout import LOOKUP_FOLDER, TABLES, normalise_name
from asylumlens.synth.columns import nulls
from asylumlens.synth.faults import CORE
from asylumlens.synth.knobs import DEFAULT_KNOBS, Knobs
from asylumlens.synth.population import IdCursor, build_world, generate_chunk
from asylumlens.synth.reference import load_reference
from asylumlens.synth.release import MANIFEST_NAME, ZIP_NAME, SynthResult, _zip
from asylumlens.synth.writer import (
    ENCODING,
    MARKER_FILE,
    TableFile,
    release_dir_name,
    table_path,
    write_count_file,
    write_marker,
)

APPL_DEC_CODES: Final = ("A", "C", "D", "F", "G", "O", "W")
"""APPL_DEC values a recoded application may get (real codes of ``tblLookupCourtAppDecisions``)."""
DEC_CODE_CODES: Final = ("A", "C", "D", "G", "R", "T", "V", "W", "X")
"""DEC_CODE values a recoded proceeding may get."""

# The column of each core table that names its case, and (for children of proceedings)
# its proceeding; positions come from the file's own header.
_PROCEEDING_CHILDREN: Final = ("tbl_Court_Appln", "tblAppeal")


@dataclass(frozen=True)
class EvolutionRates:
    """How much changes between the two releases, as shares of the earlier rows."""

    add_cases: float = 0.03
    delete_cases: float = 0.01
    delete_proceedings: float = 0.005
    delete_applications: float = 0.005
    recode_applications: float = 0.02
    recode_proceedings: float = 0.01


@dataclass
class _Changes:
    """Everything done to the earlier release, in the form the manifest records it."""

    added: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in CORE})
    deleted: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in CORE})
    deleted_cases: list[int] = field(default_factory=list)
    stray_deleted: dict[str, list[int]] = field(
        default_factory=lambda: {"B_TblProceeding": [], "tbl_Court_Appln": []}
    )
    recoded: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"tbl_Court_Appln": [], "B_TblProceeding": []}
    )


@dataclass(frozen=True)
class _Earlier:
    """The earlier release: its folder, its manifest (if any), and what its faults touch."""

    root: Path
    manifest: dict[str, Any]
    fault_lines: dict[str, set[int]]
    protected_keys: dict[str, set[int]]
    protected_cases: set[int]
    protected_proceedings: set[int]


def find_release_folder(path: Path) -> Path:
    """``path`` itself when it is a synthetic release folder, else its one synthetic child."""
    if (path / MARKER_FILE).is_file():
        return path
    found = sorted(p for p in path.glob("EOIR Case Data *") if (p / MARKER_FILE).is_file())
    if len(found) == 1:
        return found[0]
    raise ReleaseError(
        f"--from {path}: not a synthetic release folder (no {MARKER_FILE}); give the "
        "'EOIR Case Data YYYY-MMDD' folder written by `asylumlens synth`"
    )


def one_month_later(day: date) -> date:
    """The same day next month, clamped to the month's end (31 Jan -> 28/29 Feb)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _folder_date(root: Path) -> date:
    stamp = root.name.removeprefix("EOIR Case Data ").strip()
    try:
        return date(int(stamp[:4]), int(stamp[5:7]), int(stamp[7:9]))
    except ValueError:
        raise ReleaseError(
            f"{root.name}: cannot read a date; expected 'EOIR Case Data YYYY-MMDD'"
        ) from None


def _fields(clean: str) -> list[str]:
    return clean.split("\t")


def _read_earlier(root: Path) -> _Earlier:
    manifest_path = root.parent / MANIFEST_NAME
    manifest: dict[str, Any] = {}
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    fault_lines: dict[str, set[int]] = {s: set() for s in CORE}
    keys: dict[str, set[int]] = {s: set() for s in CORE}
    cases: set[int] = set()
    proceedings: set[int] = set()
    for fault in manifest.get("faults", []):
        stem, line = fault["table"], int(fault["line"])
        if stem not in fault_lines or line == 1:
            continue
        fault_lines[stem].add(line)
        values = _fields(fault["clean"])
        names = TABLES[stem].keys
        row = dict(zip(names, values, strict=False))
        for name, target in (("idncase", cases), ("idnproceeding", proceedings)):
            if row.get(name, "").isdigit():
                target.add(int(row[name]))
        if values[0].isdigit():
            keys[stem].add(int(values[0]))
        if fault["kind"] == "duplicate_key":  # its clean first copy is the line before
            fault_lines[stem].add(line - 1)
    return _Earlier(root, manifest, fault_lines, keys, cases, proceedings)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(1-based physical line number, raw line with its line end), streamed."""
    with path.open("rb") as fh:
        yield from enumerate(fh, 1)


def _index(header: bytes) -> dict[str, int]:
    names = header.rstrip(b"\r\n").decode(ENCODING).split("\t")
    return {normalise_name(n): i for i, n in enumerate(names)}


def _int(value: bytes) -> int | None:
    return int(value) if value.isdigit() else None


class _Evolver:
    """Streams one table after another, in parent-before-child order."""

    def __init__(self, earlier: _Earlier, rng: np.random.Generator, rates: EvolutionRates) -> None:
        self.earlier = earlier
        self.rng = rng
        self.rates = rates
        self.changes = _Changes()
        self.deleted_cases: set[int] = set()
        self.deleted_proceedings: set[int] = set()
        self.max_key: dict[str, int] = {s: 0 for s in CORE}
        self.case_rows = 0
        self.moved: dict[tuple[str, int], int] = {}  # faulted (table, old line) -> new line

    def _decide(self, stem: str, pk: int, row: list[bytes], col: dict[str, int]) -> str:
        """'keep', 'delete' or 'recode' for a clean, parsable row."""
        e, r, roll = self.earlier, self.rates, self.rng.random()
        case = _int(row[col["idncase"]]) if "idncase" in col else None
        protected = pk in e.protected_keys[stem] or case in e.protected_cases
        if case in self.deleted_cases:
            return "delete"
        if stem == "A_TblCase":
            return "delete" if roll < r.delete_cases and not protected else "keep"
        proc = _int(row[col["idnproceeding"]]) if "idnproceeding" in col else None
        if stem in _PROCEEDING_CHILDREN and proc in self.deleted_proceedings:
            return "delete"
        if protected or (proc is not None and proc in e.protected_proceedings):
            return "keep"
        if stem == "B_TblProceeding":
            if roll < r.delete_proceedings:
                return "stray"
            has_dec = bool(row[col["dec_code"]].strip())
            return (
                "recode"
                if has_dec and roll < r.delete_proceedings + r.recode_proceedings
                else "keep"
            )
        if stem == "tbl_Court_Appln":
            if roll < r.delete_applications:
                return "stray"
            has_dec = bool(row[col["appl_dec"]].strip())
            limit = r.delete_applications + r.recode_applications
            return "recode" if has_dec and roll < limit else "keep"
        return "keep"

    def _recode(
        self, stem: str, pk: int, row: list[bytes], col: dict[str, int], end: bytes
    ) -> bytes:
        column = "appl_dec" if stem == "tbl_Court_Appln" else "dec_code"
        choices = APPL_DEC_CODES if stem == "tbl_Court_Appln" else DEC_CODE_CODES
        old = row[col[column]].decode(ENCODING).strip()
        options = [c for c in choices if c != old]
        new = options[int(self.rng.integers(0, len(options)))]
        row[col[column]] = new.encode(ENCODING)
        self.changes.recoded[stem].append({"key": pk, "column": column, "old": old, "new": new})
        return b"\t".join(row) + end

    def copy_table(self, stem: str, source: Path, out: TableFile) -> None:
        """Copy ``source`` into ``out`` (header already written), applying the changes."""
        faulted = self.earlier.fault_lines[stem]
        width = len(TABLES[stem].columns)
        col: dict[str, int] = {}
        for number, raw in _lines(source):
            if number == 1:
                col = _index(raw)
                continue
            body = raw.rstrip(b"\r\n")
            end = raw[len(body) :]
            row = body.split(b"\t")
            pk = _int(row[0])
            if pk is not None:
                self.max_key[stem] = max(self.max_key[stem], pk)
            if number in faulted or pk is None or len(row) != width:
                if number in faulted:
                    self.moved[(stem, number)] = out.data_lines + 2
                out.write_lines([raw])
                continue
            action = self._decide(stem, pk, row, col)
            if action in ("delete", "stray"):
                self.changes.deleted[stem].append(pk)
                if stem == "A_TblCase":
                    self.deleted_cases.add(pk)
                    self.changes.deleted_cases.append(pk)
                elif action == "stray":
                    self.changes.stray_deleted[stem].append(pk)
                if stem == "B_TblProceeding":
                    self.deleted_proceedings.add(pk)
                continue
            if stem == "A_TblCase":
                self.case_rows += 1
            out.write_lines([self._recode(stem, pk, row, col, end) if action == "recode" else raw])


def _header(path: Path) -> str:
    with path.open("rb") as fh:
        return fh.readline().rstrip(b"\r\n").decode(ENCODING)


def _add_cases(
    evolver: _Evolver, files: dict[str, TableFile], seed: int, when: date, knobs: Knobs
) -> None:
    """New cases from the population model, keys above every earlier key of their table."""
    n = round(evolver.case_rows * evolver.rates.add_cases)
    if n < 1:
        return
    top = evolver.max_key
    ids = IdCursor(
        case=top["A_TblCase"] + 1,
        proceeding=top["B_TblProceeding"] + 1,
        application=top["tbl_Court_Appln"] + 1,
        reps=top["tbl_RepsAssigned"] + 1,
        custody=top["tbl_CustodyHistory"] + 1,
        appeal=top["tblAppeal"] + 1,
    )
    world = build_world(load_reference(), seed, when, knobs)
    size = knobs.cases_per_chunk
    for c in range(math.ceil(n / size)):  # one chunk in memory at a time, as in generate()
        todo = min(size, n - c * size)
        chunk = generate_chunk(world, knobs, np.random.default_rng([seed, 7, c]), ids, todo)
        for stem in CORE:
            keys = list(TABLES[stem].keys)
            rows = chunk.rows[stem]
            cols = chunk.tables[stem]
            table = pa.table([cols.get(k, nulls(rows)) for k in keys], names=keys)
            files[stem].write_chunk(table, {})
            pk = TABLES[stem].primary_key
            assert pk is not None
            evolver.changes.added[stem].extend(int(v) for v in table.column(pk).to_pylist())
            if stem == "A_TblCase":
                evolver.case_rows += rows


def next_release(
    source: Path,
    out: Path,
    seed: int,
    *,
    release_date: date | None = None,
    zip: bool = False,
    rates: EvolutionRates | None = None,
    knobs: Knobs = DEFAULT_KNOBS,
) -> SynthResult:
    """Write the release following the synthetic release ``source`` under ``out``.

    ``source`` is the ``EOIR Case Data YYYY-MMDD`` folder (or the folder holding exactly one);
    its ``synth-manifest.json`` is read from beside it when present. ``release_date`` defaults
    to one month after the earlier release. Raises :class:`ReleaseError` when ``source`` is not
    a synthetic release, the date is not later, or ``out`` would overwrite the earlier manifest.
    """
    root = find_release_folder(source)
    before = _folder_date(root)
    when = release_date or one_month_later(before)
    if when <= before:
        raise ReleaseError(f"--date {when} must be after the earlier release's date {before}")
    if out.resolve() == root.parent.resolve():
        raise ReleaseError(
            f"OUT {out} holds the earlier release; its {MANIFEST_NAME} would be overwritten - "
            "choose another OUT"
        )
    earlier = _read_earlier(root)
    target = out / release_dir_name(when)
    if target.exists():
        if not (target / MARKER_FILE).is_file():
            raise ReleaseError(f"{target} exists and is not a synthetic release; remove it")
        shutil.rmtree(target)
    target.mkdir(parents=True)
    evolver = _Evolver(earlier, np.random.default_rng([seed, 0xE7]), rates or EvolutionRates())
    files = {s: TableFile(table_path(target, s), _header(table_path(root, s))) for s in CORE}
    try:
        for stem in CORE:  # parents first: cases, proceedings, then their children
            evolver.copy_table(stem, table_path(root, stem), files[stem])
        _add_cases(evolver, files, seed, when, knobs)
    finally:
        for f in files.values():
            f.close()
    data_lines = {s: files[s].data_lines for s in CORE}
    write_count_file(target, data_lines)
    shutil.copytree(root / LOOKUP_FOLDER, target / LOOKUP_FOLDER)
    write_marker(
        target,
        f"SYNTHETIC release made by asylumlens synth {__version__}: next release after "
        f"{root.name}, seed={seed}. Not EOIR data.",
    )
    manifest = _manifest(earlier, evolver, target, out, seed, when, data_lines, zip)
    manifest_path = out / MANIFEST_NAME
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", "utf-8")
    zip_path = _zip(target, out / ZIP_NAME) if zip else None
    lookups = {s: int(v["data_lines"]) for s, v in manifest.get("lookups", {}).items()}
    return SynthResult(target, zip_path, manifest_path, {**data_lines, **lookups})


def _manifest(
    earlier: _Earlier,
    evolver: _Evolver,
    target: Path,
    out: Path,
    seed: int,
    when: date,
    data_lines: dict[str, int],
    zip: bool,
) -> dict[str, Any]:
    old = earlier.manifest
    faults = []
    for fault in old.get("faults", []):
        moved = dict(fault)
        if int(fault["line"]) != 1:
            moved["line"] = evolver.moved[(fault["table"], int(fault["line"]))]
        faults.append(moved)
    duplicates = {s: 0 for s in CORE}
    for fault in faults:
        if fault["kind"] == "duplicate_key" and fault["table"] in duplicates:
            duplicates[fault["table"]] += 1
    ch = evolver.changes
    return {
        "generator": f"asylumlens synth {__version__}",
        "synthetic": True,
        "seed": seed,
        "cases": evolver.case_rows,
        "release_date": when.isoformat(),
        "faults_enabled": old.get("faults_enabled", False),
        "release": target.name,
        "zip": ZIP_NAME if zip else None,
        "contract": "asylumlens.synth.faults (module docstring); evolution: "
        "asylumlens.synth.next_release",
        "tables": {
            s: {
                "file": table_path(target, s).relative_to(out).as_posix(),
                "data_lines": data_lines[s],
                "count_txt": data_lines[s],
                "clean_rows": data_lines[s] - duplicates[s],
            }
            for s in CORE
        },
        "lookups": {
            s: {"file": f"{target.name}/{LOOKUP_FOLDER}/{s}.csv", "data_lines": v["data_lines"]}
            for s, v in old.get("lookups", {}).items()
        },
        "fault_counts": old.get("fault_counts", {}),
        "faults": faults,
        "evolution": {
            "from": {
                "release": earlier.root.name,
                "release_date": _folder_date(earlier.root).isoformat(),
                "seed": old.get("seed"),
            },
            "rates": {k: getattr(evolver.rates, k) for k in EvolutionRates.__dataclass_fields__},
            "note": "faulted lines of the earlier release are carried over as written; "
            "added rows are clean",
            "added": ch.added,
            "deleted": ch.deleted,
            "deleted_cases": ch.deleted_cases,
            "stray_deleted": ch.stray_deleted,
            "recoded": ch.recoded,
            "counts": {
                "added": {s: len(v) for s, v in ch.added.items()},
                "deleted": {s: len(v) for s, v in ch.deleted.items()},
                "recoded": {s: len(v) for s, v in ch.recoded.items()},
            },
        },
    }
