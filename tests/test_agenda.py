"""A case's deadlines and the organisation's agenda (asylumlens.cases.agenda), from stored
records, on SQLite and PostgreSQL.

Every expected due date is worked by hand from the calendar in the test (weekdays read with
``date -d``), never computed by the code under test; federal holidays are those of 5 U.S.C.
6103. Detention days are counted by hand, month by month, inclusive of both ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from asylumlens.cases import agenda, calendar, records
from asylumlens.cases.agenda import CaseDeadline
from asylumlens.cases.records import CaseDates, CaseNotFound, CustodyView, Forbidden
from asylumlens.cases.roles import Action, Role, may
from case_world import A_NUMBER, A_NUMBER_DIGITS, CLIENT_NAME, World, build_world, sample_case

if TYPE_CHECKING:
    from case_db import CaseDb

pytest_plugins = ["case_db"]

TODAY = date(2026, 12, 3)  # a Thursday


def _new_case(s: Session, world: World, **changes: object) -> int:
    data = {**sample_case(world.key), **changes}
    return records.create_case(s, world.actor(Role.ATTORNEY), world.key, data).id


def _of(found: list[CaseDeadline], kind: str) -> list[CaseDeadline]:
    return [d for d in found if d.kind == kind]


def _one(found: list[CaseDeadline], kind: str) -> CaseDeadline:
    (only,) = _of(found, kind)
    return only


def test_the_issue_story_dhs_appeal_due_monday_detention_days_and_a_filed_appeal(
    case_db: CaseDb,
) -> None:
    """Issue 14's story: detained 2026-08-12 and still held, oral grant Fri 2026-11-13. 8 CFR
    1003.38(b): 30 days after the oral decision: 13 Nov + 17 = 30 Nov, + 13 = Sun 13 Dec, so
    the DHS (and the respondent's) Notice is due Mon 2026-12-14. Detained to Thu 2026-12-03:
    August 12-31 = 20, September 30, October 31, November 30, December 1-3 = 3: 114 days. A
    DHS appeal filed on 12-01 makes the DHS deadline met and takes it out of upcoming, the
    respondent's stays. The one-year deadline (arrival Wed 2021-03-02, filed 2021-11-20) is
    met: the anniversary Wed 2022-03-02 is a business day. Viewing the agenda is audited
    once, as a view of the case's deadlines."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        p = world.actor(Role.PARALEGAL)
        cid = _new_case(s, world)
        records.add_custody_spell(s, p, cid, {"facility": "County jail", "start": "2026-08-12"})
        records.add_decision(s, p, cid, {"on": "2026-11-13", "oral": True, "outcome": "grant"})
        s.commit()
        got = agenda.case_agenda(s, p, world.key, cid, today=TODAY)
        dhs = _one(got.deadlines, "bia_appeal_dhs")
        assert (dhs.due, dhs.rolled_because, dhs.status) == (date(2026, 12, 14), "Sunday", "open")
        assert dhs.title == f"DHS appeal to the BIA due - case #{cid}"
        assert dhs.rule is not None and "1003.38(b)" in dhs.rule
        assert _one(got.deadlines, "bia_appeal_respondent").due == date(2026, 12, 14)
        assert (got.days_detained, got.detained_now) == (114, True)
        one_year = _one(got.deadlines, "one_year")
        assert (one_year.due, one_year.status) == (date(2022, 3, 2), "met")
        assert [d.kind for d in got.upcoming] == ["bia_appeal_dhs", "bia_appeal_respondent"]
        assert got.overdue == []
        s.commit()
        trail = records.audit_trail(s, world.actor(Role.ADMIN))
        views = [(e.action, e.object_kind, e.object_id) for e in trail if e.action == "view"]
        assert views == [("view", "case_deadlines", cid)]

        records.add_appeal(s, p, cid, {"by": "dhs", "filed": "2026-12-01", "status": "filed"})
        s.commit()
        after = agenda.case_agenda(s, p, world.key, cid, today=TODAY)
        assert _one(after.deadlines, "bia_appeal_dhs").status == "met"
        assert [d.kind for d in after.upcoming] == ["bia_appeal_respondent"]


def test_a_written_decision_counts_from_service_and_turns_overdue(case_db: CaseDb) -> None:
    """8 CFR 1003.38(b): a written decision counts from mailing or e-service. Decided Tue
    2026-10-27, mailed Fri 10-30: 30 Oct + 1 = 31 Oct, + 29 = Sun 29 Nov, rolled to Mon
    2026-11-30. Upcoming on 2026-11-20; on 2026-12-01, unappealed, both sides' deadlines are
    overdue (open and due before today). An appeal record of status "due" with no filing day
    is a reminder, not a filing, and meets nothing."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        p = world.actor(Role.ATTORNEY)
        cid = _new_case(s, world)
        records.add_decision(
            s,
            p,
            cid,
            {"on": "2026-10-27", "oral": False, "served": "2026-10-30", "outcome": "deny"},
        )
        records.add_appeal(s, p, cid, {"by": "respondent", "due": "2026-11-30", "status": "due"})
        s.commit()
        before = agenda.case_agenda(s, p, world.key, cid, today=date(2026, 11, 20))
        appeals = _of(before.deadlines, "bia_appeal_respondent") + _of(
            before.deadlines, "bia_appeal_dhs"
        )
        assert {(d.due, d.rolled_because, d.status) for d in appeals} == {
            (date(2026, 11, 30), "Sunday", "open")
        }
        assert appeals[0].rule is not None and "written decision" in appeals[0].rule
        assert {d.kind for d in before.upcoming} == {"bia_appeal_dhs", "bia_appeal_respondent"}
        late = agenda.case_agenda(s, p, world.key, cid, today=date(2026, 12, 1))
        assert late.upcoming == []
        assert {d.kind for d in late.overdue} == {"bia_appeal_dhs", "bia_appeal_respondent"}


def test_a_written_decision_without_service_date_counts_from_the_decision(
    case_db: CaseDb,
) -> None:
    """A written decision recorded without its service date (the records allow it) must not
    break the dashboard or vanish: counted from the decision date, the earliest service can
    be (8 CFR 1003.38(b)), Tue 2026-10-27 + 30 = Thu 2026-11-26, Thanksgiving Day, so due Fri
    2026-11-27, with the rule saying the service date is missing. An oral decision with a
    recorded memorandum service date still counts from its day (Matter of Iskandarani): Mon
    2026-11-02 + 30 = Wed 2026-12-02."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        p = world.actor(Role.ATTORNEY)
        cid = _new_case(s, world)
        records.add_decision(s, p, cid, {"on": "2026-10-27", "oral": False, "outcome": "deny"})
        oral = _new_case(s, world)
        records.add_decision(
            s,
            p,
            oral,
            {"on": "2026-11-02", "oral": True, "served": "2026-11-09", "outcome": "deny"},
        )
        s.commit()
        got = _one(
            agenda.case_agenda(s, p, world.key, cid, today=TODAY).deadlines, "bia_appeal_dhs"
        )
        assert (got.due, got.rolled_because) == (date(2026, 11, 27), "Thanksgiving Day")
        assert got.rule is not None and "no service date is recorded" in got.rule
        spoken = agenda.case_agenda(s, p, world.key, oral, today=TODAY).deadlines
        assert _one(spoken, "bia_appeal_dhs").due == date(2026, 12, 2)
        assert len(agenda.org_agenda(s, p, world.key, today=TODAY).overdue) == 4


def test_one_year_deadline_met_missed_open_and_absent(case_db: CaseDb) -> None:
    """8 CFR 208.4(a)(2)(ii): arrival Wed 2021-03-02, due its anniversary Wed 2022-03-02 (a
    business day). Filed 2021-11-20: met; filed 2022-05-01, after it: missed (not overdue:
    nothing is left to do by that date); not filed: open, and overdue on 2026-12-03. With no
    arrival recorded there is no one-year deadline."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        p = world.actor(Role.ATTORNEY)
        met = _new_case(s, world)
        missed = _new_case(s, world, filed="2022-05-01")
        open_ = _new_case(s, world, filed=None)
        absent = _new_case(s, world, filed=None, last_arrival=None)
        s.commit()
        expected = {met: "met", missed: "missed", open_: "open"}
        for cid, status in expected.items():
            got = agenda.case_agenda(s, p, world.key, cid, today=TODAY)
            one_year = _one(got.deadlines, "one_year")
            assert (one_year.due, one_year.rolled_because, one_year.status) == (
                date(2022, 3, 2),
                None,
                status,
            )
            assert one_year.rule is not None and "208.4(a)(2)(ii)" in one_year.rule
            assert [d.kind for d in got.overdue] == (["one_year"] if status == "open" else [])
        assert agenda.case_agenda(s, p, world.key, absent, today=TODAY).deadlines == []


def test_hearings_ahead_are_open_and_earlier_ones_past(case_db: CaseDb) -> None:
    """A hearing today (Thu 2026-12-03) or on Thu 12-10 is open and upcoming; one on Mon
    2027-03-01 is open but beyond the 30-day horizon (neither list); one on 2026-11-13 is past
    and never overdue. A hearing's free-text kind (here the client's name, typed by mistake)
    never reaches a title: the title shows only the mode."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        p = world.actor(Role.PARALEGAL)
        cid = _new_case(s, world)
        for on, mode in [
            ("2026-11-13", "in_person"),
            ("2026-12-03", "video"),
            ("2026-12-10", "video"),
            ("2027-03-01", "in_person"),
        ]:
            records.add_hearing(s, p, cid, {"on": on, "kind": CLIENT_NAME, "mode": mode})
        s.commit()
        got = agenda.case_agenda(s, p, world.key, cid, today=TODAY)
        hearings = [(d.due, d.status, d.title) for d in _of(got.deadlines, "hearing")]
        assert hearings == [
            (date(2026, 11, 13), "past", f"Hearing (in person) - case #{cid}"),
            (date(2026, 12, 3), "open", f"Hearing (video) - case #{cid}"),
            (date(2026, 12, 10), "open", f"Hearing (video) - case #{cid}"),
            (date(2027, 3, 1), "open", f"Hearing (in person) - case #{cid}"),
        ]
        assert [d.due for d in got.upcoming] == [date(2026, 12, 3), date(2026, 12, 10)]
        assert got.overdue == []
        assert all(d.rule is None for d in _of(got.deadlines, "hearing"))


def test_several_decisions_each_have_a_pair_and_the_newest_matters(case_db: CaseDb) -> None:
    """A remand: oral denial Mon 2026-03-02 (30 days: 2 Mar + 29 = 31 Mar, + 1 = Wed
    2026-04-01, a business day), appealed by the respondent on 03-20 and remanded; a new oral
    grant Fri 2026-11-13 (due Mon 2026-12-14, see the issue story). The first decision's
    respondent deadline is met (the appeal is dated after it and before the second decision);
    its DHS deadline, never used, is superseded, not overdue; the second decision's pair is
    open. A respondent's appeal of the grant filed Wed 12-16, after Mon 12-14, is missed."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        p = world.actor(Role.ATTORNEY)
        cid = _new_case(s, world)
        first = records.add_decision(s, p, cid, {"on": "2026-03-02", "outcome": "deny"}).id
        records.add_appeal(
            s, p, cid, {"by": "respondent", "filed": "2026-03-20", "status": "remanded"}
        )
        second = records.add_decision(s, p, cid, {"on": "2026-11-13", "outcome": "grant"}).id
        s.commit()
        got = agenda.case_agenda(s, p, world.key, cid, today=TODAY)
        pairs = {
            (d.decision_id, d.kind): (d.due, d.status)
            for d in got.deadlines
            if d.kind.startswith("bia_appeal")
        }
        assert pairs == {
            (first, "bia_appeal_respondent"): (date(2026, 4, 1), "met"),
            (first, "bia_appeal_dhs"): (date(2026, 4, 1), "superseded"),
            (second, "bia_appeal_respondent"): (date(2026, 12, 14), "open"),
            (second, "bia_appeal_dhs"): (date(2026, 12, 14), "open"),
        }
        assert [d.kind for d in got.overdue] == []
        assert {d.decision_id for d in got.upcoming} == {second}
        records.add_appeal(
            s, p, cid, {"by": "respondent", "filed": "2026-12-16", "status": "pending"}
        )
        s.commit()
        later = agenda.case_agenda(s, p, world.key, cid, today=date(2026, 12, 20))
        late = [d for d in later.deadlines if d.decision_id == second]
        assert {(d.kind, d.status) for d in late} == {
            ("bia_appeal_respondent", "missed"),
            ("bia_appeal_dhs", "open"),
        }
        assert [d.kind for d in later.overdue] == ["bia_appeal_dhs"]


def _story(s: Session, world: World, org: str = "own", *, released: bool = False) -> int:
    actor = world.actor(Role.ATTORNEY, org)
    cid = records.create_case(s, actor, world.key, {**sample_case(world.key), "filed": None}).id
    spell = {"facility": "County jail", "start": "2026-08-12"}
    records.add_custody_spell(s, actor, cid, {**spell, "end": "2026-10-01"} if released else spell)
    records.add_decision(s, actor, cid, {"on": "2026-11-13", "outcome": "grant"})
    records.add_hearing(s, actor, cid, {"on": "2026-12-10", "kind": "master", "mode": "video"})
    return cid


def test_org_agenda_is_the_union_of_its_cases_and_no_other_organisations(
    case_db: CaseDb,
) -> None:
    """The organisation's upcoming and overdue lists are exactly its cases' own lists merged
    by due day (the oracle: case_agenda per case), with nothing of another organisation's
    case; the detained count is the cases held now (one of two: the other was released on
    2026-10-01). One audit event for the whole dashboard."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        ours = [_story(s, world), _story(s, world, released=True)]
        theirs = _story(s, world, "other")
        s.commit()
        att = world.actor(Role.ATTORNEY)
        got = agenda.org_agenda(s, att, world.key, today=TODAY)
        per_case = [agenda.case_agenda(s, att, world.key, cid, today=TODAY) for cid in ours]

        def key(d: CaseDeadline) -> tuple[date, str, int, str]:
            return (d.due, d.kind, d.case_id, d.title)

        assert got.upcoming == sorted((d for a in per_case for d in a.upcoming), key=key)
        assert got.overdue == sorted((d for a in per_case for d in a.overdue), key=key)
        assert {d.case_id for d in got.upcoming + got.overdue} == set(ours)
        assert len(got.upcoming) == 6 and len(got.overdue) == 2  # 2 x (2 appeals + hearing)
        assert got.detained == 1
        other = agenda.org_agenda(s, world.actor(Role.VIEWER, "other"), world.key, today=TODAY)
        assert {d.case_id for d in other.upcoming + other.overdue} == {theirs}
        assert other.detained == 1
        s.commit()
        trail = records.audit_trail(s, world.actor(Role.ADMIN))
        assert [
            (e.object_kind, e.object_id) for e in trail if e.object_kind == "org_deadlines"
        ] == [("org_deadlines", None)]


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_org_agenda_queries_do_not_grow_with_the_number_of_cases(case_db: CaseDb) -> None:
    """No N+1: the dashboard of one case and of seven cases issue the same number of SQL
    statements (one per table, at most five)."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        att = world.actor(Role.ATTORNEY)
        _story(s, world)
        s.commit()
        with _counting(case_db.engine) as one:
            agenda.org_agenda(s, att, world.key, today=TODAY)
        s.commit()
        for _ in range(6):
            _story(s, world)
        s.commit()
        with _counting(case_db.engine) as seven:
            many = agenda.org_agenda(s, att, world.key, today=TODAY)
        assert len({d.case_id for d in many.upcoming}) == 7
        assert len(seven) == len(one) <= 5


def test_who_may_read_the_agenda_and_the_feed(case_db: CaseDb) -> None:
    """Every role of the organisation may read a case's agenda and the dashboard (VIEW_CASE,
    a viewer included); another organisation's users get CaseNotFound, as for a case that does
    not exist. The calendar feed leaves our control, so it follows EXPORT (attorney, admin):
    a viewer or paralegal is Forbidden."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        cid = _story(s, world)
        s.commit()
        for role in Role:
            actor = world.actor(role)
            assert agenda.case_agenda(s, actor, world.key, cid, today=TODAY).case_id == cid
            assert agenda.org_agenda(s, actor, world.key, today=TODAY).upcoming
            if may(role, Action.EXPORT):
                assert agenda.feed_items(s, actor, world.key, today=TODAY)
            else:
                with pytest.raises(Forbidden):
                    agenda.feed_items(s, actor, world.key, today=TODAY)
            outsider = world.actor(role, "other")
            for case_id in (cid, cid + 1000):
                with pytest.raises(CaseNotFound) as caught:
                    agenda.case_agenda(s, outsider, world.key, case_id, today=TODAY)
                assert str(caught.value) == f"case {case_id}: not found"


def test_feed_holds_open_deadlines_from_thirty_days_back(case_db: CaseDb) -> None:
    """The feed on 2026-12-03: open items due on or after 2026-11-03 (today - 30 days), with
    no horizon. A one-year deadline due 2022-03-02 and never met is open but too old; a past
    hearing (11-13) and a met DHS appeal are not open; the respondent's appeal (12-14), the
    hearings of 12-10 and of 2027-03-01, and an unappealed written decision's deadlines due
    Mon 2026-11-30 (overdue, 3 days) are in. The feed is audited as one export."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        att = world.actor(Role.ATTORNEY)
        cid = _story(s, world)
        records.add_appeal(s, att, cid, {"by": "dhs", "filed": "2026-11-20", "status": "filed"})
        records.add_hearing(s, att, cid, {"on": "2026-11-13", "kind": "x", "mode": "video"})
        records.add_hearing(s, att, cid, {"on": "2027-03-01", "kind": "x", "mode": "video"})
        other = _new_case(s, world, filed=None)
        records.add_decision(
            s,
            att,
            other,
            {"on": "2026-10-27", "oral": False, "served": "2026-10-30", "outcome": "deny"},
        )
        s.commit()
        items = agenda.feed_items(s, att, world.key, today=TODAY)
        assert [(i.due, i.kind, i.case_ref) for i in items] == [
            (date(2026, 11, 30), "bia_appeal_dhs", other),
            (date(2026, 11, 30), "bia_appeal_respondent", other),
            (date(2026, 12, 10), "hearing", cid),
            (date(2026, 12, 14), "bia_appeal_respondent", cid),
            (date(2027, 3, 1), "hearing", cid),
        ]
        s.commit()
        trail = records.audit_trail(s, world.actor(Role.ADMIN))
        assert [(e.action, e.object_kind) for e in trail if e.object_kind == "calendar_feed"] == [
            ("export", "calendar_feed")
        ]


def test_no_title_feed_or_audit_row_identifies_the_client(case_db: CaseDb) -> None:
    """8 CFR 208.6: every deadline title (case agenda, dashboard, feed items) and the ICS
    document made from the feed are free of the client's name (and each part of it), the
    A-number in either form, and the free text of hearings (kind, location); so is the audit
    trail these reads wrote."""
    with Session(case_db.engine) as s:
        world = build_world(s)
        att = world.actor(Role.ATTORNEY)
        cid = _story(s, world)
        records.add_hearing(
            s,
            att,
            cid,
            {"on": "2026-12-20", "kind": A_NUMBER, "mode": "in_person", "location": CLIENT_NAME},
        )
        s.commit()
        case = agenda.case_agenda(s, att, world.key, cid, today=TODAY)
        org = agenda.org_agenda(s, att, world.key, today=TODAY)
        items = agenda.feed_items(s, att, world.key, today=TODAY)
        ics = calendar.feed(
            items,
            calendar_name="Deadlines",
            url_base="https://lens.example.org",
            stamp=datetime(2026, 12, 3, 9, 0),
        ).decode("utf-8")
        s.commit()
        audit = " ".join(
            " ".join(map(str, row)) for row in s.execute(text("SELECT * FROM audit_events"))
        )
        texts = [d.title for d in case.deadlines + org.upcoming + org.overdue]
        texts += [i.title for i in items] + [ics, audit]
        assert len(items) >= 4
        secrets = [CLIENT_NAME, *CLIENT_NAME.replace("-", " ").split(), A_NUMBER, A_NUMBER_DIGITS]
        for found in texts:
            for secret in secrets:
                assert secret.lower() not in found.lower()


def test_detention_ignores_a_spell_booked_ahead_and_a_release_today_is_not_held() -> None:
    """Pure: spells 2026-08-01..08-10 (10 days) and 2026-11-20..12-03 (released today: 14
    days, 20 Nov to 3 Dec inclusive) make 24 days, not detained now; a spell recorded to start
    on 2026-12-05, after today, has not begun: it neither counts nor makes the client held."""
    dates = CaseDates(
        case_id=1,
        last_arrival=None,
        filed=None,
        custody=[
            CustodyView(1, "A", date(2026, 8, 1), date(2026, 8, 10)),
            CustodyView(2, "B", date(2026, 11, 20), TODAY),
            CustodyView(3, "C", date(2026, 12, 5), None),
        ],
        hearings=[],
        decisions=[],
        appeals=[],
    )
    got = agenda.agenda_of(dates, today=TODAY)
    assert (got.days_detained, got.detained_now) == (24, False)
    held = agenda.agenda_of(dates, today=date(2026, 12, 6))
    # 10 + 14 (to 12-03) + 2 (12-05 and 12-06)
    assert (held.days_detained, held.detained_now) == (26, True)
