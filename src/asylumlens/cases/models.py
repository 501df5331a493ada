"""The case tables: one asylum case and the events recorded on it, plus the audit trail.

Columns ending ``_enc`` hold :mod:`asylumlens.cases.crypto` ciphertexts (client name,
A-number, note text): a copied database shows none of them. Codes (nationality, court, judge)
are the EOIR release's codes, kept as text so a case survives a release that drops one.
Every table carries ``org_id`` directly or through its case, so every query can be scoped to
one organisation. The schema itself is made by the Alembic migration ``0001_initial``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from asylumlens.cases.db import Base, now


class Case(Base):
    """One person's asylum case in one organisation."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    client_name_enc: Mapped[str] = mapped_column(Text)
    a_number_enc: Mapped[str] = mapped_column(Text)
    nationality: Mapped[str] = mapped_column(String(8))
    language: Mapped[str | None] = mapped_column(String(40))
    court: Mapped[str | None] = mapped_column(String(8))
    judge: Mapped[str | None] = mapped_column(String(16))
    case_type: Mapped[str | None] = mapped_column(String(8))
    last_arrival: Mapped[date | None] = mapped_column(Date)
    filed: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class CustodySpell(Base):
    """A period in detention; ``end`` is empty while the client is still held."""

    __tablename__ = "custody_spells"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    facility: Mapped[str] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)


class RemovalDesignation(Base):
    """A country DHS designated for removal (maybe a third country), and when withdrawn."""

    __tablename__ = "removal_designations"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    country: Mapped[str] = mapped_column(String(8))
    third_country: Mapped[bool] = mapped_column(Boolean, default=False)
    designated: Mapped[date] = mapped_column(Date)
    withdrawn: Mapped[date | None] = mapped_column(Date)


class Hearing(Base):
    """A hearing: when, what kind, in person or by video, and where."""

    __tablename__ = "hearings"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10))
    location: Mapped[str | None] = mapped_column(String(200))


class Decision(Base):
    """An immigration judge's decision; written decisions run from service, oral from date."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    oral: Mapped[bool] = mapped_column(Boolean)
    served: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(10))


class Appeal(Base):
    """An appeal to the BIA by the respondent or DHS."""

    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    by: Mapped[str] = mapped_column(String(12))
    filed: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))


class Note(Base):
    """Free text on a case, encrypted: a note may identify a person."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class AuditEvent(Base):
    """Append-only: who did what to which object, when. Ids only, never client data."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    object_kind: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class LoginSession(Base):
    """A signed-in browser: the cookie holds a random token, this row only its SHA-256, so a
    copy of the database opens no session (:mod:`asylumlens.cases.sessions`)."""

    __tablename__ = "login_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """One try at signing in, for throttling (:mod:`asylumlens.cases.throttle`); the email
    is kept as a SHA-256 of its lower-cased form."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    success: Mapped[bool] = mapped_column()


class CalendarFeed(Base):
    """A secret-URL calendar feed of one user's deadlines: the URL holds a random token,
    this row only its SHA-256 (:mod:`asylumlens.cases.feeds`); revoked rows are kept so the
    user can see what was revoked and when."""

    __tablename__ = "calendar_feeds"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrganisationKey(Base):
    """One version of an organisation's key (:mod:`asylumlens.cases.keys`): 32 random bytes
    wrapped under the master key (base64 of nonce || AES-GCM ciphertext), never in clear.
    Rotation adds a version; the old one gets ``retired_at`` once no file key needs it."""

    __tablename__ = "org_keys"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    wrapped: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrganisationSigningKey(Base):
    """An organisation's Ed25519 key for signed proof manifests: the private key wrapped under
    the master key, the raw public key in clear (base64) so anyone may be handed it."""

    __tablename__ = "org_signing_keys"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    private_wrapped: Mapped[str] = mapped_column(Text)
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Exhibit(Base):
    """One piece of evidence on a case: its metadata (free text encrypted: it may identify
    people) and where its sealed file is (a random ``storage_id``, never the file's name),
    with the per-file key wrapped under the organisation key of ``org_key_version``."""

    __tablename__ = "exhibits"
    __table_args__ = (UniqueConstraint("case_id", "label", name="uq_exhibits_case_label"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    label: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(30))
    title_enc: Mapped[str] = mapped_column(Text)
    description_enc: Mapped[str | None] = mapped_column(Text)
    source_enc: Mapped[str | None] = mapped_column(Text)
    original_name_enc: Mapped[str | None] = mapped_column(Text)
    public_url_enc: Mapped[str | None] = mapped_column(Text)
    first_published: Mapped[date | None] = mapped_column(Date)
    obtained: Mapped[date | None] = mapped_column(Date)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_id: Mapped[str] = mapped_column(String(32), unique=True)
    file_key_wrapped: Mapped[str] = mapped_column(Text)
    org_key_version: Mapped[int] = mapped_column(Integer, index=True)
    translation_of: Mapped[int | None] = mapped_column(ForeignKey("exhibits.id"))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
