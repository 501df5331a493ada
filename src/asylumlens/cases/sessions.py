"""Server-side sessions with idle and absolute timeouts, and their CSRF tokens.

The browser holds a random 32-byte token (cookie ``asylumlens_session``: Secure, HttpOnly,
SameSite=Lax); the database holds only its SHA-256, so a leaked backup or database copy
opens no session. Each session has its own random CSRF token, sent back by state-changing
requests in ``X-CSRF-Token`` and compared in constant time (the synchronizer-token pattern,
as Django does it). A session ends after ``idle`` without a request or ``absolute`` after
sign-in, whichever comes first (OWASP Session Management guidance).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from asylumlens.cases.db import User
from asylumlens.cases.models import LoginSession


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


def token_id(token: str) -> str:
    """The stored id of a session token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back naive; every stored time is UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def session_alive(
    created: datetime, last_seen: datetime, now: datetime, policy: SessionPolicy
) -> bool:
    """Whether a session signed in at ``created`` and last used at ``last_seen`` still holds
    at ``now``: neither the idle nor the absolute timeout has passed (a session exactly at
    its limit has ended)."""
    created, last_seen, now = _utc(created), _utc(last_seen), _utc(now)
    return now - last_seen < policy.idle and now - created < policy.absolute


def create_session(db: Session, user: User, now: datetime) -> tuple[str, str]:
    """A new session for ``user``: (cookie token, CSRF token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    db.add(
        LoginSession(
            id=token_id(token),
            user_id=user.id,
            org_id=user.org_id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    db.flush()
    return token, csrf


def resolve_session(
    db: Session, token: str | None, now: datetime, policy: SessionPolicy
) -> tuple[User, LoginSession] | None:
    """The user and session of ``token`` at ``now``, its last use moved to ``now``; None
    when the token is unknown, the session timed out (it is then deleted) or the user is
    disabled."""
    if not token:
        return None
    row = db.get(LoginSession, token_id(token))
    if row is None:
        return None
    user = db.get(User, row.user_id)
    if (
        user is None
        or user.disabled
        or not session_alive(row.created_at, row.last_seen_at, now, policy)
    ):
        db.delete(row)
        db.flush()
        return None
    row.last_seen_at = now
    db.flush()
    return user, row


def csrf_ok(row: LoginSession, sent: str | None) -> bool:
    """Whether ``sent`` is the session's CSRF token (constant-time comparison)."""
    return bool(sent) and hmac.compare_digest(row.csrf_token.encode(), (sent or "").encode())


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(LoginSession).where(LoginSession.id == token_id(token)))


def end_user_sessions(db: Session, user_id: int) -> None:
    """Sign ``user_id`` out everywhere (a password reset does)."""
    db.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
