"""Secret-URL calendar feeds: the tokens that let a calendar app fetch one user's deadlines.

A calendar app cannot sign in, so the feed URL itself is the credential: a random 32-byte
token (``secrets.token_urlsafe``), shown to the user once. The database keeps only its
SHA-256, so a copied database or backup opens no feed. A user may hold several (one per
device) and revoke any of them; a revoked token, or a disabled user's, opens nothing, and a
password reset revokes them all (whoever knew the old password may have copied a feed URL).
Revoked rows stay, with when, so the user's list shows what was revoked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from asylumlens.cases.db import User
from asylumlens.cases.db import now as utc_now
from asylumlens.cases.models import CalendarFeed
from asylumlens.cases.sessions import token_id
from asylumlens.errors import AsylumLensError

_MAX_ID: Final = 2**31


class FeedNotFound(AsylumLensError):
    """No such calendar feed among the user's own (another user's is not found either)."""


@dataclass(frozen=True)
class FeedTokenView:
    """One feed token as its owner may see it: never the token itself."""

    id: int
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def create_feed_token(db: Session, user: User, now: datetime) -> str:
    """A new feed token for ``user``, to show once (only its hash is stored); the caller
    commits."""
    token = secrets.token_urlsafe(32)
    db.add(
        CalendarFeed(token_id=token_id(token), user_id=user.id, org_id=user.org_id, created_at=now)
    )
    db.flush()
    return token


def feed_user(db: Session, token: str | None, now: datetime) -> User | None:
    """The user whose feed ``token`` is, its last use moved to ``now``; None when the token
    is missing, unknown or revoked, or the user is disabled."""
    if not token:
        return None
    row = db.execute(
        select(CalendarFeed).where(CalendarFeed.token_id == token_id(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    user = db.get(User, row.user_id)
    if user is None or user.disabled or user.org_id != row.org_id:
        return None
    row.last_used_at = now
    db.flush()
    return user


def list_feed_tokens(db: Session, user: User) -> list[FeedTokenView]:
    """``user``'s feed tokens, oldest first, revoked ones included."""
    rows = db.execute(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id).order_by(CalendarFeed.id)
    ).scalars()
    return [
        FeedTokenView(row.id, row.created_at, row.last_used_at, row.revoked_at is not None)
        for row in rows
    ]


def revoke_feed_token(db: Session, user: User, feed_id: int) -> None:
    """Revoke one of ``user``'s own feed tokens (revoking a revoked one changes nothing);
    another user's feed, or none, is :class:`FeedNotFound`."""
    # an id no column can hold (PostgreSQL would raise on it) is simply not found
    row = db.get(CalendarFeed, feed_id) if 0 < feed_id < _MAX_ID else None
    if row is None or row.user_id != user.id:
        raise FeedNotFound(f"calendar feed {feed_id} not found")
    if row.revoked_at is None:
        row.revoked_at = utc_now()
    db.flush()


def revoke_all_feed_tokens(db: Session, user_id: int) -> int:
    """Revoke every live feed token of ``user_id``; how many were live."""
    live = db.execute(
        select(CalendarFeed).where(
            CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None)
        )
    ).scalars()
    moment = utc_now()
    count = 0
    for row in live:
        row.revoked_at = moment
        count += 1
    db.flush()
    return count
