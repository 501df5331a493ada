"""The audit trail: who viewed, created, changed or exported which object, and when.

Append-only by construction: the ORM refuses to update or delete an :class:`AuditEvent`
(a SQLAlchemy flush hook), and the only writer is :func:`record`. An event holds ids and
kinds only, never client data (8 CFR 208.6), so the trail may be read by admins and backed
up without widening who sees a client's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction

from asylumlens.cases.models import AuditEvent


class AuditAction(StrEnum):
    VIEW = "view"
    CREATE = "create"
    CHANGE = "change"
    EXPORT = "export"
    UPLOAD = "upload"
    DOWNLOAD = "download"
    VERIFY = "verify"


@dataclass(frozen=True)
class AuditView:
    """One audit event as read back."""

    id: int
    org_id: int
    user_id: int | None
    action: str
    object_kind: str
    object_id: int | None
    at: datetime


class AuditAppendOnly(Exception):
    """A bug: code tried to change or delete an audit event."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _ctx: UOWTransaction, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditAppendOnly("audit events are append-only")


def record(
    session: Session,
    *,
    org_id: int,
    user_id: int | None,
    action: AuditAction,
    object_kind: str,
    object_id: int | None,
) -> None:
    """Append one event to the session (committed with the work it describes)."""
    session.add(
        AuditEvent(
            org_id=org_id,
            user_id=user_id,
            action=action.value,
            object_kind=object_kind,
            object_id=object_id,
        )
    )


def events(session: Session, org_id: int) -> list[AuditView]:
    """One organisation's events, oldest first (the caller checks READ_AUDIT)."""
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.org_id == org_id).order_by(AuditEvent.id)
    )
    return [
        AuditView(r.id, r.org_id, r.user_id, r.action, r.object_kind, r.object_id, r.at)
        for r in rows
    ]
