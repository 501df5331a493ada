"""The signed proof manifest (issue 15 §5): signing, verification of every byte, checking
handed-over files against it, and the offline check docs/evidence.md prints.

The oracle for the signature is computed here, independently: the canonical JSON is built in
the test with :func:`json.dumps` and verified with ``cryptography`` directly.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import string
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from asylumlens.cases.proof import (
    FORMAT,
    ManifestExhibit,
    ManifestInvalid,
    file_digest,
    sign_manifest,
    verify_files,
    verify_files_report,
    verify_manifest,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "evidence.md"
MADE = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
FILES = {
    "A": b"%PDF-1.7 declaration of the applicant\n" * 100,
    "B": bytes(range(256)) * 5000,  # over 1 MiB: read in several chunks
    "C": "déclaration traduite — ترجمة".encode(),
}


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def exhibits() -> list[ManifestExhibit]:
    return [
        ManifestExhibit(
            label=label,
            kind="declaration" if label != "B" else "video",
            content_type="application/pdf" if label != "B" else "video/mp4",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            intake=datetime(2026, 11, 1, 8, n, tzinfo=timezone(timedelta(hours=-5))),
            custody=[
                {"at": f"2026-11-01T13:0{n}:00+00:00", "action": "exhibit.upload"},
                {"at": "2026-11-20T10:00:00+00:00", "action": "exhibit.verify"},
            ],
        )
        for n, (label, data) in enumerate(FILES.items())
    ]


def signed() -> dict[str, Any]:
    return sign_manifest("Case #12 – Exhibits", exhibits(), KEY, made_at=MADE)


def test_signed_manifest_has_the_format_and_verifies_independently() -> None:
    """The document has the documented fields; key_id is sha256(raw key)[:16]; the signature
    verifies with cryptography over json.dumps(sort_keys, compact, non-ASCII kept) of the
    document without "signature"; verify_manifest accepts it."""
    doc = signed()
    assert doc["format"] == FORMAT == "asylumlens-proof/1"
    assert doc["made_at"] == "2026-12-03T09:30:00+00:00"
    assert doc["exhibits"][0]["intake"] == "2026-11-01T13:00:00+00:00"  # UTC
    assert [e["sha256"] for e in doc["exhibits"]] == [
        hashlib.sha256(data).hexdigest() for data in FILES.values()
    ]
    assert base64.b64decode(doc["public_key"]) == raw(KEY)
    assert doc["key_id"] == hashlib.sha256(raw(KEY)).hexdigest()[:16]
    body = {k: v for k, v in doc.items() if k != "signature"}
    message = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    KEY.public_key().verify(base64.b64decode(doc["signature"]), message.encode())
    verify_manifest(doc)
    verify_manifest(json.loads(json.dumps(doc)))  # survives a JSON round trip


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))
    else:
        yield path, node


def put(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    node: Any = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return changed


def other_char(c: str) -> str:
    """A different character of the same sort (so the shape stays valid where it can)."""
    for alphabet in (string.hexdigits.lower(), string.ascii_letters + string.digits + "+/"):
        if c in alphabet:
            return alphabet[(alphabet.index(c) + 1) % len(alphabet)]
    return "x" if c != "x" else "y"


def test_changing_any_character_of_any_field_invalidates() -> None:
    """Every character of every string field (signature, key and key_id included), and every
    number, changed one at a time: each change is refused."""
    doc = signed()
    changes = 0
    for path, value in leaves(doc):
        if isinstance(value, int):
            variants = [value + 1]
        else:
            variants = [
                value[:i] + other_char(value[i]) + value[i + 1 :] for i in range(len(value))
            ]
        for variant in variants:
            with pytest.raises(ManifestInvalid):
                verify_manifest(put(doc, path, variant))
            changes += 1
    assert changes > 600


def test_missing_extra_or_mistyped_fields_are_invalid() -> None:
    """A field removed or added, the wrong format, a size as text: refused (never a crash)."""
    doc = signed()
    without = {k: v for k, v in doc.items() if k != "made_at"}
    candidates: list[object] = [
        without,
        {**doc, "extra": 1},
        {**doc, "format": "asylumlens-proof/2"},
        put(doc, ("exhibits", 0, "size"), str(doc["exhibits"][0]["size"])),
        put(doc, ("exhibits", 0, "custody", 0), {"at": "x", "action": "y", "by": "Ana"}),
        put(doc, ("exhibits",), {}),
        [],
    ]
    for bad in candidates:
        with pytest.raises(ManifestInvalid):
            verify_manifest(bad)  # type: ignore[arg-type]


def test_a_different_key_claiming_the_first_key_id_is_invalid() -> None:
    """Re-signed by another key: claiming the first key's id with the other public key, or
    keeping the first public key, is refused; a fully re-signed manifest is refused when the
    organisation's key id is expected."""
    doc = signed()
    body = {k: v for k, v in doc.items() if k != "signature"}

    def resign(document: dict[str, Any]) -> dict[str, Any]:
        message = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        signature = base64.b64encode(OTHER.sign(message.encode())).decode()
        return {**document, "signature": signature}

    claimed = resign({**body, "public_key": base64.b64encode(raw(OTHER)).decode()})
    with pytest.raises(ManifestInvalid, match="key_id"):
        verify_manifest(claimed)
    with pytest.raises(ManifestInvalid, match="signature"):
        verify_manifest(resign(body))
    forged = resign(
        {
            **body,
            "public_key": base64.b64encode(raw(OTHER)).decode(),
            "key_id": hashlib.sha256(raw(OTHER)).hexdigest()[:16],
        }
    )
    verify_manifest(forged)  # consistent with itself...
    with pytest.raises(ManifestInvalid, match="expected"):
        verify_manifest(forged, expected_key_id=doc["key_id"])  # ...but not the organisation's
    verify_manifest(doc, expected_key_id=doc["key_id"])


def write_files(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for label, data in FILES.items():
        paths[label] = tmp_path / f"exhibit-{label}.bin"
        paths[label].write_bytes(data)
    return paths


def test_verify_files_ok_unknown_and_not_given(tmp_path: Path) -> None:
    """The right files are "ok" with their labels; a file with one byte changed is "unknown";
    the exhibit no given file matches is "not given"; an unreadable path is "unreadable"."""
    paths = write_files(tmp_path)
    doc = signed()
    checks = verify_files(doc, [paths["A"], paths["B"]])
    assert [(c.path, c.status, c.label) for c in checks] == [
        (paths["A"], "ok", "A"),
        (paths["B"], "ok", "B"),
        (None, "not given", "C"),
    ]
    assert checks[1].sha256 == hashlib.sha256(FILES["B"]).hexdigest()
    changed = bytearray(FILES["C"])
    changed[3] ^= 1
    paths["C"].write_bytes(bytes(changed))
    gone = tmp_path / "absent.bin"
    checks = verify_files(doc, [paths["C"], paths["A"], gone])
    assert [(c.path, c.status, c.label) for c in checks] == [
        (paths["C"], "unknown", None),
        (paths["A"], "ok", "A"),
        (gone, "unreadable", None),
        (None, "not given", "B"),
        (None, "not given", "C"),
    ]


def test_verify_files_checks_the_signature_first(tmp_path: Path) -> None:
    """Right files and a tampered manifest: ManifestInvalid, no file report."""
    paths = write_files(tmp_path)
    doc = put(signed(), ("exhibits", 0, "kind"), "identity_document")
    with pytest.raises(ManifestInvalid):
        verify_files(doc, list(paths.values()))


def test_verify_files_report_flag_and_file_errors(tmp_path: Path) -> None:
    """The report's flag is True only when every given file is ok; a manifest that is not
    JSON, cannot be read, or does not verify is ManifestInvalid naming the file."""
    paths = write_files(tmp_path)
    manifest = tmp_path / "MANIFEST.json"
    manifest.write_text(json.dumps(signed(), ensure_ascii=False), "utf-8")
    checks, ok = verify_files_report(manifest, [paths["A"], paths["C"]])
    assert ok and [c.status for c in checks] == ["ok", "ok", "not given"]
    paths["A"].write_bytes(FILES["A"] + b"\n")
    assert verify_files_report(manifest, [paths["A"], paths["C"]])[1] is False
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ', "utf-8")
    with pytest.raises(ManifestInvalid, match=re.escape(str(broken))):
        verify_files_report(broken, [])
    with pytest.raises(ManifestInvalid, match=re.escape(str(tmp_path / "nope.json"))):
        verify_files_report(tmp_path / "nope.json", [])
    manifest.write_text(json.dumps(put(signed(), ("case",), "Case #13")), "utf-8")
    with pytest.raises(ManifestInvalid, match=re.escape(str(manifest))):
        verify_files_report(manifest, [paths["C"]])


def test_file_digest_streams_to_the_whole_file_hash(tmp_path: Path) -> None:
    """A 3.5 MiB file read in 1 MiB chunks has the hash and size of the whole bytes."""
    data = bytes(range(251)) * (14 * 1024 * 1024 // 4 // 251 + 1)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert file_digest(path) == (hashlib.sha256(data).hexdigest(), len(data))


def test_signing_refuses_naive_times_and_names_in_custody() -> None:
    """A time without a zone, or a custody event with any field but at/action (say a name),
    is refused when signing."""
    good = exhibits()[0]
    naive = ManifestExhibit(**{**good.__dict__, "intake": datetime(2026, 11, 1, 8, 0)})
    named = ManifestExhibit(
        **{**good.__dict__, "custody": [{"at": "2026-11-01", "action": "view", "by": "Ana"}]}
    )
    for bad in (naive, named):
        with pytest.raises(ValueError):
            sign_manifest("Case #12", [bad], KEY, made_at=MADE)
    with pytest.raises(ValueError):
        sign_manifest("Case #12", [good], KEY, made_at=datetime(2026, 12, 3))


def doc_snippet() -> str:
    text = DOC.read_text("utf-8")
    match = re.search(r"<!-- verify-signature -->\n```python\n(.*?)```", text, re.DOTALL)
    assert match, "docs/evidence.md lost its signature snippet"
    return match.group(1)


def test_the_documented_offline_check_accepts_and_refuses(tmp_path: Path) -> None:
    """The Python snippet in docs/evidence.md, run as printed, exits 0 on a signed manifest
    and fails on one with a changed byte."""
    script = tmp_path / "check.py"
    script.write_text(doc_snippet(), "utf-8")
    assert len(doc_snippet().strip().splitlines()) <= 12
    good = tmp_path / "good.json"
    good.write_text(json.dumps(signed(), ensure_ascii=False, indent=2), "utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(put(signed(), ("exhibits", 1, "size"), 1)), "utf-8")
    run = [sys.executable, str(script)]
    ok = subprocess.run([*run, str(good)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert signed()["key_id"] in ok.stdout
    refused = subprocess.run([*run, str(bad)], capture_output=True, text=True, check=False)
    assert refused.returncode != 0
