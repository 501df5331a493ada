"""The staged release's manifest: where the release came from, the totals and every table's
report; written atomically (a reader never sees half a manifest)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Literal, cast

from asylumlens.ingest.source import ReleaseSource
from asylumlens.manifest import IgnoredFile, Manifest, TableEntry


def release_manifest(
    source: ReleaseSource,
    tables: dict[str, TableEntry],
    *,
    source_sha256: str,
    started: float,
    integrity_seconds: float,
) -> Manifest:
    """The manifest of a release whose tables are all staged (``started``: monotonic time
    the ingest began)."""
    from asylumlens import __version__

    kind: Literal["zip", "folder"] = "zip" if source.is_zip else "folder"
    return {
        "release": {
            "id": source.release_id,
            "date": source.release_date.isoformat() if source.release_date else None,
            "folder": source.folder_name,
            "source": str(source.path.resolve()),
            "source_kind": kind,
            "source_sha256": source_sha256,
            "fingerprint": source.fingerprint(),
            "synthetic": source.synthetic_note is not None,
            "synthetic_note": source.synthetic_note,
            "count_txt": bool(source.count_txt),
            "ignored": cast(list[IgnoredFile], source.ignored),
            "ignored_total": source.ignored_total,
            "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "asylumlens_version": __version__,
            "duration_s": round(time.monotonic() - started, 3),
            "integrity_seconds": integrity_seconds,
        },
        "totals": {
            "lines": sum(t["lines"] for t in tables.values()),
            "loaded": sum(t["loaded"] for t in tables.values()),
            "repaired": sum(t["repaired"] for t in tables.values()),
            "quarantined": sum(t["quarantined"] for t in tables.values()),
        },
        "tables": tables,
    }


def write_manifest(out_dir: Path, manifest: Manifest) -> None:
    """Write ``out_dir/manifest.json`` through a temporary file and a rename."""
    tmp = out_dir / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(out_dir / "manifest.json")
