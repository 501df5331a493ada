"""``asylumlens deadlines appeal|one-year``, run as the real command line in a subprocess.

The expected dates are the worked examples of tests/test_deadlines.py (reasoning there).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest

from cli_support import run_cli


def _one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_appeal_oral_thanksgiving_roll_as_text() -> None:
    """8 CFR 1003.38(b)-(c): oral decision Tue 2026-10-27, day 30 Thanksgiving Thu 11-26."""
    proc = run_cli("deadlines", "appeal", "--decided", "2026-10-27")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "due: 2026-11-27 (Friday)",
        "nominal: 2026-11-26 (Thursday), rolled because: Thanksgiving Day",
        "rule: Notice of Appeal to the BIA: 30 calendar days after the stating of an oral "
        "decision, rolled to the next business day from a Saturday, Sunday or legal holiday "
        "(8 CFR 1003.38(b)-(c))",
    ]


def test_appeal_written_json() -> None:
    """8 CFR 1003.38(b): written, mailed Fri 2026-10-30; day 30 Sun 11-29, due Mon 11-30."""
    proc = run_cli(
        "deadlines", "appeal", "--decided", "2026-10-27", "--written", "--served",
        "2026-10-30", "-f", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["due"] == "2026-11-30"
    assert doc["nominal"] == "2026-11-29"
    assert doc["rolled_because"] == "Sunday"
    assert "written decision" in doc["rule"] and "1003.38" in doc["rule"]
    assert set(doc) == {"due", "nominal", "rule", "rolled_because"}


def test_one_year_leap_day_json_and_csv() -> None:
    """8 CFR 208.4(a)(2)(ii): arrived 2020-02-29; 28 Feb 2021 a Sunday; due Mon 2021-03-01."""
    proc = run_cli("deadlines", "one-year", "--arrived", "2020-02-29", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["due"], doc["nominal"], doc["rolled_because"]) == (
        "2021-03-01",
        "2021-02-28",
        "Sunday",
    )
    assert "29 February" in doc["rule"] and "208.4(a)(2)(ii)" in doc["rule"]
    proc = run_cli("deadlines", "one-year", "--arrived", "2024-02-29", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(r["due"], r["nominal"], r["rolled_because"]) for r in rows] == [
        ("2025-02-28", "2025-02-28", "")
    ]


def test_one_year_not_rolled_says_so() -> None:
    proc = run_cli("deadlines", "one-year", "--arrived", "2021-08-15")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:2] == [
        "due: 2022-08-15 (Monday)",
        "nominal: 2022-08-15, a business day: not rolled",
    ]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("appeal", "--decided", "2026-13-01"), "--decided"),
        (("appeal", "--decided", "27/10/2026"), "--decided"),
        (("appeal", "--decided", "2026-10-27", "--written", "--served", "soon"), "--served"),
        (("one-year", "--arrived", "2021-02-30"), "--arrived"),
        (("one-year", "--arrived", "20210101"), "--arrived"),
    ],
)
def test_malformed_date_is_one_line_naming_the_option(args: tuple[str, ...], option: str) -> None:
    line = _one_line_error(run_cli("deadlines", *args), option, "YYYY-MM-DD")
    assert args[-1] not in line  # the value is not echoed


def test_written_without_served_names_served() -> None:
    line = _one_line_error(
        run_cli("deadlines", "appeal", "--decided", "2026-10-27", "--written"), "--served"
    )
    assert "required" in line


def test_served_before_decided_names_served() -> None:
    proc = run_cli(
        "deadlines", "appeal", "--decided", "2026-10-27", "--written", "--served", "2026-10-01"
    )
    line = _one_line_error(proc, "--served", "before the decision")
    assert "2026-10-01" not in line


def test_missing_decided_is_a_usage_error() -> None:
    _one_line_error(run_cli("deadlines", "appeal"), "--decided")


def test_group_without_a_command_shows_help() -> None:
    proc = run_cli("deadlines")
    assert proc.returncode == 0, proc.stderr
    assert "appeal" in proc.stdout and "one-year" in proc.stdout
