"""Backup and restore round-trip everything, on SQLite and PostgreSQL, and through the CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from asylumlens.cases import backup, records
from asylumlens.cases.backup import CaseBackupError
from asylumlens.cases.db import make_engine
from asylumlens.cases.roles import Role
from asylumlens.cases.schema import migrate
from case_world import A_NUMBER_DIGITS, CLIENT_NAME, World, build_world, sample_case
from cli_support import run_cli

if TYPE_CHECKING:
    from case_db import CaseDb, PostgresServer

pytest_plugins = ["case_db"]


def _everything(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in meta.sorted_tables
            if t.name != "alembic_version"
        }


def _fill(engine: Engine) -> tuple[World, int]:
    with Session(engine) as s:
        world = build_world(s)
        att = world.actor(Role.ATTORNEY)
        cid = records.create_case(s, att, world.key, sample_case(world.key)).id
        records.add_custody_spell(s, att, cid, {"facility": "County jail", "start": "2026-08-05"})
        records.add_decision(s, att, cid, {"on": "2027-01-10", "oral": True, "outcome": "grant"})
        records.add_note(s, att, world.key, cid, "credible; five months detained")
        s.commit()
        return world, cid


def test_round_trip_keeps_every_row_and_ciphertext(case_db: CaseDb, tmp_path: Path) -> None:
    world, cid = _fill(case_db.engine)
    file = tmp_path / "cases-backup.json"
    counts = backup.write_backup(case_db.engine, file)
    assert counts["cases"] == 1 and counts["audit_events"] >= 5
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    saved = file.read_text()
    assert CLIENT_NAME not in saved and A_NUMBER_DIGITS not in saved
    before = _everything(case_db.engine)
    assert any(r[4] == "backup" for r in before["audit_events"])  # the export is audited

    target = case_db.another()
    backup.restore(target.engine, backup.read_backup(file))
    assert _everything(target.engine) == before
    with Session(target.engine) as s:
        att = world.actor(Role.ATTORNEY)
        assert records.get_case(s, att, world.key, cid).client_name == CLIENT_NAME
        # new rows after a restore get fresh ids (PostgreSQL sequences moved past the restored)
        new = records.create_case(s, att, world.key, sample_case(world.key))
        assert new.id > cid
        s.commit()

    with pytest.raises(CaseBackupError, match="not empty"):
        backup.restore(target.engine, backup.read_backup(file))


def test_bad_backup_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    for content, message in [
        ("{", "not a JSON case backup"),
        ('{"format": "other"}', "not an AsylumLens case backup"),
        (json.dumps({"format": backup.FORMAT, "version": 99}), "version must be 1"),
    ]:
        bad.write_text(content)
        with pytest.raises(CaseBackupError, match=message):
            backup.read_backup(bad)


def test_cli_backup_and_restore(tmp_path: Path) -> None:
    store = tmp_path / "store"
    env = {"ASYLUMLENS_STORE": str(store)}
    drop = ("ASYLUMLENS_DATABASE_URL", "ASYLUMLENS_KEY", "ASYLUMLENS_KEY_FILE")
    assert run_cli("cases", "init-key", env=env, drop=drop).returncode == 0
    engine = make_engine(f"sqlite:///{store / 'cases.sqlite'}")
    migrate(engine)
    _fill(engine)
    engine.dispose()
    file = tmp_path / "b.json"
    made = run_cli("cases", "backup", str(file), env=env, drop=drop)
    assert made.returncode == 0, made.stderr
    assert "cases 1" in made.stdout and CLIENT_NAME not in made.stdout
    refused = run_cli("cases", "restore", str(file), env=env, drop=drop)
    assert refused.returncode == 2
    assert "not empty" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    fresh = {"ASYLUMLENS_STORE": str(tmp_path / "fresh")}
    restored = run_cli("cases", "restore", str(file), env=fresh, drop=drop)
    assert restored.returncode == 0, restored.stderr
    assert "cases 1" in restored.stdout


def test_a_sqlite_backup_restores_into_postgresql(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = make_engine(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    migrate(source)
    world, cid = _fill(source)
    file = tmp_path / "b.json"
    backup.write_backup(source, file)
    url = postgres_server.new_database()
    target = make_engine(url)
    try:
        backup.restore(target, backup.read_backup(file))
        restored, original = _everything(target), _everything(source)
        assert restored.keys() == original.keys()
        assert [r[3] for r in restored["notes"]] == [r[3] for r in original["notes"]]
        assert len(restored["audit_events"]) == len(original["audit_events"])
        with Session(target) as s:
            view = records.get_case(s, world.actor(Role.VIEWER), world.key, cid)
            assert (view.client_name, view.a_number) == (CLIENT_NAME, A_NUMBER_DIGITS)
    finally:
        target.dispose()
        source.dispose()
        postgres_server.drop_database(url)
