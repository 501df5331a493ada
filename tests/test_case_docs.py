"""docs/cases.md prints the role table exactly as asylumlens.cases.roles has it."""

from __future__ import annotations

from pathlib import Path

from asylumlens.cases.roles import PERMISSIONS, Action, Role

DOC = Path(__file__).resolve().parents[1] / "docs" / "cases.md"


def role_table() -> str:
    lines = [
        "| Action | " + " | ".join(role.value for role in Role) + " |",
        "|---|" + "---|" * len(Role),
    ]
    for action in Action:
        marks = ("yes" if action in PERMISSIONS[role] else "no" for role in Role)
        lines.append(f"| `{action.value}` | " + " | ".join(marks) + " |")
    return "\n".join(lines) + "\n"


def test_docs_role_table_matches_permissions() -> None:
    assert role_table() in DOC.read_text("utf-8"), "docs/cases.md role table is stale"
