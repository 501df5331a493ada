"""``asylumlens admin``: organisations and users of the case workspace, from the shell.

Thin: each command opens the case database (``ASYLUMLENS_DATABASE_URL``, else
``<store>/cases.sqlite``), migrates it, calls :mod:`asylumlens.cases.accounts` and commits.
A password is read from standard input when it is not a terminal (one line, for scripts),
else prompted for twice, hidden; it is never printed or logged. ``enable-totp`` prints the
new two-factor secret once, for the user's authenticator app, and never again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from asylumlens.cli_cases import CaseStoreOption, case_engine

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

admin_app = typer.Typer(
    name="admin",
    help="Organisations and users of the case workspace, their passwords and two-factor.\n\n"
    "Example: asylumlens admin create-user ana@example.org --org 'Legal Aid' --role attorney",
    no_args_is_help=True,
)


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _run(store: Path | None, work: Callable[[Session], str]) -> None:
    from sqlalchemy.orm import Session

    from asylumlens.cases.schema import migrate

    engine = case_engine(store)
    migrate(engine)
    with Session(engine) as db:
        message = work(db)
        db.commit()
    typer.echo(message)


@admin_app.command("create-org")
def create_org(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    store: CaseStoreOption = None,
) -> None:
    """Create an organisation (a law office or nonprofit)."""
    from asylumlens.cases.accounts import create_organisation

    _run(
        store,
        lambda db: f"organisation {create_organisation(db, name).name!r} created",
    )


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(help="The user's email, their sign-in name.")],
    org: Annotated[str, typer.Option("--org", help="The organisation's name.")],
    role: Annotated[str, typer.Option("--role", help="admin, attorney, paralegal or viewer.")],
    store: CaseStoreOption = None,
) -> None:
    """Create a user with a role in an organisation (password: stdin, else a prompt)."""
    from asylumlens.cases.accounts import create_user as make

    password = _password()
    _run(
        store,
        lambda db: f"user {make(db, email, org, role, password).email} created ({role} in {org})",
    )


@admin_app.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    store: CaseStoreOption = None,
) -> None:
    """Set a new password (stdin, else a prompt) and end the user's sessions."""
    from asylumlens.cases.accounts import reset_password as reset

    password = _password()
    _run(
        store,
        lambda db: f"password of {reset(db, email, password).email} reset; their sessions ended",
    )


@admin_app.command("enable-totp")
def enable_totp(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    store: CaseStoreOption = None,
) -> None:
    """Turn on two-factor sign-in for a user (a new secret, replacing any earlier one).

    Prints the secret and its otpauth:// URI once, for the user's authenticator app; the
    database keeps it only encrypted under the case key ($ASYLUMLENS_KEY or the key file).
    """
    from asylumlens.cases.accounts import existing_user
    from asylumlens.cases.crypto import load_key
    from asylumlens.cases.totp import enrol_totp
    from asylumlens.store import resolve_store_root

    key = load_key(resolve_store_root(store))

    def work(db: Session) -> str:
        enrolment = enrol_totp(db, existing_user(db, email), key)
        return (
            f"two-factor sign-in enabled for {email.strip().lower()}; add this to the "
            "authenticator app now, it is not shown again:\n"
            f"secret: {enrolment.secret_base32}\n"
            f"uri: {enrolment.uri}"
        )

    _run(store, work)


@admin_app.command("disable-totp")
def disable_totp(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    store: CaseStoreOption = None,
) -> None:
    """Turn off two-factor sign-in for a user (their secret is deleted)."""
    from asylumlens.cases.accounts import existing_user
    from asylumlens.cases.totp import disable_totp as disable

    def work(db: Session) -> str:
        user = existing_user(db, email)
        disable(db, user)
        return f"two-factor sign-in disabled for {user.email}"

    _run(store, work)


@admin_app.command("demo")
def demo(store: CaseStoreOption = None) -> None:
    """Make (or refresh) the DEMO office: one attorney and one fictional case (make demo).

    Prints the demo attorney's email and a new password (the case key must exist:
    `asylumlens cases init-key`). For trying the workspace out, never for real clients.
    """
    from datetime import date

    from asylumlens.cases.crypto import load_key
    from asylumlens.cases.demo import seed_demo
    from asylumlens.store import resolve_store_root

    key = load_key(resolve_store_root(store))

    def work(db: Session) -> str:
        office = seed_demo(db, key, today=date.today())
        return (
            f"demo office ready (DEMO ONLY, fictional client): sign in at /login as "
            f"{office.email} with password {office.password} - case #{office.case_id}"
        )

    _run(store, work)
