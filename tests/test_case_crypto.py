"""Field encryption: round trip, wrong key, swapped fields, key files, no plaintext on disk."""

from __future__ import annotations

import base64
import secrets
import stat
from pathlib import Path

import pytest

from asylumlens.cases import crypto
from asylumlens.cases.crypto import CaseKeyError, FieldKey

NAME_AD = crypto.field_ad("cases", "client_name")
A_AD = crypto.field_ad("cases", "a_number")


def _key() -> FieldKey:
    return FieldKey(secrets.token_bytes(32))


def test_round_trip_and_fresh_nonce() -> None:
    key = _key()
    one = crypto.encrypt(key, "Zorabel Quintanilla", NAME_AD)
    two = crypto.encrypt(key, "Zorabel Quintanilla", NAME_AD)
    assert one != two  # a random nonce per value
    assert "Zorabel" not in one
    assert one.startswith(f"v1:{key.key_id}:")
    assert crypto.decrypt(key, one, NAME_AD) == "Zorabel Quintanilla"


def test_wrong_key_is_a_clear_error_without_the_value() -> None:
    blob = crypto.encrypt(_key(), "Zorabel Quintanilla", NAME_AD)
    with pytest.raises(CaseKeyError) as caught:
        crypto.decrypt(_key(), blob, NAME_AD)
    assert "cases.client_name" in str(caught.value)
    assert "Zorabel" not in str(caught.value) and blob not in str(caught.value)


def test_ciphertext_moved_to_another_field_fails() -> None:
    key = _key()
    blob = crypto.encrypt(key, "201555019", A_AD)
    with pytest.raises(CaseKeyError, match=r"cases\.client_name"):
        crypto.decrypt(key, blob, NAME_AD)


def test_tampered_ciphertext_fails() -> None:
    key = _key()
    blob = crypto.encrypt(key, "201555019", A_AD)
    prefix, body = blob.rsplit(":", 1)
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(CaseKeyError):
        crypto.decrypt(key, f"{prefix}:{base64.b64encode(bytes(raw)).decode()}", A_AD)


def test_key_file_made_0600_and_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crypto.KEY_ENV, raising=False)
    monkeypatch.delenv(crypto.KEY_FILE_ENV, raising=False)
    with pytest.raises(CaseKeyError, match="init-key"):
        crypto.load_key(tmp_path)
    made = crypto.init_key_file(crypto.key_file_path(tmp_path))
    path = tmp_path / crypto.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.load_key(tmp_path) == made
    with pytest.raises(CaseKeyError, match="already exists"):
        crypto.init_key_file(path)
    assert repr(made) == f"FieldKey(id={made.key_id})"


def test_key_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = secrets.token_bytes(32)
    monkeypatch.setenv(crypto.KEY_ENV, base64.b64encode(raw).decode())
    assert crypto.load_key(tmp_path).key == raw
    monkeypatch.setenv(crypto.KEY_ENV, base64.b64encode(raw[:16]).decode())
    with pytest.raises(CaseKeyError, match="32 bytes"):
        crypto.load_key(tmp_path)
    monkeypatch.setenv(crypto.KEY_ENV, "not base64!!")
    with pytest.raises(CaseKeyError, match="not base64"):
        crypto.load_key(tmp_path)
