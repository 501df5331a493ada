"""``asylumlens cases``: the case database's key, backup and restore, from the shell.

Thin: each command resolves the store and the database URL (``ASYLUMLENS_DATABASE_URL``,
else ``<store>/cases.sqlite``), calls :mod:`asylumlens.cases`, and prints counts only, never
case data. Heavy imports wait until a command runs, so ``asylumlens --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

cases_app = typer.Typer(
    name="cases",
    help="The private case database: key, backup and restore.\n\n"
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
