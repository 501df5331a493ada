"""``asylumlens cases``: the case database's key, backup, restore, exhibit verification
and key rotation, from the shell.

Thin: each command resolves the store and the database URL (``ASYLUMLENS_DATABASE_URL``,
else ``<store>/cases.sqlite``), calls :mod:`asylumlens.cases`, and prints counts only, never
case data. Heavy imports wait until a command runs, so ``asylumlens --help`` stays quick.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from asylumlens.cli_options import format_option
from asylumlens.output import Format, emit

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

cases_app = typer.Typer(
    name="cases",
    help="The private case database: key, backup and restore, exhibit verification and "
    "key rotation.\n\n"
    "Example: asylumlens cases backup cases-2026-12-02.json --store data",
    no_args_is_help=True,
)

CaseStoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store folder. Default: $ASYLUMLENS_STORE, else ./asylumlens-data.",
        show_default=False,
    ),
]


def _root(store: Path | None) -> Path:
    from asylumlens.store import resolve_store_root

    return resolve_store_root(store)


def case_engine(store: Path | None) -> Engine:
    """The case database's engine for ``store`` (shared with ``asylumlens admin``)."""
    from asylumlens.cases.db import database_url, make_engine

    root = _root(store)
    url = database_url(root)
    if url.startswith("sqlite:"):
        root.mkdir(parents=True, exist_ok=True)
    return make_engine(url)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items() if n) or "no rows"


@cases_app.command("init-key")
def init_key(store: CaseStoreOption = None) -> None:
    """Create the case encryption key file ($ASYLUMLENS_KEY_FILE, else <store>/case.key)."""
    from asylumlens.cases.crypto import init_key_file, key_file_path

    path = key_file_path(_root(store))
    key = init_key_file(path)
    typer.echo(f"case key {key.key_id} written to {path} (mode 0600); keep a copy apart")


@cases_app.command("backup")
def backup(
    file: Annotated[Path, typer.Argument(help="The JSON backup file to write.")],
    store: CaseStoreOption = None,
) -> None:
    """Write every case table to FILE (encrypted fields stay encrypted); audited as export."""
    from asylumlens.cases.backup import write_backup
    from asylumlens.cases.schema import migrate

    engine = case_engine(store)
    migrate(engine)
    counts = write_backup(engine, file)
    typer.echo(f"backup written to {file}: {_counts(counts)}")


@cases_app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `asylumlens cases backup`.")],
    store: CaseStoreOption = None,
) -> None:
    """Restore FILE into an empty case database (a non-empty one is refused)."""
    from asylumlens.cases import backup as case_backup

    document = case_backup.read_backup(file)
    counts = case_backup.restore(case_engine(store), document)
    typer.echo(f"restored from {file}: {_counts(counts)}")


VERIFY_COLUMNS: Final = ("exhibit_id", "case_id", "label", "status", "detail")
VerifyFormatOption = Annotated[
    Format,
    format_option("table (one line per exhibit), json, csv, ndjson or tsv (one row each)."),
]


@cases_app.command("verify")
def verify(
    case: Annotated[
        int | None, typer.Option("--case", help="Only this case's exhibits (its id).")
    ] = None,
    fmt: VerifyFormatOption = Format.table,
    store: CaseStoreOption = None,
) -> None:
    """Decrypt and re-hash every exhibit against its recorded SHA-256; exit 1 if any is
    tampered or missing (each named), 0 when all verify. Logged as a verify per exhibit.

    Example: asylumlens cases verify --case 12 -f json
    """
    from sqlalchemy.orm import Session

    from asylumlens.cases.crypto import load_key
    from asylumlens.cases.evidence_store import EvidenceStore, evidence_root
    from asylumlens.cases.exhibits import verify_exhibits
    from asylumlens.cases.keys import check_master_key
    from asylumlens.cases.schema import migrate

    root = _root(store)
    master = load_key(root)
    engine = case_engine(store)
    migrate(engine)
    with Session(engine) as db:
        check_master_key(db, master)
        results = verify_exhibits(db, None, master, EvidenceStore(evidence_root(root)), case)
        db.commit()
    rows = [
        {
            "exhibit_id": r.exhibit_id,
            "case_id": r.case_id,
            "label": r.label,
            "status": r.status,
            "detail": r.detail,
        }
        for r in results
    ]
    if fmt is Format.table:
        for r in results:
            line = f"case {r.case_id} exhibit {r.label} (id {r.exhibit_id}): {r.status}"
            typer.echo(line if r.status == "ok" else f"{line}: {r.detail}")
        bad = sum(1 for r in results if r.status != "ok")
        typer.echo(f"{len(results)} exhibits checked, {bad} not ok")
    else:
        emit(rows, fmt, out=sys.stdout, columns=list(VERIFY_COLUMNS))
    if any(r.status != "ok" for r in results):
        raise typer.Exit(1)


@cases_app.command("rotate-key")
def rotate_key(
    batch: Annotated[int, typer.Option("--batch", min=1, help="File keys per commit.")] = 100,
    store: CaseStoreOption = None,
) -> None:
    """Give every organisation a new key and re-wrap its exhibits' file keys under it (the
    files are not re-encrypted); resumable: run again after an interruption.

    Example: asylumlens cases rotate-key --store data
    """
    from sqlalchemy.orm import Session

    from asylumlens.cases.crypto import load_key
    from asylumlens.cases.rotation import rotate_org_keys
    from asylumlens.cases.schema import migrate

    root = _root(store)
    master = load_key(root)
    engine = case_engine(store)
    migrate(engine)
    with Session(engine) as db:
        report = rotate_org_keys(db, master, batch=batch)
    typer.echo(
        f"organisations {report.organisations}, new key versions {report.new_versions}, "
        f"file keys re-wrapped {report.rewrapped}, old versions retired {report.retired}, "
        f"still to re-wrap {report.remaining}"
    )


@cases_app.command("verify-files")
def verify_files(
    manifest: Annotated[Path, typer.Argument(help="A proof manifest (proof.json).")],
    files: Annotated[list[Path], typer.Argument(help="The exhibit files handed over.")],
    key_id: Annotated[
        str | None,
        typer.Option("--key-id", help="The organisation's key id, to check the signer."),
    ] = None,
) -> None:
    """Check files against a signed proof manifest, offline: the signature, then each file's
    SHA-256 and size; exit 1 if the signature fails or any file is not in it.

    Needs no store or key: the manifest carries its public key (give --key-id to check
    whose it is). Example: asylumlens cases verify-files proof.json exhibit-A.pdf clip.mp4
    """
    from asylumlens.cases.proof import verify_files_report

    checks, ok = verify_files_report(manifest, files, expected_key_id=key_id)
    for c in checks:
        where = str(c.path) if c.path is not None else "(not given)"
        label = f" = exhibit {c.label}" if c.label else ""
        typer.echo(f"{where}: {c.status}{label}")
    typer.echo("all given files match the signed manifest" if ok else "NOT all files match")
    if not ok:
        raise typer.Exit(1)
