"""The ``case_db`` fixture: a migrated case database, once on SQLite and once on PostgreSQL.

PostgreSQL is real, never mocked: ``$ASYLUMLENS_TEST_POSTGRES_URL`` (a server where the
user may create databases) if set, else a throwaway server this module starts from Debian's
``/usr/lib/postgresql/<major>/bin`` (initdb in a temp folder, loopback, a free port, run as the
``postgres`` user when we are root), stopped at the end of the session. Each test gets its
own fresh database. Without the binaries the PostgreSQL half is skipped, except in CI
(``CI=true``), where it fails so a run cannot go green without it.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from asylumlens.cases.db import make_engine
from asylumlens.cases.schema import migrate


def _pg_bin() -> Path:
    """``$ASYLUMLENS_PG_BIN``, else Debian's newest ``/usr/lib/postgresql/<major>/bin``
    (15 on bookworm; whatever ``apt-get install postgresql`` brought elsewhere)."""
    env = os.environ.get("ASYLUMLENS_PG_BIN")
    if env:
        return Path(env)
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
URL_ENV = "ASYLUMLENS_TEST_POSTGRES_URL"
_names = itertools.count()


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A server URL (the maintenance database) and, when we started it, its folder."""

    admin_url: str
    folder: Path | None = None
    engines: list[Engine] = field(default_factory=list)

    def new_database(self) -> str:
        name = f"asylumlens_case_{os.getpid()}_{next(_names)}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _start_server() -> PostgresServer:
    folder = Path(tempfile.mkdtemp(prefix="asylumlens-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(folder, pg.pw_uid, pg.pw_gid)
    port = _free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = str(folder / "log")
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", log, "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    return PostgresServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", folder)


def _stop_server(server: PostgresServer) -> None:
    if server.folder is None:
        return
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(server.folder / "data"), "-m", "fast", "stop"]
        ),
        check=False,
        capture_output=True,
    )
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    url = os.environ.get(URL_ENV)
    if url:
        given = make_url(url)
        if given.drivername == "postgresql":  # SQLAlchemy's default driver is not installed
            given = given.set(drivername="postgresql+psycopg")
        yield PostgresServer(given.render_as_string(hide_password=False))
        return
    if not (PG_BIN / "initdb").exists():
        message = f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = _start_server()
    try:
        yield server
    finally:
        _stop_server(server)


@dataclass
class CaseDb:
    """One migrated case database; ``another()`` makes a second, empty one of the same kind."""

    kind: str
    engine: Engine
    sqlite_file: Path | None
    _make: object = field(repr=False, default=None)

    def another(self) -> CaseDb:
        maker = self._make
        assert callable(maker)
        made: CaseDb = maker()
        return made


@pytest.fixture(params=["sqlite", "postgresql"])
def case_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseDb]:
    made: list[tuple[Engine, str | None]] = []
    server = request.getfixturevalue("postgres_server") if request.param == "postgresql" else None

    def make() -> CaseDb:
        if server is None:
            file = tmp_path / f"cases{len(made)}.sqlite"
            engine = make_engine(f"sqlite:///{file}")
            made.append((engine, None))
            migrate(engine)
            return CaseDb("sqlite", engine, file, make)
        url = server.new_database()
        engine = make_engine(url)
        made.append((engine, url))
        migrate(engine)
        return CaseDb("postgresql", engine, None, make)

    try:
        yield make()
    finally:
        for engine, url in made:
            engine.dispose()
            if server is not None and url is not None:
                server.drop_database(url)
