"""Case records as a service: create, read, change and add events, scoped, checked, audited.

Every function takes the SQLAlchemy session, the acting user (:class:`Actor`) and the case
key, and (1) scopes every query to the actor's organisation, so another organisation's case
is :class:`CaseNotFound` exactly like one that does not exist (nobody learns it exists);
(2) checks :func:`asylumlens.cases.roles.may`, raising :class:`Forbidden` inside one's own
organisation; (3) validates with :mod:`asylumlens.cases.validation` before writing
anything; (4) appends an audit event holding ids only. Callers commit the session.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from asylumlens.cases import crypto, validation
from asylumlens.cases.audit import AuditAction, AuditView, events, record
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import now
from asylumlens.cases.models import (
    Appeal,
    Case,
    CustodySpell,
    Decision,
    Hearing,
    Note,
    RemovalDesignation,
)
from asylumlens.cases.roles import Action, Role, may
from asylumlens.cases.validation import CaseInputError, KnownCodes
from asylumlens.errors import AsylumLensError

NAME_AD: Final = crypto.field_ad("cases", "client_name")
A_NUMBER_AD: Final = crypto.field_ad("cases", "a_number")
NOTE_AD: Final = crypto.field_ad("notes", "text")
CASE_FIELDS: Final = frozenset(
    {
        "client_name",
        "a_number",
        "nationality",
        "language",
        "court",
        "judge",
        "case_type",
        "last_arrival",
        "filed",
    }
)


class CaseNotFound(AsylumLensError):
    """No such case in the actor's organisation (also: it is another organisation's)."""


class Forbidden(AsylumLensError):
    """The actor's role may not do this in its own organisation."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: the user, their organisation and role."""

    user_id: int
    org_id: int
    role: Role


@dataclass(frozen=True)
class CaseView:
    id: int
    org_id: int
    client_name: str = field(repr=False)
    a_number: str = field(repr=False)
    nationality: str
    language: str | None
    court: str | None
    judge: str | None
    case_type: str | None
    last_arrival: date | None
    filed: date | None


@dataclass(frozen=True)
class CustodyView:
    id: int
    facility: str
    start: date
    end: date | None


@dataclass(frozen=True)
class DesignationView:
    id: int
    country: str
    third_country: bool
    designated: date
    withdrawn: date | None


@dataclass(frozen=True)
class HearingView:
    id: int
    on: date
    kind: str
    mode: str
    location: str | None


@dataclass(frozen=True)
class DecisionView:
    id: int
    on: date
    oral: bool
    served: date | None
    outcome: str


@dataclass(frozen=True)
class AppealView:
    id: int
    by: str
    filed: date | None
    due: date | None
    status: str


@dataclass(frozen=True)
class NoteView:
    id: int
    on: date
    text: str = field(repr=False)


EventItem = (
    CaseView | CustodyView | DesignationView | HearingView | DecisionView | AppealView | NoteView
)


@dataclass(frozen=True)
class TimelineEvent:
    """One dated thing that happened on a case; ``kind`` says which (e.g. ``custody_end``)."""

    on: date
    kind: str
    item: EventItem


def require(actor: Actor, action: Action) -> None:
    """Refuse (:class:`Forbidden`) what the actor's role may not do in its organisation."""
    if not may(actor.role, action):
        raise Forbidden(f"role {actor.role.value} may not {action.value.replace('_', ' ')}")


def case_row(session: Session, actor: Actor, case_id: int) -> Case:
    """The case, if it is the actor's organisation's; else :class:`CaseNotFound`, exactly
    as for a case that does not exist."""
    row = session.scalars(
        select(Case).where(Case.id == case_id, Case.org_id == actor.org_id)
    ).one_or_none()
    if row is None:
        raise CaseNotFound(f"case {case_id}: not found")
    return row


def _audit(session: Session, actor: Actor, action: AuditAction, kind: str, oid: int | None) -> None:
    record(
        session,
        org_id=actor.org_id,
        user_id=actor.user_id,
        action=action,
        object_kind=kind,
        object_id=oid,
    )


def _view(key: FieldKey, row: Case) -> CaseView:
    return CaseView(
        id=row.id,
        org_id=row.org_id,
        client_name=crypto.decrypt(key, row.client_name_enc, NAME_AD),
        a_number=crypto.decrypt(key, row.a_number_enc, A_NUMBER_AD),
        nationality=row.nationality,
        language=row.language,
        court=row.court,
        judge=row.judge,
        case_type=row.case_type,
        last_arrival=row.last_arrival,
        filed=row.filed,
    )


def _case_columns(
    key: FieldKey, data: Mapping[str, object], codes: KnownCodes
) -> dict[str, object]:
    """The column values for the given fields of ``data``, validated (and encrypted), for the
    caller to assign only once everything passed: a refusal leaves the row untouched."""
    v = validation
    out: dict[str, object] = {}
    if "client_name" in data:
        name = v.required_text(data["client_name"], "client_name", max_length=200)
        out["client_name_enc"] = crypto.encrypt(key, name, NAME_AD)
    if "a_number" in data:
        out["a_number_enc"] = crypto.encrypt(key, v.a_number(data["a_number"]), A_NUMBER_AD)
    if "nationality" in data:
        out["nationality"] = v.code(data["nationality"], "nationality", codes.nationality)
    if "language" in data:
        out["language"] = v.text(data["language"], "language", max_length=40, required=False)
    if "court" in data:
        out["court"] = v.optional_code(data["court"], "court", codes.court)
    if "judge" in data:
        out["judge"] = v.optional_code(data["judge"], "judge", codes.judge)
    if "case_type" in data:
        out["case_type"] = v.optional_code(data["case_type"], "case_type")
    if "last_arrival" in data:
        out["last_arrival"] = v.optional_date(data["last_arrival"], "last_arrival")
    if "filed" in data:
        out["filed"] = v.optional_date(data["filed"], "filed")
    return out


def _date_or_none(columns: dict[str, object], name: str, current: date | None) -> date | None:
    value = columns.get(name, current)
    return value if isinstance(value, date) else None


def create_case(
    session: Session,
    actor: Actor,
    key: FieldKey,
    data: Mapping[str, object],
    codes: KnownCodes | None = None,
) -> CaseView:
    """A new case; ``client_name``, ``a_number`` and ``nationality`` are required."""
    require(actor, Action.CREATE_CASE)
    validation.only_fields(data, CASE_FIELDS)
    for required in ("client_name", "a_number", "nationality"):
        if required not in data:
            raise CaseInputError(required, "is required")
    columns = _case_columns(key, data, codes or KnownCodes())
    validation.not_before(
        _date_or_none(columns, "filed", None),
        _date_or_none(columns, "last_arrival", None),
        "filed",
        "last_arrival",
    )
    row = Case(org_id=actor.org_id, **columns)
    session.add(row)
    session.flush()
    _audit(session, actor, AuditAction.CREATE, "case", row.id)
    return _view(key, row)


def get_case(session: Session, actor: Actor, key: FieldKey, case_id: int) -> CaseView:
    """One case of the actor's organisation, decrypted (audited as a view)."""
    require(actor, Action.VIEW_CASE)
    row = case_row(session, actor, case_id)
    _audit(session, actor, AuditAction.VIEW, "case", row.id)
    return _view(key, row)


def list_cases(session: Session, actor: Actor, key: FieldKey) -> list[CaseView]:
    """The organisation's cases, oldest first (one audit event for the list)."""
    require(actor, Action.VIEW_CASE)
    rows = session.scalars(select(Case).where(Case.org_id == actor.org_id).order_by(Case.id))
    views = [_view(key, row) for row in rows]
    _audit(session, actor, AuditAction.VIEW, "case_list", None)
    return views


def update_case(
    session: Session,
    actor: Actor,
    key: FieldKey,
    case_id: int,
    changes: Mapping[str, object],
    codes: KnownCodes | None = None,
) -> CaseView:
    """Change the given fields; a filing date after an existing decision is refused."""
    require(actor, Action.EDIT_CASE)
    validation.only_fields(changes, CASE_FIELDS)
    row = case_row(session, actor, case_id)
    columns = _case_columns(key, changes, codes or KnownCodes())
    filed = _date_or_none(columns, "filed", row.filed)
    arrival = _date_or_none(columns, "last_arrival", row.last_arrival)
    validation.not_before(filed, arrival, "filed", "last_arrival")
    for on in session.scalars(select(Decision.on).where(Decision.case_id == row.id)):
        validation.not_before(on, filed, "filed", "a decision already recorded")
    for name, value in columns.items():
        setattr(row, name, value)
    row.updated_at = now()
    session.flush()
    _audit(session, actor, AuditAction.CHANGE, "case", row.id)
    return _view(key, row)


def _add_event(session: Session, actor: Actor, case: Case, obj: object, kind: str) -> int:
    session.add(obj)
    case.updated_at = now()
    session.flush()
    oid: int = obj.id  # type: ignore[attr-defined]
    _audit(session, actor, AuditAction.CREATE, kind, oid)
    return oid


def add_custody_spell(
    session: Session, actor: Actor, case_id: int, data: Mapping[str, object]
) -> CustodyView:
    """A detention spell: ``facility``, ``start``, optional ``end`` (not before start)."""
    require(actor, Action.EDIT_CASE)
    validation.only_fields(data, {"facility", "start", "end"})
    case = case_row(session, actor, case_id)
    facility = validation.required_text(data.get("facility"), "facility", max_length=200)
    start = validation.a_date(data.get("start"), "start")
    end = validation.optional_date(data.get("end"), "end")
    validation.not_before(end, start, "end", "start")
    row = CustodySpell(case_id=case.id, facility=facility, start=start, end=end)
    oid = _add_event(session, actor, case, row, "custody_spell")
    return CustodyView(oid, facility, start, end)


def add_designation(
    session: Session, actor: Actor, case_id: int, data: Mapping[str, object]
) -> DesignationView:
    """A removal designation: ``country``, ``third_country``, ``designated``, ``withdrawn``."""
    require(actor, Action.EDIT_CASE)
    validation.only_fields(data, {"country", "third_country", "designated", "withdrawn"})
    case = case_row(session, actor, case_id)
    country = validation.code(data.get("country"), "country")
    third = validation.flag(data.get("third_country", False), "third_country")
    designated = validation.a_date(data.get("designated"), "designated")
    withdrawn = validation.optional_date(data.get("withdrawn"), "withdrawn")
    validation.not_before(withdrawn, designated, "withdrawn", "designated")
    row = RemovalDesignation(
        case_id=case.id,
        country=country,
        third_country=third,
        designated=designated,
        withdrawn=withdrawn,
    )
    oid = _add_event(session, actor, case, row, "removal_designation")
    return DesignationView(oid, country, third, designated, withdrawn)


def add_hearing(
    session: Session, actor: Actor, case_id: int, data: Mapping[str, object]
) -> HearingView:
    """A hearing: ``on``, ``kind``, ``mode`` (in_person or video), optional ``location``."""
    require(actor, Action.EDIT_CASE)
    validation.only_fields(data, {"on", "kind", "mode", "location"})
    case = case_row(session, actor, case_id)
    on = validation.a_date(data.get("on"), "on")
    kind = validation.required_text(data.get("kind"), "kind", max_length=40)
    mode = validation.choice(data.get("mode"), "mode", validation.HEARING_MODES)
    location = validation.text(data.get("location"), "location", max_length=200, required=False)
    row = Hearing(case_id=case.id, on=on, kind=kind, mode=mode, location=location)
    oid = _add_event(session, actor, case, row, "hearing")
    return HearingView(oid, on, kind, mode, location)


def add_decision(
    session: Session, actor: Actor, case_id: int, data: Mapping[str, object]
) -> DecisionView:
    """A decision: ``on`` (not before the filing date), ``oral``, ``served``, ``outcome``."""
    require(actor, Action.EDIT_CASE)
    validation.only_fields(data, {"on", "oral", "served", "outcome"})
    case = case_row(session, actor, case_id)
    on = validation.a_date(data.get("on"), "on")
    validation.not_before(on, case.filed, "on", "the filing date")
    oral = validation.flag(data.get("oral", True), "oral")
    served = validation.optional_date(data.get("served"), "served")
    validation.not_before(served, on, "served", "the decision date")
    outcome = validation.choice(data.get("outcome"), "outcome", validation.OUTCOMES)
    row = Decision(case_id=case.id, on=on, oral=oral, served=served, outcome=outcome)
    oid = _add_event(session, actor, case, row, "decision")
    return DecisionView(oid, on, oral, served, outcome)


def add_appeal(
    session: Session, actor: Actor, case_id: int, data: Mapping[str, object]
) -> AppealView:
    """An appeal: ``by`` (respondent or dhs), ``filed``, ``due``, ``status``."""
    require(actor, Action.EDIT_CASE)
    validation.only_fields(data, {"by", "filed", "due", "status"})
    case = case_row(session, actor, case_id)
    by = validation.choice(data.get("by"), "by", validation.APPELLANTS)
    filed = validation.optional_date(data.get("filed"), "filed")
    due = validation.optional_date(data.get("due"), "due")
    status = validation.choice(data.get("status", "pending"), "status", validation.APPEAL_STATUSES)
    row = Appeal(case_id=case.id, by=by, filed=filed, due=due, status=status)
    oid = _add_event(session, actor, case, row, "appeal")
    return AppealView(oid, by, filed, due, status)


EventAdder = Callable[[Session, Actor, int, Mapping[str, object]], EventItem]
EVENT_ADDERS: Final[dict[str, tuple[str, EventAdder]]] = {
    "custody": ("custody_spell", add_custody_spell),
    "designations": ("removal_designation", add_designation),
    "hearings": ("hearing", add_hearing),
    "decisions": ("decision", add_decision),
    "appeals": ("appeal", add_appeal),
}
"""The events a case's forms and API add, by their URL name: (audit kind, function). Notes
are apart: their text is encrypted, so adding one needs the case key."""


def add_note(session: Session, actor: Actor, key: FieldKey, case_id: int, text: str) -> NoteView:
    """A note, encrypted (it may identify a person)."""
    require(actor, Action.EDIT_CASE)
    case = case_row(session, actor, case_id)
    body = validation.required_text(text, "text", max_length=20000)
    row = Note(
        case_id=case.id, author_id=actor.user_id, text_enc=crypto.encrypt(key, body, NOTE_AD)
    )
    oid = _add_event(session, actor, case, row, "note")
    return NoteView(oid, row.created_at.date(), body)


def _case_events(view: CaseView) -> list[TimelineEvent]:
    out = []
    if view.last_arrival is not None:
        out.append(TimelineEvent(view.last_arrival, "arrival", view))
    if view.filed is not None:
        out.append(TimelineEvent(view.filed, "filed", view))
    return out


def timeline(session: Session, actor: Actor, key: FieldKey, case_id: int) -> list[TimelineEvent]:
    """Everything dated on a case, newest first (ties: the later-recorded first)."""
    require(actor, Action.VIEW_CASE)
    case = case_row(session, actor, case_id)
    found = _case_events(_view(key, case))
    cid = case.id
    for c in session.scalars(select(CustodySpell).where(CustodySpell.case_id == cid)):
        spell = CustodyView(c.id, c.facility, c.start, c.end)
        found.append(TimelineEvent(c.start, "custody_start", spell))
        if c.end is not None:
            found.append(TimelineEvent(c.end, "custody_end", spell))
    for d in session.scalars(select(RemovalDesignation).where(RemovalDesignation.case_id == cid)):
        des = DesignationView(d.id, d.country, d.third_country, d.designated, d.withdrawn)
        found.append(TimelineEvent(d.designated, "designated", des))
        if d.withdrawn is not None:
            found.append(TimelineEvent(d.withdrawn, "designation_withdrawn", des))
    for h in session.scalars(select(Hearing).where(Hearing.case_id == cid)):
        found.append(
            TimelineEvent(h.on, "hearing", HearingView(h.id, h.on, h.kind, h.mode, h.location))
        )
    for x in session.scalars(select(Decision).where(Decision.case_id == cid)):
        found.append(
            TimelineEvent(x.on, "decision", DecisionView(x.id, x.on, x.oral, x.served, x.outcome))
        )
    for a in session.scalars(select(Appeal).where(Appeal.case_id == cid)):
        when = a.filed or a.due
        if when is not None:
            found.append(
                TimelineEvent(when, "appeal", AppealView(a.id, a.by, a.filed, a.due, a.status))
            )
    for n in session.scalars(select(Note).where(Note.case_id == cid)):
        note = NoteView(n.id, n.created_at.date(), crypto.decrypt(key, n.text_enc, NOTE_AD))
        found.append(TimelineEvent(note.on, "note", note))
    _audit(session, actor, AuditAction.VIEW, "timeline", cid)
    indexed = list(enumerate(found))
    indexed.sort(key=lambda pair: (pair[1].on, pair[0]), reverse=True)
    return [event for _, event in indexed]


@dataclass(frozen=True)
class CaseDates:
    """The dated, non-identifying facts of one case that its deadlines are computed from.

    Nothing here is decrypted (no name, no A-number, no note), so a deadline list or a
    calendar feed built from it cannot leak what it never held. Lists are oldest first
    (ties: the earlier-recorded first).
    """

    case_id: int
    last_arrival: date | None
    filed: date | None
    custody: list[CustodyView]
    hearings: list[HearingView]
    decisions: list[DecisionView]
    appeals: list[AppealView]


def _dates_of(
    cases: list[Case],
    spells: list[CustodySpell],
    hearings: list[Hearing],
    decisions: list[Decision],
    appeals: list[Appeal],
) -> list[CaseDates]:
    """Group rows loaded once per table (never once per case) under their cases."""
    by_case = {c.id: CaseDates(c.id, c.last_arrival, c.filed, [], [], [], []) for c in cases}
    for sp in sorted(spells, key=lambda r: (r.start, r.id)):
        by_case[sp.case_id].custody.append(CustodyView(sp.id, sp.facility, sp.start, sp.end))
    for h in sorted(hearings, key=lambda r: (r.on, r.id)):
        by_case[h.case_id].hearings.append(HearingView(h.id, h.on, h.kind, h.mode, h.location))
    for x in sorted(decisions, key=lambda r: (r.on, r.id)):
        by_case[x.case_id].decisions.append(DecisionView(x.id, x.on, x.oral, x.served, x.outcome))
    for a in sorted(appeals, key=lambda r: (r.filed or r.due or date.min, r.id)):
        by_case[a.case_id].appeals.append(AppealView(a.id, a.by, a.filed, a.due, a.status))
    return [by_case[c.id] for c in cases]


def _load_dates(session: Session, cases: list[Case], ids: Select[int]) -> list[CaseDates]:
    """Four queries whatever the number of cases: one per event table, for the case ids
    ``ids`` selects (a subquery, so a few thousand cases need no few thousand parameters)."""
    if not cases:
        return []
    return _dates_of(
        cases,
        list(session.scalars(select(CustodySpell).where(CustodySpell.case_id.in_(ids)))),
        list(session.scalars(select(Hearing).where(Hearing.case_id.in_(ids)))),
        list(session.scalars(select(Decision).where(Decision.case_id.in_(ids)))),
        list(session.scalars(select(Appeal).where(Appeal.case_id.in_(ids)))),
    )


def case_dates(session: Session, actor: Actor, case_id: int) -> CaseDates:
    """The dated facts of one case of the actor's organisation, for its deadlines (audited
    as one view of ``case_deadlines``; nothing is decrypted, so no key is needed)."""
    require(actor, Action.VIEW_CASE)
    row = case_row(session, actor, case_id)
    (found,) = _load_dates(session, [row], select(Case.id).where(Case.id == row.id))
    _audit(session, actor, AuditAction.VIEW, "case_deadlines", row.id)
    return found


def org_case_dates(session: Session, actor: Actor, *, export: bool = False) -> list[CaseDates]:
    """The dated facts of every case of the actor's organisation, oldest case first, in five
    queries in all (not five per case), audited once for the whole list.

    ``export=False`` (a dashboard): VIEW_CASE, audited as a view of ``org_deadlines``.
    ``export=True`` (a calendar feed, which is synced to phones and calendar services and so
    leaves our control): the EXPORT permission (``docs/cases.md``: "backups, calendars"),
    audited as an export of ``calendar_feed``.
    """
    require(actor, Action.EXPORT if export else Action.VIEW_CASE)
    in_org = select(Case.id).where(Case.org_id == actor.org_id)
    rows = list(session.scalars(select(Case).where(Case.org_id == actor.org_id).order_by(Case.id)))
    found = _load_dates(session, rows, in_org)
    if export:
        _audit(session, actor, AuditAction.EXPORT, "calendar_feed", None)
    else:
        _audit(session, actor, AuditAction.VIEW, "org_deadlines", None)
    return found


def audit_trail(session: Session, actor: Actor) -> list[AuditView]:
    """The organisation's audit events (admins only: READ_AUDIT)."""
    require(actor, Action.READ_AUDIT)
    return events(session, actor.org_id)
