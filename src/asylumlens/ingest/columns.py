"""A table's columns from its header: their keys and kinds, the layout columns they map to,
and what the header renamed, lacks or adds (recorded in the manifest).
"""

from __future__ import annotations

from typing import Any

from asylumlens.errors import ReleaseError
from asylumlens.layout import TABLES, Column, Kind, kind_from_name, normalise_name

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "A_TblCase": ("idncase", "nat", "case_type"),
    "B_TblProceeding": ("idnproceeding", "idncase", "comp_date", "ij_code", "base_city_code"),
    "tbl_Court_Appln": ("idnproceedingappln", "idnproceeding", "idncase", "appl_code", "appl_dec"),
}


def table_columns(
    stem: str, header: str, file: str
) -> tuple[list[tuple[str, Kind]], list[Column], dict[str, Any]]:
    """Typed columns in header order, the layout columns they map to, and header notes."""
    spec = TABLES.get(stem)
    by_key = {c.key: c for c in spec.columns} if spec else {}
    names = header.split("\t")
    columns: list[tuple[str, Kind]] = []
    layout_cols: list[Column] = []
    renamed: dict[str, str] = {}
    seen: set[str] = set()
    for name in names:
        key = normalise_name(name)
        if not key:
            key = f"column{len(columns) + 1}"
        while key in seen:
            key += "_2"
        seen.add(key)
        known = by_key.get(key)
        if known is not None and known.name != name.strip():
            renamed[name] = known.name
        kind = known.kind if known is not None else kind_from_name(name)
        columns.append((key, kind))
        layout_cols.append(known if known is not None else Column(name.strip(), kind))
    keys = {k for k, _ in columns}
    for required in REQUIRED_COLUMNS.get(stem, ()):
        if required not in keys:
            expected = by_key[required].name if required in by_key else required
            raise ReleaseError(
                f"{file}: header has no column {expected} (line 1); found: {', '.join(names)}"
            )
    missing = [c.name for c in spec.columns if c.key not in keys] if spec else []
    extra = [n for n, (k, _) in zip(names, columns, strict=True) if k not in by_key] if spec else []
    notes = {"renamed": renamed, "missing": missing, "extra": extra}
    return columns, layout_cols, notes
