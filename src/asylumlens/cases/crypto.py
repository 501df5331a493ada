"""Field encryption for identifying case data: AES-256-GCM, key outside the database.

Why: 8 CFR 208.6 makes even the fact of an asylum application confidential, so a copied
database file (or backup) must not reveal a client's name or A-number. The key comes from
``$ASYLUMLENS_KEY`` (base64 of 32 bytes) or a key file (``$ASYLUMLENS_KEY_FILE``, default
``<store>/case.key``, made 0600 by :func:`init_key_file`), never from the database.

A stored value is ``v1:<key id>:<base64(nonce || ciphertext+tag)>``. The nonce is 96 random
bits per value; the associated data names the field (``b"cases.client_name"``), so a
ciphertext moved into another column fails to decrypt. The key id (first 8 hex digits of
SHA-256 of the key) says which key wrote a value, so keys can be rotated later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from asylumlens.errors import AsylumLensError

KEY_ENV: Final = "ASYLUMLENS_KEY"
KEY_FILE_ENV: Final = "ASYLUMLENS_KEY_FILE"
KEY_FILE_NAME: Final = "case.key"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
FORMAT: Final = "v1"


class CaseKeyError(AsylumLensError):
    """No usable case key: missing, malformed, or not the key that wrote the data."""


@dataclass(frozen=True)
class FieldKey:
    """One AES-256 key and its id; ``repr`` never shows the key."""

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise CaseKeyError(f"case key: must be {KEY_BYTES} bytes, got {len(self.key)}")

    def __repr__(self) -> str:
        return f"FieldKey(id={self.key_id})"

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.key).hexdigest()[:8]


def key_file_path(store_root: Path) -> Path:
    """``$ASYLUMLENS_KEY_FILE`` if set, else ``<store>/case.key``."""
    env = os.environ.get(KEY_FILE_ENV)
    return Path(env) if env else store_root / KEY_FILE_NAME


def init_key_file(path: Path) -> FieldKey:
    """Create a new random key file (mode 0600); refuse to overwrite an existing one.

    Explicit, not implicit on first read: silently making a fresh key beside data written
    under another key would make that data unreadable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CaseKeyError(f"case key: {path} already exists; not overwritten") from None
    with os.fdopen(fd, "wb") as out:
        out.write(base64.b64encode(key) + b"\n")
    return FieldKey(key)


def _decode_key(text: str, where: str) -> FieldKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CaseKeyError(f"case key: {where} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise CaseKeyError(f"case key: {where} must hold {KEY_BYTES} bytes (base64)")
    return FieldKey(raw)


def load_key(store_root: Path) -> FieldKey:
    """The case key: ``$ASYLUMLENS_KEY`` if set, else the key file (which must exist)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return _decode_key(env, f"${KEY_ENV}")
    path = key_file_path(store_root)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise CaseKeyError(
            f"case key: no {path}; run `asylumlens cases init-key` or set ${KEY_ENV}"
        ) from None
    except UnicodeDecodeError:
        raise CaseKeyError(f"case key: {path} is not base64") from None
    return _decode_key(text, str(path))


def field_ad(table: str, column: str) -> bytes:
    """The associated data binding a ciphertext to its field, e.g. ``b"cases.client_name"``."""
    return f"{table}.{column}".encode()


def encrypt(key: FieldKey, plaintext: str, ad: bytes) -> str:
    """Encrypt one field value under ``key`` bound to ``ad`` (fresh random nonce)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key.key).encrypt(nonce, plaintext.encode("utf-8"), ad)
    return f"{FORMAT}:{key.key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(key: FieldKey, blob: str, ad: bytes) -> str:
    """Decrypt one field value; a wrong key, wrong field or tampering raises
    :class:`CaseKeyError` naming only the field (never the value or the blob)."""
    field = ad.decode("ascii", "replace")
    parts = blob.split(":", 2)
    if len(parts) != 3 or parts[0] != FORMAT:
        raise CaseKeyError(f"{field}: not an encrypted value this version can read")
    _, key_id, body = parts
    if key_id != key.key_id:
        raise CaseKeyError(f"{field}: written under case key {key_id}, not the key given")
    try:
        raw = base64.b64decode(body, validate=True)
        plain = AESGCM(key.key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], ad)
    except (binascii.Error, ValueError, InvalidTag):
        raise CaseKeyError(f"{field}: cannot be decrypted (wrong key, field or tampered)") from None
    return plain.decode("utf-8")
