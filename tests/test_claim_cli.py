"""asylumlens claim: the real CLI in a subprocess on a hand-built release (SYNTHETIC)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import run_cli
from test_analytics_claims import SEED, sweep_release


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sweep_release(tmp_path_factory.mktemp("claim"))


def test_the_seed_sentence_prints_understood_table_and_verdict(store: Path) -> None:
    done = run_cli("claim", SEED, "--store", str(store), env={"COLUMNS": "160"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("SYNTHETIC: understood: rate 10% in 2025 (fiscal or calendar)")
    assert "SYNTHETIC - Readings of the claim" in done.stdout
    assert "SYNTHETIC: No reading of SYNTHETIC release 2026-0101 reproduces" in done.stdout
    assert "SYNTHETIC release" in done.stderr


def test_json_holds_every_reading_and_flags_reproduce_a_reading(store: Path) -> None:
    done = run_cli("claim", SEED, "--store", str(store), "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 96 and all(r["synthetic"] is True for r in rows)
    assert "understood:" in done.stderr
    x = rows[5]  # any reading: its own figures, rounded, must be found again
    rate, base = round(x["period_rate"] * 100), round(x["baseline_rate"] * 100)
    period = x["period_label"].replace("–", "-")
    baseline = x["baseline_label"].replace("–", "-")
    again = run_cli(
        "claim",
        "--rate",
        str(rate),
        "--period",
        period,
        "--baseline-rate",
        str(base),
        "--baseline",
        baseline,
        "--store",
        str(store),
        "--format",
        "csv",
    )
    assert again.returncode == 0, again.stderr
    header, *body = again.stdout.splitlines()
    assert header.startswith("definition,definition_name,unit,year_basis")
    keys = ("definition", "unit", "year_basis", "grant_set", "aggregation")
    matched = [line for line in body if line.split(",")[-3] == "True"]
    assert matched, again.stdout
    assert any(all(str(x[k]).split(" (")[0] in line for k in keys) for line in matched)
    assert "reproduce the claim within tolerance" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["asylum approvals plummeted"], "accepted shapes:"),
        (["10% in 2040"], "is outside the data of release"),
        (["10% in FY2025", "--where", "nationality=ZZ"], "unknown nationality code 'ZZ'"),
        (["10% in FY2025", "--tolerance", "0"], "tolerance=0.0 must be more than 0"),
        (["--rate", "10"], "give the claim as a sentence or as rate and period"),
        (["10% in FY2025", "--format", "xml"], "unknown format 'xml'"),
    ],
)
def test_bad_input_exits_2_with_one_line(store: Path, args: list[str], message: str) -> None:
    done = run_cli("claim", *args, "--store", str(store))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
