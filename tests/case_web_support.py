"""The case workspace behind the real web app, for the web case suites.

``office`` (a fixture; SQLite and PostgreSQL through ``case_db``): two organisations ("own"
and "other") with a user of every role each, real argon2id passwords, the web test store's
public app with its :class:`~asylumlens.web.workspace.CaseWorkspace` on that database, and a
clock the test can move. :meth:`Office.client` gives a ``TestClient`` with its own cookie jar
(over ``https://``: the session cookie is ``Secure``), signed in as a user or anonymous.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.orm import Session

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from asylumlens.cases import accounts
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.roles import Role
from asylumlens.store import Store
from asylumlens.web import create_app
from asylumlens.web.workspace import CaseWorkspace
from case_world import CLIENT_NAME, sample_case

if TYPE_CHECKING:
    from case_db import CaseDb

PASSWORD = "correct horse battery staple"
ORGS = {"own": "Legal Aid East", "other": "Other Office"}
T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
_CSRF: dict[int, str] = {}


def email(role: Role, org: str = "own") -> str:
    return f"{role.value}@{org}.example"


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Office:
    workspace: CaseWorkspace
    clock: Clock
    app: Any
    clients: list[TestClient] = field(default_factory=list)

    def client(self, role: Role | None = None, org: str = "own") -> TestClient:
        """A fresh client (own cookies); signed in as ``role`` of ``org`` unless None."""
        c = TestClient(self.app, base_url="https://testserver", raise_server_exceptions=False)
        c.__enter__()
        self.clients.append(c)
        if role is not None:
            sign_in(c, email(role, org))
        return c

    def case_of(self, org: str = "own") -> int:
        """A new case in ``org``, created by its attorney through the API; its id."""
        c = self.client(Role.ATTORNEY, org)
        made = c.post("/api/v1/cases", json=sample_case(self.workspace.case_key()), headers=csrf(c))
        assert made.status_code == 201, made.text
        case_id: int = made.json()["case"]["id"]
        return case_id

    def exhibit_of(self, org: str = "own") -> tuple[int, int]:
        """A new case in ``org`` with one exhibit, uploaded by its attorney: (case, exhibit)."""
        return _exhibit(self, org)


def _exhibit(office: Office, org: str) -> tuple[int, int]:
    case_id = office.case_of(org)
    c = office.client(Role.ATTORNEY, org)
    made = c.post(
        f"/api/v1/cases/{case_id}/exhibits", data={"title": "A declaration"},
        files={"file": ("d.txt", b"I declare")}, headers=csrf(c),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return case_id, int(made.json()["id"])


def sign_in(client: TestClient, address: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in through the API; the session's CSRF token (kept on the client)."""
    r = client.post("/api/v1/session", json={"email": address, "password": password})
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf_token"]
    _CSRF[id(client)] = token
    return token


def csrf(client: TestClient) -> dict[str, str]:
    """The header carrying ``client``'s CSRF token (from its last sign-in)."""
    return {"X-CSRF-Token": _CSRF.get(id(client), "")}


@pytest.fixture
def office(case_db: CaseDb, store: Store, tmp_path: Path) -> Iterator[Office]:
    with Session(case_db.engine) as db:
        for name in ORGS.values():
            accounts.create_organisation(db, name)
        for org, name in ORGS.items():
            for role in Role:
                accounts.create_user(db, email(role, org), name, role.value, PASSWORD)
        db.commit()
    clock = Clock()
    workspace = CaseWorkspace(
        case_db.engine.url.render_as_string(hide_password=False),
        key=FieldKey(secrets.token_bytes(32)),
        clock=clock,
        evidence_root=tmp_path / "evidence",
    )
    made = Office(workspace, clock, create_app(store, cases=workspace))
    try:
        yield made
    finally:
        for c in made.clients:
            c.__exit__(None, None, None)
        workspace.close()


__all__ = ["CLIENT_NAME", "Office", "csrf", "email", "office", "sign_in"]
