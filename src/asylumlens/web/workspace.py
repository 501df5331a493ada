"""The case workspace as the web app sees it: the case database, the case key, the clock.

Kept apart from the public half's state (:mod:`asylumlens.web.context`): the analytics pages
never touch it, and it never touches a release. The database is migrated and the key loaded
on the first private request, not at start-up, so a store used only for public figures
needs neither; a missing key then answers 503 with the command that creates one, instead of
stopping the public dashboard.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from asylumlens.cases.auth import AuthPolicy
from asylumlens.cases.crypto import CaseKeyError, FieldKey, load_key
from asylumlens.cases.db import database_url, make_engine
from asylumlens.cases.evidence_store import DEFAULT_MAX_BYTES, EvidenceStore, evidence_root
from asylumlens.cases.keys import check_master_key
from asylumlens.cases.schema import migrate
from asylumlens.cases.validation import KnownCodes
from asylumlens.errors import AsylumLensError

MAX_UPLOAD_ENV: Final = "ASYLUMLENS_MAX_UPLOAD_BYTES"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CaseWorkspace:
    """What the private routes need; one per app (``app.state.cases``).

    ``key`` may be given (tests, ``make demo``); otherwise it is loaded from
    ``$ASYLUMLENS_KEY`` or ``<store>/case.key`` on first use. ``clock`` is the time every
    session and throttle check uses (a test moves it past a timeout). ``codes`` are the
    release's codes a new case is checked against.
    """

    url: str
    store_root: Path | None = None
    key: FieldKey | None = field(default=None, repr=False)
    policy: AuthPolicy = field(default_factory=AuthPolicy)
    clock: Callable[[], datetime] = _utc_now
    codes: KnownCodes = field(default_factory=KnownCodes)
    evidence_root: Path | None = None
    """The sealed exhibit files (default ``$ASYLUMLENS_EVIDENCE_DIR``, else
    ``<store>/evidence``)."""
    max_upload_bytes: int = DEFAULT_MAX_BYTES
    _evidence: EvidenceStore | None = field(default=None, init=False, repr=False)
    _engine: Engine | None = field(default=None, init=False, repr=False)
    _sessions: sessionmaker[Session] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def for_store(cls, store_root: Path, **kwargs: object) -> CaseWorkspace:
        """The workspace of a store: ``$ASYLUMLENS_DATABASE_URL`` or ``<store>/cases.sqlite``;
        the upload limit ``$ASYLUMLENS_MAX_UPLOAD_BYTES`` (default 8 GiB)."""
        limit = os.environ.get(MAX_UPLOAD_ENV)
        if limit is not None and "max_upload_bytes" not in kwargs:
            if not limit.isdigit() or int(limit) < 1:
                raise AsylumLensError(f"${MAX_UPLOAD_ENV}: give a number of bytes, not {limit!r}")
            kwargs["max_upload_bytes"] = int(limit)
        return cls(database_url(store_root), store_root, **kwargs)  # type: ignore[arg-type]

    def case_key(self) -> FieldKey:
        """The case key (raises :class:`~asylumlens.cases.crypto.CaseKeyError` if absent)."""
        if self.key is None:
            if self.store_root is None:
                raise CaseKeyError("case key: none configured")
            self.key = load_key(self.store_root)
        return self.key

    def session(self) -> Session:
        """A new database session (the database migrated to head the first time)."""
        with self._lock:
            if self._sessions is None:
                if self.url.startswith("sqlite:") and self.store_root is not None:
                    self.store_root.mkdir(parents=True, exist_ok=True)
                engine = make_engine(self.url)
                migrate(engine)
                self._engine = engine
                self._sessions = sessionmaker(engine, expire_on_commit=False)
        return self._sessions()

    def evidence(self) -> EvidenceStore:
        """The exhibit files' store (its folder made, stale partial uploads swept)."""
        with self._lock:
            if self._evidence is None:
                root = self.evidence_root
                if root is None:
                    if self.store_root is None:
                        raise CaseKeyError("evidence: no folder configured")
                    root = evidence_root(self.store_root)
                self._evidence = EvidenceStore(root, max_bytes=self.max_upload_bytes)
                self._evidence.sweep_partials()
        return self._evidence

    def check_key(self) -> None:
        """Fail loudly when the case key cannot open this database's organisation keys
        (a wrong ``ASYLUMLENS_KEY`` or key file), before any request is served; a store
        without a key or organisations yet passes (the private pages then say so)."""
        try:
            key = self.case_key()
        except CaseKeyError:
            return
        with self.session() as db:
            check_master_key(db, key)

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
