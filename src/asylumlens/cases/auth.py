"""Signing in: throttle, check the password (and the one-time code), open a session; and
who a session acts as.

Every refusal says the same thing ("wrong email or password") whether the email exists or
not, and an unknown email spends the time of a real check, so sign-in tells nobody which
accounts exist. A throttled try is refused before its password is checked.

Two-factor (:mod:`asylumlens.cases.totp`): a user with TOTP enabled who gives the right
password and no code is asked for one (:class:`TotpRequired`, not a failed attempt: nothing
was guessed). A wrong code is a failed attempt, throttled like a wrong password. When a code
is sent, every refusal reads "wrong email, password or one-time code", so the answer does not
tell a guesser holding a code which of the three was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from asylumlens.cases import passwords
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import Organisation, User
from asylumlens.cases.records import Actor
from asylumlens.cases.roles import Role
from asylumlens.cases.sessions import SessionPolicy, create_session
from asylumlens.cases.throttle import ThrottlePolicy, record_attempt, throttled
from asylumlens.cases.totp import totp_enabled, verify_totp
from asylumlens.errors import AsylumLensError


class LoginRefused(AsylumLensError):
    """Wrong email or password (never says which)."""


class TotpRequired(LoginRefused):
    """The password was right; the user has two-factor on and must send a one-time code."""


class TotpKeyMissing(AsylumLensError):
    """A caller signed in a two-factor user without the case key (a programming error)."""


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
    db: Session,
    email: str,
    password: str,
    *,
    ip: str,
    now: datetime,
    policy: AuthPolicy,
    totp: str | None = None,
    key: FieldKey | None = None,
) -> SignedIn:
    """Sign ``email`` in from ``ip``, with the one-time code ``totp`` when the user has
    two-factor on (then ``key``, the case key, decrypts their secret); the caller commits
    (attempts are recorded either way)."""
    if throttled(db, email, ip, now, policy.throttle):
        raise LoginThrottled("too many failed sign-ins; try again in a few minutes")
    refusal = "wrong email, password or one-time code" if totp else "wrong email or password"
    user = user_by_email(db, email)
    ok = passwords.verify_password(user.password_hash if user else passwords.dummy_hash(), password)
    if user is None or user.disabled or not ok:
        record_attempt(db, email, ip, now, success=False)
        raise LoginRefused(refusal)
    if totp_enabled(user):
        if key is None:
            raise TotpKeyMissing("TOTP needs the case key")
        if not totp:
            raise TotpRequired("a one-time code from your authenticator app is required")
        if not verify_totp(db, user, key, totp, now):
            record_attempt(db, email, ip, now, success=False)
            raise LoginRefused(refusal)
    record_attempt(db, email, ip, now, success=True)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    token, csrf = create_session(db, user, now)
    org = db.get(Organisation, user.org_id)
    return SignedIn(user, org.name if org else "", token, csrf)


def actor_of(user: User) -> Actor:
    """Who ``user`` acts as in the case records."""
    return Actor(user.id, user.org_id, Role(user.role))
