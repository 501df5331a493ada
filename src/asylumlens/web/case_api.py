"""The case workspace's JSON API: ``/api/v1/session`` and ``/api/v1/cases``.

Thin: each route takes its caller from :mod:`asylumlens.web.case_access` (401 without a
session, 403 without the CSRF token on a change), calls :mod:`asylumlens.cases.records`, and
commits. The library's refusals become the project's one error shape
(:func:`install_case_error_handlers`): another organisation's case is a 404 exactly like a
missing one, a role that may not act is a 403, bad input a 422 naming the field.
Bodies are checked for unknown fields here (``extra="forbid"``) and for meaning in the
library, so a form and a script get the same rules.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict

from asylumlens.cases import agenda, records
from asylumlens.cases.agenda import CaseDeadline
from asylumlens.cases.auth import LoginRefused
from asylumlens.cases.crypto import CaseKeyError
from asylumlens.cases.records import CaseNotFound, CaseView, Forbidden, TimelineEvent
from asylumlens.cases.validation import CaseInputError
from asylumlens.web.case_access import (
    ApiMember,
    DbDep,
    SignInRequired,
    clear_session_cookie,
    close_session,
    current_member,
    open_session,
    set_session_cookie,
    workspace,
)
from asylumlens.web.error_handlers import error_response
from asylumlens.web.errors import ErrorBody, WebError

log = logging.getLogger("asylumlens.web")

PRIVATE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No session: sign in with POST /api/v1/session"},
    403: {"model": ErrorBody, "description": "CSRF token missing or wrong, or the role may not"},
    404: {"model": ErrorBody, "description": "No such case in your organisation"},
    422: {"model": ErrorBody, "description": "Invalid input; the message names the field"},
}

router = APIRouter(prefix="/api/v1", tags=["cases (private)"], responses=PRIVATE_ERRORS)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionIn(Body):
    email: str
    password: str
    totp: str | None = None


class UserOut(BaseModel):
    id: int
    email: str
    role: str
    organisation: str


class SessionOut(BaseModel):
    ok: bool = True
    user: UserOut
    csrf_token: str


class CaseIn(Body):
    """A case's fields; all optional in a PATCH. Codes are the release's (``nationality``
    ``CH``, ``court`` ``SFR``, ``judge`` ``IJ123``); dates are ``YYYY-MM-DD``."""

    client_name: str | None = None
    a_number: str | None = None
    nationality: str | None = None
    language: str | None = None
    court: str | None = None
    judge: str | None = None
    case_type: str | None = None
    last_arrival: date | str | None = None
    filed: date | str | None = None


class EventOut(BaseModel):
    on: date
    kind: str
    detail: dict[str, Any]


class DetentionOut(BaseModel):
    days: int
    """Days in detention to ``as_of``, counting the first and last day of each spell."""
    detained_now: bool
    as_of: date


class CaseDetail(BaseModel):
    ok: bool = True
    case: CaseView
    timeline: list[EventOut]
    deadlines: list[CaseDeadline]
    detention: DetentionOut


class OrgDeadlines(BaseModel):
    ok: bool = True
    as_of: date
    horizon_days: int
    upcoming: list[CaseDeadline]
    overdue: list[CaseDeadline]
    detained: int


class AuditOut(BaseModel):
    id: int
    user_id: int | None
    action: str
    object_kind: str
    object_id: int | None
    at: datetime


class AuditList(BaseModel):
    ok: bool = True
    events: list[AuditOut]


class CaseList(BaseModel):
    ok: bool = True
    cases: list[CaseView]


class CustodyIn(Body):
    facility: str
    start: date | str
    end: date | str | None = None


class DesignationIn(Body):
    country: str
    third_country: bool | str = False
    designated: date | str
    withdrawn: date | str | None = None


class HearingIn(Body):
    on: date | str
    kind: str
    mode: str
    location: str | None = None


class DecisionIn(Body):
    on: date | str
    oral: bool | str = True
    served: date | str | None = None
    outcome: str


class AppealIn(Body):
    by: str
    filed: date | str | None = None
    due: date | str | None = None
    status: str = "pending"


class NoteIn(Body):
    text: str


class Created(BaseModel):
    ok: bool = True
    kind: str
    id: int
    detail: dict[str, Any]


def event_out(event: TimelineEvent) -> EventOut:
    # an arrival or filing event's item is the case itself: not repeated in every event
    detail = {} if isinstance(event.item, CaseView) else asdict(event.item)
    return EventOut(on=event.on, kind=event.kind, detail=detail)


def _fields(body: BaseModel) -> dict[str, object]:
    return body.model_dump(exclude_unset=True)


def _session_out(member_user: Any, organisation: str, csrf: str) -> SessionOut:
    user = UserOut(
        id=member_user.id, email=member_user.email, role=member_user.role, organisation=organisation
    )
    return SessionOut(user=user, csrf_token=csrf)


@router.post("/session", response_model=SessionOut, responses={429: {"model": ErrorBody}})
def sign_in(body: SessionIn, request: Request, db: DbDep) -> Response:
    """Sign in: sets the ``asylumlens_session`` cookie and returns the user and the CSRF
    token that every state-changing call sends back in ``X-CSRF-Token``."""
    signed = open_session(request, db, body.email, body.password, body.totp)
    out = _session_out(signed.user, signed.organisation, signed.csrf_token)
    response = JSONResponse(out.model_dump(mode="json"))
    set_session_cookie(response, signed.token)
    return response


@router.get("/session", response_model=SessionOut)
def who_am_i(request: Request, db: DbDep) -> SessionOut:
    """The signed-in user and the session's CSRF token (401 without a session)."""
    member = current_member(request, db)
    if member is None:
        raise WebError(401, ["no session: POST /api/v1/session to sign in"])
    return _session_out(member.user, member.organisation, member.csrf_token)


@router.delete("/session", status_code=204)
def sign_out(request: Request, db: DbDep, member: ApiMember) -> Response:
    """Sign out: the session ends on the server and the cookie is cleared."""
    del member
    close_session(request, db)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


@router.get("/cases", response_model=CaseList)
def list_cases(db: DbDep, member: ApiMember) -> CaseList:
    """Your organisation's cases, oldest first."""
    views = records.list_cases(db, member.actor, member.key)
    db.commit()
    return CaseList(cases=views)


@router.post("/cases", response_model=CaseDetail, status_code=201)
def create_case(body: CaseIn, request: Request, db: DbDep, member: ApiMember) -> CaseDetail:
    """A new case: ``client_name``, ``a_number`` and ``nationality`` are required."""
    view = records.create_case(
        db, member.actor, member.key, _fields(body), workspace(request).codes
    )
    db.commit()
    return case_detail(request, db, member, view.id)


def case_detail(request: Request, db: DbDep, member: ApiMember, case_id: int) -> CaseDetail:
    today = workspace(request).now().date()
    view = records.get_case(db, member.actor, member.key, case_id)
    events = records.timeline(db, member.actor, member.key, case_id)
    found = agenda.case_agenda(db, member.actor, member.key, case_id, today=today)
    db.commit()
    return CaseDetail(
        case=view,
        timeline=[event_out(e) for e in events],
        deadlines=found.deadlines,
        detention=DetentionOut(
            days=found.days_detained, detained_now=found.detained_now, as_of=today
        ),
    )


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: int, request: Request, db: DbDep, member: ApiMember) -> CaseDetail:
    """One case with its timeline (newest first), its deadlines and its detention days."""
    return case_detail(request, db, member, case_id)


@router.patch("/cases/{case_id}", response_model=CaseDetail)
def update_case(
    case_id: int, body: CaseIn, request: Request, db: DbDep, member: ApiMember
) -> CaseDetail:
    """Change the fields given; the others stay as they were."""
    records.update_case(
        db, member.actor, member.key, case_id, _fields(body), workspace(request).codes
    )
    db.commit()
    return case_detail(request, db, member, case_id)


@router.get("/deadlines", response_model=OrgDeadlines)
def deadlines(
    request: Request, db: DbDep, member: ApiMember, horizon_days: int = 30
) -> OrgDeadlines:
    """Your organisation's open deadlines: due within ``horizon_days``, and overdue."""
    if not 0 <= horizon_days <= 366:
        raise WebError(422, ["horizon_days: give 0 to 366 days"])
    today = workspace(request).now().date()
    found = agenda.org_agenda(db, member.actor, member.key, today=today, horizon_days=horizon_days)
    db.commit()
    return OrgDeadlines(
        as_of=today,
        horizon_days=horizon_days,
        upcoming=found.upcoming,
        overdue=found.overdue,
        detained=found.detained,
    )


@router.get("/audit", response_model=AuditList)
def audit(db: DbDep, member: ApiMember) -> AuditList:
    """Your organisation's audit log (admins only): ids, never client data."""
    trail = records.audit_trail(db, member.actor)
    db.commit()
    return AuditList(
        events=[
            AuditOut(
                id=e.id,
                user_id=e.user_id,
                action=e.action,
                object_kind=e.object_kind,
                object_id=e.object_id,
                at=e.at,
            )
            for e in trail
        ]
    )


def _created(kind: str, item: Any) -> Created:
    detail = asdict(item)
    return Created(kind=kind, id=detail["id"], detail=detail)


EVENT_BODIES: dict[str, tuple[type[Body], str]] = {
    "custody": (CustodyIn, "A detention spell (``end`` empty while still held)."),
    "designations": (
        DesignationIn,
        "A removal designation (a country, possibly a third country; withdrawn when dropped).",
    ),
    "hearings": (HearingIn, "A hearing: date, kind, ``in_person`` or ``video``, location."),
    "decisions": (
        DecisionIn,
        "A decision: date, oral or written (``served`` for a written one), outcome.",
    ),
    "appeals": (
        AppealIn,
        "An appeal to the BIA: by ``respondent`` or ``dhs``, filed, due, status.",
    ),
}
"""Each event's request body and description, by its name in
:data:`asylumlens.cases.records.EVENT_ADDERS` (one route each, so each has its own schema)."""


def _event_route(name: str, body_model: type[Body], description: str) -> None:
    kind, add = records.EVENT_ADDERS[name]

    def add_event(case_id: int, body: Body, db: DbDep, member: ApiMember) -> Created:
        item = add(db, member.actor, case_id, _fields(body))
        db.commit()
        return _created(kind, item)

    add_event.__annotations__["body"] = body_model  # the route's own body schema
    router.post(
        f"/cases/{{case_id}}/{name}",
        response_model=Created,
        status_code=201,
        name=f"add_{kind}",
        description=description,
    )(add_event)


for _name, (_model, _description) in EVENT_BODIES.items():
    _event_route(_name, _model, _description)


@router.post("/cases/{case_id}/notes", response_model=Created, status_code=201)
def add_note(case_id: int, body: NoteIn, db: DbDep, member: ApiMember) -> Created:
    """A note (encrypted at rest)."""
    item = records.add_note(db, member.actor, member.key, case_id, body.text)
    db.commit()
    return _created("note", item)


def install_case_error_handlers(app: FastAPI) -> None:
    """The case library's refusals in the project's error shape (JSON or a page)."""

    def handler(status: int) -> Any:
        async def on_error(request: Request, exc: Exception) -> Response:
            return error_response(request, WebError(status, [str(exc)]))

        return on_error

    app.add_exception_handler(CaseNotFound, handler(404))
    app.add_exception_handler(Forbidden, handler(403))
    app.add_exception_handler(CaseInputError, handler(422))
    app.add_exception_handler(LoginRefused, handler(401))

    async def on_key_error(request: Request, exc: Exception) -> Response:
        log.error("case workspace unavailable: %s", exc)  # the key's path, for the operator
        message = "the case workspace has no key yet: run `asylumlens cases init-key`"
        return error_response(request, WebError(503, [message]))

    app.add_exception_handler(CaseKeyError, on_key_error)

    async def on_sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return RedirectResponse(exc.location(), status_code=303)

    app.add_exception_handler(SignInRequired, on_sign_in_required)
