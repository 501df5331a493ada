"""The ``asylumlens`` command line: thin Typer commands over the library modules.

Every command resolves the store the same way (``--store``, else ``$ASYLUMLENS_STORE``,
else ``./asylumlens-data``) and turns an :class:`~asylumlens.errors.AsylumLensError` into
one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from asylumlens.errors import AsylumLensError

app = typer.Typer(
    name="asylumlens",
    help="Reproducible asylum-outcome analytics over EOIR's immigration-court case data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store folder. Default: $ASYLUMLENS_STORE, else ./asylumlens-data.",
        show_default=False,
    ),
]


def main() -> None:
    """Console-script entry point: run the app, map user errors to exit status 2."""
    try:
        app()
    except AsylumLensError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
