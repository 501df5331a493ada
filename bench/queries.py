"""Warm query latency of the analytics, with and without the decisions fact table.

Usage::

    python bench/queries.py --store DIR [--release ID] [--repeat 20] [--results bench/RESULTS.md]

Four queries, the first three timed two ways after one warm-up run:

* ``judges x FY``: grant rates (``trac``) by judge and fiscal year over all years, counting
  applications, and counting cases (trac's own unit: each case's latest decision);
* ``compare``: FY2025 against FY2010-FY2024 (``eoir``: scope, initial completions);
* ``claim``: the seed sentence's whole sweep (``check_claim``: every definition x unit x
  fiscal/calendar year x grant set, one query per family), API only (no raw twin);

(a) through the public API (``asylumlens.rates`` / ``asylumlens.compare``: Ibis over
``decisions.parquet``), and (b) by a hand-written DuckDB query straight over the raw
tables (applications -> proceedings -> cases, with the initial-completion rule for
``eoir``: venue changes and re-calendared administrative closures are not completions),
as a user without the fact table would write it. The two must agree on the
counts; the script says so. Results (p50/p95 in ms, machine details) are appended as a
section of ``bench/RESULTS.md``. Target: p50 < 300 ms through the API at full scale.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from asylumlens.analytics import check_claim, compare, rates
from asylumlens.store import Store

GRANTS = "('G','F','C','I','P')"

RAW_JUDGE_FY = f"""
SELECT p.ij_code AS judge,
       year(p.comp_date) + CASE WHEN month(p.comp_date) >= 10 THEN 1 ELSE 0 END AS fiscal_year,
       count(*) FILTER (WHERE a.appl_dec IN {GRANTS}) AS grants,
       count(*) FILTER (WHERE a.appl_dec IN ('D','L')) AS denials
FROM tbl_Court_Appln a
JOIN B_TblProceeding p ON p.idnproceeding = a.idnproceeding
LEFT JOIN A_TblCase c ON c.idncase = p.idncase
WHERE a.appl_code = 'ASYL' AND p.comp_date IS NOT NULL
  AND a.appl_dec IN ('G','F','C','I','P','D','L')
GROUP BY ALL
"""

PRIORITY = "list_position(['F','G','D','C','I','L','P','S','A','R','O','T','W','M'], a.appl_dec)"

RAW_JUDGE_FY_CASE = f"""
SELECT judge, fiscal_year,
       count(*) FILTER (WHERE appl_dec IN {GRANTS}) AS grants,
       count(*) FILTER (WHERE appl_dec IN ('D','L')) AS denials
FROM (
    SELECT p.ij_code AS judge, a.appl_dec,
           year(p.comp_date) + CASE WHEN month(p.comp_date) >= 10 THEN 1 ELSE 0 END
               AS fiscal_year
    FROM tbl_Court_Appln a
    JOIN B_TblProceeding p ON p.idnproceeding = a.idnproceeding
    WHERE a.appl_code = 'ASYL' AND p.comp_date IS NOT NULL
      AND a.appl_dec IN ('G','F','C','I','P','D','L')
    QUALIFY row_number() OVER (
        PARTITION BY p.idncase
        ORDER BY p.comp_date DESC, {PRIORITY}, a.idnproceedingappln DESC) = 1
)
GROUP BY ALL
"""

RAW_EOIR_BY_FY = rf"""
WITH venue AS (
    SELECT strcasetype AS case_type, strdeccode AS code
    FROM tblLookupCourtDecision WHERE strdectype = 'O'
    GROUP BY ALL
    HAVING regexp_matches(lower(first(strdecdescription ORDER BY blnactive DESC NULLS LAST,
                                      strdecdescription)), '(change of venue|^transfer)')
),
closure AS (
    SELECT strcasetype AS case_type, strdeccode AS code
    FROM tblLookupCourtDecision WHERE strdectype = 'O'
    GROUP BY ALL
    HAVING regexp_matches(lower(first(strdecdescription ORDER BY blnactive DESC NULLS LAST,
                                      strdecdescription)), 'admin[a-z]*\.? clos')
),
newest AS (SELECT idncase, max(idnproceeding) AS newest FROM B_TblProceeding GROUP BY idncase),
initial AS (
    SELECT p.idncase, first(p.idnproceeding ORDER BY p.comp_date, p.idnproceeding) AS idnproceeding
    FROM B_TblProceeding p
    LEFT JOIN venue v ON v.case_type = p.case_type AND v.code = p.other_comp
    LEFT JOIN closure ac ON ac.case_type = p.case_type AND ac.code = p.other_comp
    JOIN newest n ON n.idncase = p.idncase
    WHERE p.comp_date IS NOT NULL AND NOT (p.dec_code IS NULL AND v.code IS NOT NULL)
      AND NOT (p.dec_code IS NULL AND ac.code IS NOT NULL AND n.newest > p.idnproceeding)
    GROUP BY p.idncase
)
SELECT year(p.comp_date) + CASE WHEN month(p.comp_date) >= 10 THEN 1 ELSE 0 END AS fiscal_year,
       count(*) FILTER (WHERE a.appl_dec IN {GRANTS}) AS grants,
       count(*) AS total
FROM tbl_Court_Appln a
JOIN B_TblProceeding p ON p.idnproceeding = a.idnproceeding
JOIN initial i ON i.idnproceeding = p.idnproceeding
LEFT JOIN A_TblCase c ON c.idncase = p.idncase
WHERE a.appl_code = 'ASYL' AND p.comp_date BETWEEN ? AND ?
  AND p.case_type IN ('RMV','DEP','EXC','AOC')
  AND a.appl_dec IN ('G','F','C','I','P','D','A','L','M','O','W')
GROUP BY ALL
"""


CLAIM = (
    "the asylum approval rate plummeted to 10 percent in 2025, from the 28 percent average "
    "recorded between 2010 and 2024"
)
"""The seed sentence of issue 13; target: the whole sweep under 2 s warm at full scale."""


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    result = fn()  # warm-up (caches, connection, page cache)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "memory": mem, "cpu": cpu}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--release", default=None)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--period", default="FY2025")
    ap.add_argument("--baseline", default="FY2010-FY2024")
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = ap.parse_args(argv)

    release = Store(args.store).release(args.release)
    con = release.connect()
    counts = {
        stem: int(con.execute(f'SELECT count(*) FROM "{stem}"').fetchone()[0])  # type: ignore[index]
        for stem in ("A_TblCase", "B_TblProceeding", "tbl_Court_Appln")
    }
    has_facts = (release.path / "decisions.parquet").exists()
    if has_facts:
        counts["decisions"] = int(con.execute("SELECT count(*) FROM decisions").fetchone()[0])  # type: ignore[index]

    first = int(args.baseline[2:6])
    last = int(args.period[-4:])
    window = [f"{first - 1}-10-01", f"{last}-09-30"]

    api_judges, df = timed(
        lambda: rates(
            "trac",
            by=("judge", "fiscal_year"),
            unit="application",  # as the raw query counts (trac's own unit is case)
            store=args.store,
            release=release.id,
        ),
        args.repeat,
    )
    raw_judges, raw = timed(lambda: con.execute(RAW_JUDGE_FY).fetchall(), args.repeat)
    api_cases, case_df = timed(
        lambda: rates(  # trac's own unit: one decision per case, its latest
            "trac", by=("judge", "fiscal_year"), store=args.store, release=release.id
        ),
        args.repeat,
    )
    raw_cases, raw_c = timed(lambda: con.execute(RAW_JUDGE_FY_CASE).fetchall(), args.repeat)
    api_cmp, cmp_df = timed(
        lambda: compare(
            args.period,
            baseline=args.baseline,
            definition="eoir",
            store=args.store,
            release=release.id,
        ),
        args.repeat,
    )
    raw_cmp, raw_fy = timed(lambda: con.execute(RAW_EOIR_BY_FY, window).fetchall(), args.repeat)
    api_claim, claim_df = timed(
        lambda: check_claim(CLAIM, store=args.store, release=release.id), args.repeat
    )

    same_judges = (int(df["grants"].sum()), int((df["grants"] + df["denials"]).sum())) == (
        sum(r[2] for r in raw),
        sum(r[2] + r[3] for r in raw),
    )
    same_cases = (
        int(case_df["grants"].sum()),
        int((case_df["grants"] + case_df["denials"]).sum()),
    ) == (sum(r[2] for r in raw_c), sum(r[2] + r[3] for r in raw_c))
    pooled = cmp_df.set_index("measure").loc["baseline_pooled"]
    base_years = range(first, int(args.baseline[-4:]) + 1)
    raw_base = [r for r in raw_fy if r[0] in base_years]
    same_cmp = (int(pooled["grants"]), int(pooled["total"])) == (
        sum(r[1] for r in raw_base),
        sum(r[2] for r in raw_base),
    )

    def row(name: str, api: list[float], rawt: list[float], same: bool) -> str:
        p = np.percentile
        return (
            f"| {name} | {p(api, 50):.1f} | {p(api, 95):.1f} | {p(rawt, 50):.1f} | "
            f"{p(rawt, 95):.1f} | {'yes' if same else '**NO**'} |"
        )

    m = machine()
    section = "\n".join(
        [
            f"## Analytics queries, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: nproc {m['nproc']}, memory {m['memory']}, CPU {m['cpu']}; "
            f"Python {platform.python_version()}.",
            f"Store `{args.store}`, release `{release.id}`"
            f"{' (SYNTHETIC)' if release.synthetic else ''}; rows: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            + ("" if has_facts else " (no decisions.parquet: fact table built in memory)"),
            f"Warm runs: {args.repeat} per query after one warm-up; times in ms.",
            "",
            "| query | API p50 | API p95 | raw tables p50 | raw tables p95 | same counts |",
            "|---|---|---|---|---|---|",
            row(
                "rates trac by judge × fiscal_year, by application",
                api_judges,
                raw_judges,
                same_judges,
            ),
            row(
                "rates trac by judge × fiscal_year, by case (trac's default)",
                api_cases,
                raw_cases,
                same_cases,
            ),
            row(f"compare eoir {args.period} vs {args.baseline}", api_cmp, raw_cmp, same_cmp),
            f"| claim sweep, seed sentence ({len(claim_df)} readings, "
            f"{claim_df.attrs['queries']} queries) | {np.percentile(api_claim, 50):.1f} | "
            f"{np.percentile(api_claim, 95):.1f} | - | - | - |",
            "",
            f"API = `asylumlens.rates`/`compare` over decisions.parquet (Ibis → DuckDB, plus "
            f"rates/intervals in numpy); raw = one hand-written DuckDB query over the raw "
            f"tables. Target: API p50 < 300 ms at full scale. "
            f"Median API judges×FY {statistics.median(api_judges):.0f} ms by application, "
            f"{statistics.median(api_cases):.0f} ms by case.",
            "",
        ]
    )
    args.results.parent.mkdir(parents=True, exist_ok=True)
    existed = args.results.exists()
    with args.results.open("a", encoding="utf-8") as fh:
        if not existed:
            fh.write("# Benchmark results\n\n")
        fh.write(section + "\n")
    print(section)
    return 0 if same_judges and same_cases and same_cmp else 1


if __name__ == "__main__":
    raise SystemExit(main())
