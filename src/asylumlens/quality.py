"""A release's data quality: per-table counts from its manifest, and its quarantined rows.

The product rules behind ``asylumlens status`` / ``rejects`` and the web's /data page and
``/api/v1/release``, in one place: which counts a table reports, and how quarantined rows
are selected (a table and a reason checked against the release's own, rows in table and
line order, at most ``limit``). The CLI and the web only render what these return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from asylumlens.errors import QueryError
from asylumlens.manifest import TableEntry
from asylumlens.store import Release

REJECT_COLUMNS: Final = ("table", "line", "reason", "detail", "raw")

_REJECTS_SQL: Final = (
    'SELECT "table", line, reason, detail, raw FROM rejects '
    'WHERE (? IS NULL OR "table" = ?) AND (? IS NULL OR reason = ?) '
    'ORDER BY "table", line LIMIT ?'
)


@dataclass(frozen=True)
class TableQuality:
    """One table of a release as its manifest counts it (None where the manifest is silent)."""

    table: str
    lines: int | None
    loaded: int | None
    repaired: int | None
    quarantined: int | None
    reasons: Mapping[str, int] = field(default_factory=dict)
    """Quarantined lines per reason."""
    repairs: Mapping[str, int] = field(default_factory=dict)
    """Repaired values per kind of repair."""
    count_txt: int | None = None
    count_matches: bool | None = None


def table_quality(release: Release) -> list[TableQuality]:
    """Every table of ``release``, in its manifest's order."""
    tables: Mapping[str, TableEntry] = release.manifest.get("tables", {})
    return [_quality(stem, entry) for stem, entry in tables.items()]


def _quality(stem: str, entry: TableEntry | None) -> TableQuality:
    """One table's counts from its manifest entry; an older manifest may lack any key,
    and an empty entry counts as nothing known."""
    known: TableEntry | dict[str, Any] = entry or {}
    return TableQuality(
        table=stem,
        lines=known.get("lines"),
        loaded=known.get("loaded"),
        repaired=known.get("repaired"),
        quarantined=known.get("quarantined"),
        reasons={str(k): int(v) for k, v in (known.get("reasons") or {}).items()},
        repairs={str(k): int(v) for k, v in (known.get("repairs") or {}).items()},
        count_txt=known.get("count_txt"),
        count_matches=known.get("count_matches"),
    )


def reject_reasons(release: Release) -> list[str]:
    """The quarantine reasons that occur in ``release``, sorted."""
    return sorted({r for t in table_quality(release) for r in t.reasons})


def rejected_rows(
    release: Release, *, table: str | None = None, reason: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Quarantined rows (:data:`REJECT_COLUMNS`) in table and line order, at most ``limit``.

    ``table`` and ``reason`` must be the release's own (a one-line :class:`QueryError`
    naming the valid ones otherwise); they are passed to DuckDB as parameters, never as
    query text.
    """
    known_tables = sorted(release.manifest["tables"])
    if table is not None and table not in known_tables:
        raise QueryError(
            f"--table {table!r} is not in release {release.id}; valid: {', '.join(known_tables)}"
        )
    reasons = reject_reasons(release)
    if reason is not None and reason not in reasons:
        raise QueryError(f"--reason {reason!r}: valid reasons here: {', '.join(reasons) or 'none'}")
    if limit < 1:
        raise QueryError(f"--limit {limit}: give at least 1")
    with release.connect() as con:
        cur = con.execute(_REJECTS_SQL, [table, table, reason, reason, limit])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
