"""Organisation key rotation: re-wrap every file key under a new organisation-key version.

Why only re-wrap: the content files are sealed under their own per-file keys, so a new
organisation key means re-wrapping 32-byte file keys, never re-encrypting the files (a
gigabyte video is not touched). Resumable by construction: an organisation with more than
one unretired key version is mid-rotation, and the exhibits still on an older version are
the to-do list; each batch is committed, so a run stopped anywhere continues where it left
off. When none remain, the old versions are retired.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asylumlens.cases import keys
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.db import now
from asylumlens.cases.models import Exhibit, OrganisationKey


@dataclass(frozen=True)
class RotationReport:
    """Counts of one run: organisations seen, key versions made, file keys re-wrapped,
    versions retired, and file keys still on an old version (non-zero: stopped early)."""

    organisations: int
    new_versions: int
    rewrapped: int
    retired: int
    remaining: int


def _live_versions(db: Session, org_id: int) -> list[int]:
    return list(
        db.scalars(
            select(OrganisationKey.version)
            .where(OrganisationKey.org_id == org_id, OrganisationKey.retired_at.is_(None))
            .order_by(OrganisationKey.version)
        )
    )


def _pending(db: Session, org_id: int, newest: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Exhibit)
            .where(Exhibit.org_id == org_id, Exhibit.org_key_version < newest)
        )
        or 0
    )


def _rewrap_batch(
    db: Session, org_id: int, master: FieldKey, target: keys.OrgKey, batch: int
) -> int:
    rows = db.scalars(
        select(Exhibit)
        .where(Exhibit.org_id == org_id, Exhibit.org_key_version < target.version)
        .order_by(Exhibit.id)
        .limit(batch)
        .with_for_update()
    ).all()
    old: dict[int, keys.OrgKey] = {}
    for row in rows:
        version = row.org_key_version
        if version not in old:
            old[version] = keys.org_key_version(db, org_id, version, master)
        file_key = keys.unwrap_file_key(old[version], org_id, row.storage_id, row.file_key_wrapped)
        row.file_key_wrapped = keys.wrap_file_key(target, org_id, row.storage_id, file_key)
        row.org_key_version = target.version
    db.commit()
    return len(rows)


def rotate_org_keys(
    db: Session, master: FieldKey, *, batch: int = 100, max_batches: int | None = None
) -> RotationReport:
    """Rotate every organisation's key (or finish a rotation in progress), ``batch`` file
    keys per commit; ``max_batches`` stops after that many batches in all (the rest stays
    to do, and the next run resumes). Commits as it goes."""
    if batch < 1:
        raise ValueError("batch: must be at least 1")
    keys.check_master_key(db, master)
    made = rewrapped = retired = batches = 0
    org_ids = list(db.scalars(select(OrganisationKey.org_id).distinct()))
    for org_id in org_ids:
        if max_batches is not None and batches >= max_batches:
            break
        live = _live_versions(db, org_id)
        if not live:
            continue
        if len(live) == 1:
            keys.add_org_key_version(db, org_id, master, live[-1] + 1)
            db.commit()
            made += 1
        target = keys.org_key(db, org_id, master)
        while max_batches is None or batches < max_batches:
            done = _rewrap_batch(db, org_id, master, target, batch)
            if not done:
                break
            batches += 1
            rewrapped += done
        if _pending(db, org_id, target.version) == 0:
            for row in db.scalars(
                select(OrganisationKey).where(
                    OrganisationKey.org_id == org_id,
                    OrganisationKey.version < target.version,
                    OrganisationKey.retired_at.is_(None),
                )
            ):
                row.retired_at = now()
                retired += 1
            db.commit()
    remaining = sum(
        _pending(db, org_id, keys.org_key(db, org_id, master).version) for org_id in org_ids
    )
    return RotationReport(len(org_ids), made, rewrapped, retired, remaining)
