"""Organisations and users, as the admin commands make them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from asylumlens.cases import passwords
from asylumlens.cases.auth import user_by_email
from asylumlens.cases.db import Organisation, User
from asylumlens.cases.feeds import revoke_all_feed_tokens
from asylumlens.cases.roles import Role
from asylumlens.cases.sessions import end_user_sessions
from asylumlens.errors import AsylumLensError


class AccountError(AsylumLensError):
    """A duplicate or unknown organisation or user, a bad role or email."""


def create_organisation(db: Session, name: str) -> Organisation:
    name = name.strip()
    if not name:
        raise AccountError("name: give the organisation's name")
    if db.execute(select(Organisation).where(Organisation.name == name)).first():
        raise AccountError(f"organisation {name!r} exists already")
    org = Organisation(name=name)
    db.add(org)
    db.flush()
    return org


def create_user(db: Session, email: str, org_name: str, role: str, password: str) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise AccountError("email: not an email address")
    try:
        chosen = Role(role)
    except ValueError:
        raise AccountError(f"role: one of {', '.join(Role)}") from None
    org = db.execute(select(Organisation).where(Organisation.name == org_name)).scalar_one_or_none()
    if org is None:
        raise AccountError(f"organisation {org_name!r} does not exist (admin create-org)")
    if user_by_email(db, email) is not None:
        raise AccountError(f"user {email} exists already")
    user = User(
        org_id=org.id,
        email=email,
        role=chosen.value,
        password_hash=passwords.hash_password(password),
    )
    db.add(user)
    db.flush()
    return user


def existing_user(db: Session, email: str) -> User:
    """The user signing in as ``email``, or :class:`AccountError`."""
    user = user_by_email(db, email)
    if user is None:
        raise AccountError(f"no user {email.strip().lower()}")
    return user


def reset_password(db: Session, email: str, password: str) -> User:
    """A new password for ``email``, every session of theirs ended and every calendar feed
    token revoked: whoever had the old password may have opened or copied either."""
    user = existing_user(db, email)
    user.password_hash = passwords.hash_password(password)
    end_user_sessions(db, user.id)
    revoke_all_feed_tokens(db, user.id)
    db.flush()
    return user
