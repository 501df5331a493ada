"""The rates / compare / judges / codes commands: formats, SYNTHETIC labels, errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics_support import Builder
from asylumlens.cli import app, main


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = Builder()
    for fy in (2023, 2024, 2025):
        for i in range(30):
            b.decided(
                date(fy, 3, 1),
                "G" if i < 30 - 5 * (fy - 2022) else "D",
                ij_code="JAA" if i % 2 else "JBB",
                nat="CH" if i % 3 else "MX",
            )
    root = tmp_path_factory.mktemp("cli")
    b.publish(root)
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_rates_json_rows(store: Path) -> None:
    code, out, err = run(
        "rates",
        "--definition",
        "trac",
        "--by",
        "fiscal_year,nationality",
        "--where",
        "nationality=CH",
        "--since",
        "FY2024",
        "--format",
        "json",
        "--store",
        str(store),
    )
    assert code == 0
    rows = json.loads(out)
    assert [(r["fiscal_year"], r["nationality"], r["nationality_name"]) for r in rows] == [
        (2024, "CH", "CHINA"),
        (2025, "CH", "CHINA"),
    ]
    keys = {"grants", "denials", "others", "total", "rate", "ci_low", "ci_high", "below_threshold"}
    assert keys <= set(rows[0])
    assert "SYNTHETIC" in err


def test_rates_csv_and_ndjson(store: Path) -> None:
    _, out, _ = run("rates", "--by", "judge", "-f", "csv", "--store", str(store), "--unit", "case")
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["judge"] for r in table] == ["JAA", "JBB"]
    assert all(r["below_threshold"] == "True" for r in table)  # 45 < 100 per judge
    _, out, _ = run(
        "rates",
        "-f",
        "ndjson",
        "--store",
        str(store),
        "--grant-codes",
        "G",
        "--min-decisions",
        "10",
    )
    lines = [json.loads(x) for x in out.splitlines()]
    assert len(lines) == 3 and not any(x["below_threshold"] for x in lines)


def test_rates_table_has_synthetic_title(store: Path) -> None:
    code, out, err = run("rates", "--store", str(store))
    assert code == 0 and "SYNTHETIC" in out and "SYNTHETIC" in err


def test_compare_prints_the_sentence(store: Path) -> None:
    code, out, _ = run(
        "compare",
        "--period",
        "FY2025",
        "--baseline",
        "FY2023-FY2024",
        "--definition",
        "trac",
        "--store",
        str(store),
    )
    assert code == 0
    assert "fell to 50% in FY2025 from a 75% average in FY2023–FY2024" in out
    _, out, err = run(
        "compare",
        "--period",
        "FY2025",
        "--baseline",
        "FY2023-FY2024",
        "-f",
        "json",
        "--store",
        str(store),
    )
    assert [r["measure"] for r in json.loads(out)] == ["period", "baseline_mean", "baseline_pooled"]
    assert "fell to" in err


def test_judges_and_codes(store: Path) -> None:
    code, out, _ = run("judges", "--court", "NYC", "--store", str(store))
    assert code == 0 and "spread raw" in out and "prior Beta" in out
    _, out, _ = run("codes", "judge", "-f", "json", "--store", str(store))
    assert {r["code"]: r["decisions"] for r in json.loads(out)} == {"JAA": 45, "JBB": 45}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rates", "--by", "colour"], "unknown dimension 'colour' in by; valid: fiscal_year"),
        (["rates", "--definition", "x"], "unknown definition 'x'; valid: eoir"),
        (["rates", "--where", "nationality=ZZ"], "unknown nationality code 'ZZ'"),
        (["rates", "--where", "nationality"], "is not DIMENSION=CODE"),
        (["rates", "--since", "FY2030"], "no asylum decisions match"),
        (["rates", "-f", "xml"], "unknown format 'xml'"),
        (["compare", "--baseline", "2010"], "not a fiscal year"),
        (["judges", "--court", "ZZZ"], "unknown court code 'ZZZ'"),
    ],
)
def test_errors_exit_2_with_one_line(
    store: Path,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In process, through the console-script entry point ``main()``."""
    monkeypatch.setattr(sys, "argv", ["asylumlens", *args, "--store", str(store)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    error_lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(error_lines) == 1 and message in error_lines[0]


def test_empty_store_is_a_store_error(tmp_path: Path) -> None:
    """A real process: exit status 2 and one line, no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "asylumlens", "rates", "--store", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("error: no release in store")
