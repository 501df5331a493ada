"""Evidence exhibits as a service: add, list, read, download, verify and their custody.

Like :mod:`asylumlens.cases.records`, every function scopes to the actor's organisation
(another organisation's case or exhibit is "not found"), checks the role table, validates
before writing, and audits with ids only; callers commit. The exhibit's bytes are sealed in
the :class:`~asylumlens.cases.evidence_store.EvidenceStore` under a per-file key, wrapped
here under the organisation key (:mod:`asylumlens.cases.keys`); its free text (title,
description, source, original file name, public URL) is encrypted under the case key,
because it can identify people. Downloading an exhibit is an export of evidence, so it
needs ``export`` (attorneys and admins), not merely ``view_case``. Every upload, view,
download and verification is an audit event on the exhibit: its chain of custody.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO, Final, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from asylumlens.cases import crypto, keys, validation
from asylumlens.cases.audit import AuditAction, AuditView, record
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.evidence_store import (
    EvidenceMissing,
    EvidenceStore,
    FinishedUpload,
    discard,
)
from asylumlens.cases.models import AuditEvent, Case, Exhibit
from asylumlens.cases.records import Actor, CaseNotFound, case_row, require
from asylumlens.cases.roles import Action
from asylumlens.cases.rotation import RotationReport, rotate_org_keys
from asylumlens.cases.sealed import SealBroken, open_sealed, read_range
from asylumlens.cases.validation import CaseInputError

__all__ = [
    "KINDS",
    "ExhibitNotFound",
    "ExhibitView",
    "RotationReport",
    "VerifyResult",
    "add_exhibit",
    "custody",
    "discard",
    "exhibit_content",
    "get_exhibit",
    "list_exhibits",
    "next_label",
    "rotate_org_keys",
    "sanitise_name",
    "verify_exhibits",
]

KINDS: Final = frozenset(
    {
        "video",
        "image",
        "declaration",
        "country_report",
        "identity_document",
        "translation",
        "other",
    }
)
FIELDS: Final = frozenset(
    {
        "label",
        "kind",
        "title",
        "description",
        "source",
        "original_name",
        "public_url",
        "first_published",
        "obtained",
        "translation_of",
    }
)
OBJECT_KIND: Final = "exhibit"
"""The audit ``object_kind`` of an exhibit's events (the packet's export uses it too)."""
_ENCRYPTED: Final = ("title", "description", "source", "original_name", "public_url")
_LABEL = re.compile(r"([A-Z]{1,3})(-[0-9]{1,4})?")
_MAX_NAME: Final = 255


class ExhibitNotFound(CaseNotFound):
    """No such exhibit on this case of the actor's organisation."""


@dataclass(frozen=True)
class ExhibitView:
    """One exhibit, its free text decrypted (hidden from ``repr``)."""

    id: int
    case_id: int
    org_id: int
    label: str
    kind: str
    title: str = field(repr=False)
    description: str | None = field(repr=False)
    source: str | None = field(repr=False)
    original_name: str | None = field(repr=False)
    public_url: str | None = field(repr=False)
    first_published: date | None
    obtained: date | None
    content_type: str
    size: int
    sha256: str
    translation_of: int | None
    uploaded_by: int | None
    uploaded_at: datetime


@dataclass(frozen=True)
class VerifyResult:
    """One exhibit's check: ``detail`` says what failed (never any content)."""

    exhibit_id: int
    case_id: int
    label: str
    status: Literal["ok", "tampered", "missing"]
    detail: str


def _ad(column: str) -> bytes:
    return crypto.field_ad("exhibits", column)


def _exhibit_row(db: Session, actor: Actor, case_id: int, exhibit_id: int) -> Exhibit:
    case_row(db, actor, case_id)
    row = db.scalars(
        select(Exhibit).where(
            Exhibit.id == exhibit_id,
            Exhibit.case_id == case_id,
            Exhibit.org_id == actor.org_id,
        )
    ).one_or_none()
    if row is None:
        raise ExhibitNotFound(f"exhibit {exhibit_id}: not found")
    return row


def _audit(
    db: Session, org_id: int, user_id: int | None, action: AuditAction, kind: str, oid: int | None
) -> None:
    record(db, org_id=org_id, user_id=user_id, action=action, object_kind=kind, object_id=oid)


def _open(key: FieldKey, blob: str | None, column: str) -> str | None:
    return None if blob is None else crypto.decrypt(key, blob, _ad(column))


def _view(key: FieldKey, row: Exhibit) -> ExhibitView:
    return ExhibitView(
        id=row.id,
        case_id=row.case_id,
        org_id=row.org_id,
        label=row.label,
        kind=row.kind,
        title=crypto.decrypt(key, row.title_enc, _ad("title")),
        description=_open(key, row.description_enc, "description"),
        source=_open(key, row.source_enc, "source"),
        original_name=_open(key, row.original_name_enc, "original_name"),
        public_url=_open(key, row.public_url_enc, "public_url"),
        first_published=row.first_published,
        obtained=row.obtained,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        translation_of=row.translation_of,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
    )


def sanitise_name(value: object) -> str | None:
    """A client's file name made harmless: only the part after the last ``/`` or ``\\``,
    without NULs or control characters, trimmed, at most 255 characters; ``None`` if
    nothing is left. It is only ever shown (encrypted at rest), never used as a path."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise CaseInputError("original_name", "must be text")
    base = re.split(r"[/\\]", value)[-1]
    cleaned = "".join(c for c in base if unicodedata.category(c) not in ("Cc", "Cf")).strip()
    if cleaned in ("", ".", ".."):
        return None
    return cleaned[:_MAX_NAME]


def _letters_index(letters: str) -> int:
    n = 0
    for c in letters:
        n = n * 26 + (ord(c) - ord("A") + 1)
    return n


def _index_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def next_label(existing: list[str]) -> str:
    """The letter after the highest one in use (``A``, ``B``, … ``Z``, ``AA``, …); a label
    ``B-2`` counts as ``B``. Not the first gap: exhibits are filed in order."""
    top = 0
    for label in existing:
        match = _LABEL.fullmatch(label)
        if match:
            top = max(top, _letters_index(match.group(1)))
    return _index_letters(top + 1)


def _label(db: Session, case_id: int, value: object) -> str:
    existing = list(db.scalars(select(Exhibit.label).where(Exhibit.case_id == case_id)))
    if value is None or value == "":
        return next_label(existing)
    if not isinstance(value, str) or not _LABEL.fullmatch(value.strip().upper()):
        raise CaseInputError("label", "must be letters, optionally -number: A, B-2, AA")
    label = value.strip().upper()
    if label in existing:
        raise CaseInputError("label", "is already used in this case")
    return label


def _url(value: object) -> str | None:
    url = validation.text(value, "public_url", max_length=2000, required=False)
    if url is not None and not re.fullmatch(r"https?://[^\s]+", url):
        raise CaseInputError("public_url", "must be an http:// or https:// address")
    return url


def _translation_of(db: Session, case_id: int, kind: str, value: object) -> int | None:
    if value is None or value == "":
        if kind == "translation":
            raise CaseInputError("translation_of", "is required for a translation")
        return None
    if kind != "translation":
        raise CaseInputError("translation_of", "is only for kind translation")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CaseInputError("translation_of", "must be an exhibit id")
    try:
        original = int(value)
    except ValueError:
        raise CaseInputError("translation_of", "must be an exhibit id") from None
    found = db.scalar(select(Exhibit.id).where(Exhibit.id == original, Exhibit.case_id == case_id))
    if found is None:
        raise CaseInputError("translation_of", "must be an exhibit of this case")
    return original


def _columns(
    db: Session, key: FieldKey, case_id: int, meta: Mapping[str, object]
) -> dict[str, object]:
    """Every column from ``meta``, validated and encrypted, before anything is written."""
    v = validation
    kind = v.choice(meta.get("kind", "other") or "other", "kind", KINDS)
    text: dict[str, str | None] = {
        "title": v.required_text(meta.get("title"), "title", max_length=300),
        "description": v.text(
            meta.get("description"), "description", max_length=5000, required=False
        ),
        "source": v.text(meta.get("source"), "source", max_length=500, required=False),
        "original_name": sanitise_name(meta.get("original_name")),
        "public_url": _url(meta.get("public_url")),
    }
    columns: dict[str, object] = {
        f"{name}_enc": None if value is None else crypto.encrypt(key, value, _ad(name))
        for name, value in text.items()
    }
    first_published = v.optional_date(meta.get("first_published"), "first_published")
    obtained = v.optional_date(meta.get("obtained"), "obtained")
    v.not_before(obtained, first_published, "obtained", "first_published")
    columns.update(
        kind=kind,
        first_published=first_published,
        obtained=obtained,
        translation_of=_translation_of(db, case_id, kind, meta.get("translation_of")),
        label=_label(db, case_id, meta.get("label")),
    )
    return columns


def check_upload(db: Session, actor: Actor, case_id: int) -> None:
    """Refuse an upload before its bytes are read: the role may not add to a case
    (:class:`Forbidden`), or the case is not the actor's organisation's (not found)."""
    require(actor, Action.EDIT_CASE)
    case_row(db, actor, case_id)


def check_export(actor: Actor) -> None:
    """Refuse a role that may not take evidence out of the workspace (``export``), before
    anything is looked up: the same answer for any case, so it tells nothing."""
    require(actor, Action.EXPORT)


def export_event(db: Session, actor: Actor, exhibit_id: int) -> None:
    """Record that an exhibit left the workspace in an export (a packet, a manifest)."""
    _audit(db, actor.org_id, actor.user_id, AuditAction.EXPORT, OBJECT_KIND, exhibit_id)


def add_exhibit(
    db: Session,
    actor: Actor,
    master: FieldKey,
    store: EvidenceStore,
    case_id: int,
    meta: Mapping[str, object],
    upload: FinishedUpload,
) -> ExhibitView:
    """Record a finished upload as an exhibit of the case (audited ``upload``).

    ``meta``: ``title`` (required), ``kind`` (default ``other``), ``label`` (default: the
    next letter), ``description``, ``source``, ``original_name``, ``public_url``,
    ``first_published``, ``obtained``, ``translation_of`` (required for a translation: an
    exhibit of the same case). If this raises, the caller removes the file:
    ``discard(store, upload)``."""
    require(actor, Action.EDIT_CASE)
    validation.only_fields(meta, FIELDS)
    case = case_row(db, actor, case_id)
    if upload.summary.size == 0:
        raise CaseInputError("file", "is empty")
    if not store.exists(upload.storage_id):
        raise EvidenceMissing(f"exhibit file {upload.storage_id}: missing")
    columns = _columns(db, master, case.id, meta)
    org = keys.org_key(db, actor.org_id, master)
    row = Exhibit(
        case_id=case.id,
        org_id=actor.org_id,
        content_type=upload.content_type,
        size=upload.summary.size,
        sha256=upload.summary.sha256,
        storage_id=upload.storage_id,
        file_key_wrapped=keys.wrap_file_key(org, actor.org_id, upload.storage_id, upload.file_key),
        org_key_version=org.version,
        uploaded_by=actor.user_id,
        **columns,
    )
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:  # a concurrent upload took the label first
        raise CaseInputError("label", "is already used in this case") from None
    _audit(db, actor.org_id, actor.user_id, AuditAction.UPLOAD, OBJECT_KIND, row.id)
    return _view(master, row)


def list_exhibits(db: Session, actor: Actor, key: FieldKey, case_id: int) -> list[ExhibitView]:
    """The case's exhibits in upload order, decrypted; one audited ``view`` of the list
    (object kind ``exhibit_list``, object id the case's)."""
    require(actor, Action.VIEW_CASE)
    case = case_row(db, actor, case_id)
    rows = db.scalars(select(Exhibit).where(Exhibit.case_id == case.id).order_by(Exhibit.id))
    views = [_view(key, row) for row in rows]
    _audit(db, actor.org_id, actor.user_id, AuditAction.VIEW, "exhibit_list", case.id)
    return views


def get_exhibit(
    db: Session, actor: Actor, key: FieldKey, case_id: int, exhibit_id: int
) -> ExhibitView:
    """One exhibit, decrypted (audited ``view`` on the exhibit)."""
    require(actor, Action.VIEW_CASE)
    row = _exhibit_row(db, actor, case_id, exhibit_id)
    _audit(db, actor.org_id, actor.user_id, AuditAction.VIEW, OBJECT_KIND, row.id)
    return _view(key, row)


def _file_key(db: Session, master: FieldKey, row: Exhibit) -> bytes:
    org = keys.org_key_version(db, row.org_id, row.org_key_version, master)
    return keys.unwrap_file_key(org, row.org_id, row.storage_id, row.file_key_wrapped)


def _stream(inp: BinaryIO, chunks: Iterator[bytes]) -> Iterator[bytes]:
    with inp:
        yield from chunks


def content_size(db: Session, actor: Actor, case_id: int, exhibit_id: int) -> int:
    """The exhibit's size in bytes, for resolving an HTTP range before the download
    (:func:`exhibit_content`) starts; needs ``export``, reads nothing else and logs nothing:
    the download that follows is the audited event."""
    require(actor, Action.EXPORT)
    return _exhibit_row(db, actor, case_id, exhibit_id).size


def exhibit_content(
    db: Session,
    actor: Actor,
    master: FieldKey,
    store: EvidenceStore,
    case_id: int,
    exhibit_id: int,
    *,
    range: tuple[int, int] | None = None,
) -> tuple[ExhibitView, Iterator[bytes]]:
    """The exhibit and its original bytes (all, or ``range`` = (start, end inclusive)),
    decrypted chunk by chunk as the iterator is read; audited ``download``. Needs
    ``export``. :class:`~asylumlens.cases.sealed.SealBroken` may come mid-stream if the
    file was tampered with: what was sent before it must be treated as void."""
    require(actor, Action.EXPORT)
    row = _exhibit_row(db, actor, case_id, exhibit_id)
    if range is not None and not 0 <= range[0] <= range[1] < row.size:
        raise CaseInputError("range", "must lie within the file")
    file_key = _file_key(db, master, row)
    inp = store.open(row.storage_id)
    if range is None:
        chunks = open_sealed(inp, file_key)
    else:
        chunks = read_range(inp, file_key, range[0], range[1], row.size)
    _audit(db, actor.org_id, actor.user_id, AuditAction.DOWNLOAD, OBJECT_KIND, row.id)
    return _view(master, row), _stream(inp, chunks)


def _check_one(db: Session, master: FieldKey, store: EvidenceStore, row: Exhibit) -> VerifyResult:
    def result(status: Literal["ok", "tampered", "missing"], detail: str) -> VerifyResult:
        return VerifyResult(row.id, row.case_id, row.label, status, detail)

    try:
        file_key = _file_key(db, master, row)
    except keys.KeyUnwrapError:
        return result("tampered", "the file key does not unwrap")
    try:
        inp = store.open(row.storage_id)
    except EvidenceMissing:
        return result("missing", "the sealed file is not in the evidence folder")
    digest = hashlib.sha256()
    size = 0
    try:
        with inp:
            for chunk in open_sealed(inp, file_key):
                digest.update(chunk)
                size += len(chunk)
    except SealBroken as exc:
        return result("tampered", str(exc))
    if size != row.size:
        return result("tampered", f"size {size} bytes, recorded {row.size}")
    if digest.hexdigest() != row.sha256:
        return result("tampered", "SHA-256 differs from the one recorded at upload")
    return result("ok", "decrypts, authenticates and matches the recorded SHA-256 and size")


def verify_exhibits(
    db: Session,
    actor: Actor | None,
    master: FieldKey,
    store: EvidenceStore,
    case_id: int | None = None,
) -> list[VerifyResult]:
    """Decrypt and re-hash each exhibit (of one case, or all) against its recorded SHA-256
    and size; one audited ``verify`` per exhibit. With an actor (``view_case``): that
    organisation's exhibits. With ``None``: the operator at the shell, every
    organisation's, the audit rows without a user. A wrong master key raises
    :class:`~asylumlens.cases.keys.MasterKeyMismatch` before any check. Caller commits."""
    query = select(Exhibit).order_by(Exhibit.case_id, Exhibit.id)
    if actor is not None:
        require(actor, Action.VIEW_CASE)
        query = query.where(Exhibit.org_id == actor.org_id)
        if case_id is not None:
            case_row(db, actor, case_id)
    elif case_id is not None and db.get(Case, case_id) is None:
        raise CaseNotFound(f"case {case_id}: not found")
    if case_id is not None:
        query = query.where(Exhibit.case_id == case_id)
    rows = list(db.scalars(query))
    for org_id in sorted({row.org_id for row in rows}):
        keys.org_key(db, org_id, master)  # raises MasterKeyMismatch for a wrong key
    results = []
    for row in rows:
        results.append(_check_one(db, master, store, row))
        user_id = actor.user_id if actor is not None else None
        _audit(db, row.org_id, user_id, AuditAction.VERIFY, OBJECT_KIND, row.id)
    return results


def custody(db: Session, actor: Actor, case_id: int, exhibit_id: int) -> list[AuditView]:
    """The exhibit's chain of custody: every audit event on it (upload, view, download,
    export, verify), oldest first. Needs ``view_case``: the events hold ids only."""
    require(actor, Action.VIEW_CASE)
    row = _exhibit_row(db, actor, case_id, exhibit_id)
    events = db.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.org_id == actor.org_id,
            AuditEvent.object_kind == OBJECT_KIND,
            AuditEvent.object_id == row.id,
        )
        .order_by(AuditEvent.id)
    )
    return [
        AuditView(e.id, e.org_id, e.user_id, e.action, e.object_kind, e.object_id, e.at)
        for e in events
    ]
