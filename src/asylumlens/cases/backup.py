"""Backup and restore of the whole case database as one JSON document.

Every table the migrations made (read from the database itself, so tables other modules add
are included), in foreign-key order, rows as they are stored: encrypted fields stay
ciphertexts, so a backup is no less private than the database and restores only with the
same case key. A restore goes into an empty database only (it would otherwise mix two
offices' histories); it refuses a non-empty one, or a backup of another schema revision.
The backup itself is audited: an ``export`` event per organisation, inside the backup.

Exhibit files are not in the JSON: the rows (with their wrapped file keys) are, and the
evidence folder (:func:`asylumlens.cases.evidence_store.evidence_root`, ciphertext under
random names) is backed up as files beside it; a restore needs both, and the same case key.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Boolean, Date, DateTime, MetaData, Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from asylumlens.cases.audit import AuditAction, record
from asylumlens.cases.db import Organisation
from asylumlens.cases.schema import current_revision, migrate
from asylumlens.errors import AsylumLensError

FORMAT: Final = "asylumlens-cases-backup"
VERSION: Final = 1
_SKIP: Final = frozenset({"alembic_version"})


class CaseBackupError(AsylumLensError):
    """A backup that cannot be read or restored, or a database it cannot go into."""


def _tables(connection: Connection) -> list[Table]:
    meta = MetaData()
    meta.reflect(connection)
    return [t for t in meta.sorted_tables if t.name not in _SKIP]


def _to_json(value: object) -> object:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _from_json(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name not in table.c:
            raise CaseBackupError(f"backup: table {table.name} has no column {name}")
        kind = table.c[name].type
        if value is not None and isinstance(kind, DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(kind, Date):
            value = date.fromisoformat(value)
        elif value is not None and isinstance(kind, Boolean):
            value = bool(value)
        out[name] = value
    return out


def dump(engine: Engine) -> dict[str, Any]:
    """The backup document; records an ``export`` audit event per organisation first."""
    with Session(engine) as session:
        for org_id in session.scalars(select(Organisation.id)):
            record(
                session,
                org_id=org_id,
                user_id=None,
                action=AuditAction.EXPORT,
                object_kind="backup",
                object_id=None,
            )
        session.commit()
    with engine.connect() as connection:
        tables = {
            table.name: [
                {k: _to_json(v) for k, v in row._mapping.items()}
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in _tables(connection)
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": current_revision(engine),
        "created_at": datetime.now(UTC).isoformat(),
        "tables": tables,
    }


def write_backup(engine: Engine, file: Path) -> dict[str, int]:
    """Write the backup to ``file`` (mode 0600, whole or not at all); rows per table."""
    document = dump(engine)
    partial = file.with_name(file.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1, sort_keys=True)
        out.write("\n")
    partial.replace(file)
    return {name: len(rows) for name, rows in document["tables"].items()}


def read_backup(file: Path) -> dict[str, Any]:
    """Read and check a backup document, or raise one line naming the file."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CaseBackupError(f"{file}: no such backup file") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CaseBackupError(f"{file}: not a JSON case backup") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CaseBackupError(f"{file}: not an AsylumLens case backup")
    if document.get("version") != VERSION:
        raise CaseBackupError(f"{file}: backup format version must be {VERSION}")
    if not isinstance(document.get("tables"), dict):
        raise CaseBackupError(f"{file}: backup has no tables")
    return document


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL: move each id sequence past the restored ids (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:
            continue
        top = connection.execute(select(func.max(table.c.id))).scalar()
        if top is not None:
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                {"t": table.name, "n": top},
            )


def restore(engine: Engine, document: dict[str, Any]) -> dict[str, int]:
    """Load ``document`` into the (empty) database at ``engine``; rows per table."""
    migrate(engine)
    revision = current_revision(engine)
    if document.get("schema_revision") != revision:
        raise CaseBackupError(
            f"restore: backup is of schema revision {document.get('schema_revision')}, "
            f"the database is at {revision}"
        )
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        tables = _tables(connection)
        for table in tables:
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise CaseBackupError(
                    f"restore: the database is not empty (table {table.name} has rows); "
                    "restore into an empty database"
                )
        known = {t.name for t in tables}
        for name in document["tables"]:
            if name not in known:
                raise CaseBackupError(f"restore: backup table {name} is not in the schema")
        for table in tables:
            rows = [_from_json(table, row) for row in document["tables"].get(table.name, [])]
            if rows:
                connection.execute(insert(table), rows)
            counts[table.name] = len(rows)
        _reset_sequences(connection, tables)
    return counts
