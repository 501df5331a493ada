"""bench/spark.py's own arithmetic, without Spark: the memory of a process tree, the result
digest that decides "same rows", the fitted lines and the crossover they give.

The whole bench (both engines, a series, the sizes) is run by hand at small scale and by the
lead at full scale; these checks keep its readings honest between runs.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "spark.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_spark", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_tree_rss_counts_a_child(bench: ModuleType) -> None:
    """A child holding 200 MiB raises the tree's resident set by about that much (the JVM
    under a Spark worker is such a child)."""
    before = bench.tree_rss(os.getpid())
    hold = (
        "import sys; b = bytearray(200 * 2**20); print('ready', flush=True); sys.stdin.readline()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        time.sleep(0.1)
        after = bench.tree_rss(os.getpid())
    finally:
        child.communicate("\n", timeout=30)
    assert after - before > 190 * 2**20


def test_digest_is_order_free_and_sees_values_and_dtypes(bench: ModuleType) -> None:
    frame = pd.DataFrame(
        {"fy": [2024, 2025, 2023], "rate": [0.1, 0.2, 1 / 3], "in": [["a"], [], None]}
    )
    shuffled = frame.iloc[[2, 0, 1]].reset_index(drop=True)
    assert bench.digest(frame) == bench.digest(shuffled)
    nudged = frame.assign(rate=[0.1, 0.2, np.nextafter(1 / 3, 1)])  # one bit off
    assert bench.digest(nudged) != bench.digest(frame)
    assert bench.digest(frame.astype({"fy": "int32"})) != bench.digest(frame)
    listed = frame.assign(**{"in": [["a"], ["b"], None]})
    assert bench.digest(listed) != bench.digest(frame)


def test_fit_and_crossover(bench: ModuleType) -> None:
    """Points on two known lines give those lines back, and they meet where the algebra
    says: 20 + 1e-5 n = 500 + 2e-6 n at n = 480 / 8e-6 = 60,000,000."""
    sizes = [1_000_000, 5_000_000, 10_000_000]
    duck = bench.fit_line([(n, 20 + 1e-5 * n) for n in sizes])
    spark = bench.fit_line([(n, 500 + 2e-6 * n) for n in sizes])
    assert duck == pytest.approx((20, 1e-5)) and spark == pytest.approx((500, 2e-6))
    assert bench.crossover_rows(*duck, *spark) == pytest.approx(60_000_000)
    assert bench.crossover_rows(20, 1e-5, 500, 2e-5) is None  # Spark's rows cost more
    assert bench.crossover_rows(600, 1e-5, 500, 2e-6) == 0.0  # Spark below at every size
    assert bench.fit_line([(5, 1.0), (5, 2.0)]) is None  # one size: no line


def test_local_cores(bench: ModuleType) -> None:
    assert bench.local_cores("local[2]") == 2
    assert bench.local_cores("local") == 1
    assert bench.local_cores("spark://head:7077") is None
