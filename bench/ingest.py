"""Ingest at full real scale, side by side with the floor: a bare DuckDB copy of the same files.

    python bench/ingest.py [--cases 12700000] [--rounds 2] [--data bench/data]

Makes (once) a synthetic release of the real size (12.7 M cases, faults on), then runs,
alternately, the floor - DuckDB ``read_csv(all_varchar)`` -> Parquet (zstd) for every table
file, which types nothing, checks nothing and silently keeps or drops bad rows - and
``asylumlens ingest`` of the same release into a fresh store. Each run is a separate
process; wall time and peak RSS come from the OS (``getrusage`` of the child). Appends
a dated section to ``bench/RESULTS.md``. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FLOOR = """
import sys, duckdb, pathlib
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
con = duckdb.connect()
for f in sorted(src.rglob('*.csv')):
    path = str(f).replace("'", "''")
    target = str(out / (f.stem + '.parquet')).replace("'", "''")
    con.execute(
        f"COPY (SELECT * FROM read_csv('{path}', delim='\\t', quote='', escape='', header=true, "
        f"all_varchar=true, null_padding=true, strict_mode=false, ignore_errors=true)) "
        f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
    )
"""


def run_isolated(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd`` under a fresh Python that reports the child's own peak RSS."""
    probe = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
        " stderr=subprocess.PIPE, text=True);"
        "w = time.perf_counter() - t;"
        "sys.stderr.write(r.stderr[-3000:]) if r.returncode else None;"
        "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
        "sys.exit(r.returncode)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    wall, rss_kib = proc.stdout.split()
    return float(wall), int(rss_kib) / (1024 * 1024)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    system = f"{platform.system()} {platform.release()}"
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {system}, "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", type=int, default=12_700_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args()
    data: Path = args.data
    synth_dir = data / ("full" if args.cases == 12_700_000 else f"synth-{args.cases}")
    cli = [sys.executable, "-m", "asylumlens"]
    synth_seconds: float | None = None
    if not (synth_dir / "synth-manifest.json").exists():
        shutil.rmtree(synth_dir, ignore_errors=True)
        print(f"generating a {args.cases:,}-case synthetic release in {synth_dir} ...", flush=True)
        synth_seconds, _ = run_isolated(
            [*cli, "synth", str(synth_dir), "--cases", str(args.cases), "--seed", "1"]
        )
        print(f"  generated in {synth_seconds:.0f} s", flush=True)
    release = next(p for p in synth_dir.iterdir() if p.is_dir())
    files = sorted(release.rglob("*.csv"))
    total_bytes = sum(f.stat().st_size for f in files)
    truth = json.loads((synth_dir / "synth-manifest.json").read_text())
    total_rows = sum(t["data_lines"] for t in truth["tables"].values())
    total_rows += sum(t["data_lines"] for t in truth.get("lookups", {}).values())

    floors: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    manifest: dict[str, object] = {}
    for r in range(args.rounds):
        out = data / "floor-out"
        shutil.rmtree(out, ignore_errors=True)
        floors.append(run_isolated([sys.executable, "-c", FLOOR, str(release), str(out)]))
        print(f"round {r + 1}: floor {floors[-1][0]:.1f} s, {floors[-1][1]:.2f} GiB", flush=True)
        shutil.rmtree(out, ignore_errors=True)
        store = data / "store"
        shutil.rmtree(store, ignore_errors=True)
        ours.append(run_isolated([*cli, "ingest", str(release), "--store", str(store)]))
        print(f"round {r + 1}: ingest {ours[-1][0]:.1f} s, {ours[-1][1]:.2f} GiB", flush=True)
        rel = next((store / "releases").iterdir())
        manifest = json.loads((rel / "manifest.json").read_text())

    floor_wall = statistics.median(w for w, _ in floors)
    our_wall = statistics.median(w for w, _ in ours)
    ratios = [f[0] / o[0] for f, o in zip(floors, ours, strict=True)]
    totals = manifest.get("totals", {})
    table_secs = {s: t["seconds"] for s, t in manifest.get("tables", {}).items()}  # type: ignore[union-attr]
    big = sorted(table_secs.items(), key=lambda kv: -kv[1])[:4]
    lines = [
        "",
        f"## Ingest at full scale - {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Machine: {machine()}.",
        f"Input: synthetic release, {args.cases:,} cases, {len(files)} table files, "
        f"{total_bytes / 1e9:.2f} GB, {total_rows:,} data lines (faults on)."
        + (f" Generated in {synth_seconds:.0f} s." if synth_seconds else ""),
        f"Runs: {args.rounds} of each, alternating floor / ingest, separate processes; medians.",
        "",
        "| command | wall s | rows/s | MB/s | peak RSS GiB |",
        "|---|---|---|---|---|",
        f"| floor: DuckDB read_csv(all_varchar) -> Parquet | {floor_wall:.1f} | "
        f"{total_rows / floor_wall:,.0f} | {total_bytes / 1e6 / floor_wall:.0f} | "
        f"{max(r for _, r in floors):.2f} |",
        f"| asylumlens ingest (typed, lossless, + decisions fact table) | {our_wall:.1f} | "
        f"{total_rows / our_wall:,.0f} | {total_bytes / 1e6 / our_wall:.0f} | "
        f"{max(r for _, r in ours):.2f} |",
        "",
        f"Speed relative to the floor (floor wall / ingest wall, per round): "
        f"{', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f}x "
        f"(target >= 0.6x). Peak RSS target < 4 GiB.",
        f"Ingest accounted for {totals.get('lines', 0):,} lines: "
        f"{totals.get('loaded', 0):,} loaded "
        f"({totals.get('repaired', 0):,} repaired), {totals.get('quarantined', 0):,} quarantined. "
        f"Slowest tables: {', '.join(f'{s} {sec:.0f} s' for s, sec in big)}.",
        "",
    ]
    with args.results.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
