"""The store: ingested releases side by side, each a folder of typed Parquet plus a manifest.

Layout::

    <root>/releases/<id>                  a symlink to the published version of release <id>
    <root>/data/<id>.<stamp>/             one published version; never changed once linked
        PUBLISHED                         completion marker: written last, catalog included
        manifest.json                     counts, repairs, rejects, provenance
        tables/<stem>/*.parquet           typed rows of each release table
        rejects.parquet, repairs.parquet  quarantined rows; row-level repairs
        decisions.parquet                 the asylum-decision fact table (analytics)
        catalog.duckdb                    DuckDB views over the above, for direct use
    <root>/staging/<id>.<pid>/            ingests in progress (never read)
    <root>/ingest.lock                    held by the one ingest running (see locks.py)

A release becomes visible only when its version folder is complete, catalog and marker
included, by one atomic rename of a new symlink over ``releases/<id>``; a crash at any
step leaves the old version or the new one, never none and never half (the steps and the
test hook that crashes at each: :mod:`asylumlens.crashpoints`). A replaced version is not
deleted under its readers: a process that opened it holds a read pin, and the next ingest
removes only versions nobody pins. A store written before this layout keeps its releases
as plain folders in ``releases/`` until the next ingest moves them into ``data/``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Final, cast
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import duckdb

from asylumlens import locks
from asylumlens.crashpoints import crash_point
from asylumlens.errors import StoreError
from asylumlens.layout import RELEASE_TABLES
from asylumlens.manifest import Manifest, ReleaseBlock

DEFAULT_STORE = Path("asylumlens-data")
MEMORY_LIMIT = "3GB"
"""DuckDB's buffer limit for the store's heavy work (ingest, diffs, history); beyond it
DuckDB spills to disk. Here, not in the pipeline, so readers need not import the ingest."""
STORE_ENV = "ASYLUMLENS_STORE"
RELEASES_DIR = "releases"
STAGING_DIR = "staging"
DATA_DIR = "data"
MANIFEST = "manifest.json"
MARKER = "PUBLISHED"

RELEASE_TYPO_CUTOFF: Final = 0.8
"""How alike (difflib's ratio, 0..1) a mistyped id must be to a release id to be offered
as "did you mean": ids are dates, so any two share most characters (``2026-1101`` is 0.95
from ``2026-11-01``, ``1999-01-01`` only 0.5)."""


def resolve_store_root(path: Path | str | None) -> Path:
    """``--store`` if given, else ``$ASYLUMLENS_STORE``, else ``./asylumlens-data``; a
    ``file://`` URI names its folder (:func:`store_folder`)."""
    if path is not None:
        return store_folder(path)
    env = os.environ.get(STORE_ENV)
    return store_folder(env) if env else DEFAULT_STORE


STORE_URI_SCHEMES: Final = ("file",)
_URI_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
"""URI schemes a store may be named by. The manifests, locks and symlinks of a store are
read through the local file system, so a cluster store on ``hdfs://`` or ``s3a://`` must be
mounted (or copied) as a folder first; docs/scale.md says what a cluster needs."""


def store_folder(location: Path | str) -> Path:
    """The folder a store location names: a path, or a ``file://`` URI (``file:///data/s``;
    ``file:/data/s`` too, as a path-typed option collapses the slashes). Any other scheme
    (``hdfs://``, ``s3a://``) is a StoreError naming the ones supported."""
    text = str(location)
    found = _URI_SCHEME.match(text)
    if found is None:
        return Path(location)  # a plain path (a Windows drive letter is one letter)
    scheme = found.group(1)
    if scheme.lower() not in STORE_URI_SCHEMES:
        raise StoreError(
            f"store URI scheme {scheme}: is not supported (supported: file://); mount the "
            "store as a folder (docs/scale.md)"
        )
    parsed = urlparse(text)
    if parsed.netloc not in ("", "localhost"):
        raise StoreError("a file:// store URI must name a local folder (file:///path)")
    return Path(url2pathname(unquote(parsed.path)))


def load_manifest(file: Path) -> Manifest:
    """Read a release manifest, or raise one line naming the file and what is wrong.

    Checked: a JSON object with ``release`` and ``tables`` objects; the rest of
    :class:`~asylumlens.manifest.Manifest` is what ingest wrote (older manifests may lack
    keys, which readers take with ``.get``)."""
    try:
        data = json.loads(file.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise StoreError(f"{file}: cannot read the manifest ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise StoreError(f"{file}: not a valid manifest (not UTF-8: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise StoreError(f"{file}: not a valid manifest ({exc})") from None
    if not isinstance(data, dict):
        raise StoreError(f"{file}: not a valid manifest (not a JSON object)")
    for block in ("release", "tables"):
        if not isinstance(data.get(block), dict):
            raise StoreError(f"{file}: not a valid manifest (no {block!r} object)")
    return cast(Manifest, data)


def closest_release_ids(release_id: str, valid: Iterable[str]) -> list[str]:
    """Every id of ``valid``, the most like ``release_id`` first (difflib's ratio; equal
    ones as difflib ranks them): how an unknown id's error lists the valid ones."""
    ids = list(valid)
    if not ids:
        return []
    ranked = difflib.get_close_matches(release_id, ids, n=len(ids), cutoff=0.0)
    return ranked + [i for i in ids if i not in ranked]


def mistyped_release_ids(release_id: str, valid: Iterable[str]) -> list[str]:
    """The id (or the ids, when equally alike) of ``valid`` most like ``release_id``, if
    it is at least :data:`RELEASE_TYPO_CUTOFF` alike: the one a typo probably meant. Only
    the closest, since monthly ids differ from their neighbours in one or two characters."""
    scored = [(difflib.SequenceMatcher(None, release_id, i).ratio(), i) for i in valid]
    best = max((score for score, _ in scored), default=0.0)
    if best < RELEASE_TYPO_CUTOFF:
        return []
    return [i for score, i in scored if score == best]


@dataclass(frozen=True)
class Release:
    """One published release in the store."""

    id: str
    path: Path

    @cached_property
    def manifest(self) -> Manifest:
        """The parsed ``manifest.json``; a :class:`StoreError` naming the file if it cannot
        be read or is not a manifest (the store lists such a release as damaged)."""
        return load_manifest(self.path / MANIFEST)

    @property
    def info(self) -> ReleaseBlock:
        """The manifest's ``release`` block: id, date, source, SHA-256, synthetic flag."""
        return self.manifest["release"]

    @property
    def synthetic(self) -> bool:
        return bool(self.info.get("synthetic", False))

    @property
    def release_date(self) -> date | None:
        raw = self.info.get("date")
        if not raw:
            return None
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise StoreError(
                f"{self.path / MANIFEST}: release date {raw!r} is not an ISO date"
            ) from None

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


@dataclass(frozen=True)
class DamagedRelease:
    """A release the store cannot read: listed by ``asylumlens releases``, never served."""

    id: str
    path: Path
    problem: str


@dataclass
class _Scan:
    """What a reader sees on disk: each release id's folder, the damaged ones, and whether
    a killed publish left something that a repair would tidy (a temporary link, a folder
    moved aside, a complete version not yet linked)."""

    folders: dict[str, Path] = field(default_factory=dict)
    damaged: dict[str, DamagedRelease] = field(default_factory=dict)
    untidy: bool = False


class Store:
    """A folder of releases. Cheap to construct; reads the disk on each call.

    Every read path sees a consistent store, whatever instant an ingest was killed at: a
    release id is its linked version, else (a publish killed between marking and linking)
    its newest complete version, else a folder an older AsylumLens moved aside. A read
    that finds such leftovers repairs the links when no ingest is running (best effort:
    a read-only store is read as it is); deleting stale folders is left to the next ingest.
    """

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

    @property
    def data_dir(self) -> Path:
        return self.root / DATA_DIR

    # --- reading ----------------------------------------------------------------------

    def releases(self) -> list[Release]:
        """Published, readable releases, oldest first (by release date, then id)."""
        return self._readable()[0]

    def damaged(self) -> list[DamagedRelease]:
        """Releases whose manifest (or link) is broken, by id; the others stay usable."""
        return self._readable()[1]

    def release(self, release_id: str | None = None) -> Release:
        """The named release, or the newest one when ``release_id`` is None.

        The version found is pinned for the rest of this process (see :mod:`asylumlens.locks`),
        so a re-ingest of the same id never deletes the files this process reads.
        """
        for _ in range(8):
            rel = self._pick(release_id)
            if locks.pin(rel.path):
                if self._scan().folders.get(rel.id) == rel.path:
                    return rel
                locks.unpin(rel.path)  # replaced between the look-up and the pin
        raise StoreError(f"{self.root}: release {release_id!r} keeps changing; try again")

    def _pick(self, release_id: str | None) -> Release:
        releases, damaged = self._readable()
        if release_id is not None:
            for rel in releases:
                if rel.id == release_id:
                    return rel
            for bad in damaged:
                if bad.id == release_id:
                    raise StoreError(bad.problem)
        if not releases:
            broken = f" ({len(damaged)} damaged: see `asylumlens releases`)" if damaged else ""
            raise StoreError(
                f"no release in store {self.root}{broken} - run `asylumlens ingest PATH` first "
                "(or `asylumlens synth` to make a synthetic one)"
            )
        if release_id is None:
            return releases[-1]
        ids = [r.id for r in releases]
        meant = mistyped_release_ids(release_id, ids)
        hint = f"; did you mean {' or '.join(meant)}?" if meant else ""
        raise StoreError(
            f"no release {release_id!r} in store {self.root}; valid: {', '.join(ids)}{hint}"
        )

    def _readable(self) -> tuple[list[Release], list[DamagedRelease]]:
        scan = self._scan()
        if scan.untidy and locks.try_ingest_lock(self.root):
            try:
                self._repair_links()
            except OSError:
                pass  # a store we may not write: the scan below reads it as it is
            finally:
                locks.release_ingest_lock(self.root)
            scan = self._scan()
        found: list[tuple[date, str, Release]] = []
        damaged = dict(scan.damaged)
        for rid, folder in scan.folders.items():
            rel = Release(rid, folder)
            try:
                found.append((rel.release_date or date.min, rid, rel))
            except StoreError as exc:
                damaged[rid] = DamagedRelease(rid, folder, str(exc))
        found.sort(key=lambda item: (item[0], item[1]))
        return [rel for _, _, rel in found], [damaged[k] for k in sorted(damaged)]

    def _scan(self) -> _Scan:
        scan = _Scan()
        asides: dict[str, Path] = {}
        if self.releases_dir.is_dir():
            for entry in sorted(self.releases_dir.iterdir()):
                name = entry.name
                if name.startswith("."):
                    scan.untidy = True
                    if ".old." in name and (entry / MANIFEST).is_file():
                        asides.setdefault(name[1:].split(".old.")[0], entry)
                    continue
                if entry.is_symlink():
                    target = entry.resolve()
                    if (target / MARKER).is_file():
                        scan.folders[name] = target
                    else:
                        scan.damaged[name] = DamagedRelease(
                            name, entry, f"{entry}: links to {target}, which is not a release"
                        )
                elif entry.is_dir() and (entry / MANIFEST).exists():
                    scan.folders[name] = entry  # a plain folder: AsylumLens 0.1's layout
        for rid, aside in asides.items():  # AsylumLens 0.1 killed between its two renames
            if rid not in scan.folders and rid not in scan.damaged:
                scan.folders[rid] = aside
        for rid, version in self._unlinked_versions(scan).items():
            scan.folders[rid] = version
            scan.untidy = True
        return scan

    def _unlinked_versions(self, scan: _Scan) -> dict[str, Path]:
        """The newest complete version of each id that has no link (a publish killed
        after its marker was written): it is the release."""
        newest: dict[str, Path] = {}
        if not self.data_dir.is_dir():
            return newest
        for version in sorted(self.data_dir.iterdir()):
            rid = version.name.rpartition(".")[0]
            if not rid or rid in scan.folders or rid in scan.damaged:
                continue
            if (version / MARKER).is_file():
                newest[rid] = version  # sorted by stamp, so the last one wins
        return newest

    # --- writing ----------------------------------------------------------------------

    def ingest_lock(self) -> AbstractContextManager[None]:
        """Hold the store's ingest lock; a :class:`StoreError` at once if another process
        is ingesting into this store."""
        return locks.ingest_lock(self.root)

    def new_staging_dir(self, release_id: str) -> Path:
        """A fresh private folder for an ingest in progress."""
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        path = self.staging_dir / f"{release_id}.{os.getpid()}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
        return path

    def publish(
        self,
        staged: Path,
        release_id: str,
        finish: Callable[[Release], object] | None = None,
    ) -> Release:
        """Make a finished staging folder the release ``release_id``, atomically end to end.

        The folder is moved to ``data/<id>.<stamp>`` (invisible), ``finish`` runs on it at
        its final path (the pipeline writes ``catalog.duckdb`` there, whose views hold
        absolute paths), the ``PUBLISHED`` marker is written and synced, and only then one
        rename of a new symlink over ``releases/<id>`` makes it visible. The version it
        replaces is removed unless a reader pins it. Holds the ingest lock throughout.
        """
        with self.ingest_lock():
            crash_point("staged")
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.releases_dir.mkdir(parents=True, exist_ok=True)
            version = self.data_dir.resolve() / f"{release_id}.{_stamp()}"
            previous = self._scan().folders.get(release_id)
            os.replace(staged, version)
            try:
                crash_point("moved")
                release = Release(release_id, version)
                if finish is not None:
                    finish(release)
                crash_point("catalog")
                _write_marker(version, release_id, catalog=finish is not None)
                crash_point("marked")
                self._link(release_id, version)
            except BaseException:
                shutil.rmtree(version, ignore_errors=True)
                raise
            crash_point("linked")
            if previous is not None and previous.resolve() != version:
                self._collect(previous.resolve())
            crash_point("collected")
            return release

    def recover(self) -> None:
        """Tidy what killed ingests left, under the ingest lock (a :class:`StoreError` if
        an ingest is running): repair links, move AsylumLens 0.1's plain release folders
        into ``data/``, delete stale staging folders and every version that is neither
        linked nor pinned by a reader."""
        with self.ingest_lock():
            self._repair_links()
            for aside in self.releases_dir.glob(".*.old.*"):  # 0.1's, its release restored
                shutil.rmtree(aside, ignore_errors=True)
            self._migrate_plain_folders()
            linked = {folder.resolve() for folder in self._scan().folders.values()}
            if self.data_dir.is_dir():
                for version in self.data_dir.iterdir():
                    if version.resolve() not in linked:
                        self._collect(version.resolve())
            if self.staging_dir.is_dir():
                for stale in self.staging_dir.iterdir():
                    shutil.rmtree(stale, ignore_errors=True)

    def _repair_links(self) -> None:
        """Make ``releases/`` say what :meth:`_scan` reads (ingest lock held)."""
        if self.releases_dir.is_dir():
            for entry in self.releases_dir.iterdir():
                name = entry.name
                if name.startswith(".") and ".link." in name:
                    entry.unlink(missing_ok=True)  # a publish killed before its rename
                elif name.startswith(".") and ".old." in name:
                    target = self.releases_dir / name[1:].split(".old.")[0]
                    if not os.path.lexists(target):
                        os.replace(entry, target)
        for rid, version in self._unlinked_versions(self._scan_links_only()).items():
            self._link(rid, version)

    def _scan_links_only(self) -> _Scan:
        scan = _Scan()
        if self.releases_dir.is_dir():
            for entry in self.releases_dir.iterdir():
                if not entry.name.startswith(".") and os.path.lexists(entry):
                    scan.folders[entry.name] = entry
        return scan

    def _migrate_plain_folders(self) -> None:
        """Move each plain ``releases/<id>/`` folder into ``data/`` behind a link. The marker
        goes in first, so at every instant a reader finds the release at one of the two."""
        if not self.releases_dir.is_dir():
            return
        for entry in self.releases_dir.iterdir():
            if entry.name.startswith(".") or entry.is_symlink() or not entry.is_dir():
                continue
            if not (entry / MANIFEST).exists():
                continue
            catalog = (entry / "catalog.duckdb").exists()
            _write_marker(entry, entry.name, catalog=catalog)
            self.data_dir.mkdir(parents=True, exist_ok=True)
            version = self.data_dir / f"{entry.name}.{_stamp()}"
            os.replace(entry, version)
            self._link(entry.name, version)

    def _link(self, release_id: str, version: Path) -> None:
        """Point ``releases/<id>`` at ``version`` by one rename of a fresh relative symlink
        (relative, so the store can be moved). A plain folder in the way (0.1's layout) is
        moved into ``data/`` first; meanwhile readers find the new, marked version there."""
        self.releases_dir.mkdir(parents=True, exist_ok=True)
        target = self.releases_dir / release_id
        tmp = self.releases_dir / f".{release_id}.link.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(version, self.releases_dir), tmp)
        if target.is_dir() and not target.is_symlink():
            os.replace(target, self.data_dir / f"{release_id}.{_stamp()}")
        os.replace(tmp, target)
        _fsync_dir(self.releases_dir)

    def _collect(self, version: Path) -> None:
        """Delete a version nobody links to, unless some process pins it (then the next
        ingest tries again)."""
        if locks.pinned(version):
            return
        with locks.exclusive_if_unused(version) as unused:
            if unused:
                shutil.rmtree(version, ignore_errors=True)


def _stamp() -> str:
    """A version suffix that sorts in publication order (hex nanoseconds, fixed width)."""
    return f"{time.time_ns():016x}"


def _write_marker(folder: Path, release_id: str, *, catalog: bool) -> None:
    """The completion marker, synced (with the folder) before the release can be linked."""
    marker = folder / MARKER
    body = {
        "release": release_id,
        "catalog": catalog,
        "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    tmp = folder / f".{MARKER}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(body, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, marker)
    _fsync_dir(folder)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
