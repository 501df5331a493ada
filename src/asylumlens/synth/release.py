"""Generate a whole synthetic release: chunks of cases -> real-layout files, faults, manifest, zip.

Memory is bounded by one chunk (``Knobs.cases_per_chunk`` cases and their rows as Arrow
arrays); the six core tables are written side by side, chunk after chunk. Output is
deterministic for a given (seed, cases, release date, faults) because every chunk draws from
its own generator seeded with ``(seed, purpose, chunk index)``.

The ground truth goes to ``OUT/synth-manifest.json``, beside the release (never inside it, so
ingest cannot read the answers): per table its data lines, Count.txt value and clean rows, and
every injected fault as specified in :mod:`asylumlens.synth.faults`.
"""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from asylumlens import __version__
from asylumlens.errors import ReleaseError
from asylumlens.layout import TABLES
from asylumlens.synth.columns import nulls
from asylumlens.synth.faults import (
    APPLICABLE,
    CORE,
    FAULT_KINDS,
    Fault,
    FaultRates,
    Injector,
    header_text,
    spread,
)
from asylumlens.synth.knobs import DEFAULT_KNOBS, Knobs
from asylumlens.synth.population import (
    EXPECTED_ROWS_PER_CASE,
    IdCursor,
    build_world,
    generate_chunk,
)
from asylumlens.synth.reference import load_reference
from asylumlens.synth.writer import (
    MARKER_FILE,
    TableFile,
    release_dir_name,
    table_path,
    write_count_file,
    write_lookups,
    write_marker,
)

DEFAULT_RELEASE_DATE: Final = date(2026, 11, 1)
MANIFEST_NAME: Final = "synth-manifest.json"
ZIP_NAME: Final = "EOIR Case Data.zip"

_KEYS: Final = {stem: list(TABLES[stem].keys) for stem in CORE}

Progress = Callable[[int, int, int], None]
"""Called after each chunk with (cases done, cases total, data lines written so far)."""


@dataclass(frozen=True)
class SynthResult:
    """Where a synthetic release went, and how many data lines each table got."""

    release: Path
    zip: Path | None
    manifest: Path
    counts: dict[str, int]


def _prepare(out: Path, release_date: date) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".asylumlens-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ReleaseError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    root = out / release_dir_name(release_date)
    if root.exists():
        if not (root / MARKER_FILE).is_file():
            raise ReleaseError(
                f"{root} exists and is not a synthetic release (no {MARKER_FILE}); "
                "choose another OUT or remove it"
            )
        shutil.rmtree(root)
    return root


def _note(seed: int, cases: int, faults: bool) -> str:
    return (
        f"SYNTHETIC release made by asylumlens synth {__version__}: seed={seed} cases={cases} "
        f"faults={'on' if faults else 'off'}. Not EOIR data."
    )


def generate(
    out: Path,
    cases: int,
    seed: int,
    *,
    release_date: date = DEFAULT_RELEASE_DATE,
    faults: bool = True,
    zip: bool = False,
    progress: Progress | None = None,
    knobs: Knobs = DEFAULT_KNOBS,
    rates: FaultRates | None = None,
) -> SynthResult:
    """Write a synthetic release of ``cases`` cases under ``out``; return where it went.

    With ``zip`` the folder is written and then also packed as ``OUT/EOIR Case Data.zip``
    (the real download name), streamed file by file. Raises :class:`ReleaseError` for a
    non-positive ``cases`` or an ``out`` that cannot be written.
    """
    if cases < 1:
        raise ReleaseError(f"--cases must be a positive number of cases, got {cases}")
    root = _prepare(out, release_date)
    rates = rates or FaultRates()
    ref = load_reference()
    world = build_world(ref, seed, release_date, knobs)
    chunk_cases = knobs.cases_per_chunk
    n_chunks = math.ceil(cases / chunk_cases)

    all_faults: list[Fault] = []
    files: dict[str, TableFile] = {}
    for stem in CORE:
        header, header_faults = header_text(stem, faults)
        all_faults.extend(header_faults)
        files[stem] = TableFile(table_path(root, stem), header)

    # kinds per (table, chunk), evenly spread over the cases
    plan: dict[tuple[str, int], list[str]] = {}
    if faults:
        for kind in FAULT_KINDS:
            if kind == "mixed_case_header":
                continue
            for stem in APPLICABLE[kind]:
                expected = round(cases * EXPECTED_ROWS_PER_CASE[stem])
                for c in spread(rates.count(expected), cases, chunk_cases):
                    plan.setdefault((stem, c), []).append(kind)

    ids = IdCursor(case=knobs.first_case_id)
    injector = Injector(np.random.default_rng([seed, 2, 0]))
    lines_written = 0
    # Two-stage pipeline: while a worker thread writes chunk c (Arrow's CSV writer releases
    # the GIL), the main thread generates chunk c + 1. At most two chunks are alive.
    writing: Future[None] | None = None
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            for c in range(n_chunks):
                n = min(chunk_cases, cases - c * chunk_cases)
                chunk = generate_chunk(world, knobs, np.random.default_rng([seed, 1, c]), ids, n)
                injector.rng = np.random.default_rng([seed, 2, c])
                batch: list[_Pending] = []
                for stem in CORE:
                    cols = chunk.tables[stem]
                    rows = chunk.rows[stem]
                    table = pa.table(
                        [cols.get(k, nulls(rows)) for k in _KEYS[stem]], names=_KEYS[stem]
                    )
                    kinds = plan.get((stem, c), [])
                    spliced, made = injector.inject(stem, table, kinds) if kinds else ({}, [])
                    batch.append(_Pending(files[stem], table, spliced, made))
                    all_faults.extend(made)
                    lines_written += rows + sum(len(v) - 1 for v in spliced.values())
                del chunk
                if writing is not None:
                    writing.result()
                writing = pool.submit(_write_batch, batch)
                if progress is not None:
                    progress(c * chunk_cases + n, cases, lines_written)
            if writing is not None:
                writing.result()
    finally:
        for table_file in files.values():
            table_file.close()

    data_lines = {stem: files[stem].data_lines for stem in CORE}
    write_count_file(root, data_lines)
    lookup_counts = write_lookups(root)
    write_marker(root, _note(seed, cases, faults))

    duplicates = {stem: 0 for stem in CORE}
    for fault in all_faults:
        if fault.kind == "duplicate_key":
            duplicates[fault.table] += 1
    manifest_path = out / MANIFEST_NAME
    manifest: dict[str, Any] = {
        "generator": f"asylumlens synth {__version__}",
        "synthetic": True,
        "seed": seed,
        "cases": cases,
        "release_date": release_date.isoformat(),
        "faults_enabled": faults,
        "release": root.name,
        "zip": ZIP_NAME if zip else None,
        "contract": "asylumlens.synth.faults (module docstring)",
        "tables": {
            stem: {
                "file": table_path(root, stem).relative_to(out).as_posix(),
                "data_lines": data_lines[stem],
                "count_txt": data_lines[stem],
                "clean_rows": data_lines[stem] - duplicates[stem],
            }
            for stem in CORE
        },
        "lookups": {
            stem: {"file": table_path(root, stem).relative_to(out).as_posix(), "data_lines": n}
            for stem, n in lookup_counts.items()
        },
        "fault_counts": _fault_counts(all_faults),
        "faults": [f.as_json() for f in sorted(all_faults, key=lambda f: (f.table, f.line))],
    }
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", "utf-8")

    zip_path = _zip(root, out / ZIP_NAME) if zip else None
    return SynthResult(root, zip_path, manifest_path, {**data_lines, **lookup_counts})


@dataclass
class _Pending:
    """One table's share of a chunk, ready to write."""

    file: TableFile
    table: pa.Table
    spliced: dict[int, list[bytes]]
    faults: list[Fault]


def _write_batch(batch: list[_Pending]) -> None:
    """Write a chunk's tables and give each fault its physical line number."""
    for item in batch:
        where = item.file.write_chunk(item.table, item.spliced)
        for fault in item.faults:
            fault.line = where[fault.row] + fault.line_offset


def _fault_counts(faults: list[Fault]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for f in faults:
        table = counts.setdefault(f.table, {})
        table[f.kind] = table.get(f.kind, 0) + 1
    return counts


def _zip(root: Path, target: Path) -> Path:
    """Pack the release folder as the real download does: the dated folder at the top."""
    tmp = target.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True) as zf:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            zf.write(path, path.relative_to(root.parent).as_posix())
    tmp.replace(target)
    return target
