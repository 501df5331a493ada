"""Load-test ``asylumlens serve`` on loopback and append the result to ``bench/RESULTS.md``.

    python bench/serve.py STORE [--release ID] [--clients 20] [--seconds 30]
    python bench/serve.py --store STORE ...

Starts the real server (``python -m asylumlens serve``) on a free 127.0.0.1 port, then:

0. **process warm-up**: one URL of each kind on codes outside the mix (what a fresh
   process imports and compiles on its first page of a kind), timed and reported apart;
1. **cold pass**: requests every URL of the mix once, one at a time, so each pays its
   analytics query (the app memoises results per release);
2. **load**: ``--clients`` concurrent httpx clients request the mix round-robin for
   ``--seconds`` seconds (bounded in time; loopback only).

It records p50/p95/p99/max latency, requests per second and the error count (any status
other than 200/304, or a transport error), prints them and appends a section (date,
machine, store, release, parameters) to ``bench/RESULTS.md``. With ``--baseline-src
DIR`` (another checkout's ``src/``, e.g. ``git worktree add /tmp/prev <commit>``) it then
measures that version the same way on the same store and adds both side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(store: Path, release: str | None, src: Path | None = None) -> Iterator[str]:
    """A real ``asylumlens serve`` on a free loopback port; ``src``: run the package found
    there instead (another checkout's ``src/``, e.g. the previous version, same venv)."""
    port = free_port()
    cmd = [sys.executable, "-m", "asylumlens", "serve", "--store", str(store),
           "--host", HOST, "--port", str(port)]  # fmt: skip
    if release:
        cmd += ["--release", release]
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src.resolve())
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"server exited: {err}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/v1/release", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("server did not start within 120 s")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def top_codes(url: str, kind: str, dim: str, n: int) -> list[str]:
    body = httpx.get(f"{url}/api/v1/{kind}", params={"definition": "eoir"}, timeout=300).json()
    rows = sorted(body["rows"], key=lambda r: -(r.get("total") or 0))
    return [str(r[dim]) for r in rows[:n] if r.get(dim) is not None]


def warm_up_mix(url: str, per_kind: int) -> list[tuple[str, str]]:
    """One URL of each kind the mix has, on codes and definitions the mix does not use.

    A fresh process pays, once, for what its first pages of a kind import or compile
    (SciPy's special functions and optimiser, the Jinja templates, the first Ibis shapes):
    a cost of starting the server, not of a URL. Requesting these first (their times are
    reported apart) lets the cold pass measure what it is for: each URL's first visit."""
    out: list[tuple[str, str]] = [
        ("page", "/?definition=trac"),
        ("page", "/explorer?by=court"),
        ("api", "/api/v1/compare?definition=trac"),
    ]
    for kind, dim, page in (
        ("judges", "judge", "judges"),
        ("courts", "court", "courts"),
        ("nationalities", "nationality", "nationalities"),
    ):
        codes = top_codes(url, kind, dim, per_kind + 1)
        if len(codes) > per_kind:
            out += [("page", f"/{page}/{codes[-1]}"), ("api", f"/api/v1/{page}/{codes[-1]}")]
    return out


def url_mix(url: str, per_kind: int) -> list[tuple[str, str]]:
    """(kind, path) pairs: every page type and API endpoint, several codes of each."""
    mix: list[tuple[str, str]] = [
        ("page", "/"),
        ("page", "/explorer?by=fiscal_year&by=custody"),
        ("page", "/explorer?definition=trac&by=nationality"),
        ("page", "/data"),
        ("page", "/methodology"),
        ("api", "/api/v1/rates?by=fiscal_year"),
        ("api", "/api/v1/rates?by=fiscal_year,court&definition=trac"),
        ("api", "/api/v1/rates.csv?by=nationality"),
        ("api", "/api/v1/compare"),
        ("api", "/api/v1/release"),
        ("api", "/api/v1/judges?_size=100"),
    ]
    for code in top_codes(url, "judges", "judge", per_kind):
        mix += [("page", f"/judges/{code}"), ("api", f"/api/v1/judges/{code}")]
    for code in top_codes(url, "courts", "court", per_kind):
        mix += [("page", f"/courts/{code}"), ("api", f"/api/v1/courts/{code}")]
    for code in top_codes(url, "nationalities", "nationality", per_kind):
        mix += [("page", f"/nationalities/{code}"), ("api", f"/api/v1/nationalities/{code}")]
    return mix


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    by_path: list[tuple[str, float]] = field(default_factory=list)

    def add(self, kind: str, seconds: float, path: str = "") -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.by_path.append((path, seconds))

    @property
    def all(self) -> list[float]:
        return [x for xs in self.latencies.values() for x in xs]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def fetch(client: httpx.AsyncClient, kind: str, path: str, tally: Tally) -> None:
    start = time.perf_counter()
    try:
        resp = await client.get(path)
        elapsed = time.perf_counter() - start
        if resp.status_code not in (200, 304):
            tally.errors.append(f"{resp.status_code} {path}")
        tally.add(kind, elapsed, path)
    except httpx.HTTPError as exc:
        tally.errors.append(f"{type(exc).__name__} {path}")


async def cold_pass(url: str, mix: list[tuple[str, str]]) -> Tally:
    tally = Tally()
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        for kind, path in mix:
            await fetch(client, kind, path, tally)
    return tally


async def load(url: str, mix: list[tuple[str, str]], clients: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds

    async def worker(offset: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            i = offset
            while time.monotonic() < deadline:
                kind, path = mix[i % len(mix)]
                await fetch(client, kind, path, tally)
                i += 1

    await asyncio.gather(*(worker(k * 7) for k in range(clients)))
    return tally


def summary_rows(tally: Tally, seconds: float | None) -> list[str]:
    rows = []
    groups = {"all": tally.all, **tally.latencies}
    for name, values in groups.items():
        rate = f"{len(values) / seconds:,.1f}" if seconds else "–"
        rows.append(
            f"| {name} | {len(values):,} | {rate} | {pct(values, 50) * 1000:,.1f} | "
            f"{pct(values, 95) * 1000:,.1f} | {pct(values, 99) * 1000:,.1f} | "
            f"{max(values, default=float('nan')) * 1000:,.1f} |"
        )
    return rows


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        mem = f", {int(first.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{platform.node()} ({cpu}, {os.cpu_count()} CPUs{mem}, Python {platform.python_version()})"
    )


@dataclass
class Run:
    release: dict[str, Any]
    mix_size: int
    warm: Tally
    cold: Tally
    hot: Tally


def measure(args: argparse.Namespace, src: Path | None) -> Run:
    """Warm-up, cold pass and load against one server (this checkout, or ``src``)."""
    with server(args.store, args.release, src) as url:
        release = httpx.get(f"{url}/api/v1/release", timeout=30).json()["release"]
        warm_up = warm_up_mix(url, args.codes)
        mix = url_mix(url, args.codes)
        warm = asyncio.run(cold_pass(url, warm_up))
        cold = asyncio.run(cold_pass(url, mix))
        hot = asyncio.run(load(url, mix, args.clients, args.seconds))
    return Run(release, len(mix), warm, cold, hot)


def side_by_side(runs: dict[str, Run]) -> list[str]:
    """This version against the baseline: p50/p95 per part, and the ratio."""
    if len(runs) < 2:
        return []
    new, old = runs["this version"], runs["baseline"]
    rows = [
        "Side by side, same store, same machine, run one after the other (baseline: "
        f"`--baseline-src`, AsylumLens {old.release.get('app_version')}):",
        "",
        "| part | baseline p50 ms | this p50 ms | baseline p95 ms | this p95 ms | p95 ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    parts: list[tuple[str, Callable[[Run], list[float]]]] = [
        ("cold page", lambda r: r.cold.latencies.get("page", [])),
        ("cold api", lambda r: r.cold.latencies.get("api", [])),
        ("load, all", lambda r: r.hot.all),
    ]
    for name, pick in parts:
        a, b = pick(old), pick(new)
        ratio = pct(b, 95) / pct(a, 95) if a and b else float("nan")
        rows.append(
            f"| {name} | {pct(a, 50) * 1000:,.1f} | {pct(b, 50) * 1000:,.1f} | "
            f"{pct(a, 95) * 1000:,.1f} | {pct(b, 95) * 1000:,.1f} | {ratio:.2f}x |"
        )
    errors = len(old.cold.errors) + len(old.hot.errors)
    return [*rows, "", f"Baseline errors: {errors}.", ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "store", type=Path, nargs="?", help="store folder (asylumlens ingest --store)"
    )
    parser.add_argument("--store", type=Path, dest="store_option", help="same, as an option")
    parser.add_argument("--release", help="release id (default: newest)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="load duration (30)")
    parser.add_argument("--codes", type=int, default=5, help="judges/courts/nationalities each")
    parser.add_argument("--no-record", action="store_true", help="do not append RESULTS.md")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also measure the package in this src/ folder (e.g. a worktree of the previous "
        "version), after this one, and print both side by side",
    )
    args = parser.parse_args()
    args.store = args.store or args.store_option
    if args.store is None:
        parser.error("give the store folder (STORE or --store STORE)")
    if not 1 <= args.clients <= 200 or not 0 < args.seconds <= 600:
        raise SystemExit("--clients must be 1-200 and --seconds 0-600 (a bounded load)")

    runs: dict[str, Run] = {}
    for label, src in [("this version", None), ("baseline", args.baseline_src)]:
        if label == "baseline" and src is None:
            continue
        runs[label] = measure(args, src)
    release = runs["this version"].release
    cold, hot, warm = runs["this version"].cold, runs["this version"].hot, runs["this version"].warm
    mix_size = runs["this version"].mix_size

    header = "| requests | n | req/s | p50 ms | p95 ms | p99 ms | max ms |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    label = " (SYNTHETIC)" if release.get("synthetic") else ""
    lines = [
        "",
        f"## serve: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}",
        "",
        f"Store `{args.store}`, release `{release['id']}`{label}; {mix_size} distinct URLs; "
        f"{args.clients} clients for {args.seconds:g} s on loopback; AsylumLens "
        f"{release['app_version']}." + (f" {release['note']}" if release.get("note") else ""),
        "",
        "Process warm-up (once per server start, before the cold pass: one URL of each "
        "kind on codes outside the mix): "
        + ", ".join(f"`{p}` {sec * 1000:,.0f} ms" for p, sec in warm.by_path)
        + ".",
        "",
        f"Cold pass (each URL once, sequential; pays its query): errors {len(cold.errors)}",
        "",
        header,
        rule,
        *summary_rows(cold, None),
        "",
        "Slowest in the cold pass, slowest first: "
        + ", ".join(
            f"`{p}` {ms * 1000:,.0f} ms"
            for p, ms in sorted(cold.by_path, key=lambda item: -item[1])[:8]
        )
        + ".",
        "",
        f"Load: errors {len(hot.errors)}. The clients repeat the mix, so after each URL's "
        "first hit they measure the app's response memo (the release is immutable); the cold "
        "pass above is the cost of a query.",
        "",
        header,
        rule,
        *summary_rows(hot, args.seconds),
        "",
    ]
    lines += side_by_side(runs)
    if hot.errors or cold.errors:
        shown = sorted(set(cold.errors + hot.errors))[:10]
        lines += ["Errors (first 10 distinct):", "", *[f"- `{e}`" for e in shown], ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        if not RESULTS.exists():
            RESULTS.write_text("# Benchmark results\n", encoding="utf-8")
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(text)
        print(f"appended to {RESULTS}")


if __name__ == "__main__":
    main()
