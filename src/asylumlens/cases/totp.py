"""Optional two-factor sign-in: time-based one-time codes (TOTP, RFC 6238).

The codes are what every authenticator app makes: HMAC-SHA1, 6 digits, 30-second steps,
computed by ``cryptography``'s :class:`~cryptography.hazmat.primitives.twofactor.totp.TOTP`
(nothing home-made). The secret is 20 random bytes (RFC 4226's recommended 160 bits), shown
once as base32 and an ``otpauth://`` URI for a QR code, and stored only encrypted under the
case key (associated data ``users.totp_secret``), so a copied database or backup cannot make
codes.

A code is accepted for the current step or one step either side (a phone's clock drifts),
and only for a step later than the last one accepted (``users.totp_last_step``): a code seen
over a shoulder or in a proxy log cannot be used a second time (RFC 6238 §5.2).
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from sqlalchemy.orm import Session

from asylumlens.cases import crypto
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import User

ISSUER: Final = "AsylumLens"
DIGITS: Final = 6
STEP_SECONDS: Final = 30
SECRET_BYTES: Final = 20
DRIFT_STEPS: Final = 1
AD: Final = crypto.field_ad("users", "totp_secret")
_CODE: Final = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class TotpEnrolment:
    """What the user adds to their authenticator app, shown once; ``repr`` hides it."""

    secret_base32: str
    uri: str

    def __repr__(self) -> str:
        return "TotpEnrolment(<secret hidden>)"


def _totp(secret_base32: str) -> TOTP:
    return TOTP(base64.b32decode(secret_base32), DIGITS, SHA1(), STEP_SECONDS)


def _step(now: datetime) -> int:
    # SQLite hands timestamps back naive; every time here is UTC
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    return int(moment.timestamp()) // STEP_SECONDS


def enrol_totp(db: Session, user: User, key: FieldKey) -> TotpEnrolment:
    """A new secret for ``user`` (replacing any earlier one, whose codes stop working);
    the caller commits and shows the result once."""
    secret = base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")
    user.totp_secret_enc = crypto.encrypt(key, secret, AD)
    user.totp_last_step = None
    db.flush()
    uri = _totp(secret).get_provisioning_uri(user.email, ISSUER)
    return TotpEnrolment(secret, uri)


def totp_enabled(user: User) -> bool:
    return user.totp_secret_enc is not None


def verify_totp(db: Session, user: User, key: FieldKey, code: str, now: datetime) -> bool:
    """Whether ``code`` is ``user``'s code at ``now`` (±1 step) for a step not used before;
    on success that step is recorded (the caller commits). Not 6 digits, or no two-factor
    enrolled: False."""
    if user.totp_secret_enc is None or not _CODE.fullmatch(code.strip()):
        return False
    generator = _totp(crypto.decrypt(key, user.totp_secret_enc, AD))
    sent = code.strip().encode("ascii")
    current = _step(now)
    last = user.totp_last_step
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last is not None and step <= last:
            continue
        if hmac.compare_digest(generator.generate(step * STEP_SECONDS), sent):
            user.totp_last_step = step
            db.flush()
            return True
    return False


def disable_totp(db: Session, user: User) -> None:
    """Turn two-factor off for ``user`` (the secret is deleted, not kept)."""
    user.totp_secret_enc = None
    user.totp_last_step = None
    db.flush()
