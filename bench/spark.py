"""DuckDB against Apache Spark on the same data, in one run (issue 17): wall time and peak
memory per query, whether both engines give the same rows, and where Spark overtakes.

Usage::

    python bench/spark.py --store bench/data/store [--release ID] [--series bench/data/series]
        [--series-cases 2000000] [--releases 6] [--sizes 250000,1000000]
        [--scratch bench/data/sizes] [--repeat 3] [--history-repeat 1] [--spark-master URL]
        [--parts 1,2,3] [--results bench/RESULTS.md] [--no-record]

Three parts, each run once per engine, each engine in a fresh subprocess of its own (this
script with ``worker PLAN.json``), so a cold run is really the first in its process and the
peaks of the two engines never mix:

1. **One full-scale release** (the store's newest): a fixed list of queries, the same on
   both engines: ``rates`` eoir by fiscal year, ``rates`` trac by court × fiscal year,
   ``rates`` eoir for the busiest nationality by fiscal year, the default ``compare``,
   ``judges`` (disparity) at the busiest court, and ``check_claim`` of the seed sentence.
2. **A release series**: ``--releases`` synthetic releases of ``--series-cases`` cases each,
   made once with ``synth`` then ``synth --from`` (the library's ``generate`` and
   ``next_release``) and ingested into their own store under ``--series`` (cached: a later
   run reuses it); then ``history``, ``history_changes`` and ``history_summary`` (without
   the restored-codes rebuild, as the Data page runs it) over the whole series, and
   ``rates`` eoir by fiscal year on every release of it.
3. **Crossover**: one representative query (``rates`` trac by court × fiscal year) at
   several sizes: each of ``--sizes`` (generated and ingested once into a store of its
   own under ``--scratch``, the raw text deleted after ingest), the series' first release
   and the full release. A straight line ``t = overhead + cost × rows`` is fitted per engine
   to the warm medians (least squares over the measured points; rows = the release's fact
   table rows), which gives where Spark's line drops below DuckDB's, if it does.

Measured per query and engine: the first run in the process (*cold*: the first query of a
part also opens the release: Spark registers its view and computes coverage), the median of
``--repeat`` warm runs, and the peak resident memory of the worker's whole process tree
(Python and, on Spark, the JVM it starts: the sum of ``VmRSS`` over the tree, read from
``/proc`` every 100 ms by a thread). The Spark session's start is timed on its own, before
the first query. Equality: each result is sorted on all its columns and reduced to a
digest of its column names, dtypes and values (lists as JSON, floats by ``repr``); both
engines' digests must match. Every query goes through the public API
(``asylumlens.rates(..., engine=Engine("spark", spark_master=...))`` and its siblings): no
SQL is written here.

The data is SYNTHETIC (``asylumlens synth``) and every table says so. The section appended
to ``bench/RESULTS.md`` (date, machine, Java, Spark, master, tables, the reading) is
skipped with ``--no-record``. The OS page cache is not dropped: *cold* means a fresh
process, with files the previous run read likely in memory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
DATA = Path(__file__).resolve().parent / "data"
ENGINES = ("duckdb", "spark")
CLAIM = (
    "the asylum approval rate plummeted to 10 percent in 2025, from the 28 percent average "
    "recorded between 2010 and 2024"
)
"""The headline sentence of issue 13."""
SERIES_SEED = 1700
SIZES_SEED = 1717
SERIES_FIRST_DATE = date(2026, 6, 1)
CROSSOVER_QUERY = "rates trac by court × fiscal_year"
PROJECTED_CORES = (8, 32, 128)
"""Cluster sizes for the projection (hypothetical inputs, labelled as such)."""
SAMPLE_SECONDS = 0.1


# ---------------------------------------------------------------------------------------
# Memory: the resident set of a process and all its descendants, sampled from /proc.


def _children_map() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process visible in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # after "(comm)", which may hold spaces
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and every process below it (``VmRSS`` summed)."""
    children = _children_map()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue  # exited between the scan and the read
    return total


class PeakSampler:
    """A thread reading :func:`tree_rss` of this process every 100 ms; :meth:`reset` starts
    a new window, :attr:`peak` is the highest sum seen in it."""

    def __init__(self) -> None:
        self._pid = os.getpid()
        self._peak = tree_rss(self._pid)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> int:
        now = tree_rss(self._pid)
        with self._lock:
            self._peak = max(self._peak, now)
        return now

    def reset(self) -> None:
        now = tree_rss(self._pid)
        with self._lock:
            self._peak = now

    @property
    def peak(self) -> int:
        self.sample()  # a query shorter than one interval still counts its end
        with self._lock:
            return self._peak

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------------
# The worker: one engine, one part, one process.


@dataclass(frozen=True)
class Query:
    """One timed call of the public API: ``call`` names the function, ``kwargs`` its
    arguments (JSON), on ``store`` (and ``release``, None for the series-wide history)."""

    label: str
    call: str
    kwargs: dict[str, Any]
    store: str
    release: str | None
    repeat: int

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _function(call: str) -> Callable[..., Any]:
    """The public function ``call`` names (imported in the worker only)."""
    import asylumlens
    from asylumlens.analytics import check_claim
    from asylumlens.releases import history

    functions: dict[str, Callable[..., Any]] = {
        "rates": asylumlens.rates,
        "compare": asylumlens.compare,
        "judges": asylumlens.judges,
        "check_claim": check_claim,
        "history": history.history,
        "history_changes": history.history_changes,
        "history_summary": history.history_summary,
    }
    return functions[call]


def digest(frame: Any) -> str:
    """A digest of ``frame`` sorted on all its columns: names, dtypes and every value
    (None/NaN as empty, lists as JSON, floats by ``repr``, so equal digests mean equal
    frames to the last bit)."""
    import pandas as pd

    def text(value: Any) -> str:
        if isinstance(value, list | tuple):
            return json.dumps(list(value), default=str)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        if isinstance(value, float):
            return repr(value)
        return str(value)

    cells = pd.DataFrame({str(c): frame[c].map(text) for c in frame.columns})
    cells = cells.sort_values(list(cells.columns), ignore_index=True) if len(cells) else cells
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(frame[c].dtype)] for c in frame.columns]).encode())
    for row in cells.itertuples(index=False, name=None):
        h.update("\x1f".join(row).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def run_worker(plan_path: Path) -> int:
    """Run a plan's queries on its engine; write the measurements next to the plan."""
    sampler = PeakSampler()
    plan = json.loads(plan_path.read_text())
    started = time.perf_counter()
    from asylumlens.analytics import Engine

    imported = time.perf_counter() - started
    engine = Engine(plan["engine"], spark_master=plan["spark_master"])
    session_s = 0.0
    if engine.kind == "spark":
        from asylumlens.analytics import spark

        begin = time.perf_counter()
        spark.spark_session(engine.spark_master)
        session_s = time.perf_counter() - begin
    out: dict[str, Any] = {
        "engine": engine.kind,
        "import_s": imported,
        "session_s": session_s,
        "session_rss": sampler.peak,
    }
    queries = [Query(**spec) for spec in plan["queries"]]
    rows: list[dict[str, Any]] = [{"label": q.label, "warm_ms": [], "peak_rss": 0} for q in queries]
    for round_ in range(1 + max(q.repeat for q in queries)):  # 0: every query's cold run
        for q, row in zip(queries, rows, strict=True):
            if round_ > q.repeat or "error" in row:
                continue
            took = _timed(q, row, engine, sampler, keep=round_ == 0)
            if took is not None and round_ == 0:
                row["cold_ms"] = took
            elif took is not None:
                row["warm_ms"].append(took)
            if round_ == 0 or round_ == q.repeat:
                print(f"  {engine.kind}: {q.label}: {_brief(row)}", file=sys.stderr, flush=True)
    out["queries"] = rows
    engine.close()
    sampler.stop()
    plan_path.with_suffix(".out.json").write_text(json.dumps(out))
    return 0


def _timed(
    q: Query, row: dict[str, Any], engine: Any, sampler: PeakSampler, *, keep: bool
) -> float | None:
    """One run of ``q`` (ms), its peak folded into ``row``; on the kept (cold) run the
    result's size and digest too. A failure is recorded in ``row`` (None returned): it is a
    finding, and the part goes on."""
    from asylumlens.store import Store

    args = {**q.kwargs, "store": Store(Path(q.store)), "engine": engine}
    if q.release is not None:
        args["release"] = q.release
    fn = _function(q.call)
    sampler.reset()
    try:
        begin = time.perf_counter()
        frame = fn(**args)
        took = (time.perf_counter() - begin) * 1000
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        return None
    finally:
        row["peak_rss"] = max(row["peak_rss"], sampler.peak)
    if keep:
        row["rows"] = len(frame)
        row["digest"] = digest(frame)
    return took


def _brief(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"FAILED {row['error']}"
    warm = f", warm {statistics.median(row['warm_ms']):.0f} ms" if row["warm_ms"] else ""
    return f"cold {row['cold_ms']:.0f} ms{warm}, peak {row['peak_rss'] / 2**20:.0f} MiB"


def run_engine(engine: str, queries: Sequence[Query], spark_master: str | None) -> dict[str, Any]:
    """``queries`` on ``engine`` in a fresh subprocess; its measurements."""
    with tempfile.TemporaryDirectory(prefix="asylumlens-bench-spark-") as tmp:
        plan = Path(tmp) / "plan.json"
        master = spark_master if engine == "spark" else None
        body = {"engine": engine, "spark_master": master, "queries": [q.as_json() for q in queries]}
        plan.write_text(json.dumps(body))
        proc = subprocess.run([sys.executable, __file__, "worker", str(plan)], check=False)
        result = plan.with_suffix(".out.json")
        if proc.returncode != 0 or not result.exists():
            raise SystemExit(f"error: the {engine} worker failed (exit {proc.returncode})")
        measured: dict[str, Any] = json.loads(result.read_text())
        return measured


def run_both(queries: Sequence[Query], spark_master: str | None) -> dict[str, dict[str, Any]]:
    """The same queries on each engine, one process each (DuckDB first)."""
    return {engine: run_engine(engine, queries, spark_master) for engine in ENGINES}


# ---------------------------------------------------------------------------------------
# The data: the full release as given, the series and the sizes made once and cached.


def fact_rows(store: Path, release: str | None) -> int:
    """Rows of the release's ``decisions`` fact table (from the Parquet footer)."""
    import pyarrow.parquet as pq

    from asylumlens.store import Store

    path = Store(store).release(release).path / "decisions.parquet"
    return int(pq.ParquetFile(path).metadata.num_rows) if path.exists() else 0


def case_count(store: Path, release: str | None) -> int:
    """Cases the release's manifest counts as loaded into ``A_TblCase``."""
    from asylumlens.store import Store

    table = Store(store).release(release).manifest["tables"].get("A_TblCase")
    return int(table["loaded"]) if table else 0


def make_series(folder: Path, cases: int, releases: int) -> list[str]:
    """The series' store under ``folder`` (made on first use): ``releases`` releases of
    ``cases`` cases, the first by ``synth``, each next by ``synth --from`` the one before.

    The raw text of a release is kept only until the next one is made from it (an
    interrupted run resumes from it) and the last one's once the series is complete: the
    store is what is cached. ``series.json`` records the shape, so a folder holding
    another series is refused rather than mixed."""
    from asylumlens.pipeline import ingest_release
    from asylumlens.store import Store
    from asylumlens.synth import generate, next_release

    shape = {"cases": cases, "releases": releases, "seed": SERIES_SEED}
    marker = folder / "series.json"
    if marker.exists() and json.loads(marker.read_text()) != shape:
        raise SystemExit(
            f"error: {folder} holds another series ({marker.read_text().strip()}); "
            "give another --series folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(shape))
    store = Store(folder / "store")
    have = [r.id for r in store.releases()]
    previous: Path | None = None
    for i in range(releases):
        raw = folder / f"raw-{i + 1}"
        if i < len(have):
            previous = raw
            continue
        begin = time.perf_counter()
        if raw.exists():
            shutil.rmtree(raw)  # left half-written by an interrupted run
        if i == 0:
            made = generate(raw, cases, SERIES_SEED, release_date=SERIES_FIRST_DATE)
        else:
            if previous is None or not previous.exists():
                raise SystemExit(f"error: {previous} is gone; delete {folder} to make the series")
            made = next_release(_release_folder(previous), raw, SERIES_SEED + i)
        ingest_release(made.release, store)
        took = time.perf_counter() - begin
        print(
            f"series: release {i + 1}/{releases} made and ingested in {took:.0f} s", file=sys.stderr
        )
        if previous is not None and previous.exists():
            shutil.rmtree(previous)  # its successor exists and is ingested
        previous = raw
    for left in folder.glob("raw-*"):
        shutil.rmtree(left)  # the series is complete: the store holds it
    ids = [r.id for r in store.releases()]
    if len(ids) != releases:
        raise SystemExit(f"error: {store.root} holds {len(ids)} releases, expected {releases}")
    return ids


def _release_folder(raw: Path) -> Path:
    found = sorted(raw.glob("EOIR Case Data *"))
    if len(found) != 1:
        raise SystemExit(f"error: {raw} holds {len(found)} release folders, expected one")
    return found[0]


def make_size(folder: Path, cases: int) -> Path:
    """A store of one synthetic release of ``cases`` cases under ``folder`` (made once; the
    raw text is deleted after ingest)."""
    from asylumlens.pipeline import ingest_release
    from asylumlens.store import Store

    root = folder / f"{cases}" / "store"
    if Store(root).releases():
        return root
    from asylumlens.synth import generate

    raw = folder / f"{cases}" / "raw"
    begin = time.perf_counter()
    made = generate(raw, cases, SIZES_SEED)
    ingest_release(made.release, Store(root))
    shutil.rmtree(raw)
    print(
        f"sizes: {cases:,} cases made and ingested in {time.perf_counter() - begin:.0f} s",
        file=sys.stderr,
    )
    return root


def busiest(store: Path, release: str, dimension: str) -> str:
    """The code of ``dimension`` with most decisions in the release (looked up once, here,
    so both engines get the same filter value)."""
    import asylumlens

    return str(asylumlens.codes(dimension, store=store, release=release)["code"].iloc[0])


# ---------------------------------------------------------------------------------------
# The three parts: the queries of each.


def full_release_queries(store: Path, release: str, repeat: int) -> list[Query]:
    nationality = busiest(store, release, "nationality")
    court = busiest(store, release, "court")
    s, r = str(store), release
    eoir_fy = {"definition": "eoir", "by": ["fiscal_year"]}
    trac_court_fy = {"definition": "trac", "by": ["court", "fiscal_year"]}
    one_nationality = {**eoir_fy, "where": {"nationality": nationality}}
    return [
        Query("rates eoir by fiscal_year", "rates", eoir_fy, s, r, repeat),
        Query(CROSSOVER_QUERY, "rates", trac_court_fy, s, r, repeat),
        Query(f"rates eoir, nationality {nationality}, by fiscal_year", "rates",
              one_nationality, s, r, repeat),
        Query("compare (default period and baseline)", "compare", {}, s, r, repeat),
        Query(f"judges (disparity) at {court}", "judges", {"court": court}, s, r, repeat),
        Query("check_claim of the seed sentence", "check_claim", {"claim": CLAIM}, s, r, repeat),
    ]  # fmt: skip


def series_queries(
    store: Path, ids: Sequence[str], repeat: int, history_repeat: int
) -> list[Query]:
    s = str(store)
    table = {"table": "application"}
    queries = [
        Query("history (application, per record)", "history", table, s, None, history_repeat),
        Query("history_changes (application)", "history_changes", table, s, None, history_repeat),
        Query(
            "history_summary (application, no restored codes)", "history_summary",
            {**table, "restore_codes": False}, s, None, history_repeat,
        ),
    ]  # fmt: skip
    for i, rid in enumerate(ids):
        by = {"definition": "eoir", "by": ["fiscal_year"]}
        queries.append(
            Query(
                f"rates eoir by fiscal_year, release {i + 1} ({rid})", "rates", by, s, rid, repeat
            )
        )
    return queries


@dataclass(frozen=True)
class Point:
    """One size of the crossover: a release, its cases and fact-table rows."""

    name: str
    store: Path
    release: str
    cases: int
    rows: int


def crossover_queries(points: Sequence[Point], repeat: int) -> list[Query]:
    by = {"definition": "trac", "by": ["court", "fiscal_year"]}
    return [Query(p.name, "rates", by, str(p.store), p.release, repeat) for p in points]


# ---------------------------------------------------------------------------------------
# Reading the measurements: tables, the fitted lines, the crossover.


def warm(row: dict[str, Any]) -> float | None:
    """The warm median (ms), else the cold time when no warm run was asked for."""
    if "error" in row:
        return None
    return statistics.median(row["warm_ms"]) if row["warm_ms"] else float(row["cold_ms"])


def _ms(value: float | None) -> str:
    if value is None:
        return "failed"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _mib(row: dict[str, Any]) -> str:
    return f"{row['peak_rss'] / 2**20:,.0f}"


def same_rows(a: dict[str, Any], b: dict[str, Any]) -> str:
    if "error" in a or "error" in b:
        return "n/a (failed)"
    return "yes" if a["digest"] == b["digest"] else "**NO**"


def query_table(measured: dict[str, dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Markdown rows (one per query, both engines side by side) and the per-query facts
    the reading uses."""
    lines = [
        "| query | rows | DuckDB cold ms | DuckDB warm ms | DuckDB peak MiB "
        "| Spark cold ms | Spark warm ms | Spark peak MiB | Spark ÷ DuckDB (warm) | same rows |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    facts = []
    for d, s in zip(measured["duckdb"]["queries"], measured["spark"]["queries"], strict=True):
        dw, sw = warm(d), warm(s)
        ratio = f"{sw / dw:.1f}×" if dw and sw else "-"
        rows = d.get("rows", s.get("rows"))
        lines.append(
            f"| {d['label']} | {'-' if rows is None else f'{rows:,}'} | {_ms(d.get('cold_ms'))} "
            f"| {_ms(dw)} | {_mib(d)} | {_ms(s.get('cold_ms'))} | {_ms(sw)} | {_mib(s)} "
            f"| {ratio} | {same_rows(d, s)} |"
        )
        facts.append({"label": d["label"], "duckdb": dw, "spark": sw, "same": same_rows(d, s)})
    for engine in ENGINES:
        for row in measured[engine]["queries"]:
            if "error" in row:
                lines.append(f"\n{engine} failed on {row['label']}: `{row['error']}`")
    return lines, facts


def start_line(measured: dict[str, dict[str, Any]]) -> str:
    d, s = measured["duckdb"], measured["spark"]
    return (
        f"Start: imports {d['import_s']:.1f} s (DuckDB worker), {s['import_s']:.1f} s (Spark "
        f"worker); Spark session start {s['session_s']:.1f} s (the JVM; peak resident set by then: "
        f"{s['session_rss'] / 2**20:,.0f} MiB, DuckDB worker {d['session_rss'] / 2**20:,.0f} MiB). "
        "The first query of a part also opens the release (Spark: its view and coverage)."
    )


def fit_line(points: Sequence[tuple[int, float]]) -> tuple[float, float] | None:
    """Least-squares ``ms = overhead + cost × rows`` through ``points`` (rows, ms); None
    with fewer than two distinct sizes."""
    if len({n for n, _ in points}) < 2:
        return None
    mean_n = statistics.fmean(n for n, _ in points)
    mean_t = statistics.fmean(t for _, t in points)
    cov = sum((n - mean_n) * (t - mean_t) for n, t in points)
    var = sum((n - mean_n) ** 2 for n, _ in points)
    cost = cov / var
    return mean_t - cost * mean_n, cost


def crossover_rows(
    overhead_d: float, cost_d: float, overhead_s: float, cost_s: float
) -> float | None:
    """Fact rows where the lines meet with Spark cheaper beyond; None when they never do
    (Spark's per-row cost is not below DuckDB's, or Spark is cheaper at every size)."""
    if cost_s >= cost_d:
        return None
    meet = (overhead_s - overhead_d) / (cost_d - cost_s)
    return meet if meet > 0 else 0.0


def local_cores(master: str) -> int | None:
    """Cores a ``local[N]`` / ``local[*]`` / ``local`` master runs on; None for a cluster."""
    if master == "local":
        return 1
    if master.startswith("local[") and master.endswith("]"):
        inner = master[6:-1].split(",")[0]
        return os.cpu_count() or 1 if inner == "*" else int(inner)
    return None


def crossover_section(
    points: Sequence[Point], measured: dict[str, dict[str, Any]], master: str
) -> list[str]:
    """The crossover table, the fitted lines and the labelled cluster projection."""
    lines = [
        "| release | cases | fact rows | DuckDB warm ms | Spark warm ms | DuckDB peak MiB "
        "| Spark peak MiB | faster | same rows |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    series: dict[str, list[tuple[int, float]]] = {e: [] for e in ENGINES}
    spark_wins = []
    for p, d, s in zip(
        points, measured["duckdb"]["queries"], measured["spark"]["queries"], strict=True
    ):
        dw, sw = warm(d), warm(s)
        faster = "-" if dw is None or sw is None else ("Spark" if sw < dw else "DuckDB")
        if faster == "Spark":
            spark_wins.append(p)
        lines.append(
            f"| {p.name} | {p.cases:,} | {p.rows:,} | {_ms(dw)} | {_ms(sw)} | {_mib(d)} "
            f"| {_mib(s)} | {faster} | {same_rows(d, s)} |"
        )
        for engine, t in (("duckdb", dw), ("spark", sw)):
            if t is not None:
                series[engine].append((p.rows, t))
    fits = {e: fit_line(series[e]) for e in ENGINES}
    lines.append("")
    if spark_wins:
        lines.append(
            "Measured: Spark is faster at "
            + ", ".join(f"{p.name} ({p.rows:,} rows)" for p in spark_wins)
            + "."
        )
    else:
        lines.append(
            f"Measured: Spark is faster at none of the {len(points)} sizes on this machine."
        )
    fd, fs = fits["duckdb"], fits["spark"]
    if fd is None or fs is None:
        return [*lines, "Too few sizes measured on both engines to fit a line."]
    return [*lines, *fitted_lines(fd, fs), *projection_lines(fd, fs, master)]


Line = tuple[float, float]
"""A fitted ``(overhead ms, cost ms per fact row)``."""


def fitted_lines(fd: Line, fs: Line) -> list[str]:
    """The two fitted lines and where they meet on this machine."""
    lines = [
        "Fitted (least squares over the warm medians above, `ms = overhead + cost × fact rows`): "
        f"DuckDB {fd[0]:,.0f} ms + {fd[1] * 1e6:.1f} ms per million rows; "
        f"Spark {fs[0]:,.0f} ms + {fs[1] * 1e6:.1f} ms per million rows."
    ]
    flat = [name for name, (_, cost) in (("DuckDB", fd), ("Spark", fs)) if cost <= 0]
    if flat:
        lines.append(
            f"No per-row cost shows for {' and '.join(flat)} at these sizes (a fitted slope "
            "≤ 0: the time is overhead and noise), so no crossover can be derived from them; "
            "larger releases are needed."
        )
        return lines
    meet = crossover_rows(fd[0], fd[1], fs[0], fs[1])
    if meet is None:
        lines.append(
            "On these lines Spark never overtakes DuckDB on this machine: its per-row cost is "
            "not below DuckDB's, so the gap grows with size."
        )
    elif meet == 0:
        lines.append("On these lines Spark is faster than DuckDB at every size.")
    else:
        lines.append(
            f"On these lines Spark would overtake DuckDB above ~{meet:,.0f} fact rows on this "
            "machine."
        )
    return lines


def projection_lines(fd: Line, fs: Line, master: str) -> list[str]:
    """The labelled cluster projection: Spark's per-row cost divided over more cores."""
    cores_now = local_cores(master)
    if cores_now is None:
        return [f"Spark ran on the cluster `{master}`: no projection from local cores."]
    if fd[1] <= 0 or fs[1] <= 0:
        return []
    lines = [
        "",
        "**Projection for a cluster (not measured; an assumption, labelled):** if Spark's fitted "
        f"per-row cost fell in proportion to its cores (perfect scaling from the {cores_now} "
        f"measured, `{master}`; no network or shuffle cost added, so optimistic) while its "
        "fitted per-query overhead stayed as measured, and DuckDB stayed on this "
        f"{os.cpu_count()}-core machine, the lines would meet at `(Spark overhead − DuckDB "
        f"overhead) ÷ (DuckDB cost − Spark cost × {cores_now} / cores)` rows:",
        "",
        "| Spark cores (hypothetical) | Spark per-row cost (ms per million) "
        "| crossover (fact rows) |",
        "|---|---|---|",
    ]
    for cores in PROJECTED_CORES:
        cost = fs[1] * cores_now / cores
        at = crossover_rows(fd[0], fd[1], fs[0], cost)
        lines.append(f"| {cores} | {cost * 1e6:.2f} | {'never' if at is None else f'~{at:,.0f}'} |")
    if fs[0] > fd[0]:
        floor = (fs[0] - fd[0]) / fd[1]
        lines.append(
            f"\nNo cluster removes Spark's fitted per-query overhead ({fs[0]:,.0f} ms): even "
            f"with unlimited cores, a release under ~{floor:,.0f} fact rows (where DuckDB's "
            "fitted time reaches that overhead) is answered first by DuckDB on this machine."
        )
    return lines


def reading(parts: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The reading, computed from the measurements (no number here is typed in)."""
    out = []
    for name, facts in parts.items():
        both = [f for f in facts if f["duckdb"] and f["spark"]]
        if not both:
            continue
        ratios = sorted(f["spark"] / f["duckdb"] for f in both)
        wins = [f["label"] for f in both if f["spark"] < f["duckdb"]]
        unequal = [f["label"] for f in facts if f["same"] == "**NO**"]
        out.append(
            f"- {name}: Spark's warm time is {statistics.median(ratios):.1f}× DuckDB's (median "
            f"over {len(both)} queries; {ratios[0]:.1f}× to {ratios[-1]:.1f}×); Spark is faster on "
            + (", ".join(wins) if wins else "none")
            + "; "
            + (
                "same rows on every query."
                if not unequal
                else f"rows differ on: {', '.join(unequal)}."
            )
        )
    return out


# ---------------------------------------------------------------------------------------
# The machine, the section, main.


def machine(spark_master: str) -> str:
    import pyspark

    mem = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    java = "not found"
    if shutil.which("java"):
        probe = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
        java = (
            (probe.stderr or probe.stdout).splitlines()[0].strip()
            if (probe.stderr or probe.stdout)
            else "?"
        )
    return (
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, {mem} RAM, Linux "
        f"{platform.release()}, Python {platform.python_version()}; Java: {java}; "
        f"Spark (PySpark) {pyspark.__version__}, master `{spark_master}`."
    )


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True, help="The full-scale store.")
    ap.add_argument("--release", default=None, help="Release id of --store. Default: the newest.")
    ap.add_argument("--series", type=Path, default=DATA / "series", help="Series folder (cached).")
    ap.add_argument("--series-cases", type=int, default=2_000_000, help="Cases per series release.")
    ap.add_argument("--releases", type=int, default=6, help="Releases in the series (2 or more).")
    ap.add_argument(
        "--sizes", default="250000,1000000", help="Crossover sizes (cases), comma list."
    )
    ap.add_argument("--scratch", type=Path, default=DATA / "sizes", help="Size stores (cached).")
    ap.add_argument("--repeat", type=int, default=3, help="Warm runs per query after the cold one.")
    ap.add_argument(
        "--history-repeat", type=int, default=1, help="Warm runs of each history query."
    )
    ap.add_argument("--spark-master", default=None, help="Default: $SPARK_MASTER, else local[2].")
    ap.add_argument("--parts", default="1,2,3", help="Which parts to run, e.g. 1,3.")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--no-record", action="store_true", help="Print only; append nothing.")
    opts = ap.parse_args(argv)
    opts.part_set = {int(p) for p in opts.parts.split(",") if p.strip()}
    opts.size_list = sorted({int(n) for n in opts.sizes.split(",") if n.strip()})
    if not opts.part_set <= {1, 2, 3} or opts.releases < 2 or opts.series_cases < 1:
        ap.error("--parts takes 1, 2, 3; --releases at least 2; --series-cases positive")
    return opts


Facts = list[dict[str, Any]]


def part_one(opts: argparse.Namespace, full: Point, label: str) -> tuple[list[str], Facts]:
    print(f"part 1: release {full.release} of {full.store}", file=sys.stderr)
    queries = full_release_queries(full.store, full.release, opts.repeat)
    measured = run_both(queries, opts.spark_master)
    table, facts = query_table(measured)
    head = (
        f"### 1. One release: `{full.store}` release `{full.release}` ({label}), "
        f"{full.cases:,} cases, {full.rows:,} fact rows"
    )
    return [head, "", start_line(measured), "", *table, ""], facts


def part_two(opts: argparse.Namespace, ids: Sequence[str]) -> tuple[list[str], Facts]:
    store = opts.series / "store"
    print(f"part 2: series of {len(ids)} releases in {store}", file=sys.stderr)
    measured = run_both(
        series_queries(store, ids, opts.repeat, opts.history_repeat), opts.spark_master
    )
    table, facts = query_table(measured)
    rows = sum(fact_rows(store, i) for i in ids)
    head = (
        f"### 2. A series of {len(ids)} releases (SYNTHETIC; `synth` then `synth --from` "
        f"{len(ids) - 1} times) of {opts.series_cases:,} cases each, {rows:,} fact rows in all"
    )
    return [head, "", start_line(measured), "", *table, ""], facts


def crossover_points(opts: argparse.Namespace, ids: Sequence[str], full: Point) -> list[Point]:
    """The sizes of ``--sizes`` (made once), the series' first release and the full one."""
    from asylumlens.store import Store

    def point(name: str, store: Path, release: str) -> Point:
        return Point(name, store, release, case_count(store, release), fact_rows(store, release))

    points = []
    for n in opts.size_list:
        if n != opts.series_cases:
            root = make_size(opts.scratch, n)
            points.append(point(f"{n:,} cases", root, Store(root).release().id))
    points.append(point("series release 1", opts.series / "store", ids[0]))
    points.append(full)
    return sorted(points, key=lambda p: p.rows)


def part_three(opts: argparse.Namespace, points: Sequence[Point]) -> tuple[list[str], Facts]:
    from asylumlens.analytics.spark import spark_master

    print(f"part 3: {CROSSOVER_QUERY} at {len(points)} sizes", file=sys.stderr)
    measured = run_both(crossover_queries(points, opts.repeat), opts.spark_master)
    head = f"### 3. Crossover: `{CROSSOVER_QUERY}` by size"
    pairs = zip(points, measured["duckdb"]["queries"], measured["spark"]["queries"], strict=True)
    facts = [
        {"label": p.name, "duckdb": warm(d), "spark": warm(s), "same": same_rows(d, s)}
        for p, d, s in pairs
    ]
    master = spark_master(opts.spark_master)
    return [head, "", *crossover_section(points, measured, master), ""], facts


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["worker"]:
        return run_worker(Path(args[1]))
    opts = parse(args)
    from asylumlens.analytics.spark import spark_master
    from asylumlens.store import Store

    rel = Store(opts.store).release(opts.release)
    label = "SYNTHETIC" if rel.synthetic else "EOIR data, not synthetic"
    full = Point(
        f"full release {rel.id}",
        opts.store,
        rel.id,
        case_count(opts.store, rel.id),
        fact_rows(opts.store, rel.id),
    )
    begun = time.monotonic()
    section = [
        f"## Spark vs DuckDB (bench/spark.py): {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        machine(spark_master(opts.spark_master)),
        (
            "Data: SYNTHETIC (`asylumlens synth`), every table below. "
            if rel.synthetic
            else "Data: SYNTHETIC (`asylumlens synth`) except the release of part 1 and the "
            "full release of part 3 (EOIR data, not synthetic). "
        )
        + "Warm = median of "
        f"{opts.repeat} runs after the cold one (history: {opts.history_repeat}); peak = the "
        "highest resident set of the worker's process tree (Python + JVM) during the query's "
        "runs, sampled every 100 ms (a JVM keeps the heap it has grown, so Spark's peaks only "
        "rise through a part); the warm runs begin once every query of the part has had its "
        "cold run, and go round the queries in turn; each engine in a fresh process of its "
        "own per part; same rows = equal digests of the results sorted on all columns. Times "
        "in ms.",
        "",
    ]
    facts: dict[str, Facts] = {}
    if 1 in opts.part_set:
        lines, facts["one full release"] = part_one(opts, full, label)
        section += lines
    ids = make_series(opts.series, opts.series_cases, opts.releases) if opts.part_set - {1} else []
    if 2 in opts.part_set:
        lines, facts["release series"] = part_two(opts, ids)
        section += lines
    if 3 in opts.part_set:
        lines, facts["crossover sizes"] = part_three(opts, crossover_points(opts, ids, full))
        section += lines
    minutes = (time.monotonic() - begun) / 60
    section += ["### Reading", "", *reading(facts)]
    section += [f"- Whole run: {minutes:.1f} min, making any data not yet cached included.", ""]
    text = "\n".join(section)
    print(text)
    if not opts.no_record:
        with opts.results.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text + "\n")
    unequal = any(f["same"] == "**NO**" for group in facts.values() for f in group)
    return 1 if unequal else 0


def cli() -> int:
    """:func:`main` with the library's errors (a missing store or release, a bad option
    value) as one line on stderr and exit status 2."""
    from asylumlens.errors import AsylumLensError

    try:
        return main()
    except AsylumLensError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(cli())
