"""One writer for every tabular output: a Rich table, JSON, NDJSON, CSV or TSV.

Commands share the typed ``--format/-f`` option and route rows through :func:`emit`, so
every listing prints the same way (the sqlite-utils ``output_rows`` idea), and figures
from a synthetic release carry their label in every format: the table's title starts
``SYNTHETIC - ``, and the machine formats get a ``synthetic`` field (JSON, NDJSON) or
column (CSV, TSV) on every row when the rows do not already hold one. A command whose
JSON form is one document rather than rows (``status``, ``diff``) prints it with
:func:`emit_document`; such a document carries its own ``synthetic`` flag.

A table written to a terminal fits the terminal. A table piped or redirected is printed
at its natural width, never wrapping or cutting a value across lines (Rich's default for
a file is 80 columns, which split ``0.1226`` into ``0.12`` and ``26``), with its title
on a line of its own above it.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import IO, Any, Final

from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    """What ``--format/-f`` takes."""

    table = "table"
    json = "json"
    csv = "csv"
    ndjson = "ndjson"
    tsv = "tsv"


SYNTHETIC_PREFIX: Final = "SYNTHETIC - "
"""How a table's title says its figures come from generated data."""

PIPED_WIDTH: Final = 100_000
"""The console width for a table that is not written to a terminal: wider than any row,
so no value wraps (the table itself is only as wide as its content)."""

_TSV_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def jsonable(value: Any) -> Any:
    """A value JSON can hold: dates as ISO text, NaN as null, numpy scalars as Python."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def emit(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    out: IO[str],
    columns: Sequence[str] | None = None,
    title: str | None = None,
    console: Console | None = None,
    synthetic: bool | None = None,
) -> None:
    """Write ``rows`` to ``out`` in ``fmt``. ``title`` is shown only in table form.

    ``synthetic`` is the rows' provenance: True labels them (module docstring), False adds
    a ``synthetic`` column of False to the machine formats, None (the default: rows that
    carry their own flag, or none applies) changes nothing.
    """
    cols = list(columns) if columns is not None else _columns(rows)
    if fmt is Format.table:
        if synthetic and title is not None and not title.startswith(SYNTHETIC_PREFIX):
            title = SYNTHETIC_PREFIX + title
        _table(rows, cols, out=out, title=title, console=console)
        return
    if synthetic is not None and "synthetic" not in cols:
        cols.append("synthetic")
        rows = [{**r, "synthetic": synthetic} for r in rows]
    if fmt is Format.json:
        json.dump([{c: jsonable(r.get(c)) for c in cols} for r in rows], out, indent=2)
        out.write("\n")
    elif fmt is Format.ndjson:
        for r in rows:
            out.write(json.dumps({c: jsonable(r.get(c)) for c in cols}) + "\n")
    elif fmt is Format.csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow(["" if (v := jsonable(r.get(c))) is None else v for c in cols])
    else:
        out.write("\t".join(_tsv(c) for c in cols) + "\n")
        for r in rows:
            out.write("\t".join(_tsv(jsonable(r.get(c))) for c in cols) + "\n")


def emit_document(document: Mapping[str, Any], *, out: IO[str]) -> None:
    """A command's JSON form when it is one document, not rows (``status``, ``diff``)."""
    json.dump(document, out, indent=2, default=jsonable)
    out.write("\n")


def _table(
    rows: Sequence[Mapping[str, Any]],
    cols: Sequence[str],
    *,
    out: IO[str],
    title: str | None,
    console: Console | None,
) -> None:
    console = console or Console(file=out)
    piped = not console.is_terminal
    if piped:  # full width, no wrapping: the title on its own line, the values whole
        console = Console(file=console.file, width=PIPED_WIDTH, soft_wrap=True)
        if title is not None:
            console.print(title, markup=False, highlight=False, soft_wrap=True)
    table = Table(title=None if piped else title, show_lines=False)
    for c in cols:
        table.add_column(c, overflow="fold", no_wrap=piped)
    for r in rows:
        table.add_row(*(_cell(r.get(c)) for c in cols))
    console.print(table)


def _columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(r))
    return list(cols)


def _cell(value: Any) -> str:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _tsv(value: Any) -> str:
    """A TSV field: empty for null; backslash, tab and line breaks escaped (``\\t``...)."""
    if value is None:
        return ""
    return str(value).translate(_TSV_ESCAPES)
