"""One writer for every tabular output: a Rich table, JSON, CSV or NDJSON.

Commands share the ``--format`` flag and route rows through :func:`emit`, so every
listing prints the same way (the sqlite-utils ``output_rows`` idea).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import IO, Any

from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    ndjson = "ndjson"


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
) -> None:
    """Write ``rows`` to ``out`` in ``fmt``. ``title`` is shown only in table form."""
    cols = list(columns) if columns is not None else _columns(rows)
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
        table = Table(title=title, show_lines=False)
        for c in cols:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*(_cell(r.get(c)) for c in cols))
        (console or Console(file=out)).print(table)


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
