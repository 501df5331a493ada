"""Evidence exhibits on SQLite and PostgreSQL: upload, content, verify, tamper, rotation,
keys, scope, roles, custody, no plaintext on disk, and the ``cases verify`` CLI."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from asylumlens.cases import exhibits, keys, records
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.evidence_store import (
    EvidenceStore,
    FinishedUpload,
    UploadTooLarge,
    discard,
    sniff_content_type,
)
from asylumlens.cases.keys import MasterKeyMismatch
from asylumlens.cases.models import Exhibit, OrganisationKey
from asylumlens.cases.records import Actor, CaseNotFound, Forbidden
from asylumlens.cases.roles import Role
from asylumlens.cases.rotation import rotate_org_keys
from asylumlens.cases.sealed import HEADER_BYTES, TAG_BYTES, SealBroken
from asylumlens.cases.validation import CaseInputError
from case_world import World, build_world, sample_case
from cli_support import run_cli

if TYPE_CHECKING:
    from case_db import CaseDb

SMALL = 256
MARKER = b"MARKER-Quetzalcoatl-7781-do-not-leak"
FILE_NAME = "interview-Ximena-Arbelaez.mp4"
TITLE = "Declaration of Ximena Arbelaez on the camp"


@dataclass
class Desk:
    """One test's world: a session, the actors, a case of "own", the evidence store."""

    db: Session
    world: World
    case_id: int
    other_case_id: int
    store: EvidenceStore

    @property
    def key(self) -> FieldKey:
        return self.world.key

    def attorney(self, org: str = "own") -> Actor:
        return self.world.actor(Role.ATTORNEY, org)


@pytest.fixture
def desk(case_db: CaseDb, tmp_path: Path) -> Iterator[Desk]:
    with Session(case_db.engine) as db:
        world = build_world(db)
        own = records.create_case(db, world.actor(Role.ATTORNEY), world.key, sample_case(world.key))
        other = records.create_case(
            db, world.actor(Role.ATTORNEY, "other"), world.key, sample_case(world.key)
        )
        db.commit()
        yield Desk(db, world, own.id, other.id, EvidenceStore(tmp_path / "ev", chunk_size=SMALL))


def upload(store: EvidenceStore, data: bytes, pieces: int = 5) -> FinishedUpload:
    pending = store.begin_upload(keys.new_file_key())
    step = max(1, len(data) // pieces)
    for i in range(0, len(data), step):
        pending.write(data[i : i + step])
    return pending.finish()


def add(desk: Desk, data: bytes, **meta: object) -> exhibits.ExhibitView:
    finished = upload(desk.store, data)
    meta.setdefault("title", TITLE)
    view = exhibits.add_exhibit(
        desk.db, desk.attorney(), desk.key, desk.store, desk.case_id, meta, finished
    )
    desk.db.commit()
    return view


def content(desk: Desk, exhibit_id: int, rng: tuple[int, int] | None = None) -> bytes:
    _, chunks = exhibits.exhibit_content(
        desk.db, desk.attorney(), desk.key, desk.store, desk.case_id, exhibit_id, range=rng
    )
    return b"".join(chunks)


def stored_file(desk: Desk, exhibit_id: int) -> Path:
    row = desk.db.get(Exhibit, exhibit_id)
    assert row is not None
    return desk.store.path(row.storage_id)


def status_of(desk: Desk) -> dict[str, str]:
    results = exhibits.verify_exhibits(desk.db, desk.attorney(), desk.key, desk.store)
    desk.db.commit()
    return {r.label: r.status for r in results}


def test_upload_list_content_round_trip(desk: Desk) -> None:
    """Bytes out equal bytes in, the recorded SHA-256 is hashlib's, the type is sniffed
    from the bytes, ranges return the slice, and list shows the decrypted metadata."""
    data = b"%PDF-1.7\n" + secrets.token_bytes(5 * SMALL + 11)
    made = add(desk, data, original_name="../../etc/" + FILE_NAME, kind="declaration")
    assert made.sha256 == hashlib.sha256(data).hexdigest() and made.size == len(data)
    assert made.content_type == "application/pdf"
    assert made.original_name == FILE_NAME and made.label == "A"
    listed = exhibits.list_exhibits(desk.db, desk.attorney(), desk.key, desk.case_id)
    assert [(e.id, e.title, e.kind) for e in listed] == [(made.id, TITLE, "declaration")]
    assert TITLE not in repr(listed)
    assert content(desk, made.id) == data
    assert content(desk, made.id, (SMALL - 3, 3 * SMALL + 2)) == data[SMALL - 3 : 3 * SMALL + 3]
    with pytest.raises(CaseInputError, match="range"):
        content(desk, made.id, (0, len(data)))


def test_labels_are_assigned_in_order_and_unique(desk: Desk) -> None:
    """Without a label the next letter after the highest is used; a taken one is refused."""
    assert [add(desk, b"x%d" % i).label for i in range(3)] == ["A", "B", "C"]
    assert add(desk, b"y", label="e-2").label == "E-2"
    assert add(desk, b"z").label == "F"
    with pytest.raises(CaseInputError, match="label: is already used"):
        add(desk, b"w", label="B")
    with pytest.raises(CaseInputError, match="label: must be letters"):
        add(desk, b"w", label="../A")
    assert exhibits.next_label(["Z"]) == "AA" and exhibits.next_label(["AZ"]) == "BA"


def test_translation_links_an_exhibit_of_the_same_case(desk: Desk) -> None:
    """A translation needs an original, and only one of its own case."""
    original = add(desk, b"original text")
    with pytest.raises(CaseInputError, match="translation_of: is required"):
        add(desk, b"translated", kind="translation")
    other = exhibits.add_exhibit(
        desk.db,
        desk.attorney("other"),
        desk.key,
        desk.store,
        desk.other_case_id,
        {"title": "t"},
        upload(desk.store, b"other office"),
    )
    desk.db.commit()
    with pytest.raises(CaseInputError, match="translation_of: must be an exhibit of this"):
        add(desk, b"translated", kind="translation", translation_of=other.id)
    made = add(desk, b"translated", kind="translation", translation_of=str(original.id))
    assert made.translation_of == original.id


def test_bad_input_and_empty_files_are_refused_without_a_row(desk: Desk) -> None:
    """Empty file, missing title, unknown kind, bad URL: refused naming the field, never
    the value, and nothing is saved."""
    bad: list[tuple[bytes, dict[str, object], str]] = [
        (b"", {"title": "t"}, "file: is empty"),
        (b"a", {}, "title: is required"),
        (b"a", {"title": "t", "kind": "poem"}, "kind: must be one of"),
        (b"a", {"title": "t", "public_url": "javascript:alert(1)"}, "public_url"),
        (b"a", {"title": "t", "colour": "red"}, "colour: is not a field"),
    ]
    for data, meta, message in bad:
        finished = upload(desk.store, data)
        with pytest.raises(CaseInputError, match=message) as caught:
            exhibits.add_exhibit(
                desk.db, desk.attorney(), desk.key, desk.store, desk.case_id, meta, finished
            )
        assert "alert" not in str(caught.value)
        discard(desk.store, finished)
    desk.db.rollback()
    assert desk.db.scalar(select(Exhibit.id)) is None
    assert list(desk.store.root.iterdir()) == []


def test_name_sanitising() -> None:
    """Path separators, NULs and control characters go; at most 255 characters remain."""
    assert exhibits.sanitise_name("C:\\Users\\x\\a\x00b\x07c.pdf") == "abc.pdf"
    assert exhibits.sanitise_name("../..") is None
    assert exhibits.sanitise_name("\u202egnp.exe") == "gnp.exe"
    assert len(exhibits.sanitise_name("n" * 999) or "") == 255


def test_sniffing_uses_bytes_not_names() -> None:
    """PNG by magic number, PDF, UTF-8 text (cut mid-character too), else binary."""
    assert sniff_content_type(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30) == "image/png"
    assert sniff_content_type(b"%PDF-1.4 ...") == "application/pdf"
    assert sniff_content_type("déclaration".encode()[:2]) == "text/plain"
    assert sniff_content_type(b"\x00\x01\x02") == "application/octet-stream"


def _rewrite_chunks(path: Path, change: str) -> None:
    blob = path.read_bytes()
    header, body = blob[:HEADER_BYTES], blob[HEADER_BYTES:]
    step = SMALL + TAG_BYTES
    parts = [body[i : i + step] for i in range(0, len(body), step)]
    if change == "flip":
        flipped = bytearray(blob)
        flipped[HEADER_BYTES + step + 5] ^= 0x10
        path.write_bytes(bytes(flipped))
        return
    if change == "drop":
        parts = [parts[0], *parts[2:]]
    elif change == "swap":
        parts = [parts[1], parts[0], *parts[2:]]
    elif change == "truncate":
        parts = parts[:-1]
    path.write_bytes(header + b"".join(parts))


def test_tampered_and_missing_files_are_found(desk: Desk) -> None:
    """Flip a byte, drop a chunk, swap two, truncate: verify says tampered for each and ok
    for the untouched one; a deleted file is missing; each check is in the audit trail."""
    changes = ["flip", "drop", "swap", "truncate"]
    made = {c: add(desk, secrets.token_bytes(4 * SMALL + 7)) for c in changes}
    intact = add(desk, secrets.token_bytes(3 * SMALL))
    gone = add(desk, b"will vanish")
    assert set(status_of(desk).values()) == {"ok"}
    for change, view in made.items():
        _rewrite_chunks(stored_file(desk, view.id), change)
    stored_file(desk, gone.id).unlink()
    got = status_of(desk)
    assert {c: got[v.label] for c, v in made.items()} == dict.fromkeys(changes, "tampered")
    assert got[intact.label] == "ok" and got[gone.label] == "missing"
    with pytest.raises(SealBroken):
        content(desk, made["flip"].id)
    trail = exhibits.custody(desk.db, desk.attorney(), desk.case_id, intact.id)
    assert [e.action for e in trail] == ["upload", "verify", "verify"]


def test_interrupted_and_oversized_uploads_leave_nothing(desk: Desk) -> None:
    """An exception mid-stream (in a ``with``), an upload past the limit and a bad file key
    leave no file, partial or sealed, and no row."""
    with pytest.raises(RuntimeError), desk.store.begin_upload(keys.new_file_key()) as pending:
        pending.write(secrets.token_bytes(3 * SMALL))
        raise RuntimeError("client went away")
    small = EvidenceStore(desk.store.root, max_bytes=2 * SMALL, chunk_size=SMALL)
    pending = small.begin_upload(keys.new_file_key())
    pending.write(secrets.token_bytes(SMALL))
    with pytest.raises(UploadTooLarge):
        pending.write(secrets.token_bytes(SMALL + 1))
    pending.abort()  # idempotent
    with pytest.raises(ValueError, match="file key"):
        desk.store.begin_upload(b"short key")
    assert list(desk.store.root.iterdir()) == []
    assert desk.db.scalar(select(Exhibit.id)) is None


def test_sweep_removes_only_stale_partials(desk: Desk) -> None:
    """A crash's old partial goes; a fresh one (an upload in progress) stays."""
    old = desk.store.root / ".partial-old"
    old.write_bytes(b"ciphertext")
    os.utime(old, (1, 1))
    fresh = desk.store.begin_upload(keys.new_file_key())
    assert desk.store.sweep_partials() == 1
    assert not old.exists() and len(list(desk.store.root.iterdir())) == 1
    fresh.abort()


def test_rotation_rewraps_without_touching_files_and_resumes(desk: Desk) -> None:
    """After a rotation stopped after one batch, a second run finishes it; the old version
    is retired, every file is byte-identical, and content and verify still work."""
    datas = [secrets.token_bytes(SMALL + i) for i in range(5)]
    views = [add(desk, d) for d in datas]
    before = {v.id: stored_file(desk, v.id).read_bytes() for v in views}
    first = rotate_org_keys(desk.db, desk.key, batch=2, max_batches=1)
    assert (first.rewrapped, first.remaining, first.retired) == (2, 3, 0)
    versions = desk.db.scalars(select(Exhibit.org_key_version).order_by(Exhibit.id)).all()
    assert sorted(versions) == [1, 1, 1, 2, 2]
    assert all(content(desk, v.id) == d for v, d in zip(views, datas, strict=True))
    second = rotate_org_keys(desk.db, desk.key, batch=2)
    assert (second.new_versions, second.rewrapped, second.remaining) == (0, 3, 0)
    assert second.retired == 1
    assert set(desk.db.scalars(select(Exhibit.org_key_version))) == {2}
    assert {v.id: stored_file(desk, v.id).read_bytes() for v in views} == before
    assert set(status_of(desk).values()) == {"ok"}
    assert all(content(desk, v.id) == d for v, d in zip(views, datas, strict=True))
    newest = add(desk, b"after rotation")
    assert desk.db.get(Exhibit, newest.id).org_key_version == 2  # type: ignore[union-attr]


def test_wrong_master_key_fails_loudly(desk: Desk) -> None:
    """A wrong master key raises MasterKeyMismatch at the check, in verify and in content
    (never garbage), with the one-line message."""
    view = add(desk, b"evidence")
    wrong = FieldKey(secrets.token_bytes(32))
    keys.check_master_key(desk.db, desk.key)
    with pytest.raises(MasterKeyMismatch, match="wrong ASYLUMLENS_KEY or key file"):
        keys.check_master_key(desk.db, wrong)
    with pytest.raises(MasterKeyMismatch):
        exhibits.verify_exhibits(desk.db, None, wrong, desk.store)
    with pytest.raises(MasterKeyMismatch):
        exhibits.exhibit_content(desk.db, desk.attorney(), wrong, desk.store, desk.case_id, view.id)


def test_signing_key_is_stable_and_wrapped(desk: Desk) -> None:
    """The organisation's Ed25519 key signs what its stored public key verifies, survives
    rotation, and its private bytes are not in the database in clear."""
    org = desk.attorney().org_id
    signing = keys.org_signing_key(desk.db, org, desk.key)
    desk.db.commit()
    public = keys.org_public_key(desk.db, org)
    assert signing.public_key().public_bytes_raw() == public
    rotate_org_keys(desk.db, desk.key)
    again = keys.org_signing_key(desk.db, org, desk.key)
    assert again.private_bytes_raw() == signing.private_bytes_raw()
    dump = " ".join(
        str(v) for row in desk.db.execute(text("SELECT * FROM org_signing_keys")) for v in row
    )
    assert base64.b64encode(signing.private_bytes_raw()).decode() not in dump


def test_scope_and_roles(desk: Desk) -> None:
    """Another organisation's case or exhibit is not found (upload, list, get, content,
    custody, verify); a viewer may not upload, a paralegal may not download."""
    view = add(desk, b"ours")
    outsider = desk.attorney("other")
    finished = upload(desk.store, b"x")
    with pytest.raises(CaseNotFound):
        exhibits.add_exhibit(
            desk.db, outsider, desk.key, desk.store, desk.case_id, {"title": "t"}, finished
        )
    for call in (
        lambda: exhibits.list_exhibits(desk.db, outsider, desk.key, desk.case_id),
        lambda: exhibits.get_exhibit(desk.db, outsider, desk.key, desk.case_id, view.id),
        lambda: exhibits.get_exhibit(desk.db, outsider, desk.key, desk.other_case_id, view.id),
        lambda: exhibits.exhibit_content(
            desk.db, outsider, desk.key, desk.store, desk.case_id, view.id
        ),
        lambda: exhibits.custody(desk.db, outsider, desk.case_id, view.id),
        lambda: exhibits.verify_exhibits(desk.db, outsider, desk.key, desk.store, desk.case_id),
    ):
        with pytest.raises(CaseNotFound):
            call()
    assert exhibits.verify_exhibits(desk.db, outsider, desk.key, desk.store) == []
    viewer = desk.world.actor(Role.VIEWER)
    with pytest.raises(Forbidden):
        exhibits.add_exhibit(
            desk.db, viewer, desk.key, desk.store, desk.case_id, {"title": "t"}, finished
        )
    with pytest.raises(Forbidden):
        exhibits.exhibit_content(
            desk.db, desk.world.actor(Role.PARALEGAL), desk.key, desk.store, desk.case_id, view.id
        )
    assert exhibits.get_exhibit(desk.db, viewer, desk.key, desk.case_id, view.id).id == view.id


def test_custody_lists_every_event_oldest_first(desk: Desk) -> None:
    """Upload, view, download and verify of one exhibit, in order, ids only; another
    exhibit's events are not in it."""
    view = add(desk, b"custody")
    add(desk, b"another")
    exhibits.get_exhibit(desk.db, desk.attorney(), desk.key, desk.case_id, view.id)
    content(desk, view.id)
    status_of(desk)
    trail = exhibits.custody(desk.db, desk.attorney(), desk.case_id, view.id)
    assert [e.action for e in trail] == ["upload", "view", "download", "verify"]
    assert {e.object_id for e in trail} == {view.id}
    assert {e.user_id for e in trail} == {desk.attorney().user_id}


def test_no_plaintext_on_disk(case_db: CaseDb, desk: Desk) -> None:
    """A file with a marker string, a telling name and title: none of them is in any file
    of the evidence folder or in the SQLite database file; only random names are on disk."""
    data = MARKER * 40
    add(desk, data, original_name=FILE_NAME, description=TITLE)
    desk.db.close()
    case_db.engine.dispose()
    needles = [MARKER, FILE_NAME.encode(), TITLE.encode(), b"Ximena"]
    files = [p for p in desk.store.root.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].suffix == ".sealed" and len(files[0].stem) == 32
    if case_db.sqlite_file is not None:
        files.append(case_db.sqlite_file)
    for path in files:
        blob = path.read_bytes()
        for needle in needles:
            assert needle not in blob, f"{needle!r} in {path.name}"


def test_cli_verify_exits_0_then_1_after_tampering(tmp_path: Path) -> None:
    """`asylumlens cases verify` on a real store (SQLite, key from ASYLUMLENS_KEY): exit 0
    with every exhibit ok, then 1 naming the tampered one; JSON rows; rotate-key keeps
    them ok."""
    from asylumlens.cases.db import make_engine
    from asylumlens.cases.evidence_store import evidence_root
    from asylumlens.cases.schema import migrate

    store_root = tmp_path / "store"
    store_root.mkdir()
    engine = make_engine(f"sqlite:///{store_root / 'cases.sqlite'}")
    migrate(engine)
    with Session(engine) as db:
        world = build_world(db)
        attorney = world.actor(Role.ATTORNEY)
        case = records.create_case(db, attorney, world.key, sample_case(world.key))
        store = EvidenceStore(evidence_root(store_root))
        views = []
        for data in (b"first exhibit", secrets.token_bytes(2000)):
            finished = upload(store, data)
            views.append(
                exhibits.add_exhibit(
                    db, attorney, world.key, store, case.id, {"title": "t"}, finished
                )
            )
        db.commit()
        storage_id = db.get(Exhibit, views[1].id).storage_id  # type: ignore[union-attr]
    engine.dispose()
    env = {"ASYLUMLENS_KEY": base64.b64encode(world.key.key).decode()}
    drop = ("ASYLUMLENS_DATABASE_URL", "ASYLUMLENS_EVIDENCE_DIR", "ASYLUMLENS_KEY_FILE")
    ok = run_cli("cases", "verify", "--store", str(store_root), env=env, drop=drop)
    assert ok.returncode == 0, ok.stderr
    assert f"case {case.id} exhibit A (id {views[0].id}): ok" in ok.stdout
    rotated = run_cli("cases", "rotate-key", "--store", str(store_root), env=env, drop=drop)
    assert rotated.returncode == 0 and "file keys re-wrapped 2" in rotated.stdout
    path = store.path(storage_id)
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 1
    path.write_bytes(bytes(blob))
    bad = run_cli("cases", "verify", "--store", str(store_root), "-f", "json", env=env, drop=drop)
    assert bad.returncode == 1, bad.stderr
    import json

    rows = json.loads(bad.stdout)
    assert [(r["label"], r["status"]) for r in rows] == [("A", "ok"), ("B", "tampered")]
    assert rows[1]["exhibit_id"] == views[1].id and "authentication" in rows[1]["detail"]
    wrong = {"ASYLUMLENS_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    refused = run_cli("cases", "verify", "--store", str(store_root), env=wrong, drop=drop)
    assert refused.returncode != 0 and "wrong ASYLUMLENS_KEY" in refused.stderr
    assert "Traceback" not in refused.stderr
    check = make_engine(f"sqlite:///{store_root / 'cases.sqlite'}")
    with Session(check) as db:
        assert len(db.scalars(select(OrganisationKey)).all()) == 2
    check.dispose()


def test_backup_round_trips_exhibits_and_keys(case_db: CaseDb, desk: Desk, tmp_path: Path) -> None:
    """The JSON backup carries org_keys, org_signing_keys and exhibits (wrapped keys as
    text); restored into an empty database beside the same evidence folder, an exhibit
    decrypts to its bytes and verifies."""
    from asylumlens.cases import backup

    data = secrets.token_bytes(3 * SMALL + 1)
    view = add(desk, data)
    keys.org_signing_key(desk.db, desk.attorney().org_id, desk.key)
    desk.db.commit()
    file = tmp_path / "backup.json"
    counts = backup.write_backup(case_db.engine, file)
    assert (counts["exhibits"], counts["org_keys"], counts["org_signing_keys"]) == (1, 1, 1)
    fresh = case_db.another()
    backup.restore(fresh.engine, backup.read_backup(file))
    with Session(fresh.engine) as db:
        _, chunks = exhibits.exhibit_content(
            db, desk.attorney(), desk.key, desk.store, desk.case_id, view.id
        )
        assert b"".join(chunks) == data
        results = exhibits.verify_exhibits(db, None, desk.key, desk.store)
        assert [r.status for r in results] == ["ok"]
        db.commit()


def test_migration_0004_goes_down_to_0003_and_back(case_db: CaseDb, desk: Desk) -> None:
    """With exhibits and keys in it, the database downgrades to 0003 (the three tables
    gone, cases kept) and upgrades to head again, matching the models."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    from asylumlens.cases.db import Base
    from asylumlens.cases.schema import MIGRATIONS, current_revision, head_revision, migrate

    add(desk, b"to be dropped with its table")
    desk.db.close()
    case_db.engine.dispose()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with case_db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003_totp_feeds")
    assert current_revision(case_db.engine) == "0003_totp_feeds"
    names = set(inspect(case_db.engine).get_table_names())
    assert not names & {"exhibits", "org_keys", "org_signing_keys"} and "cases" in names
    migrate(case_db.engine)
    assert current_revision(case_db.engine) == head_revision() == "0004_exhibits"
    with case_db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 2
