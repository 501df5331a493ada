"""Options every command group shares, so ``-f/--format`` parses and fails alike everywhere.

A module of its own because the command groups in ``cli_*.py`` are imported by ``cli.py``
and cannot import from it.
"""

from __future__ import annotations

from typing import Any

import typer

from asylumlens.output import Format

FORMAT_METAVAR = "[table|json|csv|ndjson|tsv]"


def parse_format(value: str | Format) -> Format:
    """``--format`` as a :class:`~asylumlens.output.Format`; anything else is a one-line
    usage error (exit 2) naming the valid formats."""
    if isinstance(value, Format):
        return value
    try:
        return Format(value)
    except ValueError:
        raise typer.BadParameter(f"unknown format {value!r}; valid: {', '.join(Format)}") from None


def format_option(help_text: str) -> Any:
    """The ``-f/--format`` option with its group's ``help_text``; use as
    ``Annotated[Format, format_option(...)]``."""
    return typer.Option(
        "--format", "-f", parser=parse_format, metavar=FORMAT_METAVAR, help=help_text
    )
