"""Sign-in on a real case database (SQLite and PostgreSQL): passwords, throttling, session
timeouts, CSRF tokens, sign-out, password reset; and the admin commands."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from asylumlens.cases import accounts, passwords
from asylumlens.cases.auth import AuthPolicy, LoginRefused, LoginThrottled, actor_of, login
from asylumlens.cases.db import User
from asylumlens.cases.models import LoginSession
from asylumlens.cases.roles import Role
from asylumlens.cases.sessions import (
    SessionPolicy,
    csrf_ok,
    end_session,
    resolve_session,
    session_alive,
)

if TYPE_CHECKING:
    from case_db import CaseDb

pytest_plugins = ["case_db"]

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
POLICY = AuthPolicy()


def _world(db: Session) -> None:
    accounts.create_organisation(db, "Legal Aid East")
    accounts.create_organisation(db, "Other Office")
    accounts.create_user(db, "Ana@East.example", "Legal Aid East", "attorney", PASSWORD)
    accounts.create_user(db, "bo@other.example", "Other Office", "viewer", PASSWORD)
    db.commit()


def test_passwords_are_argon2id_and_short_ones_refused() -> None:
    h = passwords.hash_password(PASSWORD)
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, PASSWORD)
    assert not passwords.verify_password(h, PASSWORD + "!")
    assert not passwords.verify_password("not a hash", PASSWORD)
    with pytest.raises(passwords.PasswordError, match=r"^password: at least 12") as refused:
        passwords.hash_password("short pass")
    assert "short pass" not in str(refused.value)


def test_login_opens_a_session_stored_only_as_a_hash(case_db: CaseDb) -> None:
    with Session(case_db.engine) as db:
        _world(db)
        signed = login(db, "ana@east.example", PASSWORD, ip="10.0.0.1", now=T0, policy=POLICY)
        db.commit()
        assert signed.organisation == "Legal Aid East"
        assert actor_of(signed.user).role is Role.ATTORNEY
        ids = db.execute(select(LoginSession.id)).scalars().all()
        assert len(ids) == 1 and signed.token not in ids and ids[0] != signed.csrf_token
        stored = db.execute(text("SELECT id, csrf_token FROM login_sessions")).one()
        assert signed.token not in stored
        found = resolve_session(db, signed.token, T0 + timedelta(minutes=5), POLICY.sessions)
        assert found is not None and found[0].email == "ana@east.example"
        assert csrf_ok(found[1], signed.csrf_token)
        assert not csrf_ok(found[1], None) and not csrf_ok(found[1], signed.csrf_token[:-1] + "x")
        assert resolve_session(db, signed.token + "x", T0, POLICY.sessions) is None


def test_wrong_password_and_unknown_email_are_refused_alike(case_db: CaseDb) -> None:
    with Session(case_db.engine) as db:
        _world(db)
        with pytest.raises(LoginRefused) as wrong:
            login(db, "ana@east.example", "nope nope nope", ip="1", now=T0, policy=POLICY)
        with pytest.raises(LoginRefused) as unknown:
            login(db, "who@east.example", "nope nope nope", ip="1", now=T0, policy=POLICY)
        assert str(wrong.value) == str(unknown.value) == "wrong email or password"


def test_a_brute_forced_login_is_throttled_then_lets_go(case_db: CaseDb) -> None:
    with Session(case_db.engine) as db:
        _world(db)
        for i in range(POLICY.throttle.per_email):
            with pytest.raises(LoginRefused):
                at = T0 + timedelta(seconds=i)
                login(db, "ana@east.example", f"guess {i:08d}", ip="2", now=at, policy=POLICY)
        db.commit()
        # the right password is refused too while the window holds
        with pytest.raises(LoginThrottled):
            login(
                db,
                "ana@east.example",
                PASSWORD,
                ip="3",
                now=T0 + timedelta(minutes=1),
                policy=POLICY,
            )
        # another user from elsewhere is not affected
        login(
            db, "bo@other.example", PASSWORD, ip="4", now=T0 + timedelta(minutes=1), policy=POLICY
        )
        later = T0 + POLICY.throttle.window + timedelta(seconds=10)
        assert login(db, "ana@east.example", PASSWORD, ip="3", now=later, policy=POLICY).token


def test_one_address_guessing_many_emails_is_throttled(case_db: CaseDb) -> None:
    with Session(case_db.engine) as db:
        _world(db)
        for i in range(POLICY.throttle.per_ip):
            with pytest.raises(LoginRefused):
                login(db, f"u{i}@x.example", "wrong wrong wrong", ip="6", now=T0, policy=POLICY)
        with pytest.raises(LoginThrottled):
            login(db, "ana@east.example", PASSWORD, ip="6", now=T0, policy=POLICY)


@pytest.mark.parametrize(
    ("since_login", "since_last_use", "alive"),
    [
        (timedelta(minutes=10), timedelta(minutes=10), True),
        (timedelta(minutes=40), timedelta(minutes=29, seconds=59), True),
        (timedelta(minutes=40), timedelta(minutes=30), False),  # idle limit reached
        (timedelta(hours=11, minutes=59), timedelta(minutes=1), True),
        (timedelta(hours=12), timedelta(minutes=1), False),  # absolute limit reached
    ],
)
def test_session_timeouts(since_login: timedelta, since_last_use: timedelta, alive: bool) -> None:
    now = T0 + timedelta(days=1)
    got = session_alive(now - since_login, now - since_last_use, now, SessionPolicy())
    assert got is alive
    # SQLite hands back naive UTC times: the same answer
    naive = (now - since_login).replace(tzinfo=None), (now - since_last_use).replace(tzinfo=None)
    assert session_alive(*naive, now, SessionPolicy()) is alive


def test_a_session_past_its_timeout_is_refused_and_removed(case_db: CaseDb) -> None:
    with Session(case_db.engine) as db:
        _world(db)
        idle = login(db, "ana@east.example", PASSWORD, ip="1", now=T0, policy=POLICY)
        busy = login(db, "ana@east.example", PASSWORD, ip="1", now=T0, policy=POLICY)
        db.commit()
        # the busy one is used every 20 minutes: idle never passes, the absolute limit does
        at = T0
        while at < T0 + timedelta(hours=11, minutes=40):
            at += timedelta(minutes=20)
            assert resolve_session(db, busy.token, at, POLICY.sessions) is not None
        assert resolve_session(db, idle.token, T0 + timedelta(minutes=31), POLICY.sessions) is None
        assert resolve_session(db, busy.token, T0 + timedelta(hours=12), POLICY.sessions) is None
        db.commit()
        assert db.execute(select(LoginSession)).first() is None


def test_sign_out_disable_and_reset_end_sessions(case_db: CaseDb) -> None:
    with Session(case_db.engine) as db:
        _world(db)
        one = login(db, "ana@east.example", PASSWORD, ip="1", now=T0, policy=POLICY)
        two = login(db, "ana@east.example", PASSWORD, ip="1", now=T0, policy=POLICY)
        end_session(db, one.token)
        assert resolve_session(db, one.token, T0, POLICY.sessions) is None
        assert resolve_session(db, two.token, T0, POLICY.sessions) is not None
        accounts.reset_password(db, "ana@east.example", "a new long passphrase")
        assert resolve_session(db, two.token, T0, POLICY.sessions) is None
        with pytest.raises(LoginRefused):
            login(db, "ana@east.example", PASSWORD, ip="1", now=T0, policy=POLICY)
        three = login(
            db, "ana@east.example", "a new long passphrase", ip="1", now=T0, policy=POLICY
        )
        user = db.execute(select(User).where(User.email == "ana@east.example")).scalar_one()
        user.disabled = True
        assert resolve_session(db, three.token, T0, POLICY.sessions) is None
        with pytest.raises(LoginRefused):
            login(db, "ana@east.example", "a new long passphrase", ip="1", now=T0, policy=POLICY)


def test_accounts_refuse_duplicates_and_bad_roles(case_db: CaseDb) -> None:
    with Session(case_db.engine) as db:
        _world(db)
        with pytest.raises(accounts.AccountError, match="exists already"):
            accounts.create_organisation(db, "Legal Aid East")
        with pytest.raises(accounts.AccountError, match="exists already"):
            accounts.create_user(db, "ANA@east.example", "Legal Aid East", "viewer", PASSWORD)
        with pytest.raises(accounts.AccountError, match=r"^role: one of admin"):
            accounts.create_user(db, "cy@east.example", "Legal Aid East", "boss", PASSWORD)
        with pytest.raises(accounts.AccountError, match="does not exist"):
            accounts.create_user(db, "cy@east.example", "Nowhere", "viewer", PASSWORD)


def _admin(store: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ASYLUMLENS_DATABASE_URL"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent / "src")
    return subprocess.run(
        [sys.executable, "-m", "asylumlens", "admin", *args, "--store", str(store)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_admin_commands_make_an_organisation_and_a_user(tmp_path: Path) -> None:
    store = tmp_path / "store"
    made = _admin(store, "create-org", "Legal Aid East")
    assert made.returncode == 0, made.stderr
    user = _admin(
        store,
        "create-user",
        "ana@east.example",
        "--org",
        "Legal Aid East",
        "--role",
        "attorney",
        stdin=PASSWORD + "\n",
    )
    assert user.returncode == 0, user.stderr
    assert PASSWORD not in user.stdout + user.stderr
    assert "ana@east.example created (attorney in Legal Aid East)" in user.stdout
    again = _admin(store, "create-org", "Legal Aid East")
    assert again.returncode == 2 and len(again.stderr.splitlines()) == 1, again.stderr
    assert "exists already" in again.stderr and "Traceback" not in again.stderr
    short = _admin(store, "reset-password", "ana@east.example", stdin="tiny\n")
    assert short.returncode == 2 and "password: at least 12" in short.stderr
    reset = _admin(store, "reset-password", "ana@east.example", stdin="another long passphrase\n")
    assert reset.returncode == 0, reset.stderr
    from asylumlens.cases.db import make_engine

    engine = make_engine(f"sqlite:///{store / 'cases.sqlite'}")
    with Session(engine) as db:
        login(db, "ana@east.example", "another long passphrase", ip="1", now=T0, policy=POLICY)
    engine.dispose()
