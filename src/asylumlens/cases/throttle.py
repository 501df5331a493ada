"""Login throttling, kept in the database so it holds across workers and restarts.

After ``per_email`` failed sign-ins for one email, or ``per_ip`` from one address, within
``window``, further tries are refused until the window has passed, even with the right
password: guessing gets a handful of tries per quarter hour (OWASP Authentication
guidance). Emails are stored as the SHA-256 of their lower-cased form.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asylumlens.cases.models import LoginAttempt


@dataclass(frozen=True)
class ThrottlePolicy:
    per_email: int = 5
    per_ip: int = 20
    window: timedelta = timedelta(minutes=15)


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _failures(db: Session, since: datetime, *where: object) -> int:
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.at > since,
            LoginAttempt.success.is_(False),
            *where,  # type: ignore[arg-type]
        )
    )
    return int(db.execute(query).scalar_one())


def throttled(db: Session, email: str, ip: str, now: datetime, policy: ThrottlePolicy) -> bool:
    """Whether a sign-in for ``email`` from ``ip`` at ``now`` must be refused unheard."""
    since = now - policy.window
    return (
        _failures(db, since, LoginAttempt.email_hash == email_hash(email)) >= policy.per_email
        or _failures(db, since, LoginAttempt.ip == ip) >= policy.per_ip
    )


def record_attempt(db: Session, email: str, ip: str, now: datetime, *, success: bool) -> None:
    db.add(LoginAttempt(email_hash=email_hash(email), ip=ip[:64], at=now, success=success))
    db.flush()
