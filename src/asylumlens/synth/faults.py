"""Real-world faults injected into a synthetic release, and the ground truth ingest is held to.

THE CONTRACT (what ``asylumlens synth`` injects, what the manifest records, what ingest must do)
================================================================================================

Faults are on by default (``--clean`` turns them all off). Each kind is injected into each
table it applies to at a rate of 1 per 100,000 expected data lines, but never fewer than 3
(``FaultRates``), so even a 2,000-case release holds every kind. Faults go on distinct data
lines (never two kinds on one line; never on the header, except ``mixed_case_header``, which
*is* a header fault), always on rows that were generated clean. No fault inserts or removes a
line break, so line numbers are exact; only ``duplicate_key`` adds a line (its second copy).

Lookup tables (``Lookup/``) and Count.txt carry no faults. A release too small to hold every
planned fault (fewer eligible rows than faults in a table) gets fewer; ``fault_counts`` in the
manifest always states what was actually injected. From about 300 cases up every kind is there.

Each kind: how it is injected -> what ingest must do (the manifest's ``expect`` value).

nul_byte
    1-2 ``\x00`` bytes inside one non-empty value (any column).
    -> strip NULs; the row equals ``clean`` (``load_clean``).
crlf
    The line ends ``\r\n``. -> strip the ``\r``; the row equals ``clean`` (``load_clean``).
stray_tab
    A tab inside a free-text value (A_TblCase ALIEN_CITY or UPDATED_CITY, tblAppeal
    strAppealType), so the row has one extra field. ``detail`` names the form: ``trailing``
    (``BROOKLYN\\t``: an empty field follows, the real pattern of NOTES.md section 6; ~80%)
    or ``split`` (``LAKE\\tWORTH``; the clean value is ``LAKE WORTH``).
    The repair rule: join two adjacent fields with a space and trim every value; a joined
    row is a candidate when every value is empty or fits its column's kind (DATE
    ``YYYY-MM-DD[ HH:MM:SS[.mmm]]``, INTEGER ``-?digits``, BOOLEAN ``0/1/true/false``,
    BIRTH_MONTH ``M/YYYY``) and declared width (``layout`` ``Column.width``). Exactly one
    distinct candidate -> ``expect`` is ``repair`` and that candidate equals ``clean``; more
    (a trailing tab after ALIEN_CITY is ambiguous: the empty fields after it can absorb the
    shift) -> ``quarantine:field_count``. ``detail`` gives the candidate count. About 75%
    are placed so that they are repairable (``REPAIRABLE_SHARE``).
missing_field
    One field removed, so the row is one field short.
    -> quarantine ``field_count`` (``quarantine:field_count``).
hidden_shift
    Right field count, but the values are shifted one place from some column on (an empty
    field dropped and an empty one appended, or an empty one inserted and the last field
    dropped), chosen so that at least one DATE/INTEGER/BOOLEAN/BIRTH_MONTH column receives a
    non-empty value not of its kind (``column`` and ``detail`` name it, e.g. ``'1/1964'`` in
    C_RELEASE_DATE). -> quarantine ``bad_value`` (``quarantine:bad_value``).
padded_code
    A code in a TEXT code column padded with a space (``'SP '``, ``' RMV'``).
    -> trim; the row equals ``clean`` (``load_clean``).
null_token
    ``N/A`` or ``??`` in a DATE (or nullable BOOLEAN: LPR, AGGRAVATE_FELON) column that is
    empty in ``clean``. -> load NULL; the row equals ``clean`` (``load_clean``).
sentinel_date
    ``1900-01-01 00:00:00.000`` or ``2925-12-31 00:00:00.000`` in a DATE column that is empty
    in ``clean``. -> load NULL; the row equals ``clean`` (``load_clean``).
non_ascii
    A non-ASCII A_TblCase ALIEN_CITY in cp1252 (é ñ ü, curly quotes 0x93/0x94, 0x92, € 0x80).
    -> decode cp1252; the row equals ``clean``, which holds the Unicode value; ``detail``
    repeats it with its cp1252 bytes (``load_clean``).
mixed_case_header
    Header names written in another case, and ``GENDER`` for ``Sex`` (A_TblCase,
    B_TblProceeding, tbl_Court_Appln). One manifest entry per changed name, all on line 1.
    -> normalise names (``normalise_header``).
unknown_code
    A NAT / LANG / CASE_TYPE / IJ_CODE / APPL_CODE value absent from its lookup (``ZQ``,
    ``XQX``, ``BND``, ``Q9Q``, ``QAPL``). -> keep as written and flag (``load_as_written``).
orphan_row
    A B_TblProceeding / tbl_RepsAssigned / tbl_CustodyHistory / tblAppeal row whose IDNCASE,
    or a tbl_Court_Appln row whose IDNPROCEEDING, has no parent row (ids >= 900000000).
    -> keep as written and flag (``load_as_written``).
duplicate_key
    The row is written twice, on consecutive lines: an exact copy (``exact``) or the same
    primary key with one date one day later (``other_content``). The fault line is the
    second. -> the first occurrence (clean) loads; the second is quarantined
    ``duplicate_key`` (``quarantine:duplicate_key``).

Where ``clean`` had to change to make a row eligible (``null_token``/``sentinel_date`` on a row
with no empty candidate column, ``stray_tab`` split form or ``non_ascii`` on a city), the clean
line records the changed row: it is the row as EOIR would have exported it without the fault.

Manifest entries (``synth-manifest.json`` -> ``faults``), one per fault::

    {"table": "A_TblCase", "line": 1234, "kind": "stray_tab", "column": "updated_city",
     "detail": "trailing: 'BROOKLYN' written 'BROOKLYN\\t'; 1 realignment(s) fit ...",
     "expect": "repair",
     "clean": "<clean line text, no line end>", "written": "<line as written, no line end>"}

``line`` is the 1-based physical line in the file (header = line 1). ``clean``/``written`` are
text (decoded cp1252; ``written`` keeps its NULs, tabs and ``\\r``). For ``mixed_case_header``,
``clean`` is the real header and ``written`` the header as written.

Per table the manifest also gives ``data_lines`` (physical lines after the header),
``clean_rows`` (rows generated = data_lines - duplicate_key faults) and ``count_txt`` (the
number in Count.txt), which equals ``data_lines``: EOIR's count is of the rows it exported,
and a duplicated row is an exported row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

import numpy as np
import pyarrow as pa

from asylumlens.layout import TABLES, Kind
from asylumlens.synth.population import CITIES
from asylumlens.synth.writer import ENCODING

FAULT_KINDS: Final = (
    "nul_byte",
    "crlf",
    "stray_tab",
    "missing_field",
    "hidden_shift",
    "padded_code",
    "null_token",
    "sentinel_date",
    "non_ascii",
    "mixed_case_header",
    "unknown_code",
    "orphan_row",
    "duplicate_key",
)
CORE: Final = (
    "A_TblCase",
    "B_TblProceeding",
    "tbl_Court_Appln",
    "tbl_RepsAssigned",
    "tbl_CustodyHistory",
    "tblAppeal",
)
FREE_TEXT: Final[dict[str, tuple[str, ...]]] = {
    "A_TblCase": ("alien_city", "updated_city"),
    "tblAppeal": ("strappealtype",),
}
REPAIRABLE_SHARE: Final = 0.75
"""Share of stray tabs placed so that exactly one realignment fits (the rest are ambiguous)."""
PADDED_CODES: Final[dict[str, tuple[str, ...]]] = {
    "A_TblCase": ("nat", "lang", "case_type", "custody", "update_site"),
    "B_TblProceeding": (
        "base_city_code",
        "hearing_loc_code",
        "ij_code",
        "case_type",
        "nat",
        "lang",
    ),
    "tbl_Court_Appln": ("appl_code", "appl_dec"),
    "tbl_RepsAssigned": ("strattylevel", "strattytype", "base_city_code"),
    "tbl_CustodyHistory": ("custody",),
    "tblAppeal": ("strcasetype", "strlang", "strnat", "strcustody"),
}
UNKNOWN_CODES: Final[dict[str, dict[str, str]]] = {
    "A_TblCase": {"nat": "ZQ", "lang": "XQX", "case_type": "BND"},
    "B_TblProceeding": {"ij_code": "Q9Q", "nat": "ZQ", "lang": "XQX", "case_type": "BND"},
    "tbl_Court_Appln": {"appl_code": "QAPL"},
}
ORPHAN_KEYS: Final[dict[str, str]] = {
    "B_TblProceeding": "idncase",
    "tbl_Court_Appln": "idnproceeding",
    "tbl_RepsAssigned": "idncase",
    "tbl_CustodyHistory": "idncase",
    "tblAppeal": "idncase",
}
ORPHAN_ID_BASE: Final = 900_000_000
HEADER_VARIANTS: Final[dict[str, dict[str, str]]] = {
    "A_TblCase": {"IDNCASE": "IdnCase", "Sex": "GENDER", "NAT": "nat"},
    "B_TblProceeding": {c.name: c.name.lower() for c in TABLES["B_TblProceeding"].columns},
    "tbl_Court_Appln": {"IDNPROCEEDINGAPPLN": "IdnProceedingAppln", "APPL_CODE": "appl_code"},
}
NON_ASCII_CITIES: Final = (
    "SAN JOSÉ",
    "CAÑON CITY",
    "ESPAÑOLA",
    "MÜNSTER",
    "“QUEENS”",
    "O’FALLON",
    "€ TEST CITY",
)
NULL_TOKENS: Final = ("N/A", "??")
SENTINEL_DATES: Final = ("1900-01-01 00:00:00.000", "2925-12-31 00:00:00.000")
_NULLABLE_BOOLEANS: Final = frozenset({"lpr", "aggravate_felon"})
# Columns never blanked to make a row eligible: they carry the analytics' ground truth.
_PROTECTED: Final = frozenset({"comp_date", "e_28_date", "osc_date"})

APPLICABLE: Final[dict[str, tuple[str, ...]]] = {
    "nul_byte": CORE,
    "crlf": CORE,
    "stray_tab": tuple(FREE_TEXT),
    "missing_field": CORE,
    "hidden_shift": CORE,
    "padded_code": CORE,
    "null_token": CORE,
    "sentinel_date": CORE,
    "non_ascii": ("A_TblCase",),
    "mixed_case_header": tuple(HEADER_VARIANTS),
    "unknown_code": tuple(UNKNOWN_CODES),
    "orphan_row": tuple(ORPHAN_KEYS),
    "duplicate_key": CORE,
}
"""Which tables each kind is injected into."""

ROW_KINDS: Final = tuple(k for k in FAULT_KINDS if k != "mixed_case_header")

_VALID: Final[dict[Kind, re.Pattern[str]]] = {
    Kind.DATE: re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{1,3})?)?"),
    Kind.INTEGER: re.compile(r"-?\d+"),
    Kind.BOOLEAN: re.compile(r"0|1|true|false|True|False"),
    Kind.BIRTH_MONTH: re.compile(r"\d{1,2}/\d{4}"),
}


@dataclass(frozen=True)
class FaultRates:
    """How many faults: ``max(minimum, round(expected_lines * per_line))`` per kind and table."""

    per_line: float = 1e-5
    minimum: int = 3

    def count(self, expected_lines: int) -> int:
        return max(self.minimum, round(expected_lines * self.per_line))


@dataclass
class Fault:
    """One injected fault; ``row`` is the index within its chunk until the line is known."""

    table: str
    kind: str
    column: str | None
    detail: str
    expect: str
    clean: str
    written: str
    line: int = 0
    row: int = -1
    line_offset: int = 0  # which of the spliced lines is the faulty one

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "line": self.line,
            "kind": self.kind,
            "column": self.column,
            "detail": self.detail,
            "expect": self.expect,
            "clean": self.clean,
            "written": self.written,
        }


def fits(kind: Kind, value: str) -> bool:
    """Whether a non-empty value is of a column kind (TEXT always fits)."""
    pattern = _VALID.get(kind)
    return True if pattern is None else pattern.fullmatch(value) is not None


def header_text(stem: str, faulty: bool) -> tuple[str, list[Fault]]:
    """The header line of a table, with its mixed-case variant when faults are on."""
    table = TABLES[stem]
    if not faulty or stem not in HEADER_VARIANTS:
        return table.header, []
    variants = HEADER_VARIANTS[stem]
    names = [variants.get(c.name, c.name) for c in table.columns]
    faults = [
        Fault(
            stem,
            "mixed_case_header",
            c.key,
            f"{c.name!r} written {variants[c.name]!r}",
            "normalise_header",
            table.header,
            "\t".join(names),
            line=1,
        )
        for c in table.columns
        if c.name in variants and variants[c.name] != c.name
    ]
    return "\t".join(names), faults


def realignments(stem: str, fields: Sequence[str]) -> set[tuple[str, ...]]:
    """Distinct rows obtained by joining two adjacent fields of a row one field too long.

    The join puts back the stray tab as a space; every value is trimmed. A candidate counts
    only when every value fits its column: empty, or of the column's kind (:func:`fits`) and
    no longer than its declared width. This is the contract's repair rule, written here
    independently of ingest so the manifest can say which stray tabs are repairable.
    """
    columns = TABLES[stem].columns
    found: set[tuple[str, ...]] = set()
    if len(fields) != len(columns) + 1:
        return found
    for j in range(len(fields) - 1):
        joined = [*fields[:j], f"{fields[j]} {fields[j + 1]}", *fields[j + 2 :]]
        values = tuple(v.strip() for v in joined)
        if all(
            not v or (fits(c.kind, v) and (c.width is None or len(v) <= c.width))
            for c, v in zip(columns, values, strict=True)
        ):
            found.add(values)
    return found


def _text(values: Sequence[str | None]) -> str:
    return "\t".join("" if v is None else v for v in values)


_KEYS: Final = {stem: TABLES[stem].keys for stem in CORE}


@dataclass
class _Row:
    stem: str
    values: list[str | None]

    @property
    def keys(self) -> tuple[str, ...]:
        return _KEYS[self.stem]

    def col(self, key: str) -> int:
        return self.keys.index(key)


@dataclass
class Injector:
    """Applies row faults to chosen rows of a chunk; deterministic given its generator."""

    rng: np.random.Generator
    orphan_next: int = ORPHAN_ID_BASE
    _funcs: dict[str, Any] = field(default_factory=dict)

    def inject(
        self, stem: str, table: pa.Table, kinds: Sequence[str], base_row: int = 0
    ) -> tuple[dict[int, list[bytes]], list[Fault]]:
        """Fault ``kinds`` (one entry per fault) on distinct random rows of ``table``.

        Returns the lines to splice in per row index and the faults (``row`` set, ``line``
        still 0: the writer knows the physical line).
        """
        n = table.num_rows
        order = self.rng.permutation(n)
        used: set[int] = set()
        spliced: dict[int, list[bytes]] = {}
        faults: list[Fault] = []
        columns = [table.column(i) for i in range(table.num_columns)]
        cursor = 0
        for kind in kinds:
            tries = 0
            while cursor < n and tries < 200:
                i = int(order[cursor])
                cursor += 1
                tries += 1
                if i in used:
                    continue
                row = _Row(stem, [_as_text(c[i].as_py()) for c in columns])
                made = getattr(self, f"_{kind}")(row)
                if made is None:
                    continue
                lines, fault = made
                fault.row = i
                used.add(i)
                spliced[i] = lines
                faults.append(fault)
                break
        return spliced, faults

    # -- helpers ---------------------------------------------------------------------------
    def _emit(
        self,
        row: _Row,
        kind: str,
        written: list[str | None] | str,
        column: str | None,
        detail: str,
        expect: str,
        *,
        ending: str = "\n",
    ) -> tuple[list[bytes], Fault]:
        clean = _text(row.values)
        text = written if isinstance(written, str) else _text(written)
        line = (text + ending).encode(ENCODING)
        return [line], Fault(
            row.stem, kind, column, detail, expect, clean, text + ending.rstrip("\n")
        )

    def _choice(self, options: Sequence[Any]) -> Any:
        return options[int(self.rng.integers(0, len(options)))]

    # -- kinds -------------------------------------------------------------------------------
    def _nul_byte(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        filled = [j for j, v in enumerate(row.values) if v]
        if not filled:
            return None
        j = self._choice(filled)
        value = str(row.values[j])
        nuls = int(self.rng.integers(1, 3))
        at = int(self.rng.integers(0, len(value) + 1))
        bad = value[:at] + "\x00" * nuls + value[at:]
        written = list(row.values)
        written[j] = bad
        detail = f"{nuls} NUL byte(s) inside {value!r} at offset {at}"
        return self._emit(row, "nul_byte", written, row.keys[j], detail, "load_clean")

    def _crlf(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        return self._emit(
            row, "crlf", list(row.values), None, "line ends \\r\\n", "load_clean", ending="\r\n"
        )

    def _stray_tab(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        want_repairable = bool(self.rng.random() < REPAIRABLE_SHARE)
        first_form = "trailing" if self.rng.random() < 0.8 else "split"
        forms = (first_form, "split" if first_form == "trailing" else "trailing")
        keys = list(FREE_TEXT[row.stem])
        keys = [keys[i] for i in self.rng.permutation(len(keys))]
        chosen: tuple[str, str, list[str | None], list[str | None], int, bool] | None = None
        for form in forms:
            variants = [v for k in keys for v in self._stray_variants(row, form, k)]
            for clean, written, key in variants:
                fields = _text(written).split("\t")
                found = realignments(row.stem, fields)
                target = tuple("" if v is None else v.strip() for v in clean)
                repairable = len(found) == 1 and target in found
                if chosen is None or repairable == want_repairable:
                    chosen = (form, key, clean, written, len(found), repairable)
                if repairable == want_repairable:
                    break
            if chosen is not None and chosen[5] == want_repairable:
                break
        if chosen is None:
            return None
        form, key, clean, written, count, repairable = chosen
        row.values[:] = clean
        j = row.col(key)
        detail = (
            f"{form}: {clean[j]!r} written {written[j]!r}; "
            f"{count} realignment(s) fit every column's kind and width"
        )
        expect = "repair" if repairable else "quarantine:field_count"
        return self._emit(row, "stray_tab", written, key, detail, expect)

    def _stray_variants(
        self, row: _Row, form: str, key: str
    ) -> list[tuple[list[str | None], list[str | None], str]]:
        """(clean values, written values, key) for a stray tab of ``form`` in column ``key``.

        An empty city column (or one without a space, for the split form) is first given a
        city; every city is offered, in random order, because whether a trailing tab can be
        repaired depends on the value's length against the widths of the columns around it.
        """
        j = row.col(key)
        value = row.values[j]
        usable = bool(value) and (form == "trailing" or " " in str(value))
        if usable:
            values = [str(value)]
        elif key in ("alien_city", "updated_city"):
            pool = [c[0] for c in CITIES if form == "trailing" or " " in c[0]]
            values = [pool[int(i)] for i in self.rng.permutation(len(pool))]
        else:
            return []
        out: list[tuple[list[str | None], list[str | None], str]] = []
        for v in values:
            clean = list(row.values)
            clean[j] = v
            written = list(clean)
            written[j] = v.replace(" ", "\t", 1) if form == "split" else v + "\t"
            out.append((clean, written, key))
        return out

    def _missing_field(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        j = int(self.rng.integers(1, len(row.values)))
        written = row.values[:j] + row.values[j + 1 :]
        detail = f"field {row.keys[j]} ({row.values[j] or ''!r}) removed"
        return self._emit(
            row, "missing_field", written, row.keys[j], detail, "quarantine:field_count"
        )

    def _hidden_shift(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        cols = TABLES[row.stem].columns
        vals = ["" if v is None else v for v in row.values]
        n = len(vals)
        variants: list[tuple[str, int, list[str], int]] = []
        for j in range(1, n):
            shifted = [
                vals[:j] + vals[j + 1 :] + [""] if not vals[j] else None,
                [*vals[:j], "", *vals[j:-1]],
            ]
            for direction, new in zip(("left", "right"), shifted, strict=True):
                if new is None or new == vals:
                    continue
                bad = [k for k in range(j, n) if new[k] and not fits(cols[k].kind, new[k])]
                if bad:
                    variants.append((direction, j, new, bad[0]))
        if not variants:
            return None
        direction, j, new, k = self._choice(variants)
        how = (
            "empty field dropped, one appended"
            if direction == "left"
            else "empty field inserted, last dropped"
        )
        detail = (
            f"{direction} shift from {cols[j].key} ({how}); "
            f"{cols[k].key} ({cols[k].kind.value}) gets {new[k]!r}"
        )
        return self._emit(
            row, "hidden_shift", list(new), cols[k].key, detail, "quarantine:bad_value"
        )

    def _padded_code(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        keys = [k for k in PADDED_CODES[row.stem] if row.values[row.col(k)]]
        if not keys:
            return None
        key = self._choice(keys)
        j = row.col(key)
        value = str(row.values[j])
        bad = value + " " if self.rng.random() < 0.6 else " " + value
        written = list(row.values)
        written[j] = bad
        return self._emit(
            row, "padded_code", written, key, f"{value!r} written {bad!r}", "load_clean"
        )

    def _blank_candidate(self, row: _Row, booleans: bool) -> int | None:
        cols = TABLES[row.stem].columns
        cands = [
            j
            for j, c in enumerate(cols)
            if c.kind is Kind.DATE or (booleans and c.key in _NULLABLE_BOOLEANS)
        ]
        empty = [j for j in cands if not row.values[j]]
        if empty:
            return int(self._choice(empty))
        spare = [j for j in cands if cols[j].key not in _PROTECTED]
        if not spare:
            return None
        j = int(self._choice(spare))
        row.values[j] = None  # the clean row has this field empty
        return j

    def _null_token(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        j = self._blank_candidate(row, booleans=True)
        if j is None:
            return None
        token = self._choice(NULL_TOKENS)
        written = list(row.values)
        written[j] = token
        detail = f"{token!r} where the value is empty (NULL)"
        return self._emit(row, "null_token", written, row.keys[j], detail, "load_clean")

    def _sentinel_date(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        j = self._blank_candidate(row, booleans=False)
        if j is None:
            return None
        token = self._choice(SENTINEL_DATES)
        written = list(row.values)
        written[j] = token
        detail = f"sentinel {token!r} where the date is empty (NULL)"
        return self._emit(row, "sentinel_date", written, row.keys[j], detail, "load_clean")

    def _non_ascii(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        j = row.col("alien_city")
        city = self._choice(NON_ASCII_CITIES)
        row.values[j] = city
        detail = f"ALIEN_CITY {city!r} (cp1252 bytes {city.encode(ENCODING).hex()})"
        return self._emit(row, "non_ascii", list(row.values), "alien_city", detail, "load_clean")

    def _unknown_code(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        key = self._choice(list(UNKNOWN_CODES[row.stem]))
        code = UNKNOWN_CODES[row.stem][key]
        j = row.col(key)
        written = list(row.values)
        written[j] = code
        detail = f"{row.values[j] or ''!r} replaced by {code!r}, absent from its lookup"
        return self._emit(row, "unknown_code", written, key, detail, "load_as_written")

    def _orphan_row(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        key = ORPHAN_KEYS[row.stem]
        j = row.col(key)
        orphan = str(self.orphan_next)
        self.orphan_next += 1
        written = list(row.values)
        written[j] = orphan
        detail = f"{key} {row.values[j]} replaced by {orphan}, which has no parent row"
        return self._emit(row, "orphan_row", written, key, detail, "load_as_written")

    def _duplicate_key(self, row: _Row) -> tuple[list[bytes], Fault] | None:
        cols = TABLES[row.stem].columns
        clean = _text(row.values)
        second = list(row.values)
        form = "exact"
        column: str | None = None
        if self.rng.random() < 0.5:
            dated = [j for j, c in enumerate(cols) if c.kind is Kind.DATE and row.values[j]]
            if dated:
                j = int(self._choice(dated))
                old = str(row.values[j])
                new_day = date.fromisoformat(old[:10]) + timedelta(days=1)
                second[j] = f"{new_day.isoformat()}{old[10:]}"
                form, column = "other_content", cols[j].key
        written = _text(second)
        pk = TABLES[row.stem].primary_key
        detail = f"{form}: second row with {pk} {row.values[0]}"
        if column:
            j = row.col(column)
            detail += f" ({column} {row.values[j]!r} -> {second[j]!r})"
        lines = [(clean + "\n").encode(ENCODING), (written + "\n").encode(ENCODING)]
        fault = Fault(
            row.stem, "duplicate_key", pk, detail, "quarantine:duplicate_key", clean, written
        )
        fault.line_offset = 1
        return lines, fault


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    return str(value)


def spread(count: int, total_cases: int, chunk_cases: int) -> list[int]:
    """Which chunk each of ``count`` faults falls in: evenly over the cases, deterministic."""
    return [int((i + 0.5) * total_cases / count) // chunk_cases for i in range(count)]
