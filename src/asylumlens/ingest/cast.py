"""Stage 2 of ingest: type every column in DuckDB, in the same pass that writes Parquet.

Two SELECTs with one meaning:

* :func:`main_select`, for the bulk of a table: DuckDB's CSV reader parses the typed
  columns itself (fast), which is exact here because stage 1 routed every line whose
  values DuckDB would read more leniently than our rules to the side path. SQL only trims
  text, turns sentinel dates into NULL and records those repairs in ``_repairs``.
* :func:`typed_select`, for the side lines (a few per million): all-VARCHAR rows typed by
  the rules spelled out below, with the reasons a row is bad.

``typed_select`` turns all-VARCHAR rows into typed columns and, per row, two small
markers:

* ``_bad``: the columns whose value is not of the column's type (e.g. ``ORL`` in a date
  column: a row shifted by a hidden stray tab). Such rows are quarantined, never half
  loaded.
* ``_repairs``: the value-level repairs made to the row, e.g. ``trim:nat`` (a code padded
  with spaces), ``null_token:comp_date`` (``N/A`` in a date column), ``sentinel_date:
  osc_date`` (1900-01-01 or 2925-...). Kept with the row so that every repaired value can
  be traced, and summed into the manifest.

Identifiers in the SQL are our own column names (``[a-z0-9_]`` by construction of
:func:`asylumlens.layout.normalise_name`); no user input reaches this text. Internal names
(the parsed value ``_p<i>``, ``_is_bad``, ``_bad``, ``_repairs``, ``_raw``, ``_line``) all
start with ``_``, which a normalised header name never does (it is stripped of edge
underscores), so a header column named ``P_0`` or ``_bad`` can never stand in for one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from asylumlens.layout import NULL_TOKENS, PLAUSIBLE_YEARS, Kind

_TOKENS = ", ".join(f"'{t}'" for t in NULL_TOKENS)
_LOW, _HIGH = PLAUSIBLE_YEARS

SQL_TYPES: dict[Kind, str] = {
    Kind.INTEGER: "BIGINT",
    Kind.DATE: "DATE",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.BIRTH_MONTH: "DATE",
    Kind.TEXT: "VARCHAR",
}


@dataclass(frozen=True)
class ColumnCast:
    """SQL for one column, written against three projection levels.

    Level 1 is the source column; level 2 names the parsed value ``_p<i>``; level 3
    the final value, the bad-value condition and the repair conditions. Naming each
    intermediate once lets DuckDB compute trim and parse once per value.
    """

    key: str
    kind: Kind
    index: int
    required: bool = False

    @property
    def raw(self) -> str:
        return f'"{self.key}"'

    @property
    def text(self) -> str:
        return self.raw

    @property
    def parsed(self) -> str:
        return f"_p{self.index}"

    def parse_sql(self) -> str | None:
        t = self.text
        if self.kind is Kind.INTEGER:
            # TRY_CAST alone would round '1.5' to 2: only plain digit strings are integers
            return f"CASE WHEN regexp_full_match({t}, '[0-9]{{1,18}}') THEN CAST({t} AS BIGINT) END"
        if self.kind is Kind.DATE:
            return f"TRY_CAST(TRY_CAST({t} AS TIMESTAMP) AS DATE)"
        if self.kind is Kind.BOOLEAN:
            return (
                f"CASE {t} WHEN '1' THEN true WHEN '0' THEN false WHEN 'true' THEN true "
                f"WHEN 'false' THEN false WHEN 'TRUE' THEN true WHEN 'FALSE' THEN false END"
            )
        if self.kind is Kind.BIRTH_MONTH:
            return f"TRY_CAST(TRY_STRPTIME({t}, '%m/%Y') AS DATE)"
        return None

    def token(self) -> str:
        return f"({self.text} IN ({_TOKENS}))"

    def sentinel(self) -> str:
        return f"(year({self.parsed}) NOT BETWEEN {_LOW} AND {_HIGH})"

    def value_sql(self) -> str:
        if self.kind is Kind.TEXT:
            return self.text
        if self.kind is Kind.DATE:
            return (
                f"CASE WHEN {self.parsed} IS NOT NULL AND NOT {self.sentinel()} "
                f"THEN {self.parsed} END"
            )
        return self.parsed

    def bad_sql(self) -> str | None:
        if self.kind is Kind.TEXT:
            return None
        bad = f"({self.text} IS NOT NULL AND {self.parsed} IS NULL AND NOT {self.token()})"
        if self.required:
            bad = f"({bad} OR {self.parsed} IS NULL)"
        return bad

    def repairs(self) -> tuple[tuple[str, str], ...]:
        if self.kind is Kind.TEXT:
            return ()
        found = [("null_token", self.token())]
        if self.kind is Kind.DATE:
            found.append(("sentinel_date", f"coalesce({self.sentinel()}, false)"))
        return tuple(found)


def typed_select(
    columns: Sequence[tuple[str, Kind]],
    source: str,
    *,
    primary_key: str | None = None,
    extra: Sequence[str] = (),
) -> str:
    """A SELECT producing the typed columns, ``_bad``, ``_repairs`` and ``_raw``.

    The per-column detail strings are built only for rows where some condition holds
    (``CASE`` evaluates its branch selectively), so a clean row pays for a handful of
    boolean ORs. ``_raw`` (the row as tab-joined text) is filled only for bad rows.
    ``extra`` names source columns passed through unchanged (e.g. a line number).
    """
    casts = [ColumnCast(k, kind, i, k == primary_key) for i, (k, kind) in enumerate(columns)]
    level2 = ", ".join(f"{p} AS {c.parsed}" for c in casts if (p := c.parse_sql()) is not None)
    bads = [(c.key, b) for c in casts if (b := c.bad_sql()) is not None]
    fixes = [(f"{name}:{c.key}", cond) for c in casts for name, cond in c.repairs()]
    any_bad = " OR ".join(f"coalesce({b}, false)" for _, b in bads) or "false"
    any_fix = " OR ".join(f"coalesce({f}, false)" for _, f in fixes) or "false"
    bad_detail = ", ".join(f"CASE WHEN {b} THEN '{k}' END" for k, b in bads) or "NULL"
    fix_detail = ", ".join(f"CASE WHEN {f} THEN '{k}' END" for k, f in fixes) or "NULL"
    raw = "concat_ws(chr(9), " + ", ".join(f"coalesce({c.raw}, '')" for c in casts) + ")"
    typed = ",\n  ".join(f"{c.value_sql()} AS {c.raw}" for c in casts)
    passed = "".join(f"{e}, " for e in extra)
    lvl2 = f", {level2}" if level2 else ""
    return (
        f"SELECT {passed}{typed},\n"
        f"  CASE WHEN _is_bad THEN concat_ws(',', {bad_detail}) ELSE '' END AS _bad,\n"
        f"  CASE WHEN _is_fixed THEN concat_ws(',', {fix_detail}) END AS _repairs,\n"
        f"  CASE WHEN _is_bad THEN {raw} END AS _raw\n"
        f"FROM (SELECT *, {any_bad} AS _is_bad, {any_fix} AS _is_fixed FROM "
        f"(SELECT *{lvl2} FROM {source}))"
    )


# How DuckDB's CSV reader is told to parse each kind on the main path.
CSV_TYPES: dict[Kind, str] = {
    Kind.INTEGER: "BIGINT",
    Kind.DATE: "TIMESTAMP",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.BIRTH_MONTH: "DATE",  # with dateformat '%m/%Y'
    Kind.TEXT: "VARCHAR",
}


def main_select(
    columns: Sequence[tuple[str, Kind]], source: str, *, repair: Collection[str] | None = None
) -> str:
    """The main-path SELECT over ``source`` (a ``read_csv`` typed with :data:`CSV_TYPES`).

    Text is trimmed of spaces (EOIR pads codes: ``'SP '``), and a date outside the
    plausible years becomes NULL (EOIR's sentinels); each such repair is named in
    ``_repairs`` (``trimmed:<column>``, ``sentinel_date:<column>``), as on the side path.
    ``repair`` names the columns that may need it (stage 1 knows; default: all); the
    others are passed through, dates cast to DATE.
    """
    values: list[str] = []
    fixes: list[tuple[str, str]] = []
    for key, kind in columns:
        col = f'"{key}"'
        checked = repair is None or key in repair
        if kind is Kind.TEXT and checked:
            values.append(f"nullif(trim({col}, ' '), '') AS {col}")
            fixes.append((f"trimmed:{key}", f"{col} <> trim({col}, ' ')"))
        elif kind is Kind.DATE and checked:
            odd = f"year({col}) NOT BETWEEN {_LOW} AND {_HIGH}"
            values.append(f"CASE WHEN NOT ({odd}) THEN CAST({col} AS DATE) END AS {col}")
            fixes.append((f"sentinel_date:{key}", odd))
        elif kind is Kind.DATE:
            values.append(f"CAST({col} AS DATE) AS {col}")
        else:
            values.append(col)
    any_fix = " OR ".join(f"coalesce({c}, false)" for _, c in fixes) or "false"
    detail = ", ".join(f"CASE WHEN {c} THEN '{n}' END" for n, c in fixes) or "NULL"
    return (
        f"SELECT {', '.join(values)},\n"
        f"  CASE WHEN {any_fix} THEN concat_ws(',', {detail}) END AS _repairs\n"
        f"FROM {source}"
    )
