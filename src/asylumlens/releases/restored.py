"""A release with an earlier release's decision codes put back: what recodes alone moved.

Between two releases a grant rate moves for three reasons: new decisions, deleted records,
and decisions EOIR recoded. To isolate the last, the newer release's fact table is built
again with, on every application and proceeding present in both releases, the older
release's ``appl_dec`` / ``dec_code``; the rate of the newer release minus the rate of this
"restored" one is the move due to recodes (everything else, rows and dates, is the newer
release's). The rebuilt fact table is written by :func:`asylumlens.analytics.build_decisions`
(the ingest's own DuckDB build) into a temporary folder holding only ``decisions.parquet``
and the newer release's manifest, so :func:`asylumlens.analytics.rates` reads it on either
engine exactly as it reads a published release.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from asylumlens.analytics import build_decisions
from asylumlens.store import MANIFEST, Release, quote_identifier

RESTORED_CODES: Final[dict[str, tuple[str, str]]] = {
    "tbl_Court_Appln": ("idnproceedingappln", "appl_dec"),
    "B_TblProceeding": ("idnproceeding", "dec_code"),
}
"""Per table: its key and the decision column whose older value is put back."""


@contextmanager
def restored_release(old: Release, new: Release) -> Iterator[Release]:
    """``new`` with ``old``'s decision codes on the records in both (module docstring),
    as a temporary release (same id and manifest as ``new``), removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="asylumlens-restored-"))
    try:
        con = new.connect()
        try:
            old_views = old.view_definitions()
            for stem, (key, column) in RESTORED_CODES.items():
                base, prior = quote_identifier(f"new_{stem}"), quote_identifier(f"old_{stem}")
                k, c = quote_identifier(key), quote_identifier(column)
                con.execute(f"ALTER VIEW {quote_identifier(stem)} RENAME TO {base}")
                con.execute(f"CREATE VIEW {prior} AS {old_views[stem]}")
                con.execute(
                    f"CREATE VIEW {quote_identifier(stem)} AS SELECT n.* REPLACE ("
                    f"CASE WHEN o.{k} IS NULL THEN n.{c} ELSE o.{c} END AS {c}) "
                    f"FROM {base} n LEFT JOIN (SELECT {k}, {c} FROM {prior}) o ON n.{k} = o.{k}"
                )
            build_decisions(con, folder / "decisions.parquet")
        finally:
            con.close()
        shutil.copyfile(new.path / MANIFEST, folder / MANIFEST)
        yield Release(new.id, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
