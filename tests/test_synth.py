"""Tests of the synthetic-release generator, checked against the raw bytes it writes.

Every check reads the files back with plain Python (bytes, split on tab), never with the
ingest code, and derives expectations from ``layout`` facts, the release's own lookups or
NOTES.md figures, not from the generator's internals.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from asylumlens.cli import app
from asylumlens.errors import ReleaseError
from asylumlens.layout import CODE_LOOKUPS, TABLES, Kind, normalise_name
from asylumlens.synth import FAULT_KINDS, generate, write_release

CORE = (
    "A_TblCase",
    "B_TblProceeding",
    "tbl_Court_Appln",
    "tbl_RepsAssigned",
    "tbl_CustodyHistory",
    "tblAppeal",
)
LOOKUPS = (
    "tblLookupNationality",
    "tblLanguage",
    "tblLookupBaseCity",
    "tblLookupJudge",
    "tblLookUp_Appln",
    "tblLookupCourtAppDecisions",
    "tblLookupCaseType",
    "tblLookupCustodyStatus",
    "tblLookupCourtDecision",
    "tblLookupSex",
    "tblLookupHloc",
)
RELEASE = "EOIR Case Data 2026-1101"
KIND_RE = {
    Kind.DATE: re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}"),
    Kind.INTEGER: re.compile(rb"\d+"),
    Kind.BOOLEAN: re.compile(rb"[01]"),
    Kind.BIRTH_MONTH: re.compile(rb"\d{1,2}/\d{4}"),
}


def path_of(out: Path, stem: str) -> Path:
    folder = "EOIR Case Data" if TABLES[stem].folder == "core" else "Lookup"
    return out / RELEASE / folder / f"{stem}.csv"


def raw_lines(out: Path, stem: str) -> list[bytes]:
    """Physical lines (split on LF only, so a CR stays visible); index 0 is the header."""
    data = path_of(out, stem).read_bytes()
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def column(out: Path, stem: str, name: str) -> list[str]:
    lines = raw_lines(out, stem)
    keys = [normalise_name(h) for h in lines[0].decode("cp1252").split("\t")]
    j = keys.index(name)
    return [ln.decode("cp1252").split("\t")[j] for ln in lines[1:]]


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("faulty")
    result = generate(out, 2000, 5, zip=True)
    return out, json.loads(result.manifest.read_text("utf-8"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, 2000, 5, faults=False)
    return out


@pytest.fixture(scope="module")
def larger_clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("larger")
    generate(out, 30_000, 21, faults=False)
    return out


def test_headers_exact_in_file_order(clean: Path, faulty: tuple[Path, dict[str, Any]]) -> None:
    for stem in CORE + LOOKUPS:
        header = raw_lines(clean, stem)[0]
        assert header == TABLES[stem].header.encode("cp1252"), stem
        faulty_header = raw_lines(faulty[0], stem)[0].decode("cp1252").split("\t")
        assert [normalise_name(h) for h in faulty_header] == list(TABLES[stem].keys), stem


def test_clean_release_has_no_faults(clean: Path) -> None:
    manifest = json.loads((clean / "synth-manifest.json").read_text("utf-8"))
    assert manifest["faults"] == []
    for stem in CORE:
        width = len(TABLES[stem].columns)
        lines = raw_lines(clean, stem)
        assert len(lines) > 100
        for line in lines:
            assert line.count(b"\t") == width - 1, (stem, line)
            assert b"\x00" not in line and b"\r" not in line
            assert line.isascii()
        keys = Counter(line.split(b"\t", 1)[0] for line in lines[1:])
        assert max(keys.values()) == 1, f"{stem}: duplicate primary key in a clean release"


def test_values_have_real_formats(clean: Path) -> None:
    for stem in CORE:
        lines = raw_lines(clean, stem)
        for line in lines[1:]:
            for col, value in zip(TABLES[stem].columns, line.split(b"\t"), strict=True):
                pattern = KIND_RE.get(col.kind)
                if value and pattern is not None:
                    assert pattern.fullmatch(value), (stem, col.name, value)
    assert "N/A" in column(clean, "A_TblCase", "casepriority_code")
    birth = [v for v in column(clean, "A_TblCase", "c_birthdate") if v]
    assert 0.2 < len(birth) / 2000 < 0.8


def test_codes_come_from_the_release_lookups(clean: Path) -> None:
    for (stem, key), ref in CODE_LOOKUPS.items():
        if stem not in CORE:
            continue
        valid = set(column(clean, ref.table, ref.column))
        used = {v for v in column(clean, stem, key) if v}
        assert used, (stem, key)
        assert used <= valid, (stem, key, used - valid)
    # DEC_CODE / OTHER_COMP decode by (case type, code, C/O) through an active lookup row
    decisions = raw_lines(clean, "tblLookupCourtDecision")
    active = {
        (f[1], f[2], f[4])
        for f in (ln.decode("cp1252").split("\t") for ln in decisions[1:])
        if f[6] == "1"
    }
    case_types = column(clean, "B_TblProceeding", "case_type")
    for key, dec_type in (("dec_code", "C"), ("other_comp", "O")):
        codes = column(clean, "B_TblProceeding", key)
        pairs = {(ct, code) for ct, code in zip(case_types, codes, strict=True) if code}
        assert pairs
        assert all((ct, code, dec_type) in active for ct, code in pairs), pairs
    assert "??" in set(column(clean, "tblLookupNationality", "nat_code"))


def test_rows_link_to_their_parents(clean: Path) -> None:
    cases = set(column(clean, "A_TblCase", "idncase"))
    procs = set(column(clean, "B_TblProceeding", "idnproceeding"))
    appeals = set(column(clean, "tblAppeal", "idnappeal"))
    assert set(column(clean, "B_TblProceeding", "idncase")) <= cases
    assert set(column(clean, "tbl_Court_Appln", "idnproceeding")) <= procs
    assert set(column(clean, "tbl_CustodyHistory", "idncase")) <= cases
    parents = {"A_TblCase": cases, "B_TblProceeding": procs, "tblAppeal": appeals}
    reps = raw_lines(clean, "tbl_RepsAssigned")
    prime_e28: dict[str, str] = {}
    for line in reps[1:]:
        f = line.decode("cp1252").split("\t")
        assert f[1] in cases
        assert f[5] in parents[f[4]], f
        assert (f[2], f[3]) in {
            ("COURT", "ALIEN"),
            ("COURT", "INS"),
            ("BOARD", "ALIEN"),
            ("BOARD", "INS"),
        }
        if f[2] == "COURT" and f[3] == "ALIEN" and f[10] == "1":
            prime_e28[f[1]] = f[9]
    case_e28 = dict(
        zip(
            column(clean, "A_TblCase", "idncase"),
            column(clean, "A_TblCase", "e_28_date"),
            strict=True,
        )
    )
    represented = {c for c, d in case_e28.items() if d}
    assert represented == set(prime_e28)
    assert all(case_e28[c] == d for c, d in prime_e28.items())


def test_row_ratios_follow_the_real_release(larger_clean: Path) -> None:
    # 2026-07 release (NOTES.md section 1.2): rows per A_TblCase row
    real = {
        "B_TblProceeding": 16_549_948 / 12_662_540,
        "tbl_Court_Appln": 16_104_798 / 12_662_540,
        "tbl_RepsAssigned": 26_268_999 / 12_662_540,
        "tbl_CustodyHistory": 10_024_044 / 12_662_540,
        "tblAppeal": 1_518_161 / 12_662_540,
    }
    cases = len(raw_lines(larger_clean, "A_TblCase")) - 1
    assert cases == 30_000
    for stem, ratio in real.items():
        got = (len(raw_lines(larger_clean, stem)) - 1) / cases
        assert abs(got / ratio - 1) < 0.15, (stem, got, ratio)


def test_every_fault_kind_is_present(faulty: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = faulty
    by_kind = Counter(f["kind"] for f in manifest["faults"])
    assert set(by_kind) == set(FAULT_KINDS)
    per_table = Counter((f["table"], f["kind"]) for f in manifest["faults"])
    for kind in FAULT_KINDS:
        tables = {t for t, k in per_table if k == kind}
        if kind == "mixed_case_header":
            assert "A_TblCase" in tables
            continue
        assert tables, kind
        for table in tables:
            assert per_table[(table, kind)] >= 3, (table, kind)
    for stem in ("A_TblCase", "B_TblProceeding", "tbl_Court_Appln"):
        for kind in ("nul_byte", "crlf", "missing_field", "hidden_shift", "duplicate_key"):
            assert per_table[(stem, kind)] >= 3, (stem, kind)
    row_lines = [(f["table"], f["line"]) for f in manifest["faults"] if f["line"] > 1]
    assert len(row_lines) == len(set(row_lines)), "two faults on one line"


def _fields(line: bytes) -> list[bytes]:
    return line.rstrip(b"\r").replace(b"\x00", b"").split(b"\t")


def test_manifest_lines_hold_their_faults(faulty: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = faulty
    lines = {stem: raw_lines(out, stem) for stem in CORE}
    lookup_codes = {
        (stem, key): set(column(out, ref.table, ref.column))
        for (stem, key), ref in CODE_LOOKUPS.items()
    }
    ids = {
        "A_TblCase": {ln.split(b"\t", 1)[0] for ln in lines["A_TblCase"][1:]},
        "B_TblProceeding": {ln.split(b"\t", 1)[0] for ln in lines["B_TblProceeding"][1:]},
    }
    faulted: set[tuple[str, int]] = set()
    for f in manifest["faults"]:
        stem, kind, n = f["table"], f["kind"], f["line"]
        raw = lines[stem][n - 1]
        width = len(TABLES[stem].columns)
        keys = list(TABLES[stem].keys)
        assert raw.decode("cp1252") == f["written"], (stem, n, kind)
        if kind == "mixed_case_header":
            assert n == 1 and raw != TABLES[stem].header.encode()
            continue
        faulted.add((stem, n))
        got = _fields(raw)
        clean = f["clean"].encode("cp1252").split(b"\t")
        j = keys.index(f["column"]) if f["column"] else -1
        if kind == "nul_byte":
            assert b"\x00" in raw and got == clean
        elif kind == "crlf":
            assert raw.endswith(b"\r") and got == clean
        elif kind == "stray_tab":
            assert len(got) == width + 1
            assert b" ".join(got[j : j + 2]).strip() == clean[j]
        elif kind == "missing_field":
            assert len(got) == width - 1
        elif kind == "hidden_shift":
            assert len(got) == width and got != clean
            pattern = KIND_RE[TABLES[stem].columns[j].kind]
            assert got[j] and not pattern.fullmatch(got[j]), (stem, f["column"], got[j])
        elif kind == "padded_code":
            assert got[j] != got[j].strip() and got[j].strip() == clean[j]
            assert [g.strip() for g in got] == clean
        elif kind == "null_token":
            assert got[j] in (b"N/A", b"??") and clean[j] == b""
        elif kind == "sentinel_date":
            assert got[j][:4] in (b"1900", b"2925") and clean[j] == b""
        elif kind == "non_ascii":
            assert not raw.isascii() and got == clean
            assert raw.decode("cp1252").split("\t")[j] == f["clean"].split("\t")[j]
        elif kind == "unknown_code":
            assert got[j].decode() not in lookup_codes[(stem, f["column"])]
        elif kind == "orphan_row":
            parent = "B_TblProceeding" if f["column"] == "idnproceeding" else "A_TblCase"
            assert got[j] not in ids[parent]
        elif kind == "duplicate_key":
            previous = lines[stem][n - 2]
            assert got[0] == previous.split(b"\t", 1)[0]
            assert previous == f["clean"].encode("cp1252")
        else:  # pragma: no cover
            pytest.fail(f"unchecked kind {kind}")
    # every structural anomaly in the files is one the manifest lists
    for stem in CORE:
        width = len(TABLES[stem].columns)
        for n, raw in enumerate(lines[stem][1:], start=2):
            odd = raw.count(b"\t") != width - 1 or b"\x00" in raw or raw.endswith(b"\r")
            if odd or not raw.isascii():
                assert (stem, n) in faulted, (stem, n, raw[:80])


def _fits(col: Any, value: str) -> bool:
    pattern = KIND_RE.get(col.kind)
    if col.kind is Kind.DATE:
        pattern = re.compile(rb"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{1,3})?)?")
    width_ok = col.width is None or len(value) <= col.width
    return width_ok and (pattern is None or pattern.fullmatch(value.encode()) is not None)


def test_stray_tab_expectations_follow_the_repair_rule(
    faulty: tuple[Path, dict[str, Any]],
) -> None:
    _, manifest = faulty
    stray = [f for f in manifest["faults"] if f["kind"] == "stray_tab"]
    assert stray
    for f in stray:
        fields = f["written"].split("\t")
        cols = TABLES[f["table"]].columns
        candidates = set()
        for j in range(len(fields) - 1):
            joined = [*fields[:j], fields[j] + " " + fields[j + 1], *fields[j + 2 :]]
            values = tuple(v.strip() for v in joined)
            if all(not v or _fits(c, v) for c, v in zip(cols, values, strict=True)):
                candidates.add(values)
        clean = tuple(v.strip() for v in f["clean"].split("\t"))
        if f["expect"] == "repair":
            assert candidates == {clean}, f
        else:
            assert f["expect"] == "quarantine:field_count" and len(candidates) != 1, f
    repairable = sum(f["expect"] == "repair" for f in stray)
    assert repairable >= len(stray) / 2
    assert any(f["detail"].startswith("trailing") for f in stray)


def test_count_txt_counts_data_lines(faulty: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = faulty
    text = (out / RELEASE / "Count.txt").read_bytes().decode("cp1252").splitlines()
    assert text[0] == "TableName\tContent"
    counts = {}
    for line in text[1:]:
        table, content = line.split("\t")
        match = re.fullmatch(r"(\d+) rows copied\.", content)
        assert match, line
        counts[table] = int(match.group(1))
    assert set(counts) == set(CORE)
    duplicates = Counter(f["table"] for f in manifest["faults"] if f["kind"] == "duplicate_key")
    for stem in CORE:
        data_lines = path_of(out, stem).read_bytes().count(b"\n") - 1
        assert counts[stem] == data_lines
        entry = manifest["tables"][stem]
        assert entry["data_lines"] == entry["count_txt"] == data_lines
        assert entry["clean_rows"] == data_lines - duplicates[stem]
    assert manifest["tables"]["A_TblCase"]["clean_rows"] == 2000
    marker = (out / RELEASE / "SYNTHETIC.txt").read_text("utf-8")
    assert "SYNTHETIC" in marker and "seed=5" in marker and marker.count("\n") == 1
    assert not (out / RELEASE / "synth-manifest.json").exists()


def test_cp1252_round_trip_of_non_ascii(faulty: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = faulty
    lines = raw_lines(out, "A_TblCase")
    cities = [f["clean"].split("\t")[1] for f in manifest["faults"] if f["kind"] == "non_ascii"]
    assert cities and all(not c.isascii() for c in cities)
    for f in manifest["faults"]:
        if f["kind"] == "non_ascii":
            city = f["clean"].split("\t")[1]
            raw = lines[f["line"] - 1]
            assert city.encode("cp1252") in raw
            assert city.encode("utf-8") not in raw or city.encode("utf-8") == city.encode("cp1252")
    # a cp1252-only character (not latin-1) round-trips to its Unicode value
    assert "€".encode("cp1252") == b"\x80" and b"\x80".decode("cp1252") == "€"


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, 600, 9)
    generate(b, 600, 9)
    generate(c, 600, 10)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == len(CORE) + len(LOOKUPS) + 3
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert path_of(a, "B_TblProceeding").read_bytes() != path_of(c, "B_TblProceeding").read_bytes()


def test_zip_holds_the_same_bytes(faulty: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = faulty
    assert manifest["zip"] == "EOIR Case Data.zip"
    with zipfile.ZipFile(out / "EOIR Case Data.zip") as zf:
        names = zf.namelist()
        files = sorted(p for p in (out / RELEASE).rglob("*") if p.is_file())
        assert sorted(names) == sorted(p.relative_to(out).as_posix() for p in files)
        for p in files:
            assert zf.read(p.relative_to(out).as_posix()) == p.read_bytes()
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())


def test_grant_structure(larger_clean: Path) -> None:
    """Represented respondents win more often; FY2025 is far below FY2010-2024."""
    represented = {
        c: bool(e)
        for c, e in zip(
            column(larger_clean, "A_TblCase", "idncase"),
            column(larger_clean, "A_TblCase", "e_28_date"),
            strict=True,
        )
    }
    comp = dict(
        zip(
            column(larger_clean, "B_TblProceeding", "idnproceeding"),
            column(larger_clean, "B_TblProceeding", "comp_date"),
            strict=True,
        )
    )
    grants = set("GFCIP")
    by_rep: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    by_era: dict[str, Counter[str]] = {"2010-2024": Counter(), "2025": Counter()}
    for line in raw_lines(larger_clean, "tbl_Court_Appln")[1:]:
        _, proc, case, code, _, dec = line.decode("cp1252").split("\t")
        if code != "ASYL" or not dec or not comp[proc]:
            continue
        outcome = "grant" if dec in grants else "deny" if dec == "D" else "other"
        by_rep[represented[case]][outcome] += 1
        y, m = int(comp[proc][:4]), int(comp[proc][5:7])
        fy = y + (m >= 10)
        if 2010 <= fy <= 2024:
            by_era["2010-2024"][outcome] += 1
        elif fy == 2025:
            by_era["2025"][outcome] += 1

    def eoir_rate(c: Counter[str]) -> float:
        return c["grant"] / (c["grant"] + c["deny"] + c["other"])

    assert min(sum(c.values()) for c in (*by_rep.values(), *by_era.values())) > 300
    assert eoir_rate(by_rep[True]) > eoir_rate(by_rep[False]) + 0.1
    assert eoir_rate(by_era["2025"]) < eoir_rate(by_era["2010-2024"]) / 2
    assert 0.15 < eoir_rate(by_era["2010-2024"]) < 0.45


def test_write_release_writes_given_rows(tmp_path: Path) -> None:
    case: list[str | None] = [None] * len(TABLES["A_TblCase"].columns)
    case[0], case[6], case[12] = "7", "CH", "RMV"
    root = write_release(
        tmp_path, date(2021, 11, 1), {"A_TblCase": [case]}, synthetic_note="fixture"
    )
    assert root.name == "EOIR Case Data 2021-1101"
    data = (root / "EOIR Case Data" / "A_TblCase.csv").read_bytes()
    assert data == (TABLES["A_TblCase"].header + "\n").encode() + b"7" + b"\t" * 6 + b"CH" + (
        b"\t" * 6 + b"RMV" + b"\t" * 26 + b"\n"
    )
    assert (root / "Count.txt").read_text() == "TableName\tContent\nA_TblCase\t1 rows copied.\n"
    assert (root / "Lookup" / "tblLookupNationality.csv").is_file()
    assert (root / "SYNTHETIC.txt").read_text() == "fixture\n"
    with pytest.raises(ReleaseError, match=re.escape("A_TblCase.csv row 1: 2 values")):
        write_release(
            tmp_path / "x", date(2021, 11, 1), {"A_TblCase": [["1", "2"]]}, synthetic_note="x"
        )
    bad = list(case)
    bad[1] = "LAKE\tWORTH"
    with pytest.raises(ReleaseError, match="tab or line break"):
        write_release(tmp_path / "y", date(2021, 11, 1), {"A_TblCase": [bad]}, synthetic_note="x")
    with pytest.raises(ReleaseError, match="unknown table"):
        write_release(tmp_path / "z", date(2021, 11, 1), {"NoSuchTable": []}, synthetic_note="x")


def test_cli_synth_writes_release(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", str(tmp_path), "--cases", "300", "--seed", "2", "--clean"]
    )
    assert result.exit_code == 0, result.output
    assert "manifest:" in result.output and "A_TblCase" in result.output
    assert (tmp_path / "synth-manifest.json").is_file()
    assert path_of(tmp_path, "A_TblCase").read_bytes().count(b"\n") == 301


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cases", "-5", "--seed", "1"], "--cases"),
        (["--cases", "5", "--seed", "1", "--date", "2026-13-01"], "--date"),
    ],
)
def test_cli_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "asylumlens", "synth", str(tmp_path), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_cli_unwritable_out_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "asylumlens",
            "synth",
            str(blocker / "out"),
            "--cases",
            "5",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "cannot write to" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_synth_imports_only_layout_and_errors() -> None:
    """The writer must stay independent of ingest, or round trips prove nothing."""
    package = Path(__file__).parent.parent / "src" / "asylumlens" / "synth"
    allowed = {"asylumlens", "asylumlens.layout", "asylumlens.errors"}
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("asylumlens"):
                    assert name in allowed or name.startswith("asylumlens.synth"), (source, name)


def test_no_real_judge_is_named(clean: Path) -> None:
    """A synthetic release puts invented rates beside its judges, so none is a real person:
    no name, surname or person's code of the real lookup (packaged as the reference) appears."""
    import asylumlens.synth as synth_pkg

    real_file = Path(synth_pkg.__file__).parent / "data" / "tblLookupJudge.json"
    real: dict[str, str] = json.loads(real_file.read_text("utf-8"))
    real_people = {c: n for c, n in real.items() if "," in n}
    real_surnames = {n.split(",")[0].strip().lower() for n in real_people.values()}
    codes = column(clean, "tblLookupJudge", "judge_code")
    names = column(clean, "tblLookupJudge", "judge_name")
    assert len(names) == len(real)  # the same size and shape as the real lookup
    people = {c: n for c, n in zip(codes, names, strict=True) if "," in n}
    assert len(people) >= len(real_people)
    assert not set(people.values()) & set(real.values())
    assert not {n.split(",")[0].strip().lower() for n in people.values()} & real_surnames
    assert not set(people) & set(real_people)
    # the judges who decide cases are those people, under their invented codes
    used = {v for v in column(clean, "B_TblProceeding", "ij_code") if v}
    assert used and used <= set(people)
