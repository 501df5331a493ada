"""The books of one ingest: rejected (quarantined) lines and repairs, and the damage ceiling.

Every line read is loaded or quarantined; a table mostly damaged fails the ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from asylumlens.errors import ReleaseError
from asylumlens.ingest.source import TableFile
from asylumlens.layout import CORE_TABLES

MAX_DAMAGED_SHARE = 0.10
"""The largest share of a table's lines that may be realigned or quarantined (10%). Real
releases damage a few lines per million; past this share the table is not what its header
says (columns shifted, a wrong file), and the ingest fails rather than publish it."""


DAMAGE_FLOOR = 100
"""The ceiling applies from this many damaged lines on: a tiny table with a few bad rows
is reported, not refused. (A core table must still mostly load, see
:func:`check_damage`.)"""


REJECT_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("raw", pa.string()),
    ]
)


REPAIR_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("line", pa.int64()),
        ("kind", pa.string()),
        ("column", pa.string()),
    ]
)


@dataclass
class Books:
    """Rejects and repairs collected for one table."""

    rejects: list[tuple[str, int | None, str, str, str]] = field(default_factory=list)
    repairs: list[tuple[str, int | None, str, str | None]] = field(default_factory=list)


def write_books(path: Path, rows: list[Any], schema: pa.Schema) -> None:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    table = pa.table(
        {f.name: pa.array(list(col), type=f.type) for f, col in zip(schema, columns, strict=True)},
        schema=schema,
    )
    pq.write_table(table, path, compression="zstd")


def check_damage(
    table: TableFile, lines: int, loaded: int, quarantined: int, realigned: int
) -> None:
    """Fail a table mostly damaged: over :data:`MAX_DAMAGED_SHARE` of its lines realigned
    or quarantined (from :data:`DAMAGE_FLOOR` lines on), or, for a core table
    (``layout.CORE_TABLES``), no row loaded or most lines quarantined."""
    damaged = quarantined + realigned
    if damaged >= DAMAGE_FLOOR and damaged > MAX_DAMAGED_SHARE * lines:
        raise ReleaseError(
            f"{table.member}: {table.stem}: {damaged:,} of {lines:,} lines "
            f"({damaged / lines:.1%}) had to be realigned or quarantined, over the "
            f"{MAX_DAMAGED_SHARE:.0%} ceiling: the table is not what its header says"
        )
    if table.stem not in CORE_TABLES:
        return
    if loaded == 0:
        raise ReleaseError(
            f"{table.member}: {table.stem} has no loadable row ({lines:,} lines read, "
            f"{quarantined:,} quarantined); a release needs its core tables"
        )
    if 2 * quarantined > lines:
        raise ReleaseError(
            f"{table.member}: {table.stem}: {quarantined:,} of {lines:,} lines "
            f"({quarantined / lines:.1%}) quarantined; most of a core table must load"
        )
