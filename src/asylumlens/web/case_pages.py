"""The case workspace's pages: sign-in, the case list, one case, the deadlines, the account.

Server-rendered forms, no scripts: every form carries the session's CSRF token
(:mod:`asylumlens.web.case_access`), every successful post redirects (303, so a reload never
posts twice), and a refusal re-renders the page with the library's message, which names the
field and never the value. Page titles say "Case #12", never a client's name: titles end up
in tabs, history and screen shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from asylumlens.analytics import CaseContext
from asylumlens.cases import agenda, calendar, exhibits, feeds, records, totp
from asylumlens.cases.auth import actor_of
from asylumlens.cases.roles import Action, may
from asylumlens.cases.validation import CaseInputError
from asylumlens.errors import QueryError
from asylumlens.web.case_access import (
    DbDep,
    FormFields,
    Member,
    PageMember,
    PostedForm,
    SignInRequired,
    clear_session_cookie,
    close_session,
    current_member,
    open_session,
    safe_next,
    set_session_cookie,
    workspace,
)
from asylumlens.web.catalog import Kind, entities
from asylumlens.web.errors import WebError

if TYPE_CHECKING:
    from asylumlens.model import Estimate

router = APIRouter(include_in_schema=False)

HORIZON_DAYS: Final = 30
EVENT_LABELS: Final = {
    "arrival": "Last arrival",
    "filed": "Asylum application filed",
    "custody_start": "Detained",
    "custody_end": "Released",
    "designated": "Removal country designated",
    "designation_withdrawn": "Designation withdrawn",
    "hearing": "Hearing",
    "decision": "Decision",
    "appeal": "Appeal",
    "note": "Note",
}


def _today(request: Request) -> date:
    return workspace(request).now().date()


def render(
    request: Request, template: str, member: Member | None, status: int = 200, **context: Any
) -> HTMLResponse:
    env = request.app.state.web.templates
    html = env.get_template(f"cases/{template}").render(
        path=request.url.path,
        member=member,
        can_audit=member is not None and may(member.actor.role, Action.READ_AUDIT),
        EVENT_LABELS=EVENT_LABELS,
        **context,
    )
    return HTMLResponse(html, status_code=status)


def _see(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def _filled(fields: dict[str, str]) -> dict[str, str]:
    """A form's fields without the empty ones (an empty date or code means "not given")."""
    return {k: v for k, v in fields.items() if v.strip()}


@router.get("/login")
def login_page(request: Request, db: DbDep, next: str | None = None) -> Response:
    if current_member(request, db) is not None:
        return _see(safe_next(next))
    return render(request, "login.html", None, title="Sign in", next=safe_next(next))


@router.post("/login")
def login_submit(request: Request, db: DbDep, fields: FormFields) -> Response:
    """Sign in from the form (sync: the password check runs off the event loop)."""
    target = safe_next(fields.get("next"))
    try:
        signed = open_session(
            request,
            db,
            fields.get("email", ""),
            fields.get("password", ""),
            fields.get("totp") or None,
        )
    except WebError as refused:
        page = render(
            request, "login.html", None, refused.status, title="Sign in", next=target,
            error=str(refused),
        )  # fmt: skip
        page.headers.update(refused.headers)
        return page
    response = _see(target)
    set_session_cookie(response, signed.token)
    return response


@router.post("/logout")
def logout(request: Request, db: DbDep, posted: PostedForm) -> Response:
    del posted
    close_session(request, db)
    response = _see("/login")
    clear_session_cookie(response)
    return response


def _list_page(
    request: Request, db: DbDep, member: Member, status: int = 200, error: str | None = None
) -> HTMLResponse:
    cases = records.list_cases(db, member.actor, member.key)
    db.commit()
    return render(
        request, "list.html", member, status, title="Cases", cases=cases, error=error,
        can_create=may(member.actor.role, Action.CREATE_CASE),
    )  # fmt: skip


@router.get("/cases")
def case_list(request: Request, db: DbDep, member: PageMember) -> Response:
    return _list_page(request, db, member)


@router.post("/cases")
def case_create(request: Request, db: DbDep, posted: PostedForm) -> Response:
    member = posted.member
    try:
        view = records.create_case(
            db, member.actor, member.key, _filled(posted.fields), workspace(request).codes
        )
    except CaseInputError as exc:
        db.rollback()
        return _list_page(request, db, member, 422, str(exc))
    db.commit()
    return _see(f"/cases/{view.id}")


CODE_KINDS: Final[dict[str, Kind]] = {
    "nationality": "nationalities",
    "court": "courts",
    "judge": "judges",
}


def code_names(request: Request, view: records.CaseView) -> dict[str, str]:
    """The release's name for each of the case's codes, or a note that the default release
    has no decided asylum application with it (a new judge, a rare nationality): the case
    keeps the code either way, so it survives a release that drops one."""
    state = request.app.state.web
    names: dict[str, str] = {}
    for field, kind in CODE_KINDS.items():
        code = getattr(view, field)
        if not code:
            continue
        known = {e.code: e for e in entities(state.queries, kind)}
        entity = known.get(code)
        if entity is None:
            names[field] = f"not in release {state.release.id}"
        elif entity.label:
            names[field] = entity.label
    return names


@dataclass(frozen=True)
class Outlook:
    """What the public record says about a case like this one, for its page: the context
    panel and the model's estimate, or why either is missing. Built from the case's codes
    only (and its custody and representation): no client data reaches the analytics."""

    context: CaseContext | None
    estimate: Estimate | None
    missing: list[str]


def case_outlook(request: Request, view: records.CaseView, detained: bool) -> Outlook:
    """The case's context and estimate on the app's default release. The client of a case
    in the workspace has counsel, so ``represented`` is true; custody is detained when a
    detention spell is open, else not given (released and never detained differ)."""
    from asylumlens.model import ModelError, estimate  # LightGBM: loaded on a case page only

    state = request.app.state.web
    custody = "D" if detained else None
    missing: list[str] = []
    context: CaseContext | None = None
    try:
        context = state.queries.case_context(
            judge=view.judge, court=view.court, nationality=view.nationality,
            custody=custody, represented=True,
        )  # fmt: skip
    except QueryError as exc:
        missing.append(f"context: {exc}")
    outcome: Estimate | None = None
    if view.judge and view.court:
        try:
            outcome = estimate(
                state.store, judge=view.judge, court=view.court,
                nationality=view.nationality, custody=custody, represented=True,
                release=state.release.id,
            )  # fmt: skip
        except ModelError as exc:
            missing.append(str(exc))
    else:
        missing.append("estimate: record the case's court and judge to see one")
    return Outlook(context, outcome, missing)


def detail_page(
    request: Request,
    db: DbDep,
    member: Member,
    case_id: int,
    status: int = 200,
    error: str | None = None,
    verified: list[exhibits.VerifyResult] | None = None,
) -> HTMLResponse:
    """The case page; ``verified``: the results of a verify just run, shown by its table."""
    today = _today(request)
    view = records.get_case(db, member.actor, member.key, case_id)
    events = records.timeline(db, member.actor, member.key, case_id)
    found = agenda.case_agenda(
        db, member.actor, member.key, case_id, today=today, horizon_days=HORIZON_DAYS
    )
    db.commit()
    outlook = case_outlook(request, view, found.detained_now)
    evidence = exhibits.list_exhibits(db, member.actor, member.key, case_id)
    db.commit()
    return render(
        request, "detail.html", member, status, title=f"Case #{view.id}", case=view,
        timeline=events, agenda=found, today=today, names=code_names(request, view), error=error,
        outlook=outlook, exhibits=evidence, verified=verified,
        can_export=may(member.actor.role, Action.EXPORT),
        can_edit=may(member.actor.role, Action.EDIT_CASE),
    )  # fmt: skip


@router.get("/cases/{case_id}")
def case_detail(case_id: int, request: Request, db: DbDep, member: PageMember) -> Response:
    return detail_page(request, db, member, case_id)


@router.post("/cases/{case_id}/{event}")
def case_event(
    case_id: int, event: str, request: Request, db: DbDep, posted: PostedForm
) -> Response:
    """Record an event from one of the case page's forms (or change the case: ``edit``)."""
    member = posted.member
    fields = _filled(posted.fields)
    try:
        if event == "notes":
            records.add_note(db, member.actor, member.key, case_id, fields.get("text", ""))
        elif event == "edit":
            records.update_case(
                db, member.actor, member.key, case_id, fields, workspace(request).codes
            )
        elif event in records.EVENT_ADDERS:
            _kind, add = records.EVENT_ADDERS[event]
            add(db, member.actor, case_id, fields)
        else:
            raise WebError(404, [f"no page at {request.url.path}"])
    except CaseInputError as exc:
        db.rollback()
        return detail_page(request, db, member, case_id, 422, str(exc))
    db.commit()
    return _see(f"/cases/{case_id}#timeline")


@router.get("/deadlines")
def deadlines(request: Request, db: DbDep, member: PageMember) -> Response:
    today = _today(request)
    found = agenda.org_agenda(db, member.actor, member.key, today=today, horizon_days=HORIZON_DAYS)
    db.commit()
    return render(
        request, "deadlines.html", member, title="Deadlines", agenda=found,
        horizon_days=HORIZON_DAYS, horizon_end=today + timedelta(days=HORIZON_DAYS),
    )  # fmt: skip


@router.get("/audit")
def audit_log(request: Request, db: DbDep, member: PageMember) -> Response:
    trail = records.audit_trail(db, member.actor)
    db.commit()
    return render(request, "audit.html", member, title="Audit log", events=trail)


def _account_page(
    request: Request, db: DbDep, member: Member, new_feed_url: str | None = None
) -> HTMLResponse:
    tokens = feeds.list_feed_tokens(db, member.user)
    db.commit()
    return render(
        request, "account.html", member, title="Account", feeds=tokens,
        new_feed_url=new_feed_url, totp_on=totp.totp_enabled(member.user),
        can_export=may(member.actor.role, Action.EXPORT),
    )  # fmt: skip


@router.get("/account")
def account(request: Request, db: DbDep, member: PageMember) -> Response:
    return _account_page(request, db, member)


def _require_export(member: Member) -> None:
    if not may(member.actor.role, Action.EXPORT):
        raise WebError(403, [f"role {member.actor.role.value} may not export calendars"])


@router.post("/account/feeds")
def feed_create(request: Request, db: DbDep, posted: PostedForm) -> Response:
    """A new secret calendar URL, shown once on the page that answers (never stored)."""
    member = posted.member
    _require_export(member)
    token = feeds.create_feed_token(db, member.user, workspace(request).now())
    db.commit()
    base = request.app.state.web.base_url
    return _account_page(request, db, member, f"{base}/calendar/{token}.ics")


@router.post("/account/feeds/{feed_id}/revoke")
def feed_revoke(feed_id: int, request: Request, db: DbDep, posted: PostedForm) -> Response:
    feeds.revoke_feed_token(db, posted.member.user, feed_id)
    db.commit()
    return _see("/account")


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, request: Request, db: DbDep) -> Response:
    """The user's deadlines as iCalendar, at a secret URL a calendar app polls (no cookie:
    the token is the credential, and revoking it on the account page ends the feed)."""
    ws = workspace(request)
    user = feeds.feed_user(db, token, ws.now())
    if user is None or not may(actor_of(user).role, Action.EXPORT):
        db.commit()
        raise WebError(404, ["no calendar at this address (revoked or never issued)"])
    items = agenda.feed_items(db, actor_of(user), ws.case_key(), today=ws.now().date())
    db.commit()
    base = request.app.state.web.base_url or None
    body = calendar.feed(items, calendar_name="AsylumLens deadlines", url_base=base)
    return Response(body, media_type="text/calendar; charset=utf-8")


__all__ = ["SignInRequired", "router"]
