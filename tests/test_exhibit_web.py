"""Exhibits through the web app (SQLite and PostgreSQL): a streamed upload whose hash is the
original's, downloads as attachments with byte ranges, verify finding a tampered file, the
packet, index and signed manifest, refusals that leave nothing behind, and no plaintext of a
file or its name on disk."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from pypdf import PdfReader

from asylumlens.cases.proof import verify_files, verify_manifest
from asylumlens.cases.roles import Role
from case_web_support import CLIENT_NAME, csrf

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from asylumlens.store import Store
    from case_web_support import Office

MARKER = b"ZEBRA-MARKER-" + secrets.token_hex(8).encode()
NAME = "Quintanilla family testimony.pdf"


def _pdf(pages: int) -> bytes:
    doc = FPDF()
    for i in range(pages):
        doc.add_page()
        doc.set_font("helvetica", size=14)
        doc.cell(text=f"DECLARATION PAGE {i + 1}")
    out: bytes = bytes(doc.output())
    return out


def _upload(
    c: TestClient, case_id: int, payload: bytes, name: str = "clip.mp4", **fields: str
) -> dict[str, object]:
    r = c.post(
        f"/api/v1/cases/{case_id}/exhibits",
        data={"title": "Camp footage", **fields},
        files={"file": (name, payload, "application/x-whatever")},
        headers=csrf(c),
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def _evidence_files(office: Office) -> list[Path]:
    root = office.workspace.evidence_root
    assert root is not None
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_upload_download_ranges_and_verify(office: Office) -> None:
    """The returned sha256 is hashlib's of the bytes sent; the download is those bytes, an
    attachment named by the label, nosniff, with ranges (206, 416); verify says ok, then
    tampered after one byte of the sealed file flips, then missing when it is gone."""
    c = office.client(Role.ATTORNEY)
    case_id = office.case_of("own")
    payload = secrets.token_bytes(3 * 1024 * 1024 + 17) + MARKER
    made = _upload(c, case_id, payload, kind="video")
    assert made["sha256"] == hashlib.sha256(payload).hexdigest()
    assert made["size"] == len(payload) and made["label"] == "A"
    url = f"/api/v1/cases/{case_id}/exhibits/{made['id']}/content"
    r = c.get(url)
    assert r.status_code == 200 and r.content == payload
    assert r.headers["content-disposition"].startswith('attachment; filename="exhibit-A')
    assert r.headers["x-content-type-options"] == "nosniff"
    assert NAME not in r.headers["content-disposition"]
    part = c.get(url, headers={"Range": "bytes=1048570-1048600"})
    assert part.status_code == 206 and part.content == payload[1048570:1048601]
    assert part.headers["content-range"] == f"bytes 1048570-1048600/{len(payload)}"
    assert c.get(url, headers={"Range": f"bytes={len(payload)}-"}).status_code == 416
    listed = c.get(f"/api/v1/cases/{case_id}/exhibits").json()["exhibits"]
    assert [x["sha256"] for x in listed] == [made["sha256"]]
    assert c.post(f"/api/v1/cases/{case_id}/exhibits/verify", headers=csrf(c)).json()["ok"]
    (sealed,) = _evidence_files(office)
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 0x01
    sealed.write_bytes(bytes(data))
    checked = c.post(f"/api/v1/cases/{case_id}/exhibits/verify", headers=csrf(c)).json()
    assert not checked["ok"] and [r["status"] for r in checked["results"]] == ["tampered"]
    sealed.unlink()
    checked = c.post(f"/api/v1/cases/{case_id}/exhibits/verify", headers=csrf(c)).json()
    assert [r["status"] for r in checked["results"]] == ["missing"]
    custody = c.get(f"/api/v1/cases/{case_id}/exhibits/{made['id']}/custody").json()["events"]
    actions = [e["action"] for e in custody]
    assert actions[0] == "upload" and "download" in actions and actions.count("verify") == 3
    page = c.get(f"/cases/{case_id}/exhibits/{made['id']}").text
    assert page.count('data-action="verify"') == 3 and 'data-action="upload"' in page
    assert str(made["sha256"]) in page


def test_no_plaintext_of_a_file_or_its_name_on_disk(office: Office) -> None:
    """After uploading a file holding a marker, named with the client's family name, the
    evidence folder and the SQLite database hold neither the marker, the name nor the title."""
    c = office.client(Role.ATTORNEY)
    case_id = office.case_of("own")
    _upload(c, case_id, b"%PDF-1.4 " + MARKER * 100, name=NAME, title="Testimony of Zorabel")
    scanned = _evidence_files(office)
    db_file = office.workspace.url.removeprefix("sqlite:///")
    if office.workspace.url.startswith("sqlite"):
        scanned.append(Path(db_file))
    assert scanned
    for path in scanned:
        data = path.read_bytes()
        for secret in (MARKER, NAME.encode(), b"Testimony of Zorabel", CLIENT_NAME.encode()):
            assert secret not in data, (path, secret)


def test_refused_and_oversized_uploads_leave_nothing(office: Office) -> None:
    """Over the limit: 413; a viewer: 403; another organisation's case: 404; no title: 422;
    no file part: 422. After each, no exhibit and no file (partial or sealed) remain."""
    office.workspace.max_upload_bytes = 2 * 1024 * 1024
    c = office.client(Role.ATTORNEY)
    case_id = office.case_of("own")
    other = office.case_of("other")
    big = secrets.token_bytes(3 * 1024 * 1024)
    files = {"file": ("big.bin", big)}
    url = f"/api/v1/cases/{case_id}/exhibits"
    assert c.post(url, data={"title": "x"}, files=files, headers=csrf(c)).status_code == 413
    viewer = office.client(Role.VIEWER)
    small = {"file": ("a.txt", b"hello")}
    assert (
        viewer.post(url, data={"title": "x"}, files=small, headers=csrf(viewer)).status_code == 403
    )
    theirs = f"/api/v1/cases/{other}/exhibits"
    assert c.post(theirs, data={"title": "x"}, files=small, headers=csrf(c)).status_code == 404
    assert c.post(url, data={"kind": "video"}, files=small, headers=csrf(c)).status_code == 422
    assert c.post(url, data={"title": "x"}, files={}, headers=csrf(c)).status_code == 422
    assert (
        c.post(url, data={"title": "x", "colour": "red"}, files=small, headers=csrf(c)).status_code
        == 422
    )
    assert c.get(url).json()["exhibits"] == []
    assert _evidence_files(office) == []


def test_the_packet_index_and_signed_manifest(office: Office, tmp_path: Path) -> None:
    """A 3-page PDF, a PNG-less video and a 1-page PDF: the packet's pages are cover, table
    of contents, then tab + pages per exhibit, numbered; the CSV lists each with its pages;
    the manifest's signature holds and the original files check against it."""
    c = office.client(Role.ATTORNEY)
    case_id = office.case_of("own")
    first, video, last = _pdf(3), secrets.token_bytes(5000), _pdf(1)
    _upload(c, case_id, first, name="a.pdf", title="Declaration", kind="declaration")
    _upload(c, case_id, video, name="b.mp4", title="Footage", kind="video")
    _upload(c, case_id, last, name="c.pdf", title="Country report", kind="country_report")
    r = c.get(f"/api/v1/cases/{case_id}/packet.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment")
    reader = PdfReader(io.BytesIO(r.content))
    total = len(reader.pages)
    assert total == 1 + 1 + (1 + 3) + (1 + 1) + (1 + 1)  # cover, TOC, tab + pages each
    texts = [p.extract_text() for p in reader.pages]
    assert all(f"Page {i + 1} of {total}" in t for i, t in enumerate(texts))
    assert "DECLARATION PAGE 3" in texts[5] and hashlib.sha256(video).hexdigest() in texts[7]
    rows = list(csv.DictReader(io.StringIO(c.get(f"/api/v1/cases/{case_id}/exhibits.csv").text)))
    assert [(r["label"], r["first_page"], r["last_page"]) for r in rows] == [
        ("A", "4", "6"), ("B", "8", "8"), ("C", "10", "10"),
    ]  # fmt: skip
    doc = json.loads(c.get(f"/api/v1/cases/{case_id}/proof.json").content)
    verify_manifest(doc)
    paths = []
    for name, data in (("a.pdf", first), ("b.mp4", video), ("c.pdf", last)):
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    assert [chk.status for chk in verify_files(doc, paths)] == ["ok", "ok", "ok"]
    events = c.get(f"/api/v1/cases/{case_id}/exhibits").json()["exhibits"]
    one = c.get(f"/api/v1/cases/{case_id}/exhibits/{events[1]['id']}/custody").json()["events"]
    assert "export" in [e["action"] for e in one]


def test_the_page_form_checks_its_token_before_taking_the_file(office: Office) -> None:
    """The case page's upload form: with the token first, a 303 to the case and the exhibit
    listed with its SHA-256; without it, 403 and nothing stored."""
    c = office.client(Role.ATTORNEY)
    case_id = office.case_of("own")
    payload = b"%PDF-1.4 a declaration " + MARKER
    form_url = f"/cases/{case_id}/exhibits"
    refused = c.post(form_url, data={"title": "x"}, files={"file": ("d.pdf", payload)})
    assert refused.status_code == 403 and _evidence_files(office) == []
    token = csrf(c)["X-CSRF-Token"]
    ok = c.post(
        form_url, data={"csrf_token": token, "title": "Declaration"},
        files={"file": ("d.pdf", payload)}, follow_redirects=False,
    )  # fmt: skip
    assert ok.status_code == 303, ok.text
    page = c.get(f"/cases/{case_id}").text
    assert hashlib.sha256(payload).hexdigest() in page


def test_verify_files_checks_handed_over_files_offline(office: Office, tmp_path: Path) -> None:
    """`asylumlens cases verify-files` with the manifest and the original files: exit 0;
    with one file changed: exit 1, naming it unknown (no store, key or database needed)."""
    import subprocess
    import sys

    c = office.client(Role.ATTORNEY)
    case_id = office.case_of("own")
    payload = b"%PDF-1.4 " + secrets.token_bytes(2000)
    _upload(c, case_id, payload, name="a.pdf", title="Declaration")
    manifest = tmp_path / "proof.json"
    manifest.write_bytes(c.get(f"/api/v1/cases/{case_id}/proof.json").content)
    original = tmp_path / "a.pdf"
    original.write_bytes(payload)
    cli = [sys.executable, "-m", "asylumlens", "cases", "verify-files", str(manifest)]
    good = subprocess.run([*cli, str(original)], capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    assert f"{original}: ok = exhibit A" in good.stdout
    original.write_bytes(payload + b"!")
    bad = subprocess.run([*cli, str(original)], capture_output=True, text=True)
    assert bad.returncode == 1 and f"{original}: unknown" in bad.stdout


def test_a_wrong_case_key_stops_serve_at_start_up(
    office: Office, store: Store, tmp_path: Path
) -> None:
    """Organisation keys made under one case key; `asylumlens serve` with another key exits
    2 with one line naming the problem, before serving anything."""
    import base64
    import os
    import subprocess
    import sys

    office.exhibit_of("own")  # the organisation's key now exists, wrapped by the right key
    env = {
        **os.environ,
        "ASYLUMLENS_DATABASE_URL": office.workspace.url,
        "ASYLUMLENS_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "asylumlens", "serve", "--store", str(store.root), "--port", "1"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "case key does not open" in lines[0], lines
