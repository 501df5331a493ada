"""The authorization matrix: every private endpoint and page × every role × own or another
organisation's case × anonymous, each answer checked against what the role table
(:data:`asylumlens.cases.roles.PERMISSIONS`) says it must be.

Nothing here is a hand-written expectation per cell: the expected status comes from the
endpoint's action and the role table. Anonymous: the API 401, a page a 303 to ``/login``.
A member whose role may not: 403 (the same for any case id, so it tells nothing). A member
who may: the endpoint's success status in their own organisation and 404 on another's case,
exactly as for a case that does not exist. A second test makes sure every private route of
the app is in the matrix, so a new one cannot skip it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asylumlens.cases import records
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.roles import Action, Role, may
from asylumlens.web.private import is_private_path
from case_web_support import email, sign_in
from case_world import sample_case

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from case_web_support import Office


CUSTODY = {"facility": "Otero County Processing Center", "start": "2026-08-12"}
DESIGNATION = {"country": "MX", "third_country": "true", "designated": "2026-09-01"}
HEARING = {"on": "2026-10-01", "kind": "individual", "mode": "video"}
DECISION = {"on": "2026-11-13", "oral": "true", "outcome": "grant"}
APPEAL = {"by": "dhs", "status": "pending"}
NOTE = {"text": "client reports a cousin was questioned"}
EVENTS = {
    "custody": CUSTODY,
    "designations": DESIGNATION,
    "hearings": HEARING,
    "decisions": DECISION,
    "appeals": APPEAL,
    "notes": NOTE,
}
assert set(EVENTS) == {*records.EVENT_ADDERS, "notes"}, "a new kind of event needs a body here"
NEW_CASE: dict[str, Any] = sample_case(FieldKey(bytes(32)))  # the key is not used


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    """``{case}`` stands for a case id (the endpoint is about one case)."""
    action: Action | None
    """What the role must be allowed (None: any member, e.g. one's own account)."""
    body: dict[str, Any] | None
    success: int
    files: bool = False
    """Sent as multipart with a small file (an exhibit upload)."""

    @property
    def page(self) -> bool:
        return not self.path.startswith("/api/")

    @property
    def about_a_case(self) -> bool:
        return "{case}" in self.path


V, C, E, X = Action.VIEW_CASE, Action.CREATE_CASE, Action.EDIT_CASE, Action.EXPORT
ENDPOINTS = [
    Endpoint("GET", "/api/v1/cases", V, None, 200),
    Endpoint("POST", "/api/v1/cases", C, NEW_CASE, 201),
    Endpoint("GET", "/api/v1/cases/{case}", V, None, 200),
    Endpoint("PATCH", "/api/v1/cases/{case}", E, {"language": "Quechua"}, 200),
    *(Endpoint("POST", f"/api/v1/cases/{{case}}/{n}", E, b, 201) for n, b in EVENTS.items()),
    Endpoint("POST", "/api/v1/cases/{case}/exhibits", E, {"title": "Footage"}, 201, files=True),
    Endpoint("GET", "/api/v1/cases/{case}/exhibits", V, None, 200),
    Endpoint("GET", "/api/v1/cases/{case}/exhibits/{exhibit}/content", X, None, 200),
    Endpoint("GET", "/api/v1/cases/{case}/exhibits/{exhibit}/custody", V, None, 200),
    Endpoint("POST", "/api/v1/cases/{case}/exhibits/verify", V, None, 200),
    Endpoint("GET", "/api/v1/cases/{case}/packet.pdf", X, None, 200),
    Endpoint("GET", "/api/v1/cases/{case}/exhibits.csv", X, None, 200),
    Endpoint("GET", "/api/v1/cases/{case}/proof.json", X, None, 200),
    Endpoint("GET", "/api/v1/deadlines", V, None, 200),
    Endpoint("GET", "/api/v1/audit", Action.READ_AUDIT, None, 200),
    Endpoint("GET", "/cases", V, None, 200),
    Endpoint("POST", "/cases", C, NEW_CASE, 303),
    Endpoint("GET", "/cases/{case}", V, None, 200),
    *(Endpoint("POST", f"/cases/{{case}}/{n}", E, b, 303) for n, b in EVENTS.items()),
    Endpoint("POST", "/cases/{case}/edit", E, {"language": "Quechua"}, 303),
    Endpoint("POST", "/cases/{case}/exhibits", E, {"title": "Footage"}, 303, files=True),
    Endpoint("POST", "/cases/{case}/exhibits/verify", V, {}, 200),
    Endpoint("GET", "/cases/{case}/exhibits/{exhibit}", V, None, 200),
    Endpoint("GET", "/deadlines", V, None, 200),
    Endpoint("GET", "/audit", Action.READ_AUDIT, None, 200),
    Endpoint("GET", "/account", None, None, 200),
    Endpoint("POST", "/account/feeds", X, {}, 200),
]
AUTH_ROUTES = {
    ("POST", "/api/v1/session"),
    ("GET", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/calendar/{token}.ics"),
    ("POST", "/account/feeds/{feed_id}/revoke"),
}
"""Private routes tested on their own (sign-in, sign-out, the calendar's secret URL, a
feed's revocation: tests/test_case_web.py), not by role."""


def expected(endpoint: Endpoint, role: Role | None, org: str) -> int:
    if role is None:
        return 303 if endpoint.page else 401
    if endpoint.action is not None and not may(role, endpoint.action):
        return 403
    if org == "other" and endpoint.about_a_case:
        return 404
    return endpoint.success


def call(client: TestClient, endpoint: Endpoint, case: tuple[int, int], token: str) -> int:
    path = endpoint.path.replace("{case}", str(case[0])).replace("{exhibit}", str(case[1]))
    body = endpoint.body
    upload = {"file": ("clip.txt", b"a few bytes of evidence")} if endpoint.files else None
    if endpoint.method == "GET":
        r = client.get(path, follow_redirects=False)
    elif endpoint.files:
        data = {**(body or {}), "csrf_token": token} if endpoint.page else body
        headers = {} if endpoint.page else {"X-CSRF-Token": token}
        r = client.post(path, data=data, files=upload, headers=headers, follow_redirects=False)
    elif endpoint.page:
        form = {**(body or {}), "csrf_token": token}
        r = client.post(path, data=form, follow_redirects=False)
    else:
        r = client.request(
            endpoint.method, path, json=body, headers={"X-CSRF-Token": token},
            follow_redirects=False,
        )  # fmt: skip
    if r.status_code == 303 and role_of(client) is None:
        assert r.headers["location"].startswith("/login?next="), r.headers["location"]
    return r.status_code


_ROLES: dict[int, Role | None] = {}


def role_of(client: TestClient) -> Role | None:
    return _ROLES.get(id(client))


def test_every_endpoint_answers_every_role_as_the_role_table_says(office: Office) -> None:
    """All cells of the matrix, against SQLite and PostgreSQL; a failure lists every wrong
    cell (endpoint, who, whose case, expected, got)."""
    cases = {org: office.exhibit_of(org) for org in ("own", "other")}
    members: list[tuple[Role | None, TestClient, str]] = []
    anonymous = office.client()
    _ROLES[id(anonymous)] = None
    members.append((None, anonymous, ""))
    for role in Role:
        c = office.client()
        _ROLES[id(c)] = role
        members.append((role, c, sign_in(c, email(role, "own"))))
    wrong = []
    cells = 0
    for endpoint in ENDPOINTS:
        for org in ("own", "other") if endpoint.about_a_case else ("own",):
            for role, client, token in members:
                want = expected(endpoint, role, org)
                got = call(client, endpoint, cases[org], token)
                cells += 1
                if got != want:
                    who = role.value if role else "anonymous"
                    wrong.append(
                        f"{endpoint.method} {endpoint.path} as {who} on {org}: {want} != {got}"
                    )
    assert not wrong, "\n".join(wrong)
    assert cells == sum(5 * (2 if e.about_a_case else 1) for e in ENDPOINTS)


def _routes(app: Any) -> Iterator[Any]:
    """Every route of the app, the included routers' too (FastAPI keeps each included
    router as one entry of ``app.routes``)."""
    for route in app.routes:
        inner = getattr(route, "original_router", None)
        yield from (inner.routes if inner is not None else [route])


def test_the_matrix_covers_every_private_route(office: Office) -> None:
    """Every route under a private prefix is in the matrix or in the auth routes tested on
    their own: a new private endpoint fails here until it is added."""
    covered = {
        (e.method, e.path.replace("{case}", "{case_id}").replace("{exhibit}", "{exhibit_id}"))
        for e in ENDPOINTS
    }
    covered |= AUTH_ROUTES
    missing = []
    seen = 0
    for route in _routes(office.app):
        path = getattr(route, "path", "")
        if not is_private_path(path):
            continue
        for method in getattr(route, "methods", set()) - {"HEAD"}:
            generic = path.replace("{event}", "custody")
            seen += 1
            if (method, path) not in covered and (method, generic) not in covered:
                missing.append(f"{method} {path}")
    assert not missing, missing
    assert seen >= len(ENDPOINTS)  # the walk reached the routers' routes
