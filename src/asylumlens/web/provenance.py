"""Where every number on a page or in a response comes from: the release and the app version.

Each JSON response carries a ``release`` block and each page a footer built from the same
:class:`ReleaseInfo`, so a screenshot or a downloaded file can always be traced back to one
ingested EOIR release (id, date, source and the SHA-256 of the file that was ingested).
The source is the ingested file's name only: the server's filesystem layout is nobody's
business, and the SHA-256 identifies the file exactly.

The ETag is derived from the same facts. A release in the store is immutable, so a response
for a given URL can only change when the release or the code that renders it changes.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from asylumlens import __version__
from asylumlens.manifest import ReleaseBlock
from asylumlens.store import Release


class ReleaseInfo(BaseModel):
    """The provenance block of every JSON response and every page footer."""

    id: str
    date: str | None
    source: str | None
    source_sha256: str | None
    synthetic: bool
    note: str | None = None
    app_version: str


def source_name(source: Any) -> str | None:
    """The ingested file's (or folder's) name, without the path it was ingested from; a
    source fetched from the web keeps its public URL (without any query string)."""
    if not source:
        return None
    text = str(source)
    if text.startswith(("https://", "http://")):
        return text.split("?", 1)[0].split("#", 1)[0]
    return PurePath(text).name or None


def release_info(release: Release) -> ReleaseInfo:
    info: ReleaseBlock = release.info
    raw_date = info.get("date")
    source = info.get("source")
    sha = info.get("source_sha256")
    return ReleaseInfo(
        id=release.id,
        date=str(raw_date) if raw_date else None,
        source=source_name(source),
        source_sha256=str(sha) if sha else None,
        synthetic=release.synthetic,
        note=str(info["synthetic_note"]) if info.get("synthetic_note") else None,
        app_version=__version__,
    )


def release_etag(info: ReleaseInfo) -> str:
    """A strong ETag shared by every response rendered from this release by this app version."""
    basis = "\x1f".join([info.id, info.source_sha256 or "", info.app_version])
    return '"' + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:24] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of an ``If-None-Match`` header against our ETag."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False
