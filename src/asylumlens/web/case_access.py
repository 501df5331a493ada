"""Who is asking, on every private route: the session cookie, CSRF and same-origin checks.

Django's design, on our session store (:mod:`asylumlens.cases.sessions`):

* the browser holds only a random token in the ``asylumlens_session`` cookie (Secure,
  HttpOnly, SameSite=Lax, no lifetime: the server enforces the idle and absolute timeouts);
* every state-changing request (POST, PATCH, PUT, DELETE) must carry the session's CSRF token,
  in ``X-CSRF-Token`` from scripts or in the ``csrf_token`` field of a form, and, when the
  browser sends an ``Origin``, come from this site; sign-in itself has no session yet, so it
  gets the origin check only;
* no session: the JSON API answers 401, a page redirects to ``/login`` (303) and comes back.

Every check happens before a handler runs, and nothing about the case asked for is looked up
for an anonymous request, so nobody without a session learns whether a case exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Final
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from asylumlens.cases.auth import LoginRefused, LoginThrottled, SignedIn, actor_of, login
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import Organisation, User
from asylumlens.cases.models import LoginSession
from asylumlens.cases.records import Actor
from asylumlens.cases.sessions import csrf_ok, end_session, resolve_session
from asylumlens.web.errors import WebError
from asylumlens.web.workspace import CaseWorkspace

COOKIE: Final = "asylumlens_session"
CSRF_HEADER: Final = "X-CSRF-Token"
CSRF_FIELD: Final = "csrf_token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(Exception):
    """A page asked for without a live session: answered by a redirect to the sign-in page
    (``next`` is the page's own path, which holds ids only)."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in first")
        self.next_path = next_path

    def location(self) -> str:
        return "/login?next=" + quote(self.next_path, safe="/")


def workspace(request: Request) -> CaseWorkspace:
    ws: CaseWorkspace = request.app.state.cases
    return ws


def case_db(request: Request) -> Iterator[Session]:
    """A database session for this request; whatever was not committed is rolled back."""
    db = workspace(request).session()
    try:
        yield db
    finally:
        db.close()


DbDep = Annotated[Session, Depends(case_db)]


@dataclass(frozen=True)
class Member:
    """The signed-in user behind a request, as the case records want it."""

    user: User
    actor: Actor
    login: LoginSession = field(repr=False)
    key: FieldKey = field(repr=False)
    organisation: str

    @property
    def csrf_token(self) -> str:
        return self.login.csrf_token


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or a URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/cases"
    return value


def same_origin(request: Request) -> bool:
    """No ``Origin`` header (a script, an old browser), or one naming this host."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return bool(host) and urlsplit(origin).netloc.lower() == host.lower()


def check_origin(request: Request) -> None:
    if request.method not in SAFE_METHODS and not same_origin(request):
        raise WebError(403, ["cross-site request refused: it did not come from this site"])


def current_member(request: Request, db: Session) -> Member | None:
    """The live session of the request's cookie (its last use moved to now), or None."""
    ws = workspace(request)
    found = resolve_session(db, request.cookies.get(COOKIE), ws.now(), ws.policy.sessions)
    db.commit()
    if found is None:
        return None
    user, row = found
    org = db.get(Organisation, user.org_id)
    return Member(user, actor_of(user), row, ws.case_key(), org.name if org else "")


def _csrf_refused() -> WebError:
    return WebError(403, [f"missing or wrong CSRF token: send the session's {CSRF_HEADER}"])


def api_member(request: Request, db: DbDep) -> Member:
    """The JSON API's caller: 401 without a session; 403 on a state change without the CSRF
    token in ``X-CSRF-Token`` or from another site."""
    member = current_member(request, db)
    if member is None:
        raise WebError(401, ["sign in first: POST /api/v1/session with email and password"])
    if request.method not in SAFE_METHODS:
        check_origin(request)
        if not csrf_ok(member.login, request.headers.get(CSRF_HEADER)):
            raise _csrf_refused()
    return member


ApiMember = Annotated[Member, Depends(api_member)]


def page_member(request: Request, db: DbDep) -> Member:
    """A page's reader: without a session, a redirect to the sign-in page."""
    member = current_member(request, db)
    if member is None:
        raise SignInRequired(request.url.path)
    return member


PageMember = Annotated[Member, Depends(page_member)]


@dataclass(frozen=True)
class Posted:
    """A form posted by a signed-in member, its CSRF token checked; ``fields`` without it."""

    member: Member
    fields: dict[str, str]


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (read here, off the database thread)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def posted_form(request: Request, db: DbDep, fields: FormFields) -> Posted:
    """A page's form post: a session, this site's origin and the form's ``csrf_token``."""
    member = current_member(request, db)
    if member is None:
        raise SignInRequired(request.url.path)
    check_origin(request)
    fields = dict(fields)
    if not csrf_ok(member.login, fields.pop(CSRF_FIELD, None)):
        raise WebError(403, ["missing or wrong CSRF token: reload the page and try again"])
    return Posted(member, fields)


PostedForm = Annotated[Posted, Depends(posted_form)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def open_session(
    request: Request, db: Session, email: str, password: str, totp: str | None = None
) -> SignedIn:
    """Sign in (the library's throttle and checks), ending the session the browser already
    held, so a token planted before sign-in never becomes a signed-in one. Every attempt is
    committed, failed ones included: they are what the throttle counts. 401 for a wrong
    email, password or code, 429 when throttled (with ``Retry-After``)."""
    check_origin(request)
    ws = workspace(request)
    end_session(db, request.cookies.get(COOKIE))
    try:
        signed = login(
            db,
            email,
            password,
            ip=client_ip(request),
            now=ws.now(),
            policy=ws.policy,
            totp=totp or None,
            key=ws.case_key(),
        )
    except LoginThrottled as exc:
        db.commit()
        seconds = int(ws.policy.throttle.window.total_seconds())
        raise WebError(429, [str(exc)], headers={"Retry-After": str(seconds)}) from None
    except LoginRefused as exc:
        db.commit()
        raise WebError(401, [str(exc)]) from None
    db.commit()
    return signed


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, secure=True, samesite="lax", path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, httponly=True, secure=True, samesite="lax", path="/")


def close_session(request: Request, db: Session) -> None:
    end_session(db, request.cookies.get(COOKIE))
    db.commit()
