"""The case database: one SQLAlchemy declarative base, the engine, and the shared tables.

SQLite file ``cases.sqlite`` in the store folder by default; any SQLAlchemy URL (PostgreSQL in
production) by ``ASYLUMLENS_DATABASE_URL``. The schema is made by Alembic migrations
(``asylumlens/cases/migrations``), never by ``create_all``, so SQLite and PostgreSQL run the
same DDL history. Other modules add their tables to :class:`Base`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, Text, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DATABASE_URL_ENV: Final = "ASYLUMLENS_DATABASE_URL"
SQLITE_NAME: Final = "cases.sqlite"


def now() -> datetime:
    """The current time, timezone-aware UTC (every timestamp stored is UTC)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    """A law office or nonprofit: every case, user and audit event belongs to exactly one."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class User(Base):
    """A person who logs in; one role in one organisation (``asylumlens.cases.roles``).

    ``totp_secret_enc`` is the two-factor secret, encrypted like a case field (empty: no
    two-factor); ``totp_last_step`` the last 30-second step a code was accepted for, so a
    code is good once (:mod:`asylumlens.cases.totp`)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    disabled: Mapped[bool] = mapped_column(default=False)
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


def database_url(store_root: Path) -> str:
    """``ASYLUMLENS_DATABASE_URL`` if set, else the SQLite file in the store folder."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    return f"sqlite:///{(store_root / SQLITE_NAME).resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys enforced, as PostgreSQL has them."""
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine
