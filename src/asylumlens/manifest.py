"""The shape of a release's ``manifest.json``, once, for everyone who writes or reads it.

Ingest writes the manifest (:mod:`asylumlens.ingest.manifest`, the per-table reports of
:mod:`asylumlens.ingest.report`, the pipeline's ``quick_fingerprint``, ``decisions`` and
``rollups``);
the store loads it (:func:`asylumlens.store.load_manifest`); ``asylumlens status``,
``releases``, ``update``, the web's provenance footer and data page read it. These
:class:`~typing.TypedDict` s say which keys each block holds and their types, so mypy checks
every one of those places against the writer. They are plain dicts at run time (a
manifest is exactly what ``json.loads`` returns), so typing it changes no behaviour.

A key marked ``NotRequired`` is one a manifest may lack: added after the first writer
(``quick_fingerprint``, ``decisions``, ``rollups``), only present when there is something to say
(``out_of_lookup``, ``orphans``), or absent from manifests of older AsylumLens versions
that a store still serves. Readers use ``.get`` for those.

No ``from __future__ import annotations`` here: the classes' ``__required_keys__`` must
see ``NotRequired`` at run time. This module imports nothing of the package: it sits at
the bottom of the layers (``pyproject.toml``'s import contract), importable by ingest, the
store, releases, the CLI and the web alike.
"""

from typing import Literal, NotRequired, TypedDict


class IgnoredFile(TypedDict):
    """A file of the release that is no table of the EOIR layout (listed, not read)."""

    path: str
    reason: str


class ReleaseBlock(TypedDict):
    """``manifest["release"]``: what the release is and where it came from."""

    id: str
    date: str | None
    """The release date, ISO (``2026-11-01``), when the release's name gives one."""
    folder: str | None
    source: str
    """The path ingested (the web shows only its name), or the URL it was fetched from."""
    source_kind: Literal["zip", "folder"]
    source_sha256: str
    """SHA-256 of the zip; of a folder, of its tables' SHA-256s (the pipeline's)."""
    fingerprint: str
    synthetic: bool
    synthetic_note: str | None
    """Why the release is SYNTHETIC (the generator's note), None for EOIR data."""
    count_txt: bool
    """Whether the release carried a Count.txt to check line counts against."""
    ignored: list[IgnoredFile]
    """The first ignored files (``ignored_total`` counts them all)."""
    ignored_total: int
    ingested_at: str
    """UTC, ``2026-11-02T10:00:00Z``."""
    asylumlens_version: str
    duration_s: float
    integrity_seconds: float
    quick_fingerprint: NotRequired[str]
    """The pipeline's cheap "same input?" check (zip SHA-256, or file sizes and times)."""


class Totals(TypedDict):
    """``manifest["totals"]``: the tables' counts summed."""

    lines: int
    loaded: int
    repaired: int
    quarantined: int


class HeaderNotes(TypedDict):
    """How a table's header differed from the layout's."""

    renamed: dict[str, str]
    missing: list[str]
    extra: list[str]


class StageSeconds(TypedDict):
    survey: float
    type: float
    resolve: float


class OutOfLookup(TypedDict):
    """Rows of one column whose code the release's own lookup does not list."""

    rows: int
    codes: dict[str, int]
    """The most frequent such codes (at most 20) with their row counts."""
    lookup: str


class TableEntry(TypedDict):
    """``manifest["tables"][stem]``: one table's ingest report (every line accounted for:
    ``lines`` = ``loaded`` + ``quarantined``)."""

    file: str
    folder: str
    bytes: int
    sha256: str
    lines: int
    loaded: int
    repaired: int
    quarantined: int
    reasons: dict[str, int]
    """Quarantined lines per reason."""
    repairs: dict[str, int]
    """Repaired values per kind of repair."""
    column_repairs: dict[str, dict[str, int]]
    crlf_lines: int
    non_ascii_lines: int
    side_lines: int
    count_txt: int | None
    count_matches: bool | None
    count_difference: int | None
    header: HeaderNotes
    columns: dict[str, str]
    """Column name -> DuckDB type, in file order."""
    seconds: float
    stage_seconds: StageSeconds
    out_of_lookup: NotRequired[dict[str, OutOfLookup]]
    orphans: NotRequired[dict[str, int]]
    """``"key -> parent"`` -> rows whose parent row is missing."""


class DecisionsBlock(TypedDict):
    """``manifest["decisions"]``: the asylum-decision fact table the pipeline built."""

    rows: int


class RollupBlock(TypedDict):
    """``manifest["rollups"][name]``: a rollup's rows and the ASYL decisions it counts."""

    rows: int
    decisions: int


class Manifest(TypedDict):
    """A release's ``manifest.json``."""

    release: ReleaseBlock
    totals: Totals
    tables: dict[str, TableEntry]
    decisions: NotRequired[DecisionsBlock]
    rollups: NotRequired[dict[str, RollupBlock]]
