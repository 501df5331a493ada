"""Signing in: throttle, check the password, open a session; and who a session acts as.

Every refusal says the same thing ("wrong email or password") whether the email exists or
not, and an unknown email spends the time of a real check, so sign-in tells nobody which
accounts exist. A throttled try is refused before its password is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from asylumlens.cases import passwords
from asylumlens.cases.db import Organisation, User
from asylumlens.cases.records import Actor
from asylumlens.cases.roles import Role
from asylumlens.cases.sessions import SessionPolicy, create_session
from asylumlens.cases.throttle import ThrottlePolicy, record_attempt, throttled
from asylumlens.errors import AsylumLensError


class LoginRefused(AsylumLensError):
    """Wrong email or password (never says which)."""


class LoginThrottled(AsylumLensError):
    """Too many failed sign-ins for this email or address; try again later."""


@dataclass(frozen=True)
class SignedIn:
    user: User
    organisation: str
    token: str
    csrf_token: str


@dataclass(frozen=True)
class AuthPolicy:
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)


def user_by_email(db: Session, email: str) -> User | None:
    return db.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()


def login(
    db: Session, email: str, password: str, *, ip: str, now: datetime, policy: AuthPolicy
) -> SignedIn:
    """Sign ``email`` in from ``ip``; the caller commits (attempts are recorded either way)."""
    if throttled(db, email, ip, now, policy.throttle):
        raise LoginThrottled("too many failed sign-ins; try again in a few minutes")
    user = user_by_email(db, email)
    ok = passwords.verify_password(user.password_hash if user else passwords.DUMMY_HASH, password)
    if user is None or user.disabled or not ok:
        record_attempt(db, email, ip, now, success=False)
        raise LoginRefused("wrong email or password")
    record_attempt(db, email, ip, now, success=True)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    token, csrf = create_session(db, user, now)
    org = db.get(Organisation, user.org_id)
    return SignedIn(user, org.name if org else "", token, csrf)


def actor_of(user: User) -> Actor:
    """Who ``user`` acts as in the case records."""
    return Actor(user.id, user.org_id, Role(user.role))
