"""Property-based tests for line splitting (stage 1), typing (stage 2) and realignment."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from asylumlens.ingest.cast import typed_select
from asylumlens.ingest.normalise import survey_table
from asylumlens.ingest.realign import realign
from asylumlens.ingest.scan import BLANK, FIELDS
from asylumlens.layout import TABLES, Column, Kind

# Field text: printable ASCII and cp1252 letters, spaces, NULs; never a tab or newline.
field_text = st.text(
    alphabet=st.sampled_from([*list("abcXYZ019 -/."), "é", "ñ", "’", "€", "\x00"]), max_size=8
)
N_FIELDS = 4


@st.composite
def table_lines(draw: st.DrawFn) -> list[tuple[list[str], bool]]:
    """Lines as (fields, ends with CRLF); some with the wrong field count, some blank."""
    lines = []
    for _ in range(draw(st.integers(0, 40))):
        n = draw(st.sampled_from([N_FIELDS] * 6 + [N_FIELDS - 1, N_FIELDS + 1, 1]))
        fields = [draw(field_text) for _ in range(n)]
        lines.append((fields, draw(st.booleans())))
    return lines


def clean_field(v: str) -> str:
    return v.replace("\x00", "").strip(" ")


def plain_key(field: str) -> str | None:
    """The first-field key as stage 1 reads it: 1-18 plain digits, normalised, else None."""
    return str(int(field)) if field.isascii() and field.isdigit() and len(field) <= 18 else None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=table_lines(), chunk=st.integers(16, 200), key_first=st.booleans())
def test_stage1_keeps_every_line_accounted_for(
    lines: list[tuple[list[str], bool]], chunk: int, key_first: bool
) -> None:
    """Each line is either in DuckDB's copy, clean and unchanged, at its own line number,
    or set aside with its decoded text; nothing else. The copy holds each key once.

    NULs are stripped before anything is read from a line (docs/ingest.md, stage 1): line by
    line for a side line, or in bulk when a chunk has NULs "throughout", in which case the
    cleaned line may reach DuckDB and its key is read from the cleaned text. Which way a chunk
    goes is the scanner's choice, so the model does not guess it: a key stage 1 can read
    whichever way (no NUL in it) makes every later line with that key a side line, and no key
    is in the copy twice.
    """
    note(f"lines={lines!r}")
    note(f"chunk={chunk!r}, key_first={key_first!r}")
    header = "\t".join(f"c{i}" for i in range(N_FIELDS))
    raw = (header + "\n").encode() + b"".join(
        ("\t".join(f) + ("\r\n" if crlf else "\n")).encode("cp1252") for f, crlf in lines
    )
    out = io.BytesIO()
    kinds = [Kind.INTEGER if key_first else Kind.TEXT] + [Kind.TEXT] * (N_FIELDS - 1)
    result = survey_table(io.BytesIO(raw), out, kinds=kinds, key_first=key_first, chunk_bytes=chunk)
    assert result.data_lines == len(lines)
    assert result.bytes_read == len(raw)
    assert sum(k.shape[0] for k in result.keys) == (len(lines) if key_first else 0)
    side = {s.line: s for s in result.side}
    copy = out.getvalue().decode("utf-8").split("\n")[:-1]
    assert copy[0] == header and len(copy) == len(lines) + 1
    readable: set[str] = set()  # keys stage 1 reads whether or not it strips in bulk
    in_copy: set[str] = set()
    for number, (fields, _) in enumerate(lines, start=2):
        text = "\t".join(fields).replace("\x00", "")
        raw_key = plain_key(fields[0])
        key = plain_key(fields[0].replace("\x00", ""))
        repeat = key_first and key is not None and key in readable
        if key_first and raw_key is not None:
            readable.add(raw_key)
        if number in side:
            assert copy[number - 1] == "", number
            assert side[number].text == text, number
            why = side[number].why
            assert bool(why & BLANK) == (text == ""), number
            if text and len(fields) != N_FIELDS:
                assert why & FIELDS, number
        else:
            # what reaches DuckDB: the right shape, ASCII, no NUL/CR left, a first key
            assert copy[number - 1] == text and text.isascii(), number
            assert len(fields) == N_FIELDS and not repeat, number
            if key_first:
                assert key is not None and key not in in_copy, number
                in_copy.add(key)
    nul_lines = [n for n, (f, _) in enumerate(lines, start=2) if "\x00" in "".join(f)]
    assert sorted(result.nul_lines) == nul_lines
    assert result.crlf_lines == sum(crlf for _, crlf in lines)


KIND_VALUES = {
    Kind.INTEGER: st.one_of(
        st.integers(0, 10**12).map(str), st.sampled_from(["", "N/A", "??", "x1", "1.5", "-"])
    ),
    Kind.DATE: st.one_of(
        st.dates(date(1890, 1, 1), date(2999, 12, 31)).map(
            lambda d: f"{d.isoformat()} 00:00:00.000"
        ),
        st.dates(date(1950, 1, 1), date(2035, 12, 31)).map(date.isoformat),
        st.sampled_from(
            ["", "N/A", "??", "ORL", "2021-13-01", "10/1993", "1900-01-01 00:00:00.000"]
        ),
    ),
    Kind.BOOLEAN: st.sampled_from(["", "0", "1", "true", "false", "N/A", "Y", "2"]),
    Kind.BIRTH_MONTH: st.one_of(
        st.tuples(st.integers(1, 12), st.integers(1900, 2020)).map(lambda t: f"{t[0]}/{t[1]}"),
        st.sampled_from(["", "13/1990", "4-1974", "N/A"]),
    ),
    Kind.TEXT: st.text(alphabet=st.sampled_from(list("AB c1?/")), max_size=5).map(
        lambda s: s.strip(" ")
    ),
}


def reference(value: str, kind: Kind) -> tuple[object, bool]:
    """(typed value, is bad) computed without DuckDB."""
    if value == "":
        return None, False
    if kind is Kind.TEXT:
        return value, False
    if value in ("N/A", "??", "NULL"):
        return None, False
    if kind is Kind.INTEGER:
        return (int(value), False) if value.isdigit() else (None, True)
    if kind is Kind.BOOLEAN:
        table = {"0": False, "1": True, "true": True, "false": False}
        return (table[value], False) if value in table else (None, True)
    if kind is Kind.BIRTH_MONTH:
        parts = value.split("/")
        if (
            len(parts) == 2
            and parts[0].isdigit()
            and parts[1].isdigit()
            and 1 <= int(parts[0]) <= 12
        ):
            return date(int(parts[1]), int(parts[0]), 1), False
        return None, True
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        return None, True
    if len(value) not in (10, 23):
        return None, True
    return (d if 1950 <= d.year <= 2035 else None), False


COLUMNS = [
    ("k", Kind.INTEGER),
    ("i", Kind.INTEGER),
    ("d", Kind.DATE),
    ("b", Kind.BOOLEAN),
    ("m", Kind.BIRTH_MONTH),
    ("t", Kind.TEXT),
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(*(KIND_VALUES[kind] for _, kind in COLUMNS[1:])), min_size=1, max_size=30
    )
)
def test_stage2_typing_matches_a_plain_python_reading(
    tmp_path: Path, rows: list[tuple[str, ...]]
) -> None:
    path = tmp_path / "t.tsv"
    path.write_text(
        "\t".join(k for k, _ in COLUMNS)
        + "\n"
        + "".join("\t".join([str(n), *r]) + "\n" for n, r in enumerate(rows, start=1)),
        encoding="utf-8",
    )
    spec = ", ".join(f"'{k}': 'VARCHAR'" for k, _ in COLUMNS)
    source = (
        f"read_csv('{path}', columns={{{spec}}}, delim='\\t', quote='', escape='', "
        "header=true, strict_mode=true, new_line='\\n')"
    )
    sql = typed_select(COLUMNS, source, primary_key="k")
    got = {r[0]: r for r in duckdb.sql(f"SELECT * FROM ({sql})").fetchall()}
    for n, row in enumerate(rows, start=1):
        typed = [reference(v, kind) for v, (_, kind) in zip(row, COLUMNS[1:], strict=True)]
        bad_cols = [k for (k, _), (_, bad) in zip(COLUMNS[1:], typed, strict=True) if bad]
        out = got[n]
        assert out[-3] == ",".join(bad_cols), (row, out)
        if not bad_cols:
            assert list(out[1 : len(COLUMNS)]) == [v for v, _ in typed], (row, out)
            assert out[-1] is None
        else:
            assert out[-1] == "\t".join([str(n), *row])


AppealCols = TABLES["tblAppeal"].columns


@pytest.mark.parametrize(
    "column", [c for c in AppealCols if c.kind is Kind.TEXT][:6], ids=lambda c: c.key
)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_realign_returns_the_original_row_or_nothing(column: Column, data: st.DataObject) -> None:
    """A stray tab appended to a text value: realignment never invents a different row."""
    values = []
    for c in AppealCols:
        if c.kind is Kind.INTEGER:
            values.append(str(data.draw(st.integers(1, 10**7))))
        elif c.kind is Kind.DATE:
            values.append(data.draw(st.sampled_from(["", "2020-01-02 00:00:00.000"])))
        else:
            width = c.width or 5
            values.append(data.draw(st.text(alphabet="ABC", min_size=0, max_size=min(width, 4))))
    i = AppealCols.index(column)
    shifted = [*values[:i], values[i], "", *values[i + 1 :]]
    result = realign(shifted, AppealCols)
    assert result is None or result == values


def _case_row(key: str, entry: str = "") -> list[str]:
    row = [""] * len(TABLES["A_TblCase"].columns)
    row[0] = key
    row[TABLES["A_TblCase"].keys.index("nat")] = "CH"
    row[TABLES["A_TblCase"].keys.index("case_type")] = "RMV"
    row[TABLES["A_TblCase"].keys.index("date_of_entry")] = entry
    return row


def _row(stem: str, **values: str) -> list[str]:
    keys = TABLES[stem].keys
    row = [""] * len(keys)
    for key, value in values.items():
        row[keys.index(key)] = value
    return row


def _tiny_tables() -> dict[str, list[list[str]]]:
    """One case, one proceeding, one application: the core tables a release needs, each
    with a row that loads (ingest refuses a release whose core table loads nothing)."""
    return {
        "A_TblCase": [_case_row("1")],
        "B_TblProceeding": [_row("B_TblProceeding", idnproceeding="1", idncase="1")],
        "tbl_Court_Appln": [
            _row("tbl_Court_Appln", idnproceedingappln="1", idnproceeding="1", idncase="1")
        ],
    }


def _rewrite(release: Path, path: Path, lines: list[bytes]) -> None:
    """Rewrite a table of ``release``; its Count.txt no longer applies, so it goes."""
    path.write_bytes(b"\n".join(lines) + b"\n")
    (release / "Count.txt").unlink(missing_ok=True)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layout=st.lists(
        st.sampled_from(["good", "bad_keyed", "bad_unkeyed", "short", "blank"]),
        min_size=1,
        max_size=25,
    )
)
def test_every_rejected_row_is_traced_to_its_line(
    tmp_path_factory: pytest.TempPathFactory, layout: list[str]
) -> None:
    """Rejected rows, keyed or not, after lines taken out in stage 1, get their true line."""
    from asylumlens.pipeline import ingest_release
    from asylumlens.store import Store
    from asylumlens.synth import write_release

    root = tmp_path_factory.mktemp("trace")
    release = write_release(
        root,
        date(2026, 1, 1),
        _tiny_tables(),
        synthetic_note="trace test",
    )
    path = next(release.rglob("A_TblCase.csv"))
    lines = path.read_bytes().split(b"\n")[:2]  # header + the one good row
    want: dict[int, str] = {}
    for i, kind in enumerate(layout):
        key = str(100 + i)
        if kind == "good":
            row = "\t".join(_case_row(key, "2001-02-03 00:00:00.000"))
        elif kind == "bad_keyed":
            row = "\t".join(_case_row(key, "ORL"))
            want[len(lines) + 1] = "bad_value"
        elif kind == "bad_unkeyed":
            row = "\t".join(_case_row(f"K{key}", ""))
            want[len(lines) + 1] = "bad_value"
        elif kind == "short":
            row = "\t".join(_case_row(key)[:-1])
            want[len(lines) + 1] = "field_count"
        else:
            row = ""
            want[len(lines) + 1] = "blank_line"
        lines.append(row.encode())
    # as many good rows again after them: a core table must mostly load
    lines += ["\t".join(_case_row(str(1000 + i))).encode() for i in range(len(layout) + 1)]
    _rewrite(release, path, lines)
    outcome = ingest_release(release, Store(root / "store"))
    got = dict(
        outcome.release.connect()
        .execute("SELECT line, reason FROM rejects WHERE \"table\" = 'A_TblCase'")
        .fetchall()
    )
    assert got == want


def test_keyless_table_repairs_are_traced_by_position(tmp_path: Path) -> None:
    """A table without an integer key is written in line order: a repaired row after
    blank, short, cp1252 and NUL lines (all taken out of DuckDB's pass) gets its true line."""
    from asylumlens.pipeline import ingest_release
    from asylumlens.store import Store
    from asylumlens.synth import write_release

    release = write_release(
        tmp_path / "rel",
        date(2026, 1, 1),
        _tiny_tables(),
        synthetic_note="keyless test",
    )
    folder = next(release.rglob("A_TblCase.csv")).parent
    body = [
        b"CODE\tNAME\tX_DATE",
        b"A\tplain\t2001-01-01 00:00:00.000",
        b"",
        b"B\tshort",
        b"C\tcaf\xe9\t",
        b"D\tn\x00ul\t",
        b"E\t padded \t1900-01-01 00:00:00.000",
        b"F\tplain\t",
        b"G\tlast \t",
    ]
    # a table the layout knows by name only, typed by EOIR's naming habits
    (folder / "tbl_CasePriorityHistory.csv").write_bytes(b"\n".join(body) + b"\n")
    outcome = ingest_release(release, Store(tmp_path / "store"))
    con = outcome.release.connect()
    repairs = sorted(
        con.execute(
            'SELECT line, kind, "column" FROM repairs WHERE "table" = \'tbl_CasePriorityHistory\''
        ).fetchall()
    )
    assert repairs == [
        (6, "nul_removed", None),
        (7, "sentinel_date", "x_date"),
        (7, "trimmed", "name"),
        (9, "trimmed", "name"),
    ]
    rejects = con.execute(
        "SELECT line, reason FROM rejects WHERE \"table\" = 'tbl_CasePriorityHistory' ORDER BY line"
    ).fetchall()
    assert rejects == [(3, "blank_line"), (4, "field_count")]
    rows = con.execute(
        "SELECT code, name, x_date FROM tbl_CasePriorityHistory ORDER BY code"
    ).fetchall()
    assert rows == [
        ("A", "plain", date(2001, 1, 1)),
        ("C", "café", None),
        ("D", "nul", None),
        ("E", "padded", None),
        ("F", "plain", None),
        ("G", "last", None),
    ]


def test_an_earlier_side_line_wins_its_key_over_a_main_row(tmp_path: Path) -> None:
    """Stage 1 cannot read the key of a line with a NUL inside it, so the next line with
    that key reaches DuckDB; the earlier line still wins, and the later is the repeat."""
    from asylumlens.pipeline import ingest_release
    from asylumlens.store import Store
    from asylumlens.synth import write_release

    release = write_release(
        tmp_path / "rel",
        date(2026, 1, 1),
        _tiny_tables(),
        synthetic_note="key race test",
    )
    path = next(release.rglob("A_TblCase.csv"))
    lines = path.read_bytes().split(b"\n")[:2]
    first = _case_row("5", "2001-02-03 00:00:00.000")
    first[0] = "5\x00"
    lines.append("\t".join(first).encode())  # line 3: side (NUL), key 5
    lines.append("\t".join(_case_row("5", "2009-09-09 00:00:00.000")).encode())  # line 4
    _rewrite(release, path, lines)
    con = ingest_release(release, Store(tmp_path / "store")).release.connect()
    rejects = con.execute(
        "SELECT line, reason FROM rejects WHERE \"table\" = 'A_TblCase'"
    ).fetchall()
    assert rejects == [(4, "duplicate_key")]
    entry = con.execute("SELECT date_of_entry FROM A_TblCase WHERE idncase = 5").fetchall()
    assert entry == [(date(2001, 2, 3),)]
    status = con.execute("SELECT count(*) FROM A_TblCase").fetchall()
    assert status == [(2,)]
