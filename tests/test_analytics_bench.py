"""bench/queries.py runs against a small store and appends a results section."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from analytics_support import random_release

BENCH = Path(__file__).resolve().parents[1] / "bench" / "queries.py"


def test_bench_runs_and_appends_results(tmp_path: Path) -> None:
    random_release(seed=3, n_cases=300).publish(tmp_path / "store")
    results = tmp_path / "RESULTS.md"
    for _ in range(2):
        proc = subprocess.run(
            [
                sys.executable,
                str(BENCH),
                "--store",
                str(tmp_path / "store"),
                "--repeat",
                "2",
                "--results",
                str(results),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results")
    assert text.count("## Analytics queries") == 2
    assert "nproc" in text
    assert "| rates trac by judge × fiscal_year, by application |" in text
    assert "| rates trac by judge × fiscal_year, by case (trac's default) |" in text
    assert "**NO**" not in text  # the fact table and the raw tables agree
