"""Calendar feed tokens on a real case database (SQLite and PostgreSQL): a token opens its
user's feed, only its hash is stored, revoked/reset/disabled tokens open nothing, nobody
revokes another's; the 0003 migration goes down to 0002 and back; backup keeps it all."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from asylumlens.cases import accounts, backup, totp
from asylumlens.cases.auth import AuthPolicy, login
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import Base, User
from asylumlens.cases.feeds import (
    FeedNotFound,
    create_feed_token,
    feed_user,
    list_feed_tokens,
    revoke_all_feed_tokens,
    revoke_feed_token,
)
from asylumlens.cases.models import CalendarFeed
from asylumlens.cases.schema import MIGRATIONS, current_revision, head_revision, migrate

if TYPE_CHECKING:
    from case_db import CaseDb

pytest_plugins = ["case_db"]

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


def _users(db: Session) -> tuple[User, User]:
    accounts.create_organisation(db, "Legal Aid East")
    accounts.create_organisation(db, "Other Office")
    ana = accounts.create_user(db, "ana@east.example", "Legal Aid East", "attorney", PASSWORD)
    bo = accounts.create_user(db, "bo@other.example", "Other Office", "viewer", PASSWORD)
    db.commit()
    return ana, bo


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and not moment.tzinfo else moment


def test_a_token_opens_its_users_feed_and_only_its_hash_is_stored(case_db: CaseDb) -> None:
    """feed_user finds the owner and records the use; the row holds sha256(token) and the
    token is in no column nor (SQLite) the file; unknown, empty or None tokens open nothing."""
    with Session(case_db.engine) as db:
        ana, bo = _users(db)
        token = create_feed_token(db, ana, T0)
        other = create_feed_token(db, bo, T0)
        db.commit()
        assert len(token) >= 43 and token != other
        found = feed_user(db, token, T0 + timedelta(hours=1))
        assert found is not None and found.id == ana.id
        assert feed_user(db, other, T0) is bo
        db.commit()
        rows = db.execute(text("SELECT * FROM calendar_feeds ORDER BY id")).all()
        assert rows[0].token_id == hashlib.sha256(token.encode()).hexdigest()
        assert all(token not in str(value) for row in rows for value in row)
        (view,) = list_feed_tokens(db, ana)
        assert _utc(view.last_used_at) == T0 + timedelta(hours=1)
        assert not view.revoked and token not in repr(view)
        for wrong in (None, "", token[:-1], token + "x", secrets.token_urlsafe(32)):
            assert feed_user(db, wrong, T0) is None
    case_db.engine.dispose()
    if case_db.sqlite_file is not None:
        assert token.encode() not in case_db.sqlite_file.read_bytes()


def test_a_revoked_token_opens_nothing_and_only_the_owner_revokes(case_db: CaseDb) -> None:
    """Revoking one token leaves the others; another user's feed id, or one that does not
    exist, is FeedNotFound and revokes nothing."""
    with Session(case_db.engine) as db:
        ana, bo = _users(db)
        phone = create_feed_token(db, ana, T0)
        laptop = create_feed_token(db, ana, T0 + timedelta(minutes=1))
        bos = create_feed_token(db, bo, T0)
        db.commit()
        phone_id, laptop_id = (v.id for v in list_feed_tokens(db, ana))
        (bos_id,) = (v.id for v in list_feed_tokens(db, bo))
        revoke_feed_token(db, ana, phone_id)
        revoke_feed_token(db, ana, phone_id)  # again: nothing changes, no error
        db.commit()
        assert feed_user(db, phone, T0) is None
        assert feed_user(db, laptop, T0) is ana
        assert [v.revoked for v in list_feed_tokens(db, ana)] == [True, False]
        for not_hers in (bos_id, bos_id + 1000, 0, -1, 2**40):
            with pytest.raises(FeedNotFound, match=r"^calendar feed -?\d+ not found$"):
                revoke_feed_token(db, ana, not_hers)
        assert feed_user(db, bos, T0) is bo
        assert laptop_id != bos_id


def test_a_password_reset_revokes_every_feed_token(case_db: CaseDb) -> None:
    """reset_password revokes all the user's tokens (not other users'); revoking all again
    finds none live."""
    with Session(case_db.engine) as db:
        ana, bo = _users(db)
        tokens = [create_feed_token(db, ana, T0) for _ in range(3)]
        bos = create_feed_token(db, bo, T0)
        db.commit()
        accounts.reset_password(db, "ana@east.example", "a new long passphrase")
        db.commit()
        assert [feed_user(db, t, T0) for t in tokens] == [None, None, None]
        assert all(v.revoked for v in list_feed_tokens(db, ana))
        assert feed_user(db, bos, T0) is bo
        assert revoke_all_feed_tokens(db, ana.id) == 0
        assert revoke_all_feed_tokens(db, bo.id) == 1
        assert feed_user(db, bos, T0) is None
        fresh = create_feed_token(db, ana, T0)
        assert feed_user(db, fresh, T0) is ana


def test_a_disabled_users_token_opens_nothing(case_db: CaseDb) -> None:
    """A disabled user's feed stops at once, and its last use is not moved."""
    with Session(case_db.engine) as db:
        ana, _ = _users(db)
        token = create_feed_token(db, ana, T0)
        ana.disabled = True
        db.commit()
        assert feed_user(db, token, T0 + timedelta(days=1)) is None
        assert list_feed_tokens(db, ana)[0].last_used_at is None
        ana.disabled = False
        assert feed_user(db, token, T0) is ana


def _alembic(engine: Engine, verb: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, verb)(config, revision)


def test_migration_0003_goes_down_to_0002_and_back(case_db: CaseDb) -> None:
    """With users, sessions, TOTP and feeds in it, the database downgrades to 0002 (feeds
    table and TOTP columns gone, users and sessions kept) and upgrades to head again, where
    it matches the models exactly."""
    assert current_revision(case_db.engine) == head_revision()  # 0003 is in the history
    with Session(case_db.engine) as db:
        ana, _ = _users(db)
        login(db, "ana@east.example", PASSWORD, ip="1", now=T0, policy=AuthPolicy())
        totp.enrol_totp(db, ana, FieldKey(secrets.token_bytes(32)))
        create_feed_token(db, ana, T0)
        db.commit()
    case_db.engine.dispose()
    _alembic(case_db.engine, "downgrade", "0002_auth")
    assert current_revision(case_db.engine) == "0002_auth"
    schema = inspect(case_db.engine)
    assert "calendar_feeds" not in schema.get_table_names()
    assert {c["name"] for c in schema.get_columns("users")} == {
        "id",
        "org_id",
        "email",
        "role",
        "password_hash",
        "created_at",
        "disabled",
    }
    with case_db.engine.connect() as conn:
        assert conn.execute(text("SELECT email FROM users ORDER BY id")).scalars().all() == [
            "ana@east.example",
            "bo@other.example",
        ]
        assert conn.execute(text("SELECT count(*) FROM login_sessions")).scalar_one() == 1
    migrate(case_db.engine)
    assert current_revision(case_db.engine) == head_revision()
    with case_db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.execute(text("SELECT count(*) FROM calendar_feeds")).scalar_one() == 0
        assert conn.execute(text("SELECT totp_secret_enc FROM users")).scalars().all() == [
            None,
            None,
        ]


def test_backup_round_trips_feeds_and_totp(case_db: CaseDb, tmp_path: Path) -> None:
    """After backup and restore into an empty database, the feed token still opens the feed
    (revoked stays revoked) and the TOTP secret still makes valid codes with the same key."""
    key = FieldKey(secrets.token_bytes(32))
    with Session(case_db.engine) as db:
        ana, _ = _users(db)
        secret = totp.enrol_totp(db, ana, key).secret_base32
        live = create_feed_token(db, ana, T0)
        dead = create_feed_token(db, ana, T0)
        revoke_feed_token(db, ana, list_feed_tokens(db, ana)[1].id)
        db.commit()
    file = tmp_path / "backup.json"
    counts = backup.write_backup(case_db.engine, file)
    assert counts["calendar_feeds"] == 2
    assert live not in file.read_text() and secret not in file.read_text()
    target = case_db.another()
    backup.restore(target.engine, backup.read_backup(file))
    with Session(target.engine) as db:
        user = feed_user(db, live, T0)
        assert user is not None and user.email == "ana@east.example"
        assert feed_user(db, dead, T0) is None
        app = TOTP(base64.b32decode(secret), 6, SHA1(), 30)  # what the phone computes
        assert totp.verify_totp(db, user, key, app.generate(int(T0.timestamp())).decode(), T0)
        ids = db.execute(select(CalendarFeed.id).order_by(CalendarFeed.id)).scalars().all()
        assert ids == [1, 2]
