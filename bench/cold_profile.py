"""Where a cold page spends its time: each URL in a fresh process, every SQL query timed.

    python bench/cold_profile.py STORE PATH [PATH ...] [--no-rollups]

For each path a new Python process builds the app on ``STORE`` (its newest release), opens
the release with one cheap request (``/api/v1/release``: the connection, not the page), then
requests the path once and prints the page's wall time, the time spent executing SQL, the
number of queries and the slowest ones (the first words of each query's SQL: table and
grouping, never a value from a case). ``--no-rollups`` forces every query onto the fact
table (``ASYLUMLENS_ROLLUPS=off``), for a before/after on the same store.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, re, sys, time
from fastapi.testclient import TestClient
from asylumlens.analytics.source import Engine
from asylumlens.store import Store
from asylumlens.web.app import create_app
from pathlib import Path

store, path = sys.argv[1], sys.argv[2]
timings = []
original = Engine.execute

def timed(self, cursor, sql):
    start = time.perf_counter()
    try:
        return original(self, cursor, sql)
    finally:
        froms = re.findall(r'FROM\s+"?([a-z_]+)"?', sql)
        groups = re.findall(r'GROUP BY\s+([^\n]{0,80})', sql)
        timings.append((time.perf_counter() - start, sorted(set(froms)), groups[:1]))

Engine.execute = timed
app = create_app(Store(Path(store)))
with TestClient(app) as client:
    client.get("/api/v1/release")
    timings.clear()
    start = time.perf_counter()
    resp = client.get(path)
    wall = time.perf_counter() - start
print(json.dumps({"path": path, "status": resp.status_code, "wall": wall,
                  "sql": sum(t for t, _, _ in timings), "queries": len(timings),
                  "top": sorted(timings, reverse=True)[:6]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--no-rollups", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.no_rollups:
        env["ASYLUMLENS_ROLLUPS"] = "off"
    for path in args.paths:
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.store), path],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            print(json.dumps({"path": path, "error": out.stderr[-2000:]}))
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["process"] = time.perf_counter() - start
        print(json.dumps(result))


if __name__ == "__main__":
    main()
