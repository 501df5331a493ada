"""The demo office of ``make demo``: one organisation, one attorney, one fictional case.

For a newcomer to click through the workspace on a fresh store, never for real work: the
organisation's name says DEMO, the client is fictional, and the password is made fresh on
every run (printed once by ``asylumlens admin demo``). Run again, it keeps the office and
its case and only sets a new password, so the demo can be restarted without piling up
copies. The case is the story in issue 14: detained in August, a third-country designation
made and dropped, a video hearing from the jail, an oral grant two weeks before ``today``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asylumlens.cases import accounts, records
from asylumlens.cases.auth import actor_of, user_by_email
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import Organisation
from asylumlens.cases.models import Case

DEMO_ORG: Final = "Demo Legal Aid (DEMO ONLY)"
DEMO_EMAIL: Final = "demo-attorney@asylumlens.invalid"
"""``.invalid`` (RFC 2606): an address that can never reach anyone."""


@dataclass(frozen=True)
class DemoOffice:
    email: str
    password: str = field(repr=False)
    case_id: int


def seed_demo(db: Session, key: FieldKey, *, today: date) -> DemoOffice:
    """The demo office, made or refreshed (a new password each time); the caller commits."""
    password = secrets.token_urlsafe(12)
    org = db.execute(select(Organisation).where(Organisation.name == DEMO_ORG)).scalar_one_or_none()
    if org is None:
        org = accounts.create_organisation(db, DEMO_ORG)
    user = user_by_email(db, DEMO_EMAIL)
    if user is None:
        user = accounts.create_user(db, DEMO_EMAIL, DEMO_ORG, "attorney", password)
    else:
        accounts.reset_password(db, DEMO_EMAIL, password)
    actor = actor_of(user)
    first = db.scalar(select(func.min(Case.id)).where(Case.org_id == org.id))
    if first is not None:
        return DemoOffice(DEMO_EMAIL, password, first)
    decided = today - timedelta(days=14)
    case = records.create_case(
        db,
        actor,
        key,
        {
            "client_name": "Demo Client (fictional)",
            "a_number": "099999999",
            "nationality": "ER",
            "language": "Tigrinya",
            "last_arrival": date(2021, 5, 4),
            "filed": date(2021, 12, 1),
        },
    )
    detained = decided - timedelta(days=95)
    records.add_custody_spell(
        db, actor, case.id, {"facility": "County jail (ICE contract)", "start": detained}
    )
    records.add_designation(
        db,
        actor,
        case.id,
        {
            "country": "MX",
            "third_country": True,
            "designated": detained + timedelta(days=20),
            "withdrawn": detained + timedelta(days=48),
        },
    )
    records.add_hearing(
        db,
        actor,
        case.id,
        {"on": decided, "kind": "individual", "mode": "video", "location": "from the jail"},
    )
    records.add_decision(db, actor, case.id, {"on": decided, "oral": True, "outcome": "grant"})
    records.add_note(
        db, actor, key, case.id, "Judge found him credible; DHS reserved appeal. (Demo data.)"
    )
    return DemoOffice(DEMO_EMAIL, password, case.id)
