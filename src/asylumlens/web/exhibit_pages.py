"""The case page's exhibit forms: upload (streamed, like the API) and verify.

Registered before :mod:`asylumlens.web.case_pages`, whose ``/cases/{id}/{event}`` form
route would otherwise take ``exhibits``. The upload form puts its ``csrf_token`` field
before the file, so the token is checked when the file part begins and a forged post is
refused before a byte of the file is taken.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from asylumlens.cases import exhibits
from asylumlens.cases.roles import Action, may
from asylumlens.cases.sessions import csrf_ok
from asylumlens.cases.validation import CaseInputError
from asylumlens.web.case_access import (
    CSRF_FIELD,
    DbDep,
    PageMember,
    PostedForm,
    check_origin,
    workspace,
)
from asylumlens.web.case_pages import detail_page, render
from asylumlens.web.errors import WebError
from asylumlens.web.exhibit_api import receive_upload
from asylumlens.web.form_stream import FilePart

router = APIRouter(include_in_schema=False)


@router.post("/cases/{case_id}/exhibits")
async def upload_form(case_id: int, request: Request, db: DbDep, member: PageMember) -> Response:
    check_origin(request)

    def token_first(part: FilePart, fields: dict[str, str]) -> None:
        if not csrf_ok(member.login, fields.get(CSRF_FIELD)):
            raise WebError(403, ["missing or wrong CSRF token: reload the page and try again"])

    request.state.case_db = db
    try:
        view, _ = await receive_upload(request, member, case_id, on_file=token_first)
    except CaseInputError as exc:
        return detail_page(request, db, member, case_id, 422, str(exc))
    anchor = f"#exhibit-{view.id}" if view else ""
    return RedirectResponse(f"/cases/{case_id}{anchor}", status_code=303)


@router.post("/cases/{case_id}/exhibits/verify")
def verify_form(case_id: int, request: Request, db: DbDep, posted: PostedForm) -> Response:
    member = posted.member
    results = exhibits.verify_exhibits(
        db, member.actor, member.key, workspace(request).evidence(), case_id
    )
    db.commit()
    return detail_page(request, db, member, case_id, verified=results)


@router.get("/cases/{case_id}/exhibits/{exhibit_id}")
def exhibit_page(
    case_id: int, exhibit_id: int, request: Request, db: DbDep, member: PageMember
) -> Response:
    """One exhibit: what it is, its SHA-256, and its chain of custody (every upload, view,
    download, export and check, with who and when: user ids only)."""
    view = exhibits.get_exhibit(db, member.actor, member.key, case_id, exhibit_id)
    events = exhibits.custody(db, member.actor, case_id, exhibit_id)
    db.commit()
    return render(
        request, "exhibit.html", member, title=f"Case #{case_id} - exhibit {view.label}",
        exhibit=view, events=events, case_id=case_id,
        can_export=may(member.actor.role, Action.EXPORT),
    )  # fmt: skip
