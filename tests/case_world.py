"""A small world for the case tests: two organisations, a user of each role, a case key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import Organisation, User
from asylumlens.cases.records import Actor
from asylumlens.cases.roles import Role

CLIENT_NAME = "Zorabel Quintanilla-Voss"
A_NUMBER = "A-201-555-019"
A_NUMBER_DIGITS = "201555019"


@dataclass(frozen=True)
class World:
    key: FieldKey
    actors: dict[tuple[str, Role], Actor]

    def actor(self, role: Role, org: str = "own") -> Actor:
        return self.actors[(org, role)]


def build_world(session: Session) -> World:
    actors: dict[tuple[str, Role], Actor] = {}
    for org_label in ("own", "other"):
        org = Organisation(name=f"{org_label} legal aid")
        session.add(org)
        session.flush()
        for role in Role:
            user = User(
                org_id=org.id,
                email=f"{role.value}@{org_label}.example",
                role=role.value,
                password_hash="x",
            )
            session.add(user)
            session.flush()
            actors[(org_label, role)] = Actor(user.id, org.id, role)
    session.commit()
    return World(FieldKey(secrets.token_bytes(32)), actors)


def sample_case(key: FieldKey) -> dict[str, object]:
    return {
        "client_name": CLIENT_NAME,
        "a_number": A_NUMBER,
        "nationality": "ve",
        "language": "Spanish",
        "court": "NYC",
        "last_arrival": "2021-03-02",
        "filed": "2021-11-20",
    }
