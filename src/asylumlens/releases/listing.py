"""The releases of a store side by side: one row each, for ``asylumlens releases``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asylumlens.manifest import ReleaseBlock
from asylumlens.store import Store


def release_rows(store: Store) -> list[dict[str, Any]]:
    """Per release, oldest first: id, date, synthetic, source, SHA-256, ingest time, rows.

    ``loaded``/``quarantined`` are the manifest's totals over every table, so a reader can
    see at a glance that a month lost (or quarantined) rows before comparing figures.
    ``status`` is ``ok``, or ``damaged: <why>`` for a release the store cannot read (a
    corrupt manifest): listed after the others, never used, the others unaffected.
    """
    rows: list[dict[str, Any]] = []
    for rel in store.releases():
        info: ReleaseBlock = rel.info
        totals: Mapping[str, object] = rel.manifest.get("totals", {})
        rows.append(
            {
                "id": rel.id,
                "date": info.get("date"),
                "synthetic": rel.synthetic,
                "source": info.get("source"),
                "sha256": info.get("source_sha256"),
                "ingested_at": info.get("ingested_at"),
                "loaded": totals.get("loaded"),
                "quarantined": totals.get("quarantined"),
                "status": "ok",
            }
        )
    for bad in store.damaged():
        rows.append(
            {
                "id": bad.id,
                **dict.fromkeys(("date", "synthetic", "source", "sha256", "ingested_at")),
                **dict.fromkeys(("loaded", "quarantined")),
                "status": f"damaged: {bad.problem}",
            }
        )
    return rows
