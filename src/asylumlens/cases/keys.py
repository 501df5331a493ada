"""The exhibit key hierarchy: master key → organisation key → per-file key.

Why three levels: the master key (the case key, :func:`asylumlens.cases.crypto.load_key`)
lives outside the database; each organisation's key is random and stored only wrapped under
it, so rotating an organisation's key means re-wrapping small file keys, never re-encrypting
gigabytes of video; each file has its own random key, so no two files share a key and the
chunk nonces of :mod:`asylumlens.cases.sealed` can never repeat across files.

Every wrap is AES-256-GCM (cryptography's ``AESGCM``, a random 96-bit nonce) with associated
data naming what the wrapped key belongs to (organisation and version; exhibit storage id and
organisation-key version), so a wrapped key copied to another row fails to unwrap. Stored
as base64 of ``nonce || ciphertext+tag``, so the JSON backup carries it as text.

Each organisation also gets an Ed25519 signing key (for signed proof manifests), made with
its first organisation key: the private key wrapped under the master key, the public key in
clear. Rotating the organisation key does not change it, so manifests signed earlier still
check against the published public key.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import now
from asylumlens.cases.models import OrganisationKey, OrganisationSigningKey
from asylumlens.errors import AsylumLensError

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
MISMATCH: Final = (
    "the case key does not open this database's organisation keys: "
    "wrong ASYLUMLENS_KEY or key file?"
)


class MasterKeyMismatch(AsylumLensError):
    """The master key given is not the one that wrapped this database's organisation keys."""


class KeyUnwrapError(AsylumLensError):
    """A wrapped key that does not open: wrong wrapping key, wrong row, or tampered."""


@dataclass(frozen=True)
class OrgKey:
    """One version of an organisation's key; ``repr`` never shows the key."""

    version: int
    key: bytes = field(repr=False)


def new_file_key() -> bytes:
    """A fresh random 256-bit per-file key."""
    return secrets.token_bytes(KEY_BYTES)


def wrap(key: bytes, secret: bytes, ad: bytes) -> str:
    """``secret`` sealed under ``key`` bound to ``ad``: base64 of nonce || ciphertext."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, secret, ad)).decode("ascii")


def unwrap(key: bytes, wrapped: str, ad: bytes) -> bytes:
    """The secret :func:`wrap` sealed; :class:`KeyUnwrapError` naming only what it was."""
    try:
        raw = base64.b64decode(wrapped, validate=True)
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], ad)
    except (ValueError, InvalidTag):
        raise KeyUnwrapError(f"{ad.decode('ascii', 'replace')}: does not unwrap") from None


def org_key_ad(org_id: int, version: int) -> bytes:
    return f"asylumlens.org_key:{org_id}:{version}".encode()


def signing_key_ad(org_id: int) -> bytes:
    return f"asylumlens.org_signing_key:{org_id}".encode()


def file_key_ad(storage_id: str, org_id: int, org_key_version: int) -> bytes:
    return f"asylumlens.file_key:{storage_id}:{org_id}:{org_key_version}".encode()


def _unwrap_org(master: FieldKey, row: OrganisationKey) -> OrgKey:
    try:
        key = unwrap(master.key, row.wrapped, org_key_ad(row.org_id, row.version))
    except KeyUnwrapError:
        raise MasterKeyMismatch(MISMATCH) from None
    return OrgKey(row.version, key)


def _newest_row(db: Session, org_id: int) -> OrganisationKey | None:
    return db.scalars(
        select(OrganisationKey)
        .where(OrganisationKey.org_id == org_id)
        .order_by(OrganisationKey.version.desc())
        .limit(1)
    ).one_or_none()


def add_org_key_version(db: Session, org_id: int, master: FieldKey, version: int) -> OrgKey:
    """Insert version ``version`` of the organisation's key (flushed, not committed); with
    version 1 also the signing key. A concurrent insert of the same version raises
    :class:`IntegrityError` from the savepoint, leaving the session usable."""
    key = secrets.token_bytes(KEY_BYTES)
    with db.begin_nested():
        db.add(
            OrganisationKey(
                org_id=org_id,
                version=version,
                wrapped=wrap(master.key, key, org_key_ad(org_id, version)),
                created_at=now(),
            )
        )
        if db.get(OrganisationSigningKey, org_id) is None:
            signing = Ed25519PrivateKey.generate()
            public = signing.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            db.add(
                OrganisationSigningKey(
                    org_id=org_id,
                    private_wrapped=wrap(
                        master.key, signing.private_bytes_raw(), signing_key_ad(org_id)
                    ),
                    public_key=base64.b64encode(public).decode("ascii"),
                    created_at=now(),
                )
            )
        db.flush()
    return OrgKey(version, key)


def org_key(db: Session, org_id: int, master: FieldKey) -> OrgKey:
    """The organisation's current (newest) key, made on first use (flushed; the caller
    commits with the work that needed it)."""
    row = _newest_row(db, org_id)
    if row is not None:
        return _unwrap_org(master, row)
    try:
        return add_org_key_version(db, org_id, master, 1)
    except IntegrityError:  # another process made it first: use theirs
        row = _newest_row(db, org_id)
        assert row is not None
        return _unwrap_org(master, row)


def org_key_version(db: Session, org_id: int, version: int, master: FieldKey) -> OrgKey:
    """One given version of the organisation's key (to open a file key wrapped under it)."""
    row = db.get(OrganisationKey, (org_id, version))
    if row is None:
        raise KeyUnwrapError(f"organisation key version {version}: not in the database")
    return _unwrap_org(master, row)


def wrap_file_key(org: OrgKey, org_id: int, storage_id: str, file_key: bytes) -> str:
    """The per-file key wrapped under the organisation key, bound to the file's storage id."""
    return wrap(org.key, file_key, file_key_ad(storage_id, org_id, org.version))


def unwrap_file_key(org: OrgKey, org_id: int, storage_id: str, wrapped: str) -> bytes:
    """The per-file key :func:`wrap_file_key` wrapped."""
    return unwrap(org.key, wrapped, file_key_ad(storage_id, org_id, org.version))


def org_signing_key(db: Session, org_id: int, master: FieldKey) -> Ed25519PrivateKey:
    """The organisation's Ed25519 signing key (made with its first organisation key)."""
    row = db.get(OrganisationSigningKey, org_id)
    if row is None:
        org_key(db, org_id, master)
        row = db.get(OrganisationSigningKey, org_id)
        assert row is not None
    try:
        raw = unwrap(master.key, row.private_wrapped, signing_key_ad(org_id))
    except KeyUnwrapError:
        raise MasterKeyMismatch(MISMATCH) from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def org_public_key(db: Session, org_id: int) -> bytes:
    """The organisation's raw 32-byte Ed25519 public key; :class:`KeyUnwrapError` if it has
    none yet (call :func:`org_signing_key` first)."""
    row = db.get(OrganisationSigningKey, org_id)
    if row is None:
        raise KeyUnwrapError(f"organisation {org_id}: no signing key yet")
    return base64.b64decode(row.public_key)


def check_master_key(db: Session, master: FieldKey) -> None:
    """Unwrap every organisation key and signing key with ``master``: a wrong master key
    raises :class:`MasterKeyMismatch` here, at start-up, instead of garbage later. An empty
    database (no keys yet) passes: there is nothing to mismatch."""
    for row in db.scalars(select(OrganisationKey)):
        _unwrap_org(master, row)
    for signing in db.scalars(select(OrganisationSigningKey)):
        try:
            unwrap(master.key, signing.private_wrapped, signing_key_ad(signing.org_id))
        except KeyUnwrapError:
            raise MasterKeyMismatch(MISMATCH) from None
