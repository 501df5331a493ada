"""A case's evidence packet, exhibit index and signed proof manifest, from its records.

The glue between the exhibit records (:mod:`asylumlens.cases.exhibits`: decrypted bytes,
their custody) and the pure builders (:mod:`asylumlens.cases.packet`,
:mod:`asylumlens.cases.proof`). Each is an export of evidence: it needs ``export``, and every
exhibit it carries gets an ``export`` event in its chain of custody. The packet is made in
memory and streamed to the caller; nothing decrypted is written to disk. Only PDFs and
images are decrypted (videos are listed by hash), each when its pages are drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from asylumlens.cases import exhibits, keys
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.evidence_store import EvidenceStore
from asylumlens.cases.exhibits import ExhibitView
from asylumlens.cases.packet import (
    IMAGE_TYPES,
    PDF_TYPES,
    PacketExhibit,
    PacketLayout,
    build_packet,
    exhibit_index_csv,
    plan_layout,
    readable_pdf,
)
from asylumlens.cases.proof import ManifestExhibit, sign_manifest
from asylumlens.cases.records import Actor


def case_title(case_id: int) -> str:
    """The packet's title: the case number only (a client's name is the filer's to add)."""
    return f"Case #{case_id} - Exhibits"


def _packet_exhibits(
    db: Session, actor: Actor, master: FieldKey, store: EvidenceStore, case_id: int
) -> tuple[list[ExhibitView], list[PacketExhibit]]:
    views = exhibits.list_exhibits(db, actor, master, case_id)

    def reader(view: ExhibitView) -> Callable[[], bytes] | None:
        if view.content_type not in PDF_TYPES | IMAGE_TYPES:
            return None

        def content() -> bytes:
            _, chunks = exhibits.exhibit_content(db, actor, master, store, case_id, view.id)
            return b"".join(chunks)

        return content

    return views, [
        PacketExhibit(
            label=v.label,
            title=v.title,
            kind=v.kind,
            content_type=v.content_type,
            sha256=v.sha256,
            size=v.size,
            description=v.description,
            content=reader(v),
        )
        for v in views
    ]


def write_packet(
    db: Session,
    actor: Actor,
    master: FieldKey,
    store: EvidenceStore,
    case_id: int,
    out: BinaryIO,
    *,
    prepared_by: str,
    today: date,
) -> PacketLayout:
    """The case's packet PDF into ``out``; audited as an export of every exhibit."""
    exhibits.check_export(actor)
    views, items = _packet_exhibits(db, actor, master, store, case_id)
    layout = build_packet(
        case_title(case_id), items, prepared_by=prepared_by, prepared_on=today, out=out
    )
    for view in views:
        exhibits.export_event(db, actor, view.id)
    return layout


def index_csv(
    db: Session, actor: Actor, master: FieldKey, store: EvidenceStore, case_id: int
) -> str:
    """The exhibit index (CSV) with the page numbers the packet gives each exhibit."""
    exhibits.check_export(actor)
    _, items = _packet_exhibits(db, actor, master, store, case_id)
    layout = plan_layout([(x.label, _pages(x)) for x in items])
    return exhibit_index_csv(items, layout)


def _pages(item: PacketExhibit) -> int:
    if item.content is None or item.content_type not in PDF_TYPES:
        return 1
    readable = readable_pdf(item.content())
    return readable[1] if readable else 1


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back naive; every stored time is UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def proof_manifest(
    db: Session, actor: Actor, master: FieldKey, case_id: int, *, made_at: datetime
) -> dict[str, Any]:
    """The signed proof manifest of the case's exhibits (Ed25519, the organisation's key);
    each exhibit's custody as (time, action) pairs only."""
    exhibits.check_export(actor)
    views = exhibits.list_exhibits(db, actor, master, case_id)
    items = []
    for v in views:
        events = exhibits.custody(db, actor, case_id, v.id)
        items.append(
            ManifestExhibit(
                label=v.label,
                kind=v.kind,
                content_type=v.content_type,
                size=v.size,
                sha256=v.sha256,
                intake=_utc(v.uploaded_at),
                custody=[{"at": _utc(e.at).isoformat(), "action": e.action} for e in events],
            )
        )
        exhibits.export_event(db, actor, v.id)
    signing = keys.org_signing_key(db, actor.org_id, master)
    return sign_manifest(f"case-{case_id}", items, signing, made_at=made_at)
