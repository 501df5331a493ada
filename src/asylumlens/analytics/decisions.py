"""The ``decisions`` fact table: one row per decided asylum-type application.

Every rate in AsylumLens is a count over this table, so the joins, labels and the
fiscal-year and initial-completion rules live in exactly one place (``docs/methodology.md``
explains each choice). It is built once per release, from the release's own table views,
and written next to the tables as ``decisions.parquet``.

Rows: applications of type ASYL (the asylum application every definition counts), plus
ASYW (withholding) and WCAT (Convention Against Torture) applications, which only the
``trac_other_relief`` definition reads. An application is *decided* when it has a decision
code and its proceeding has a completion date; pending applications are left out.

Raw codes are kept beside their labels. A code that the release's lookup does not list,
or a row whose case is missing (an orphan), is kept with a NULL label, never dropped.
Court labels are names built from the court and hearing-location lookups
(:mod:`asylumlens.analytics.court_names`), since the court lookup's own name column is
almost always the generic "IMMIGRATION COURT".

The SQL here is fixed text over table names AsylumLens owns: no user input reaches it.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Final

import duckdb

from asylumlens.analytics.court_names import CourtEntry, court_names

FACT_APPLICATION_CODES: Final = ("ASYL", "ASYW", "WCAT")

# (label CTE name, lookup stem, code column, label column); courts are named apart
# (:func:`_court_label_cte`)
_LOOKUPS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("lbl_nat", "tblLookupNationality", "nat_code", "nat_name"),
    ("lbl_lang", "tblLanguage", "strcode", "strdescription"),
    ("lbl_judge", "tblLookupJudge", "judge_code", "judge_name"),
    ("lbl_hloc", "tblLookupHloc", "hearing_loc_code", "hearing_loc_name"),
    ("lbl_case_type", "tblLookupCaseType", "strcode", "strdescription"),
    ("lbl_custody", "tblLookupCustodyStatus", "strcode", "strdescription"),
    ("lbl_sex", "tblLookupSex", "strcode", "strdescription"),
    ("lbl_dec", "tblLookupCourtAppDecisions", "strcourtapplndeccode", "strcourtapplndecdesc"),
)

# OTHER_COMP descriptions (tblLookupCourtDecision, strDecType 'O') that move a case to
# another court or judge rather than completing it.
VENUE_OR_TRANSFER_PATTERN: Final = r"(change of venue|^transfer)"
# OTHER_COMP descriptions of an administrative closure ("Administrative Closing - Other",
# "Prosecutorial Discretion - Admin Close", "In Court Prosecutorial Discretion - Admin
# Closure", "Administrative closing - Failure to Appear").
ADMIN_CLOSURE_PATTERN: Final = r"admin[a-z]*\.? clos"

_REQUIRED: Final = ("tbl_Court_Appln", "B_TblProceeding", "A_TblCase")


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str] | None:
    """Lower-case column names of a view/table, or None when it does not exist."""
    try:
        rows = con.execute(f'DESCRIBE SELECT * FROM "{relation}"').fetchall()
    except duckdb.CatalogException:
        return None
    return {str(r[0]).lower() for r in rows}


def _label_cte(con: duckdb.DuckDBPyConnection, stem: str, code: str, label: str) -> str:
    """code -> label from a lookup, preferring active rows when a code is listed twice."""
    cols = _columns(con, stem)
    if cols is None or code not in cols or label not in cols:
        return "SELECT NULL::VARCHAR AS code, NULL::VARCHAR AS name WHERE false"
    active = "blnactive DESC NULLS LAST, " if "blnactive" in cols else ""
    return (
        f"SELECT {code} AS code, first({label} ORDER BY {active}{label}) AS name "
        f'FROM "{stem}" WHERE {code} IS NOT NULL GROUP BY {code}'
    )


COURT_NAMES_TABLE: Final = "asylumlens_court_names"
"""Temp table of the connection holding the court names the fact table joins."""


def _court_entries(con: duckdb.DuckDBPyConnection) -> list[CourtEntry]:
    """One :class:`CourtEntry` per code of tblLookupBaseCity (the active row first when a
    code is listed twice), with the hearing-location lookup's name for the same code."""
    cols = _columns(con, "tblLookupBaseCity")
    if cols is None or "base_city_code" not in cols:
        return []
    wanted = ("base_city_name", "base_city", "base_state")
    picked = ", ".join(f"{c}::VARCHAR" if c in cols else "NULL::VARCHAR" for c in wanted)
    active = "blnactive DESC NULLS LAST, " if "blnactive" in cols else ""
    name = "base_city_name, " if "base_city_name" in cols else ""
    rows = con.execute(
        f'SELECT base_city_code::VARCHAR, {picked} FROM "tblLookupBaseCity" '
        f"WHERE base_city_code IS NOT NULL ORDER BY base_city_code, {active}{name}1"
    ).fetchall()
    hlocs = dict(
        con.execute(
            _label_cte(con, "tblLookupHloc", "hearing_loc_code", "hearing_loc_name")
        ).fetchall()
    )
    entries: dict[str, CourtEntry] = {}
    for code, base_name, city, state in rows:
        key = str(code).strip()
        if key and key not in entries:
            entries[key] = CourtEntry(key, base_name, city, state, hlocs.get(code))
    return list(entries.values())


def _court_label_cte(con: duckdb.DuckDBPyConnection) -> str:
    """code -> court name (:mod:`asylumlens.analytics.court_names`), from the release's
    lookups. The names are computed in Python and held in a temp table of ``con``, filled
    with bound parameters: lookup text never becomes SQL text."""
    names = court_names(_court_entries(con))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {COURT_NAMES_TABLE} (code VARCHAR, name VARCHAR)")
    if names:
        con.executemany(f"INSERT INTO {COURT_NAMES_TABLE} VALUES (?, ?)", list(names.items()))
    return f"SELECT code, name FROM {COURT_NAMES_TABLE}"


_COURT_DECISION_COLUMNS: Final = frozenset(
    {"strcasetype", "strdeccode", "strdecdescription", "strdectype"}
)


def _other_comp_cte(con: duckdb.DuckDBPyConnection, pattern: str) -> str:
    """(case type, OTHER_COMP code) pairs whose description matches ``pattern``.

    The lookup is required: without it a change of venue would count as the case's
    completion (and an administrative closure could not be recognised), silently moving
    every ``eoir`` number. A release without it is refused, never read with a fallback.
    """
    from asylumlens.errors import StoreError

    cols = _columns(con, "tblLookupCourtDecision")
    if cols is None:
        raise StoreError(
            "release has no tblLookupCourtDecision table: cannot tell venue changes, "
            "transfers and administrative closures from completions (OTHER_COMP)"
        )
    missing = sorted(_COURT_DECISION_COLUMNS - cols)
    if missing:
        raise StoreError(f"tblLookupCourtDecision lacks column(s) {', '.join(missing)}")
    active = "blnactive DESC NULLS LAST, " if "blnactive" in cols else ""
    return (
        'SELECT strcasetype AS case_type, strdeccode AS code FROM "tblLookupCourtDecision" '
        "WHERE strdectype = 'O' GROUP BY strcasetype, strdeccode "
        f"HAVING regexp_matches(lower(first(strdecdescription ORDER BY {active}"
        f"strdecdescription)), '{pattern}')"
    )


def _reps_cte(con: duckdb.DuckDBPyConnection) -> str:
    cols = _columns(con, "tbl_RepsAssigned")
    if cols is None or not {"idncase", "strattylevel", "strattytype"} <= cols:
        return "SELECT NULL::BIGINT AS idncase WHERE false"
    return (
        'SELECT DISTINCT idncase FROM "tbl_RepsAssigned" '
        "WHERE strattylevel = 'COURT' AND strattytype = 'ALIEN'"
    )


# Only the columns the fact table reads: a window over whole 38-column rows is slow.
_PROC_COLUMNS: Final = (
    "idnproceeding, idncase, comp_date, ij_code, base_city_code, hearing_loc_code, "
    "case_type, custody, absentia, nat, lang, dec_code, other_comp"
)
_CASE_COLUMNS: Final = "idncase, nat, lang, c_asy_type, sex, e_28_date"


def _order(con: duckdb.DuckDBPyConnection, stem: str) -> str:
    """Keys are unique after ingest (it quarantines repeated primary keys); for stores
    written by other means, keep the first row by source line when ``_line`` exists."""
    cols = _columns(con, stem) or set()
    return " ORDER BY _line" if "_line" in cols else ""


def _first_per_key(con: duckdb.DuckDBPyConnection, stem: str, key: str, keys_unique: bool) -> str:
    """Keep one row per key - a window over millions of rows, skipped when the ingest has
    already guaranteed unique keys (it quarantines repeated primary keys)."""
    if keys_unique:
        return ""
    return f"QUALIFY row_number() OVER (PARTITION BY {key}{_order(con, stem)}) = 1"


def _check_tables(con: duckdb.DuckDBPyConnection) -> None:
    missing = [t for t in _REQUIRED if _columns(con, t) is None]
    if missing:
        from asylumlens.errors import StoreError

        raise StoreError(f"release has no {', '.join(missing)} table; cannot build decisions")


def core_sql(con: duckdb.DuckDBPyConnection, *, keys_unique: bool = False) -> str:
    """Decided applications joined to their proceedings, codes only: the narrow half.

    Kept apart from the labels and case attributes (:func:`facts_sql`) so that the build
    can sort this narrow table, not the wide one.
    """
    _check_tables(con)
    codes = ", ".join(f"'{c}'" for c in FACT_APPLICATION_CODES)
    return f"""
WITH
venue AS ({_other_comp_cte(con, VENUE_OR_TRANSFER_PATTERN)}),
closure AS ({_other_comp_cte(con, ADMIN_CLOSURE_PATTERN)}),
proc0 AS (
    SELECT {_PROC_COLUMNS} FROM "B_TblProceeding"
    {_first_per_key(con, "B_TblProceeding", "idnproceeding", keys_unique)}
),
newest AS (
    -- the case's newest proceeding record (IDNPROCEEDING is assigned in creation order)
    SELECT idncase, max(idnproceeding) AS newest FROM proc0 GROUP BY idncase
),
completing AS (
    -- a proceeding completes the case unless its only completion is a venue change or
    -- transfer, or an administrative closure after which the case was placed back on the
    -- docket (a later proceeding of the same case exists)
    SELECT p.*,
        p.comp_date IS NOT NULL
        AND NOT (p.dec_code IS NULL AND v.code IS NOT NULL)
        AND NOT (p.dec_code IS NULL AND c.code IS NOT NULL AND n.newest > p.idnproceeding)
        AS completes
    FROM proc0 p
    LEFT JOIN venue v ON v.case_type = p.case_type AND v.code = p.other_comp
    LEFT JOIN closure c ON c.case_type = p.case_type AND c.code = p.other_comp
    LEFT JOIN newest n ON n.idncase = p.idncase
),
proc AS (
    -- the initial completion: the case's first completing proceeding (a window: at full
    -- scale it beats both a self-join and an arg_min aggregate over 10 M cases)
    SELECT *, completes AND row_number() OVER (
        PARTITION BY idncase, completes ORDER BY comp_date, idnproceeding
    ) = 1 AS is_initial
    FROM completing
)
SELECT a.idnproceedingappln, a.idnproceeding, p.idncase, a.appl_code, a.appl_recd_date,
    a.appl_dec, p.comp_date, p.ij_code, p.base_city_code, p.hearing_loc_code, p.case_type,
    p.custody, p.absentia, p.nat, p.lang, p.is_initial
FROM "tbl_Court_Appln" a
JOIN proc p ON p.idnproceeding = a.idnproceeding
WHERE a.appl_code IN ({codes})
  AND a.appl_dec IS NOT NULL
  AND p.comp_date IS NOT NULL
"""


def facts_sql(con: duckdb.DuckDBPyConnection, core: str, *, keys_unique: bool = False) -> str:
    """The fact table's rows from ``core`` (a relation with :func:`core_sql`'s columns):
    case attributes, representation and labels added. Keeps ``core``'s row order."""
    labels = ",\n".join(
        f"{name} AS ({_label_cte(con, stem, code, label)})" for name, stem, code, label in _LOOKUPS
    )
    labels += f",\nlbl_court AS ({_court_label_cte(con)})"
    return f"""
WITH
{labels},
reps AS ({_reps_cte(con)}),
asyl_case AS (
    SELECT idncase, count(*)::INTEGER AS n FROM {core} WHERE appl_code = 'ASYL' GROUP BY idncase
),
asyl_proc AS (
    SELECT idnproceeding, count(*)::INTEGER AS n FROM {core} WHERE appl_code = 'ASYL'
    GROUP BY idnproceeding
),
cases AS (
    SELECT {_CASE_COLUMNS} FROM "A_TblCase"
    {_first_per_key(con, "A_TblCase", "idncase", keys_unique)}
)
SELECT
    p.idnproceedingappln,
    p.idnproceeding,
    p.idncase,
    p.appl_code,
    p.appl_recd_date,
    p.appl_dec,
    lbl_dec.name AS appl_dec_name,
    p.comp_date,
    (year(p.comp_date) + CASE WHEN month(p.comp_date) >= 10 THEN 1 ELSE 0 END)::BIGINT
        AS fiscal_year,
    year(p.comp_date)::BIGINT AS calendar_year,
    p.ij_code AS judge,
    lbl_judge.name AS judge_name,
    p.base_city_code AS court,
    lbl_court.name AS court_name,
    p.hearing_loc_code AS hearing_location,
    lbl_hloc.name AS hearing_location_name,
    p.case_type AS case_type,
    lbl_case_type.name AS case_type_name,
    p.custody AS custody,
    lbl_custody.name AS custody_name,
    p.absentia AS absentia,
    CASE p.absentia WHEN 'Y' THEN 'In absentia' WHEN 'N' THEN 'Not in absentia' END
        AS absentia_name,
    coalesce(c.nat, p.nat) AS nationality,
    lbl_nat.name AS nationality_name,
    coalesce(c.lang, p.lang) AS language,
    lbl_lang.name AS language_name,
    c.c_asy_type AS asylum_type,
    CASE c.c_asy_type WHEN 'I' THEN 'Affirmative' WHEN 'E' THEN 'Defensive' END
        AS asylum_type_name,
    c.sex AS sex,
    lbl_sex.name AS sex_name,
    (reps.idncase IS NOT NULL OR c.e_28_date IS NOT NULL) AS represented,
    CASE WHEN reps.idncase IS NOT NULL OR c.e_28_date IS NOT NULL
        THEN 'Represented' ELSE 'Not represented' END AS represented_name,
    coalesce(p.is_initial, false) AS initial_completion,
    (c.idncase IS NULL) AS orphan,
    -- decided ASYL rows of the row's case / proceeding in the whole table (rows without a
    -- case id count as one case, as a window partitions them): where it is 1, a per-case
    -- (per-proceeding) pick has nothing to choose, so queries skip its window
    CASE WHEN p.appl_code = 'ASYL' THEN ac.n END AS case_asylum_decisions,
    CASE WHEN p.appl_code = 'ASYL' THEN ap.n END AS proceeding_asylum_decisions
FROM {core} p
LEFT JOIN cases c ON c.idncase = p.idncase
LEFT JOIN reps ON reps.idncase = p.idncase
LEFT JOIN asyl_case ac ON ac.idncase IS NOT DISTINCT FROM p.idncase
LEFT JOIN asyl_proc ap ON ap.idnproceeding IS NOT DISTINCT FROM p.idnproceeding
LEFT JOIN lbl_dec ON lbl_dec.code = p.appl_dec
LEFT JOIN lbl_judge ON lbl_judge.code = p.ij_code
LEFT JOIN lbl_court ON lbl_court.code = p.base_city_code
LEFT JOIN lbl_hloc ON lbl_hloc.code = p.hearing_loc_code
LEFT JOIN lbl_case_type ON lbl_case_type.code = p.case_type
LEFT JOIN lbl_custody ON lbl_custody.code = p.custody
LEFT JOIN lbl_nat ON lbl_nat.code = coalesce(c.nat, p.nat)
LEFT JOIN lbl_lang ON lbl_lang.code = coalesce(c.lang, p.lang)
LEFT JOIN lbl_sex ON lbl_sex.code = c.sex
"""


def decisions_sql(con: duckdb.DuckDBPyConnection, *, keys_unique: bool = False) -> str:
    """The SELECT that builds the fact table from ``con``'s release views, in one statement."""
    core = f"({core_sql(con, keys_unique=keys_unique)})"
    return facts_sql(con, core, keys_unique=keys_unique)


def _set(con: duckdb.DuckDBPyConnection, name: str, value: object) -> None:
    """SET a DuckDB option (SET takes no bound parameters; names and values are ours)."""
    quoted = str(value).replace("'", "''")
    con.execute(f"SET {name} = '{quoted}'")


def build_decisions(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    memory_limit: str | None = "3GB",
    keys_unique: bool = False,
) -> int:
    """Write the fact table of the release behind ``con`` to ``out``; return rows written.

    ``con`` must have the release's table views (as :meth:`Release.connect` makes them).
    Rows are sorted by application code, then completion date (up to a few rows the final
    joins may swap): every definition reads ASYL rows only (``trac_other_relief`` also looks
    up ASYW/WCAT grants), so with the ASYL rows first a query skips the other codes' row
    groups on their statistics, and date filters skip row groups within the ASYL block.

    Left alone, DuckDB takes up to 80% of RAM for the joins and the sort (16 GB at full
    scale, 12.7 M cases); ``memory_limit`` caps it for this build (3 GB: 84 s instead of
    50 s on 2 cores), spilling to a folder next to ``out``. The connection's own settings
    limit is restored afterwards. ``None`` leaves the connection's limit as it is.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    spill = out.with_name(out.name + ".spill")
    target = str(tmp).replace("'", "''")
    saved_limit: object = None
    if memory_limit is not None:
        row = con.execute("SELECT current_setting('memory_limit')").fetchone()
        saved_limit = row[0] if row else None
        _set(con, "memory_limit", memory_limit)
        # DuckDB cannot switch its spill folder once used, so it is set, not restored
        with contextlib.suppress(duckdb.Error):
            _set(con, "temp_directory", str(spill))
    saved_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    try:
        # Sort the narrow core (ids, codes, dates), then add the wide columns in that
        # order: sorting the 34-column result instead costs 20 s more at full scale.
        # Hash joins may reorder a handful of rows; the file stays sorted for all
        # practical purposes (row-group skipping on appl_code and comp_date), which is
        # the point.
        con.execute("SET preserve_insertion_order = true")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE decisions_core AS "
            f"{core_sql(con, keys_unique=keys_unique)} "
            "ORDER BY appl_code, comp_date, idnproceedingappln"
        )
        con.execute(
            f"COPY ({facts_sql(con, 'decisions_core', keys_unique=keys_unique)}) "
            f"TO '{target}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
        )
    finally:
        con.execute("DROP TABLE IF EXISTS decisions_core")
        con.execute(f"DROP TABLE IF EXISTS {COURT_NAMES_TABLE}")
        _set(con, "preserve_insertion_order", saved_order[0][0])
        if saved_limit is not None:
            _set(con, "memory_limit", saved_limit)
        shutil.rmtree(spill, ignore_errors=True)
    tmp.replace(out)
    row = con.execute("SELECT count(*) FROM read_parquet(?)", [str(out)]).fetchone()
    return int(row[0]) if row else 0
