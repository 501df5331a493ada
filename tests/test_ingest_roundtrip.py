"""Round trip: a synthetic release with every fault, ingested, checked against its ground truth.

The expected values are computed here in plain Python from the raw files and from the
generator's manifest, independently of the ingest code: nothing below reuses the reader.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from asylumlens.layout import TABLES, Kind
from asylumlens.pipeline import ingest_release
from asylumlens.store import Release, Store
from asylumlens.synth import generate

CORE = [
    "A_TblCase",
    "B_TblProceeding",
    "tbl_Court_Appln",
    "tbl_RepsAssigned",
    "tbl_CustodyHistory",
    "tblAppeal",
]


def expected_value(text: str, kind: Kind) -> Any:
    """The typed value a clean field must load as (an independent reference reading)."""
    v = text.strip(" ")
    if v == "" or (kind is not Kind.TEXT and v in ("N/A", "??", "NULL")):
        return None
    if kind is Kind.INTEGER:
        return int(v)
    if kind is Kind.BOOLEAN:
        return {"1": True, "0": False, "true": True, "false": False}[v.lower()]
    if kind is Kind.DATE:
        d = date.fromisoformat(v[:10])
        return d if 1950 <= d.year <= 2035 else None
    if kind is Kind.BIRTH_MONTH:
        m, y = v.split("/")
        return date(int(y), int(m), 1)
    return v


def expected_row(stem: str, line: str) -> dict[str, Any]:
    cols = TABLES[stem].columns
    values = line.split("\t")
    assert len(values) == len(cols)
    return {c.key: expected_value(v, c.kind) for c, v in zip(cols, values, strict=True)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("roundtrip")
    result = generate(root / "synth", 3000, 11, release_date=date(2026, 11, 1), faults=True)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    store = Store(root / "store")
    outcome = ingest_release(result.release, store)
    return {"synth": result, "truth": manifest, "store": store, "release": outcome.release}


def raw_lines(release_dir: Path, stem: str) -> list[str]:
    path = next(release_dir.rglob(f"{stem}.csv"))
    data = path.read_bytes().replace(b"\x00", b"").replace(b"\r\n", b"\n")
    return data.decode("cp1252").split("\n")[:-1]


def loaded_rows(release: Release, stem: str) -> dict[Any, dict[str, Any]]:
    con = release.connect()
    pk = TABLES[stem].primary_key
    cur = con.execute(f'SELECT * EXCLUDE (_repairs) FROM "{stem}"')
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    by_key = {r[pk]: r for r in rows}
    assert len(by_key) == len(rows), f"{stem}: primary key not unique after ingest"
    return by_key


def test_counts_reconcile_with_ground_truth(world: dict[str, Any]) -> None:
    truth, manifest = world["truth"], world["release"].manifest
    for stem in CORE:
        t, m = truth["tables"][stem], manifest["tables"][stem]
        assert m["lines"] == t["data_lines"], stem
        assert m["loaded"] + m["quarantined"] == m["lines"], stem
        assert m["count_txt"] == t["count_txt"] and m["count_matches"], stem
        faults = [f for f in truth["faults"] if f["table"] == stem]
        must_quarantine = sum(f["expect"].startswith("quarantine:") for f in faults)
        stray = sum(f["expect"] == "repair_or_quarantine" for f in faults)
        assert must_quarantine <= m["quarantined"] <= must_quarantine + stray, stem
        want = Counter(
            f["expect"].split(":")[1] for f in faults if f["expect"].startswith("quarantine:")
        )
        got = Counter(m["reasons"])
        got["field_count"] -= m["quarantined"] - must_quarantine  # unrepaired stray tabs
        assert +got == +want, stem


def test_every_fault_is_handled_as_its_contract_says(world: dict[str, Any]) -> None:
    release: Release = world["release"]
    con = release.connect()
    rejects = {
        (t, ln): (reason, raw)
        for t, ln, reason, raw in con.execute(
            'SELECT "table", line, reason, raw FROM rejects'
        ).fetchall()
    }
    repairs = Counter(
        (t, ln, kind)
        for t, ln, kind in con.execute('SELECT "table", line, kind FROM repairs').fetchall()
    )
    tables = {stem: loaded_rows(release, stem) for stem in CORE}
    manifest = release.manifest["tables"]
    seen = Counter()
    for f in world["truth"]["faults"]:
        stem, line, kind, expect = f["table"], f["line"], f["kind"], f["expect"]
        seen[kind] += 1
        pk = TABLES[stem].primary_key
        if expect.startswith("quarantine:"):
            assert rejects.get((stem, line), ("missing",))[0] == expect.split(":")[1], f
        elif expect == "repair":
            assert (stem, line) not in rejects, f
            assert repairs[(stem, line, "realigned")] == 1, f
            clean = expected_row(stem, f["clean"])
            assert tables[stem][clean[pk]] == clean, f
        elif expect == "repair_or_quarantine":
            if (stem, line) in rejects:
                assert rejects[(stem, line)][0] == "field_count", f
            else:
                assert repairs[(stem, line, "realigned")] == 1, f
                clean = expected_row(stem, f["clean"])
                assert tables[stem][clean[pk]] == clean, f
        elif expect == "load_clean":
            assert (stem, line) not in rejects, f
            clean = expected_row(stem, f["clean"])
            assert tables[stem][clean[pk]] == clean, f
            if kind == "nul_byte":
                assert repairs[(stem, line, "nul_removed")] == 1, f
            if kind == "padded_code":
                assert repairs[(stem, line, "trimmed")] >= 1, f
            if kind in ("null_token", "sentinel_date"):
                assert repairs[(stem, line, kind)] >= 1, f
        elif expect == "load_as_written":
            written = expected_row(stem, f["written"])
            assert tables[stem][written[pk]] == written, f
            if kind == "unknown_code":
                code = written[f["column"]]
                assert code in manifest[stem]["out_of_lookup"][f["column"]]["codes"], f
            else:
                assert sum(manifest[stem]["orphans"].values()) >= 1, f
        elif expect == "normalise_header":
            assert f["column"] in TABLES[stem].keys
            assert release.manifest["tables"][stem]["header"]["renamed"], f
        else:  # pragma: no cover - a new kind must be added to this test
            pytest.fail(f"unknown expectation {expect!r}")
    assert set(seen) >= {
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
    }


def test_no_clean_row_is_lost_or_altered(world: dict[str, Any]) -> None:
    release: Release = world["release"]
    fault_lines = {(f["table"], f["line"]) for f in world["truth"]["faults"]}
    for stem in CORE:
        loaded = loaded_rows(release, stem)
        lines = raw_lines(world["synth"].release, stem)
        pk = TABLES[stem].primary_key
        checked = 0
        for number, text in enumerate(lines[1:], start=2):
            if (stem, number) in fault_lines:
                continue
            want = expected_row(stem, text)
            assert loaded.get(want[pk]) == want, (stem, number)
            checked += 1
        assert checked > 0.9 * (len(lines) - 1), stem


def test_reingest_changes_nothing(world: dict[str, Any]) -> None:
    store: Store = world["store"]
    before = {p: p.stat().st_mtime_ns for p in store.root.rglob("*")}
    outcome = ingest_release(world["synth"].release, store)
    assert outcome.status == "unchanged"
    assert {p: p.stat().st_mtime_ns for p in store.root.rglob("*")} == before


def test_rejects_carry_line_raw_text_and_reason(world: dict[str, Any]) -> None:
    con = world["release"].connect()
    rows = con.execute('SELECT "table", line, reason, detail, raw FROM rejects').fetchall()
    assert rows
    for table, line, reason, detail, raw in rows:
        assert table in CORE and isinstance(line, int) and line >= 2
        assert reason in {"field_count", "bad_value", "duplicate_key", "blank_line"}
        assert detail and raw is not None
    lines = {stem: raw_lines(world["synth"].release, stem) for stem in CORE}
    for table, line, _, _, raw in rows:
        assert (
            lines[table][line - 1].strip() == raw.strip()
            or re.sub(r" *\t *", "\t", lines[table][line - 1]) == raw
        )
