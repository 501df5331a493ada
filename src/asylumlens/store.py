"""The store: ingested releases side by side, each a folder of typed Parquet plus a manifest.

Layout (one folder per release, immutable once published)::

    <root>/releases/<release id>/manifest.json          counts, repairs, rejects, provenance
    <root>/releases/<release id>/tables/<stem>/*.parquet typed rows of each release table
    <root>/releases/<release id>/rejects.parquet        quarantined rows: table, line, raw, reason
    <root>/releases/<release id>/repairs.parquet        row-level repairs: table, line, kind, detail
    <root>/releases/<release id>/decisions.parquet      the asylum-decision fact table (analytics)
    <root>/releases/<release id>/catalog.duckdb         DuckDB views over the above, for direct use
    <root>/staging/                                     ingests in progress (never read)

A release becomes visible only by one atomic rename of its finished folder into
``releases/``, so a failed or killed ingest leaves every published release as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb

from asylumlens.errors import StoreError
from asylumlens.layout import RELEASE_TABLES

DEFAULT_STORE = Path("asylumlens-data")
STORE_ENV = "ASYLUMLENS_STORE"
RELEASES_DIR = "releases"
STAGING_DIR = "staging"
MANIFEST = "manifest.json"


def resolve_store_root(path: Path | None) -> Path:
    """``--store`` if given, else ``$ASYLUMLENS_STORE``, else ``./asylumlens-data``."""
    if path is not None:
        return path
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


@dataclass(frozen=True)
class Release:
    """One published release in the store."""

    id: str
    path: Path

    @cached_property
    def manifest(self) -> dict[str, Any]:
        with (self.path / MANIFEST).open(encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
        return data

    @property
    def info(self) -> dict[str, Any]:
        """The manifest's ``release`` block: id, date, source, SHA-256, synthetic flag."""
        info: dict[str, Any] = self.manifest["release"]
        return info

    @property
    def synthetic(self) -> bool:
        return bool(self.info.get("synthetic", False))

    @property
    def release_date(self) -> date | None:
        raw = self.info.get("date")
        return date.fromisoformat(raw) if raw else None

    def table_glob(self, stem: str) -> Path:
        return self.path / "tables" / stem / "*.parquet"

    def table_stems(self) -> list[str]:
        tables = self.path / "tables"
        return sorted(p.name for p in tables.iterdir() if p.is_dir()) if tables.exists() else []

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one view per table of this release.

        Views are named by table stem (``A_TblCase``, ``B_TblProceeding``, ...; DuckDB
        identifiers are case-insensitive) plus ``rejects``, ``repairs`` and ``decisions``
        where present. Paths are absolute, so the store can be moved between uses.
        """
        con = duckdb.connect()
        for name, sql in self.view_definitions().items():
            con.execute(f"CREATE VIEW {quote_identifier(name)} AS {sql}")
        return con

    def view_definitions(self) -> dict[str, str]:
        """View name -> SELECT over this release's Parquet.

        View names are only ever the layout's table stems (``layout.RELEASE_TABLES``) and
        our three extras: a folder under ``tables/`` with any other name (written by hand,
        or by a version that took names from the release) is not a view. The paths are
        quoted as SQL strings.
        """
        views: dict[str, str] = {}
        present = set(self.table_stems())
        for stem in sorted(s for s in RELEASE_TABLES if s in present):
            pattern = str(self.table_glob(stem)).replace("'", "''")
            # _repairs stays: it traces value-level repairs. (Releases stored by AsylumLens
            # 0.1 also carry _bad and _raw, empty in loaded rows; they are left out.)
            views[stem] = (
                "SELECT COLUMNS(lambda c: c NOT IN ('_bad', '_raw')) "
                f"FROM read_parquet('{pattern}', union_by_name = true)"
            )
        for extra in ("rejects", "repairs", "decisions"):
            file = self.path / f"{extra}.parquet"
            if file.exists():
                quoted = str(file).replace("'", "''")
                views[extra] = f"SELECT * FROM read_parquet('{quoted}')"
        return views


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (our own names only; quoting is a second guard)."""
    return '"' + name.replace('"', '""') + '"'


class Store:
    """A folder of releases. Cheap to construct; reads the disk on each call."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def resolve(cls, path: Path | None = None) -> Store:
        return cls(resolve_store_root(path))

    @property
    def releases_dir(self) -> Path:
        return self.root / RELEASES_DIR

    @property
    def staging_dir(self) -> Path:
        return self.root / STAGING_DIR

    def releases(self) -> list[Release]:
        """Published releases, oldest first (by release date, then id)."""
        if not self.releases_dir.is_dir():
            return []
        found = [
            Release(p.name, p)
            for p in self.releases_dir.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).exists()
        ]
        return sorted(found, key=lambda r: (r.release_date or date.min, r.id))

    def release(self, release_id: str | None = None) -> Release:
        """The named release, or the newest one when ``release_id`` is None."""
        releases = self.releases()
        if not releases:
            raise StoreError(
                f"no release in store {self.root} - run `asylumlens ingest PATH` first "
                "(or `asylumlens synth` to make a synthetic one)"
            )
        if release_id is None:
            return releases[-1]
        for rel in releases:
            if rel.id == release_id:
                return rel
        valid = ", ".join(r.id for r in releases)
        raise StoreError(f"no release {release_id!r} in store {self.root}; valid: {valid}")

    def new_staging_dir(self, release_id: str) -> Path:
        """A fresh private folder for an ingest in progress."""
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        path = self.staging_dir / f"{release_id}.{os.getpid()}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
        return path

    def publish(self, staged: Path, release_id: str) -> Release:
        """Atomically make a finished staging folder the release ``release_id``.

        A release of the same id is replaced: it is first renamed aside, the new one is
        renamed in, then the old one is deleted. Each step is a single rename, so a reader
        sees the old release or the new one, never a half-written folder.
        """
        self.releases_dir.mkdir(parents=True, exist_ok=True)
        target = self.releases_dir / release_id
        aside: Path | None = None
        if target.exists():
            aside = self.releases_dir / f".{release_id}.old.{os.getpid()}"
            os.replace(target, aside)
        try:
            os.replace(staged, target)
        except OSError:
            if aside is not None:
                os.replace(aside, target)
            raise
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        _fsync_dir(self.releases_dir)
        return Release(release_id, target)

    def recover(self) -> None:
        """Undo what a killed ingest left: stale staging folders, half-swapped releases."""
        if self.releases_dir.is_dir():
            for aside in self.releases_dir.glob(".*.old.*"):
                release_id = aside.name[1:].split(".old.")[0]
                target = self.releases_dir / release_id
                if target.exists():
                    shutil.rmtree(aside, ignore_errors=True)
                else:
                    os.replace(aside, target)
        if self.staging_dir.is_dir():
            for stale in self.staging_dir.iterdir():
                pid = stale.name.rsplit(".", 1)[-1]
                if not (pid.isdigit() and _process_alive(int(pid))):
                    shutil.rmtree(stale, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
