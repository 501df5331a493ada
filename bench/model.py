"""Time the outcome model on a store and append the result to ``bench/RESULTS.md``.

    python bench/model.py --store STORE [--release ID] [--estimates 200]

Trains the release's model with the default options (``asylumlens model train``), in this
process, recording wall time and peak RSS (``resource.getrusage``: the maximum resident
set size of the process, so the fact-table load and every booster count); then runs
``--estimates`` warm estimates over the judges, courts and nationalities of the model's
levels and records p50/p95 latency. Targets (issue 16): training under 10 minutes and
6 GiB on 2 cores, estimate p95 under 50 ms warm. Point it at a full-scale store
(``bench/data/store`` when present); it is not run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from asylumlens.model import estimate, train
from asylumlens.store import Store

RESULTS = Path(__file__).with_name("RESULTS.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("bench/data/store"))
    parser.add_argument("--release", default=None)
    parser.add_argument("--estimates", type=int, default=200)
    args = parser.parse_args()
    store = Store(args.store)
    started = time.perf_counter()
    model = train(store, args.release)
    seconds = time.perf_counter() - started
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    levels = model.levels
    judges, courts, nats = (levels[k][1:] or ["X"] for k in ("judge", "court", "nationality"))
    release = str(model.card["release"])
    estimate(store, judge=judges[0], court=courts[0], nationality=nats[0], release=release)
    times = []
    for i in range(args.estimates):
        t = time.perf_counter()
        estimate(
            store,
            judge=judges[i % len(judges)],
            court=courts[i % len(courts)],
            nationality=nats[i % len(nats)],
            custody="DRN"[i % 3],
            release=release,
        )
        times.append((time.perf_counter() - t) * 1000)
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[18]
    w = model.card["window"]
    machine = (
        f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()})"
    )
    synthetic = " (SYNTHETIC)" if model.card["synthetic"] else ""
    section = (
        f"\n## model: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine}\n\n"
        f"Store `{args.store}`, release `{release}`{synthetic}; fit rows {w['fit_rows']:,}, "
        f"calibration rows {w['calibration_rows']:,}, test rows {w['test_rows']:,}.\n\n"
        "| measure | value | target |\n|---|---:|---:|\n"
        f"| training (s) | {seconds:,.1f} | 600 |\n"
        f"| peak RSS (GiB) | {peak_gib:,.2f} | 6 |\n"
        f"| estimate p50 (ms, warm) | {p50:,.1f} | – |\n"
        f"| estimate p95 (ms, warm) | {p95:,.1f} | 50 |\n"
    )
    print(section)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(section)


if __name__ == "__main__":
    main()
