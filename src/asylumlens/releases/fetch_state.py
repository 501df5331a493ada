"""What ``fetch`` remembers between runs, and the pure decisions taken from it.

Two small JSON files live in the download folder:

``fetch-state.json``
    one record per URL of the last release fully downloaded: validators (ETag, Last-Modified,
    Content-Length) as the server sent them, the SHA-256 and path of the stored zip, and when.
    A HEAD answer that matches the record, with the file still present and intact, means
    there is nothing to download.
``<name>.part.json``
    the validators of the release a ``<name>.part`` file belongs to. A partial download may only
    be continued against the *same* version of the release; otherwise the bytes would be
    spliced from two releases. The validator sent in ``If-Range`` comes from here.

Both are replaced atomically (temporary file, then :func:`os.replace`), so a crash leaves
either the old or the new content, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from asylumlens.errors import FetchError

STATE_FILE = "fetch-state.json"
STATE_SCHEMA = 1


@dataclass(frozen=True)
class Version:
    """The validators a server gives for one version of the release (any may be missing)."""

    etag: str | None
    last_modified: str | None
    content_length: int | None

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> Version:
        length = headers.get("content-length")
        return cls(
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            content_length=int(length) if length and length.isdigit() else None,
        )

    @property
    def if_range(self) -> str | None:
        """The value for ``If-Range``: a strong ETag, else Last-Modified (RFC 9110 §13.1.5)."""
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified


def normalised_etag(etag: str | None) -> str | None:
    """An ETag without ``W/`` and quotes: CDNs flip weak/strong for the same bytes."""
    if etag is None:
        return None
    return etag.removeprefix("W/").strip('"')


def same_validators(a: Version, b: Version) -> bool:
    """Same ETag (normalised) and Last-Modified, whatever the lengths say."""
    return normalised_etag(a.etag) == normalised_etag(b.etag) and a.last_modified == b.last_modified


def same_version(known: Version, remote: Version) -> bool:
    """Whether ``remote`` is the version recorded in ``known``.

    Needs at least one validator (ETag or Last-Modified) from the server; every validator the
    server sends must equal the recorded one. A server that sends none is never "unchanged".
    """
    if remote.etag is None and remote.last_modified is None:
        return False
    if remote.etag is not None and normalised_etag(remote.etag) != normalised_etag(known.etag):
        return False
    if remote.last_modified is not None and remote.last_modified != known.last_modified:
        return False
    return remote.content_length is None or remote.content_length == known.content_length


def release_date(last_modified: str | None) -> str | None:
    """Last-Modified as ``YYYY-MM-DD`` (UTC), or None when absent or unparseable."""
    if not last_modified:
        return None
    try:
        return parsedate_to_datetime(last_modified).date().isoformat()
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class FetchRecord:
    """One fully downloaded, verified release as recorded in ``fetch-state.json``."""

    url: str
    etag: str | None
    last_modified: str | None
    content_length: int | None
    sha256: str
    path: str
    fetched_at: str

    @property
    def version(self) -> Version:
        return Version(self.etag, self.last_modified, self.content_length)


def read_state(dest: Path) -> dict[str, FetchRecord]:
    """The records in ``<dest>/fetch-state.json`` by URL; empty when the file does not exist."""
    path = dest / STATE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {url: FetchRecord(**fields) for url, fields in raw["fetches"].items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FetchError(
            f"{path}: unreadable fetch state ({type(exc).__name__}); "
            "delete it to download the release again"
        ) from None


def write_state(dest: Path, records: dict[str, FetchRecord]) -> None:
    payload = {"schema": STATE_SCHEMA, "fetches": {u: asdict(r) for u, r in records.items()}}
    write_json_atomically(dest / STATE_FILE, payload)


def part_info_path(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def read_part_version(part: Path, url: str) -> Version | None:
    """The version a ``.part`` file belongs to, or None when unknown or from another URL."""
    try:
        raw = json.loads(part_info_path(part).read_text(encoding="utf-8"))
        if raw.get("url") != url:
            return None
        return Version(raw.get("etag"), raw.get("last_modified"), raw.get("content_length"))
    except (OSError, ValueError, AttributeError):
        return None


def write_part_version(part: Path, url: str, version: Version) -> None:
    write_json_atomically(part_info_path(part), {"url": url, **asdict(version)})


def discard_part(part: Path) -> None:
    part.unlink(missing_ok=True)
    part_info_path(part).unlink(missing_ok=True)


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON next to ``path`` and rename it into place, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
