"""Ingest a release end to end: stage it, build the fact table, publish it atomically.

This is the one place that joins ``ingest`` (which knows the layout and its faults) and
``analytics`` (which knows grant rates): the decisions fact table is built from the
staged tables and stored with the release, so every query reads it ready-made.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from asylumlens.errors import ReleaseError
from asylumlens.ingest.load import IngestProgress, stage_release, write_manifest
from asylumlens.ingest.source import ReleaseSource, file_sha256, open_release
from asylumlens.manifest import Manifest
from asylumlens.store import MEMORY_LIMIT, Release, Store, quote_identifier


@dataclass(frozen=True)
class IngestOutcome:
    status: Literal["ingested", "unchanged"]
    release: Release

    @property
    def manifest(self) -> Manifest:
        return self.release.manifest


def _stat_fingerprint(source: ReleaseSource) -> str:
    h = hashlib.sha256()
    for stem in sorted(source.tables):
        st = Path(source.tables[stem].member).stat()
        h.update(f"{stem}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _content_sha(manifest: Manifest) -> str:
    h = hashlib.sha256()
    for stem in sorted(manifest["tables"]):
        h.update(f"{stem}\t{manifest['tables'][stem]['sha256']}\n".encode())
    return h.hexdigest()


def _keys_checked(manifest: Manifest) -> bool:
    """Whether ingest guaranteed unique case and proceeding keys: it checks the first field,
    so only when each table's key is its first column (as EOIR writes them)."""
    firsts = {
        stem: next(iter(manifest["tables"][stem]["columns"]), None)
        for stem in ("A_TblCase", "B_TblProceeding")
    }
    return firsts == {"A_TblCase": "idncase", "B_TblProceeding": "idnproceeding"}


def _existing(store: Store, release_id: str) -> Release | None:
    for rel in store.releases():
        if rel.id == release_id:
            return rel
    return None


def ingest_release(
    path: Path,
    store: Store,
    *,
    progress: IngestProgress | None = None,
    allow_count_mismatch: bool = False,
) -> IngestOutcome:
    """Ingest the release at ``path`` into ``store``; a failure leaves the store as it was.

    A table more than a few lines off its Count.txt row count fails the ingest unless
    ``allow_count_mismatch``.

    Holds the store's ingest lock throughout: a second ingest into the same store fails at
    once with a :class:`~asylumlens.errors.StoreError` rather than waiting. The catalog is
    written at the version's final path before the release becomes visible, so a crash or
    a full disk at any step leaves either the old release or the complete new one (and a
    re-ingest after it is never wrongly "unchanged").
    """
    with store.ingest_lock():
        store.recover()
        return _ingest_locked(path, store, progress, allow_count_mismatch)


def _ingest_locked(
    path: Path, store: Store, progress: IngestProgress | None, allow_count_mismatch: bool
) -> IngestOutcome:
    source = open_release(path)
    release_id = source.release_id
    previous = _existing(store, release_id)
    quick = file_sha256(source.path) if source.is_zip else _stat_fingerprint(source)
    if previous is not None and previous.info.get("quick_fingerprint") == quick:
        return IngestOutcome("unchanged", previous)

    staging = store.new_staging_dir(release_id)
    try:
        manifest = stage_release(
            source,
            staging,
            source_sha256=quick,
            progress=progress,
            memory_limit=MEMORY_LIMIT,
            allow_count_mismatch=allow_count_mismatch,
        )
        if not source.is_zip:
            manifest["release"]["source_sha256"] = _content_sha(manifest)
        manifest["release"]["quick_fingerprint"] = quick
        if previous is not None and (
            previous.info.get("source_sha256") == manifest["release"]["source_sha256"]
        ):
            shutil.rmtree(staging, ignore_errors=True)
            return IngestOutcome("unchanged", previous)
        staged = Release(release_id, staging)
        from asylumlens.analytics.decisions import build_decisions
        from asylumlens.analytics.rollups import asylum_rows, build_rollups, check_rollups

        con = staged.connect()
        try:
            rows = build_decisions(
                con,
                staging / "decisions.parquet",
                memory_limit=MEMORY_LIMIT,
                keys_unique=_keys_checked(manifest),
            )
            manifest["decisions"] = {"rows": rows}
            written = build_rollups(con, staging / "decisions.parquet", staging)
            problems = check_rollups(written, asylum_rows(con, staging / "decisions.parquet"))
            if problems:
                raise ReleaseError("rollups do not reconcile: " + "; ".join(problems))
            manifest["rollups"] = {
                name: {"rows": block["rows"], "decisions": block["decisions"]}
                for name, block in written.items()
            }
        finally:
            con.close()
        write_manifest(staging, manifest)
        release = store.publish(staging, release_id, finish=write_catalog)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if exc.errno == errno.ENOSPC:
            raise ReleaseError(
                f"no space left on device while writing {exc.filename or store.root}; "
                "the store is unchanged"
            ) from exc
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return IngestOutcome("ingested", release)


def write_catalog(release: Release) -> Path:
    """``catalog.duckdb`` beside the Parquet: views for users who open DuckDB directly.

    Its views hold absolute paths, so :meth:`Store.publish` has it written at the version's
    final folder, before the release becomes visible; the library itself never needs it
    (:meth:`Release.connect` builds the same views in memory).
    """
    import duckdb

    target = release.path / "catalog.duckdb"
    tmp = release.path / "catalog.duckdb.tmp"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for name, sql in release.view_definitions().items():
            con.execute(f"CREATE OR REPLACE VIEW {quote_identifier(name)} AS {sql}")
        con.execute(
            "CREATE OR REPLACE TABLE release_info AS SELECT ? AS manifest",
            [json.dumps(release.manifest)],
        )
    finally:
        con.close()
    tmp.replace(target)
    return target
