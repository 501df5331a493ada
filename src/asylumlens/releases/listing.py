"""The releases of a store side by side: one row each, for ``asylumlens releases``."""

from __future__ import annotations

from typing import Any

from asylumlens.store import Store


def release_rows(store: Store) -> list[dict[str, Any]]:
    """Per release, oldest first: id, date, synthetic, source, SHA-256, ingest time, rows.

    ``loaded``/``quarantined`` are the manifest's totals over every table, so a reader can
    see at a glance that a month lost (or quarantined) rows before comparing figures.
    """
    rows: list[dict[str, Any]] = []
    for rel in store.releases():
        info = rel.info
        totals = rel.manifest.get("totals", {})
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
            }
        )
    return rows
