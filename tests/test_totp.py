"""Two-factor sign-in on a real case database (SQLite and PostgreSQL): the codes are the ones
an authenticator app makes, a code works once, the secret is stored only encrypted, login
asks for and throttles codes; and ``asylumlens admin enable-totp|disable-totp``."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from asylumlens.cases import accounts, crypto, totp
from asylumlens.cases.auth import (
    AuthPolicy,
    LoginRefused,
    LoginThrottled,
    TotpKeyMissing,
    TotpRequired,
    login,
)
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import User

if TYPE_CHECKING:
    from case_db import CaseDb

pytest_plugins = ["case_db"]

T0 = datetime(2026, 12, 2, 9, 0, 10, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
EMAIL = "ana@east.example"
POLICY = AuthPolicy()
KEY = FieldKey(secrets.token_bytes(32))


def _user(db: Session) -> User:
    accounts.create_organisation(db, "Legal Aid East")
    user = accounts.create_user(db, EMAIL, "Legal Aid East", "attorney", PASSWORD)
    db.commit()
    return user


def _code(secret_base32: str, at: datetime) -> str:
    """The code an authenticator app shows at ``at``: computed here, not by our module."""
    app = TOTP(base64.b32decode(secret_base32), 6, SHA1(), 30)
    return app.generate(int(at.timestamp())).decode()


def _not_a_code(secret_base32: str, at: datetime) -> str:
    """Six digits that are not the code of any step the server accepts at ``at``."""
    valid = {_code(secret_base32, at + timedelta(seconds=30 * d)) for d in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in valid)


def test_enrolment_gives_an_authenticator_app_secret_and_uri(case_db: CaseDb) -> None:
    """The URI is a standard otpauth:// one (issuer, email, SHA1, 6 digits, 30 s) holding the
    20-byte secret, and a code an app computes from that secret verifies."""
    with Session(case_db.engine) as db:
        user = _user(db)
        assert not totp.totp_enabled(user)
        enrolment = totp.enrol_totp(db, user, KEY)
        db.commit()
        assert totp.totp_enabled(user)
        assert len(base64.b32decode(enrolment.secret_base32)) == 20
        assert enrolment.secret_base32 not in repr(enrolment)
        uri = urlsplit(enrolment.uri)
        assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
        assert unquote(uri.path) == f"/AsylumLens:{EMAIL}"
        query = {k: v[0] for k, v in parse_qs(uri.query).items()}
        assert query == {
            "secret": enrolment.secret_base32,
            "issuer": "AsylumLens",
            "algorithm": "SHA1",
            "digits": "6",
            "period": "30",
        }
        assert totp.verify_totp(db, user, KEY, _code(enrolment.secret_base32, T0), T0)


def test_rfc_6238_test_vector(case_db: CaseDb) -> None:
    """RFC 6238 Appendix B, SHA1 key "12345678901234567890": 94287082 at T=59 s and
    07081804 at T=1111111109 s; six digits are their last six."""
    with Session(case_db.engine) as db:
        user = _user(db)
        secret = base64.b32encode(b"12345678901234567890").decode()
        user.totp_secret_enc = crypto.encrypt(KEY, secret, crypto.field_ad("users", "totp_secret"))
        assert totp.verify_totp(db, user, KEY, "287082", datetime.fromtimestamp(59, UTC))
        assert totp.verify_totp(db, user, KEY, "081804", datetime.fromtimestamp(1111111109, UTC))


def test_one_step_of_clock_drift_is_allowed_three_are_not(case_db: CaseDb) -> None:
    """Codes of the steps just before and after now verify; two or three steps off do not."""
    with Session(case_db.engine) as db:
        user = _user(db)
        secret = totp.enrol_totp(db, user, KEY).secret_base32
        step = timedelta(seconds=30)
        for off in (-3, -2, 2, 3):
            assert not totp.verify_totp(db, user, KEY, _code(secret, T0 + off * step), T0), off
        assert user.totp_last_step is None
        assert totp.verify_totp(db, user, KEY, _code(secret, T0 - step), T0)
        assert totp.verify_totp(db, user, KEY, _code(secret, T0 + step), T0)


def test_a_code_works_once(case_db: CaseDb) -> None:
    """The same code twice: the second is refused (replay), even within its step, and so is
    the code of an earlier step after a later one was used; the step used is stored."""
    with Session(case_db.engine) as db:
        user = _user(db)
        secret = totp.enrol_totp(db, user, KEY).secret_base32
        code = _code(secret, T0)
        assert totp.verify_totp(db, user, KEY, code, T0)
        db.commit()
        assert user.totp_last_step == int(T0.timestamp()) // 30
        assert not totp.verify_totp(db, user, KEY, code, T0 + timedelta(seconds=5))
        assert not totp.verify_totp(db, user, KEY, _code(secret, T0 - timedelta(seconds=30)), T0)
        later = T0 + timedelta(seconds=30)
        assert totp.verify_totp(db, user, KEY, _code(secret, later), later)


@pytest.mark.parametrize(
    "code", ["", "12345", "1234567", "12345a", "abcdef", "１２３４５６", "12 345", "-12345"]
)
def test_malformed_codes_are_just_false(case_db: CaseDb, code: str) -> None:
    """Anything but six ASCII digits is refused without error and changes nothing."""
    with Session(case_db.engine) as db:
        user = _user(db)
        totp.enrol_totp(db, user, KEY)
        assert totp.verify_totp(db, user, KEY, code, T0) is False
        assert user.totp_last_step is None


def test_re_enrolling_replaces_and_disabling_removes_the_secret(case_db: CaseDb) -> None:
    """After a new enrolment the old secret's codes fail; after disabling no code verifies
    and the stored secret is gone."""
    with Session(case_db.engine) as db:
        user = _user(db)
        old = totp.enrol_totp(db, user, KEY).secret_base32
        new = totp.enrol_totp(db, user, KEY).secret_base32
        assert old != new
        assert not totp.verify_totp(db, user, KEY, _code(old, T0), T0)
        assert totp.verify_totp(db, user, KEY, _code(new, T0), T0)
        totp.disable_totp(db, user)
        db.commit()
        assert not totp.totp_enabled(user)
        later = T0 + timedelta(minutes=2)
        assert not totp.verify_totp(db, user, KEY, _code(new, later), later)
        row = db.execute(text("SELECT totp_secret_enc, totp_last_step FROM users")).one()
        assert tuple(row) == (None, None)


def test_the_secret_is_stored_only_encrypted(case_db: CaseDb) -> None:
    """The column holds a ciphertext bound to users.totp_secret, and the base32 secret is in
    neither the column nor (SQLite) the database file's bytes."""
    with Session(case_db.engine) as db:
        user = _user(db)
        secret = totp.enrol_totp(db, user, KEY).secret_base32
        db.commit()
        stored = db.execute(text("SELECT totp_secret_enc FROM users")).scalar_one()
        assert stored.startswith(f"v1:{KEY.key_id}:") and secret not in stored
        assert crypto.decrypt(KEY, stored, crypto.field_ad("users", "totp_secret")) == secret
        with pytest.raises(crypto.CaseKeyError):
            crypto.decrypt(KEY, stored, crypto.field_ad("cases", "client_name"))
    case_db.engine.dispose()
    if case_db.sqlite_file is not None:
        blob = case_db.sqlite_file.read_bytes()
        assert secret.encode() not in blob and stored.encode() in blob


def test_login_asks_for_the_code_and_throttles_wrong_ones(case_db: CaseDb) -> None:
    """Right password and no code: TotpRequired, not counted as a failure (ten of them do not
    throttle). Wrong code: refused, counted: after 5 the right code is throttled too. After
    the window, the right code signs in, and the same code again is refused."""
    with Session(case_db.engine) as db:
        user = _user(db)
        secret = totp.enrol_totp(db, user, KEY).secret_base32
        db.commit()
        for i in range(10):
            at = T0 + timedelta(seconds=i)
            with pytest.raises(TotpRequired) as asked:
                login(db, EMAIL, PASSWORD, ip="1", now=at, policy=POLICY, key=KEY)
        assert str(asked.value) == "a one-time code from your authenticator app is required"
        with pytest.raises(TotpKeyMissing, match="TOTP needs the case key"):
            login(db, EMAIL, PASSWORD, ip="1", now=T0, policy=POLICY, totp=_code(secret, T0))
        for i in range(POLICY.throttle.per_email):
            at = T0 + timedelta(seconds=20 + i)
            bad = _not_a_code(secret, at)
            with pytest.raises(LoginRefused) as wrong:
                login(db, EMAIL, PASSWORD, ip="2", now=at, policy=POLICY, totp=bad, key=KEY)
            assert not isinstance(wrong.value, TotpRequired)
            assert str(wrong.value) == "wrong email, password or one-time code"
        db.commit()
        at = T0 + timedelta(minutes=1)
        with pytest.raises(LoginThrottled):
            login(
                db, EMAIL, PASSWORD, ip="3", now=at, policy=POLICY, totp=_code(secret, at), key=KEY
            )
        later = T0 + POLICY.throttle.window + timedelta(seconds=30)
        code = _code(secret, later)
        signed = login(db, EMAIL, PASSWORD, ip="3", now=later, policy=POLICY, totp=code, key=KEY)
        assert signed.user.id == user.id and signed.token
        with pytest.raises(LoginRefused, match="one-time code"):
            login(db, EMAIL, PASSWORD, ip="3", now=later, policy=POLICY, totp=code, key=KEY)


def test_with_a_code_every_refusal_reads_the_same(case_db: CaseDb) -> None:
    """Wrong password with a code, unknown email with a code and right password with a wrong
    code get one message, so it does not say which was wrong; without TOTP a code is ignored."""
    with Session(case_db.engine) as db:
        user = _user(db)
        accounts.create_user(db, "bo@east.example", "Legal Aid East", "viewer", PASSWORD)
        secret = totp.enrol_totp(db, user, KEY).secret_base32
        bad = _not_a_code(secret, T0)
        messages = set()
        for email, password, code in [
            (EMAIL, "not the password", _code(secret, T0)),
            ("who@east.example", PASSWORD, _code(secret, T0)),
            (EMAIL, PASSWORD, bad),
        ]:
            with pytest.raises(LoginRefused) as refused:
                login(db, email, password, ip="1", now=T0, policy=POLICY, totp=code, key=KEY)
            messages.add(str(refused.value))
        assert messages == {"wrong email, password or one-time code"}
        # the right code was not spent by the refused tries
        assert login(
            db, EMAIL, PASSWORD, ip="1", now=T0, policy=POLICY, totp=_code(secret, T0), key=KEY
        ).token
        assert login(
            db, "bo@east.example", PASSWORD, ip="1", now=T0, policy=POLICY, totp="000000"
        ).token


def _admin(
    store: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    run_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"ASYLUMLENS_DATABASE_URL", "ASYLUMLENS_KEY", "ASYLUMLENS_KEY_FILE"}
    }
    run_env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent / "src")
    run_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "asylumlens", *args, "--store", str(store)],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=run_env,
        timeout=120,
    )


def test_admin_enable_and_disable_totp(tmp_path: Path) -> None:
    """enable-totp needs the case key, prints a secret whose codes sign in, stores it only
    encrypted; disable-totp turns it off; an unknown email is one line, exit 2."""
    from asylumlens.cases.db import make_engine

    store = tmp_path / "store"
    assert _admin(store, "admin", "create-org", "Legal Aid East").returncode == 0
    made = _admin(
        store, "admin", "create-user", EMAIL, "--org", "Legal Aid East", "--role", "attorney"
    )
    assert made.returncode == 0, made.stderr
    keyless = _admin(store, "admin", "enable-totp", EMAIL)
    assert keyless.returncode == 2 and len(keyless.stderr.splitlines()) == 1, keyless.stderr
    assert "case key" in keyless.stderr and "Traceback" not in keyless.stderr
    assert _admin(store, "cases", "init-key").returncode == 0
    unknown = _admin(store, "admin", "enable-totp", "who@east.example")
    assert unknown.returncode == 2 and "no user who@east.example" in unknown.stderr
    enabled = _admin(store, "admin", "enable-totp", EMAIL.upper())
    assert enabled.returncode == 0, enabled.stderr
    lines = dict(
        line.split(": ", 1)
        for line in enabled.stdout.splitlines()
        if line.startswith(("secret", "uri"))
    )
    secret = lines["secret"]
    assert lines["uri"].startswith("otpauth://totp/AsylumLens:") and secret in lines["uri"]
    assert secret.encode() not in (store / "cases.sqlite").read_bytes()

    key = crypto.load_key(store)
    engine = make_engine(f"sqlite:///{store / 'cases.sqlite'}")
    try:
        with Session(engine) as db:
            with pytest.raises(TotpRequired):
                login(db, EMAIL, PASSWORD, ip="1", now=T0, policy=POLICY, key=key)
            code = _code(secret, T0)
            login(db, EMAIL, PASSWORD, ip="1", now=T0, policy=POLICY, totp=code, key=key)
            db.commit()
        disabled = _admin(store, "admin", "disable-totp", EMAIL)
        assert disabled.returncode == 0, disabled.stderr
        assert secret not in disabled.stdout
        with Session(engine) as db:
            user = db.execute(select(User).where(User.email == EMAIL)).scalar_one()
            assert not totp.totp_enabled(user)
            assert login(db, EMAIL, PASSWORD, ip="1", now=T0, policy=POLICY).token
    finally:
        engine.dispose()
