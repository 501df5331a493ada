"""Password hashing: argon2id from ``argon2-cffi`` (its RFC 9106 low-memory defaults).

Nothing here is home-made: the hasher salts, encodes its parameters in the hash and
compares in constant time. ``needs_rehash`` lets a login upgrade an old hash in place when
the parameters change.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from asylumlens.errors import AsylumLensError

MIN_LENGTH: Final = 12
_HASHER: Final = PasswordHasher()


@cache
def dummy_hash() -> str:
    """Verified against when the email is unknown, so a wrong email costs what a wrong
    password costs and the timing tells nobody which emails have accounts.

    Made on first use, not at import: hashing takes argon2id's 64 MiB and ~50 ms, which every
    CLI command and every server start would otherwise pay before doing anything."""
    return _HASHER.hash("no user has this password, it only spends the time")


class PasswordError(AsylumLensError):
    """A password that may not be set (too short); the message never holds it."""


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"password: at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
