"""Case records on SQLite and PostgreSQL: migration, validation, org scope, roles, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from asylumlens.cases import records
from asylumlens.cases.audit import AuditAppendOnly
from asylumlens.cases.db import Base
from asylumlens.cases.models import AuditEvent
from asylumlens.cases.records import CaseNotFound, Forbidden
from asylumlens.cases.roles import Action, Role, may
from asylumlens.cases.schema import current_revision, head_revision, migrate
from asylumlens.cases.validation import CaseInputError, KnownCodes
from case_world import A_NUMBER_DIGITS, CLIENT_NAME, build_world, sample_case

if TYPE_CHECKING:
    from case_db import CaseDb

pytest_plugins = ["case_db"]


def test_migration_reaches_head_and_is_idempotent(case_db: CaseDb) -> None:
    assert current_revision(case_db.engine) == head_revision()
    migrate(case_db.engine)
    with case_db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 0
        # the hand-written migrations make exactly the tables the models declare
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_case_round_trip_encrypted_at_rest(case_db: CaseDb) -> None:
    with Session(case_db.engine) as s:
        world = build_world(s)
        attorney = world.actor(Role.ATTORNEY)
        made = records.create_case(s, attorney, world.key, sample_case(world.key))
        records.add_note(s, attorney, world.key, made.id, f"{CLIENT_NAME} fears return")
        s.commit()
        got = records.get_case(s, attorney, world.key, made.id)
        assert (got.client_name, got.a_number, got.nationality) == (
            CLIENT_NAME,
            A_NUMBER_DIGITS,
            "VE",
        )
        assert CLIENT_NAME not in repr(got)
        raw = s.execute(text("SELECT client_name_enc, a_number_enc FROM cases")).one()
        assert CLIENT_NAME not in raw[0] and A_NUMBER_DIGITS not in raw[1]
        s.commit()
    case_db.engine.dispose()
    if case_db.sqlite_file is not None:
        blob = case_db.sqlite_file.read_bytes()
        assert CLIENT_NAME.encode() not in blob
        assert A_NUMBER_DIGITS.encode() not in blob
        assert world.key.key not in blob


def test_bad_input_names_the_field_and_saves_nothing(case_db: CaseDb) -> None:
    with Session(case_db.engine) as s:
        world = build_world(s)
        attorney = world.actor(Role.ATTORNEY)
        bad: list[tuple[str, dict[str, object]]] = [
            ("a_number", {"a_number": "A-12-34"}),
            ("filed", {"filed": "2021-13-01"}),
            ("filed", {"filed": "2020-01-01"}),  # before the last arrival
            ("nationality", {"nationality": "X?"}),
            ("client_name", {"client_name": " "}),
            ("colour", {"colour": "blue"}),
        ]
        for field, change in bad:
            data = {**sample_case(world.key), **change}
            with pytest.raises(CaseInputError) as caught:
                records.create_case(s, attorney, world.key, data)
            assert caught.value.field == field
            assert CLIENT_NAME not in str(caught.value) and "A-12-34" not in str(caught.value)
        codes = KnownCodes(nationality={"MX"}, court={"NYC"})
        with pytest.raises(CaseInputError, match=r"^nationality: is not a code"):
            records.create_case(s, attorney, world.key, sample_case(world.key), codes)
        s.rollback()
        assert records.list_cases(s, attorney, world.key) == []


def test_event_rules_and_timeline_newest_first(case_db: CaseDb) -> None:
    with Session(case_db.engine) as s:
        world = build_world(s)
        p = world.actor(Role.PARALEGAL)
        cid = records.create_case(s, p, world.key, sample_case(world.key)).id
        with pytest.raises(CaseInputError, match=r"^end: must not be before start"):
            records.add_custody_spell(
                s, p, cid, {"facility": "County jail", "start": "2026-08-05", "end": "2026-08-01"}
            )
        with pytest.raises(CaseInputError, match=r"^on: must not be before the filing date"):
            records.add_decision(s, p, cid, {"on": "2021-01-01", "outcome": "grant"})
        with pytest.raises(CaseInputError, match=r"^mode:"):
            records.add_hearing(s, p, cid, {"on": "2026-12-01", "kind": "individual", "mode": "x"})
        records.add_custody_spell(s, p, cid, {"facility": "County jail", "start": "2026-08-05"})
        records.add_designation(
            s,
            p,
            cid,
            {
                "country": "HN",
                "third_country": True,
                "designated": "2026-09-01",
                "withdrawn": "2026-10-01",
            },
        )
        records.add_hearing(s, p, cid, {"on": "2027-01-10", "kind": "individual", "mode": "video"})
        records.add_decision(s, p, cid, {"on": "2027-01-10", "oral": True, "outcome": "grant"})
        records.add_appeal(s, p, cid, {"by": "dhs", "due": "2027-02-09", "status": "due"})
        s.commit()
        events = records.timeline(s, p, world.key, cid)
        days = [e.on for e in events]
        assert days == sorted(days, reverse=True)
        kinds = [e.kind for e in events]
        assert kinds[0] == "appeal" and kinds[-1] == "arrival"
        assert {"designated", "designation_withdrawn", "custody_start", "hearing"} <= set(kinds)
        with pytest.raises(CaseInputError, match=r"^filed: must not be before a decision"):
            records.update_case(s, p, world.key, cid, {"filed": "2027-02-01"})
        s.commit()
        assert records.get_case(s, p, world.key, cid).filed == date(2021, 11, 20)
        changed = records.update_case(s, p, world.key, cid, {"filed": "2021-12-01", "judge": "j1"})
        assert (changed.filed, changed.judge) == (date(2021, 12, 1), "J1")


def test_other_organisation_is_not_found_like_nonexistent(case_db: CaseDb) -> None:
    with Session(case_db.engine) as s:
        world = build_world(s)
        cid = records.create_case(
            s, world.actor(Role.ATTORNEY), world.key, sample_case(world.key)
        ).id
        s.commit()
        for role in Role:
            outsider = world.actor(role, "other")
            for case_id in (cid, cid + 1000):
                with pytest.raises(CaseNotFound) as caught:
                    records.get_case(s, outsider, world.key, case_id)
                assert str(caught.value) == f"case {case_id}: not found"
            if may(role, Action.EDIT_CASE):
                with pytest.raises(CaseNotFound):
                    records.add_hearing(
                        s, outsider, cid, {"on": "2027-01-01", "kind": "master", "mode": "video"}
                    )
            assert records.list_cases(s, outsider, world.key) == []


@pytest.mark.parametrize("role", list(Role))
def test_roles_follow_the_permission_table(case_db: CaseDb, role: Role) -> None:
    with Session(case_db.engine) as s:
        world = build_world(s)
        cid = records.create_case(s, world.actor(Role.ADMIN), world.key, sample_case(world.key)).id
        actor = world.actor(role)
        attempts: dict[Action, Callable[[], object]] = {
            Action.VIEW_CASE: lambda: records.get_case(s, actor, world.key, cid),
            Action.CREATE_CASE: lambda: records.create_case(
                s, actor, world.key, sample_case(world.key)
            ),
            Action.EDIT_CASE: lambda: records.update_case(
                s, actor, world.key, cid, {"language": "English"}
            ),
            Action.READ_AUDIT: lambda: records.audit_trail(s, actor),
        }
        for action, attempt in attempts.items():
            if may(role, action):
                attempt()
            else:
                with pytest.raises(Forbidden):
                    attempt()


def test_audit_holds_ids_only_and_is_append_only(case_db: CaseDb) -> None:
    with Session(case_db.engine) as s:
        world = build_world(s)
        att = world.actor(Role.ATTORNEY)
        cid = records.create_case(s, att, world.key, sample_case(world.key)).id
        records.get_case(s, att, world.key, cid)
        records.add_note(s, att, world.key, cid, f"{CLIENT_NAME} {A_NUMBER_DIGITS}")
        s.commit()
        trail = records.audit_trail(s, world.actor(Role.ADMIN))
        assert [(e.action, e.object_kind) for e in trail] == [
            ("create", "case"),
            ("view", "case"),
            ("create", "note"),
        ]
        assert all(e.user_id == att.user_id and e.org_id == att.org_id for e in trail)
        dumped = " ".join(
            " ".join(map(str, row)) for row in s.execute(text("SELECT * FROM audit_events"))
        )
        assert CLIENT_NAME not in dumped and A_NUMBER_DIGITS not in dumped
        first = s.scalars(select(AuditEvent)).first()
        assert first is not None
        first.action = "forged"
        with pytest.raises(AuditAppendOnly):
            s.flush()
