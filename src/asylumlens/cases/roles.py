"""Who may do what inside one organisation: the role table, as data.

``docs/cases.md`` prints this table and the authorization-matrix test is generated from it,
so the rules live in one place. Nobody outside an organisation may do anything with its
cases, or learn that one exists (a 404, never a 403): that rule is not a row here but the
organisation scope every query carries.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    ADMIN = "admin"
    ATTORNEY = "attorney"
    PARALEGAL = "paralegal"
    VIEWER = "viewer"


class Action(StrEnum):
    VIEW_CASE = "view_case"
    """Read a case, its timeline and deadlines (every member)."""
    CREATE_CASE = "create_case"
    EDIT_CASE = "edit_case"
    """Change a case or add events to it (custody, hearings, decisions, appeals, notes)."""
    EXPORT = "export"
    """Download or export case data (backups, calendars, evidence packets)."""
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"


PERMISSIONS: Final[dict[Role, frozenset[Action]]] = {
    Role.ADMIN: frozenset(Action),
    Role.ATTORNEY: frozenset(
        {Action.VIEW_CASE, Action.CREATE_CASE, Action.EDIT_CASE, Action.EXPORT}
    ),
    Role.PARALEGAL: frozenset({Action.VIEW_CASE, Action.CREATE_CASE, Action.EDIT_CASE}),
    Role.VIEWER: frozenset({Action.VIEW_CASE}),
}


def may(role: Role, action: Action) -> bool:
    """Whether ``role`` may take ``action`` on its own organisation's data."""
    return action in PERMISSIONS[role]
