"""One typed ``--format/-f`` on every command that prints rows, one row printer
(``asylumlens.output.emit``) that labels SYNTHETIC rows in every format, and piped tables
that never wrap a value across lines."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics_support import Builder
from asylumlens.cli import app, main
from asylumlens.pipeline import ingest_release
from asylumlens.store import Store
from asylumlens.synth import generate, next_release
from cli_support import SRC

OLD, NEW = "2026-10-01", "2026-11-01"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """FY2023-FY2025, 30 decisions a year; grants 25, 20, 15 (as tests/test_analytics_cli.py)."""
    b = Builder()
    for fy in (2023, 2024, 2025):
        for i in range(30):
            b.decided(date(fy, 3, 1), "G" if i < 30 - 5 * (fy - 2022) else "D", nat="CH")
    root = tmp_path_factory.mktemp("format")
    b.publish(root)
    return root


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two synthetic releases (with quarantined rows) in one store."""
    root = tmp_path_factory.mktemp("pair")
    first = generate(root / "a", 300, 3, release_date=date(2026, 10, 1)).release
    second = next_release(first, root / "b", 4).release
    store = Store(root / "store")
    ingest_release(first, store)
    ingest_release(second, store)
    return store.root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# --- piped tables ----------------------------------------------------------------------------


def test_piped_compare_prints_each_value_whole_on_one_line(built: Path) -> None:
    """``asylumlens compare ... | cat`` at COLUMNS=80: once, ``0.5000`` split over two lines."""
    env = {
        **os.environ,
        "COLUMNS": "80",
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    args = ["compare", "--period", "FY2025", "--baseline", "FY2023-FY2024", "-d", "trac"]
    cli = subprocess.Popen(
        [sys.executable, "-m", "asylumlens", *args, "--store", str(built)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert cli.stdout is not None
    cat = subprocess.run(["cat"], stdin=cli.stdout, capture_output=True, text=True, timeout=120)
    cli.stdout.close()
    assert cli.wait(timeout=120) == 0 and cat.returncode == 0
    lines = cat.stdout.splitlines()
    assert lines[0] == (
        "SYNTHETIC - FY2025 vs FY2023–FY2024, TRAC definition (release 2026-0101), unit: case, "
        "data complete through 2025-03-01"
    )
    header = [c.strip() for c in next(x for x in lines if x.startswith("┃")).split("┃")[1:-1]]
    assert header == [
        "measure",
        "fiscal_years",
        "grants",
        "total",
        "decisions",
        "rate",
        "ci_low",
        "ci_high",
        "years_below_threshold",
        "partial",
    ]
    body = [[c.strip() for c in x.split("│")[1:-1]] for x in lines if x.startswith("│")]
    assert [row[:6] for row in body] == [
        ["period", "FY2025", "15", "30", "30", "0.5000"],
        ["baseline_mean", "FY2023–FY2024", "", "", "60", "0.7500"],
        ["baseline_pooled", "FY2023–FY2024", "45", "60", "60", "0.7500"],
    ]
    assert any(x.startswith("SYNTHETIC: The asylum grant rate") for x in lines)


def test_a_table_on_a_terminal_still_fits_the_terminal(built: Path) -> None:
    from rich.console import Console

    from asylumlens.output import Format, emit

    out = io.StringIO()
    console = Console(file=out, width=40, force_terminal=True, color_system=None)
    emit([{"value": "x" * 60}], Format.table, out=out, title="T", console=console)
    assert max(len(x) for x in out.getvalue().splitlines()) <= 40


# --- the machine formats and their SYNTHETIC label ----------------------------------------


def test_rates_tsv(built: Path) -> None:
    code, out, err = run("rates", "-d", "trac", "-f", "tsv", "--store", str(built))
    assert code == 0 and "SYNTHETIC release" in err
    rows = list(csv.DictReader(io.StringIO(out), delimiter="\t"))
    assert [(r["fiscal_year"], r["grants"], r["total"], r["synthetic"]) for r in rows] == [
        ("2023", "25", "30", "True"),
        ("2024", "20", "30", "True"),
        ("2025", "15", "30", "True"),
    ]


def test_rejects_label_synthetic_rows_in_every_machine_format(pair: Path) -> None:
    base = ("rejects", "--store", str(pair), "--limit", "5")
    _, out, err = run(*base, "-f", "json")
    rows = json.loads(out)
    assert len(rows) == 5 and all(r["synthetic"] is True for r in rows)
    assert f"SYNTHETIC release {NEW}" in err
    _, out, _ = run(*base, "-f", "ndjson")
    assert [json.loads(x) for x in out.splitlines()] == rows
    _, out, _ = run(*base, "-f", "csv")
    assert [r["synthetic"] for r in csv.DictReader(io.StringIO(out))] == ["True"] * 5
    _, out, _ = run(*base, "-f", "tsv")
    lines = out.splitlines()
    assert lines[0].split("\t") == ["table", "line", "reason", "detail", "raw", "synthetic"]
    assert len(lines) == 6 and all(len(x.split("\t")) == 6 for x in lines)  # tabs escaped
    first = lines[1].split("\t")
    assert first[4].replace("\\t", "\t") == rows[0]["raw"] and first[5] == "True"
    _, out, _ = run(*base)
    assert out.startswith(f"SYNTHETIC - rejects in release {NEW}\n")


def test_status_format_json_is_the_json_document_and_json_is_its_alias(pair: Path) -> None:
    code, new_way, err = run("status", "--store", str(pair), "-f", "json")
    assert code == 0 and "deprecated" not in err
    code, old_way, err = run("status", "--store", str(pair), "--json")
    assert code == 0 and old_way == new_way
    assert "note: --json is deprecated; use -f json" in err
    document = json.loads(new_way)
    assert document["release"]["id"] == NEW and document["release"]["synthetic"] is True
    _, out, _ = run("status", "--store", str(pair), "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["table"] for r in rows] == list(document["tables"])
    assert [int(r["quarantined"]) for r in rows] == [
        t["quarantined"] for t in document["tables"].values()
    ]
    assert {r["synthetic"] for r in rows} == {"True"}


def test_status_json_and_another_format_is_an_error(
    pair: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["asylumlens", "status", "--store", str(pair), "--json", "-f", "csv"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        "error: --json asks for json but --format asks for csv; give one\n"
    )


def test_diff_rows_name_their_section_and_match_the_report(pair: Path, tmp_path: Path) -> None:
    base = ("diff", OLD, NEW, "--store", str(pair), "--out", str(tmp_path))
    _, out, _ = run(*base, "-f", "json")
    report = json.loads(out)
    _, out, err = run(*base, "-f", "ndjson")
    assert "SYNTHETIC" in err
    rows = [json.loads(x) for x in out.splitlines()]
    records = [r for r in rows if r["section"] == "records"]
    assert [(r["table"], r["added"]) for r in records] == [
        (t["table"], t["added"]) for t in report["tables"]
    ]
    assert sum(r["rows"] for r in rows if r["section"] == "recoded") == sum(
        report["recoded_rows"].values()
    )
    assert {r["section"] for r in rows} <= {"records", "recoded", "moves"}
    assert all(r["synthetic"] is True for r in rows)
    _, out, _ = run(*base, "-f", "tsv")
    assert out.splitlines()[0].split("\t")[:2] == ["section", "table"]


def test_releases_csv(pair: Path) -> None:
    _, out, _ = run("releases", "--store", str(pair), "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["synthetic"], r["status"]) for r in rows] == [
        (OLD, "True", "ok"),
        (NEW, "True", "ok"),
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["rates"],
        ["compare"],
        ["judges", "--court", "NYC"],
        ["codes", "judge"],
        ["rejects"],
        ["status"],
        ["releases"],
        ["diff", OLD, NEW],
        ["history"],
    ],
)
def test_every_format_option_is_typed_and_one_line(
    pair: Path,
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "argv", ["asylumlens", *command, "-f", "xml", "--store", str(pair)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert "unknown format 'xml'; valid: table, json, csv, ndjson, tsv" in lines[0]
