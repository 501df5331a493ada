"""The proof manifest: a signed list of a case's exhibits that anyone can check offline.

Why: whoever is handed the exhibit files (the court, opposing counsel, a reviewer years later)
must be able to tell that they are the files the organisation took in, without access to
AsylumLens. So, in the manner of ProofMode's proof bundles, the manifest records each
exhibit's SHA-256, size, kind, intake time and chain-of-custody events, and the organisation
signs it with Ed25519. Checking needs only ``sha256sum`` and any Ed25519 implementation
(docs/evidence.md shows both).

The document (format ``asylumlens-proof/1``)::

    {"format", "case", "made_at", "exhibits": [{"label", "kind", "content_type", "size",
     "sha256", "intake", "custody": [{"at", "action"}, ...]}, ...],
     "public_key", "key_id", "signature"}

``signature`` is Ed25519 over the canonical JSON of the document without ``signature``
(``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, UTF-8);
``public_key`` is the raw 32-byte key in base64 and ``key_id`` the first 16 hex digits of its
SHA-256. A manifest checks itself against the key it carries, so whoever relies on it must
also compare ``key_id`` with the organisation's published one (``expected_key_id``).

Nothing identifying goes in: the case is a reference the caller picks, custody events are
times and actions (ids only), never names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from asylumlens.errors import AsylumLensError

FORMAT: Final = "asylumlens-proof/1"
READ_BYTES: Final = 1 << 20
_DOCUMENT_KEYS: Final = frozenset(
    {"format", "case", "made_at", "exhibits", "public_key", "key_id", "signature"}
)
_EXHIBIT_KEYS: Final = frozenset(
    {"label", "kind", "content_type", "size", "sha256", "intake", "custody"}
)
_CUSTODY_KEYS: Final = frozenset({"at", "action"})
_SHA256: Final = re.compile(r"[0-9a-f]{64}")

CheckStatus = Literal["ok", "unknown", "size differs", "unreadable", "not given"]


class ManifestInvalid(AsylumLensError):
    """The proof manifest is malformed, or its signature does not verify."""


@dataclass(frozen=True)
class ManifestExhibit:
    """One exhibit as the manifest records it; ``custody`` holds ``{"at", "action"}`` events
    (ISO times and action names only: no names of people)."""

    label: str
    kind: str
    content_type: str
    size: int
    sha256: str
    intake: datetime
    custody: Sequence[Mapping[str, str]]


@dataclass(frozen=True)
class FileCheck:
    """What checking one file (or one exhibit no file matched) found.

    ``ok``: the file's SHA-256 and size are an exhibit's (``label``); ``unknown``: no exhibit
    has its SHA-256; ``size differs``: the hash matches but the size does not (a manifest
    that contradicts itself); ``unreadable``: the file could not be read; ``not given``: an
    exhibit of the manifest that no given file matched (``path`` is None).
    """

    path: Path | None
    status: CheckStatus
    label: str | None
    sha256: str | None
    size: int | None


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(_raw(public_key)).hexdigest()[:16]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _utc_iso(moment: datetime, what: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"proof manifest: {what} must carry a time zone")
    return moment.astimezone(UTC).isoformat()


def _exhibit_entry(exhibit: ManifestExhibit) -> dict[str, Any]:
    if not _SHA256.fullmatch(exhibit.sha256):
        raise ValueError(f"exhibit {exhibit.label}: sha256 must be 64 lower-case hex digits")
    custody = []
    for event in exhibit.custody:
        if set(event) != _CUSTODY_KEYS or not all(isinstance(v, str) for v in event.values()):
            raise ValueError(
                f"exhibit {exhibit.label}: a custody event holds exactly 'at' and 'action'"
            )
        custody.append({"at": event["at"], "action": event["action"]})
    return {
        "label": exhibit.label,
        "kind": exhibit.kind,
        "content_type": exhibit.content_type,
        "size": exhibit.size,
        "sha256": exhibit.sha256,
        "intake": _utc_iso(exhibit.intake, f"exhibit {exhibit.label} intake"),
        "custody": custody,
    }


def sign_manifest(
    case_ref: str,
    exhibits: Sequence[ManifestExhibit],
    signing_key: Ed25519PrivateKey,
    *,
    made_at: datetime,
) -> dict[str, Any]:
    """The signed proof manifest of ``exhibits`` (see the module docstring for the format)."""
    public_key = signing_key.public_key()
    document: dict[str, Any] = {
        "format": FORMAT,
        "case": case_ref,
        "made_at": _utc_iso(made_at, "made_at"),
        "exhibits": [_exhibit_entry(exhibit) for exhibit in exhibits],
        "public_key": base64.b64encode(_raw(public_key)).decode("ascii"),
        "key_id": key_id(public_key),
    }
    signature = signing_key.sign(canonical_json(document))
    return {**document, "signature": base64.b64encode(signature).decode("ascii")}


def verify_manifest(doc: Mapping[str, Any], *, expected_key_id: str | None = None) -> None:
    """Raise :class:`ManifestInvalid` unless ``doc`` is a well-formed ``asylumlens-proof/1``
    manifest whose signature verifies under the key it carries (and, when
    ``expected_key_id`` is given, that key is the expected one)."""
    _check_shape(doc)
    raw_key = _base64(doc["public_key"], "public_key", 32)
    public_key = Ed25519PublicKey.from_public_bytes(raw_key)
    if doc["key_id"] != key_id(public_key):
        raise ManifestInvalid("proof manifest: key_id is not the id of public_key")
    if expected_key_id is not None and doc["key_id"] != expected_key_id:
        raise ManifestInvalid(
            f"proof manifest: signed by key {doc['key_id']}, not the expected {expected_key_id}"
        )
    signature = _base64(doc["signature"], "signature", 64)
    unsigned = {name: value for name, value in doc.items() if name != "signature"}
    try:
        public_key.verify(signature, canonical_json(unsigned))
    except InvalidSignature:
        raise ManifestInvalid("proof manifest: the signature does not verify") from None


def _base64(value: object, field: str, length: int) -> bytes:
    if not isinstance(value, str):
        raise ManifestInvalid(f"proof manifest: {field} must be a base64 string")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ManifestInvalid(f"proof manifest: {field} is not valid base64") from None
    if len(decoded) != length:
        raise ManifestInvalid(f"proof manifest: {field} must be {length} bytes")
    if base64.b64encode(decoded).decode("ascii") != value:  # one spelling per value
        raise ManifestInvalid(f"proof manifest: {field} is not in canonical base64")
    return decoded


def _check_shape(doc: object) -> None:
    if not isinstance(doc, Mapping):
        raise ManifestInvalid("proof manifest: not a JSON object")
    if doc.get("format") != FORMAT:
        raise ManifestInvalid(f"proof manifest: format must be {FORMAT!r}")
    if set(doc) != _DOCUMENT_KEYS:
        raise ManifestInvalid(
            "proof manifest: fields must be exactly " + ", ".join(sorted(_DOCUMENT_KEYS))
        )
    for field in ("case", "made_at", "key_id"):
        if not isinstance(doc[field], str):
            raise ManifestInvalid(f"proof manifest: {field} must be a string")
    if not isinstance(doc["exhibits"], list):
        raise ManifestInvalid("proof manifest: exhibits must be a list")
    for number, entry in enumerate(doc["exhibits"], start=1):
        _check_exhibit(entry, number)


def _check_exhibit(entry: object, number: int) -> None:
    where = f"proof manifest: exhibit #{number}"
    if not isinstance(entry, Mapping) or set(entry) != _EXHIBIT_KEYS:
        raise ManifestInvalid(
            f"{where}: fields must be exactly " + ", ".join(sorted(_EXHIBIT_KEYS))
        )
    for field in ("label", "kind", "content_type", "intake"):
        if not isinstance(entry[field], str):
            raise ManifestInvalid(f"{where}: {field} must be a string")
    size = entry["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestInvalid(f"{where}: size must be a whole number of bytes")
    if not isinstance(entry["sha256"], str) or not _SHA256.fullmatch(entry["sha256"]):
        raise ManifestInvalid(f"{where}: sha256 must be 64 lower-case hex digits")
    custody = entry["custody"]
    if not isinstance(custody, list) or not all(
        isinstance(event, Mapping)
        and set(event) == _CUSTODY_KEYS
        and all(isinstance(value, str) for value in event.values())
        for event in custody
    ):
        raise ManifestInvalid(f"{where}: custody must be a list of {{at, action}} strings")


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of the file at ``path``, read 1 MiB at a time."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(READ_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify_files(
    doc: Mapping[str, Any], paths: Sequence[Path], *, expected_key_id: str | None = None
) -> list[FileCheck]:
    """Check each file in ``paths`` against the manifest's exhibits by SHA-256 (one check per
    file, in order), then list the exhibits no file matched as ``not given``. The signature
    is verified first: :class:`ManifestInvalid` when it does not hold."""
    verify_manifest(doc, expected_key_id=expected_key_id)
    exhibits: list[Mapping[str, Any]] = list(doc["exhibits"])
    matched: set[int] = set()
    checks: list[FileCheck] = []
    for path in paths:
        try:
            sha256, size = file_digest(path)
        except OSError:
            checks.append(FileCheck(path, "unreadable", None, None, None))
            continue
        same = [i for i, entry in enumerate(exhibits) if entry["sha256"] == sha256]
        fits = [i for i in same if exhibits[i]["size"] == size]
        if fits:
            matched.update(fits)
            label = ", ".join(str(exhibits[i]["label"]) for i in fits)
            checks.append(FileCheck(path, "ok", label, sha256, size))
        elif same:
            checks.append(FileCheck(path, "size differs", exhibits[same[0]]["label"], sha256, size))
        else:
            checks.append(FileCheck(path, "unknown", None, sha256, size))
    for index, entry in enumerate(exhibits):
        if index not in matched:
            checks.append(
                FileCheck(None, "not given", entry["label"], entry["sha256"], entry["size"])
            )
    return checks


def verify_files_report(
    manifest_path: Path, files: Sequence[Path], *, expected_key_id: str | None = None
) -> tuple[list[FileCheck], bool]:
    """``verify_files`` on the manifest stored at ``manifest_path``; the flag is True when the
    signature holds and every given file is ``ok`` (exhibits not given do not count against
    it: a reviewer may be handed only some files). A file that cannot be read or is not JSON
    raises :class:`ManifestInvalid` naming it."""
    try:
        text = manifest_path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8"
        raise ManifestInvalid(
            f"{manifest_path}: cannot read the proof manifest: {reason}"
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestInvalid(
            f"{manifest_path}: not JSON (line {error.lineno}, column {error.colno})"
        ) from None
    try:
        checks = verify_files(doc, files, expected_key_id=expected_key_id)
    except ManifestInvalid as error:
        raise ManifestInvalid(f"{manifest_path}: {error}") from None
    given_ok = all(check.status == "ok" for check in checks if check.path is not None)
    return checks, given_ok
