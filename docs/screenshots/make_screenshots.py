"""Regenerate the dashboard screenshots in this folder against a running server or a store.

    python docs/screenshots/make_screenshots.py --synth 100000       # synth + ingest + serve (the README's)
    python docs/screenshots/make_screenshots.py --store DIR          # serve an existing store
    python docs/screenshots/make_screenshots.py --url http://127.0.0.1:8000

Uses Playwright with Debian's Chromium (``/usr/bin/chromium``; ``playwright install``
cannot download browsers here), 1280 px wide, full-page PNGs. The judge and court shown
is the one with the most decisions in the release; the judge page answers the attorney's
question (this judge, this nationality, beside the court) for the judge and nationality
with the most decisions together, so the script works on any store.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("ASYLUMLENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(store: Path, release: str | None) -> Iterator[str]:
    """Run ``python -m asylumlens serve`` on a free loopback port until the block ends."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "asylumlens",
        "serve",
        "--store",
        str(store),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    if release:
        cmd += ["--release", release]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(
                    f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/api/v1/release", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def synthetic_store(tmp: Path, cases: int, seed: int) -> Path:
    """``asylumlens synth`` then ``asylumlens ingest`` into a store under ``tmp``."""
    from asylumlens.pipeline import ingest_release
    from asylumlens.store import Store
    from asylumlens.synth import generate

    made = generate(tmp / "synth", cases=cases, seed=seed)
    ingest_release(made.release, Store(tmp / "store"))
    return tmp / "store"


def first_code(url: str, kind: str) -> str:
    rows = httpx.get(f"{url}/api/v1/{kind}", params={"definition": "eoir"}, timeout=60).json()[
        "rows"
    ]
    dim = {"judges": "judge", "courts": "court"}[kind]
    best = max(rows, key=lambda r: r.get("total") or 0)
    return str(best[dim])


def busiest_pair(url: str) -> tuple[str, str]:
    """The judge and nationality with the most decisions together: the judge page's
    nationality filter in the screenshot (a synthetic release spreads its cases over
    decades and a thousand judges, so a shorter period leaves a handful of decisions)."""
    rows = httpx.get(
        f"{url}/api/v1/rates",
        params=[("definition", "eoir"), ("by", "judge"), ("by", "nationality")],
        timeout=60,
    ).json()["rows"]
    best = max(
        (r for r in rows if r.get("judge") and r.get("nationality")),
        key=lambda r: r.get("total") or 0,
    )
    return str(best["judge"]), str(best["nationality"])


def shoot(url: str, out: Path) -> list[Path]:
    court = first_code(url, "courts")
    judge, nationality = busiest_pair(url)
    pages = {
        "home": "/",
        "explorer": "/explorer?definition=eoir&by=fiscal_year&by=custody",
        # The attorney's question: this judge, this nationality, beside the court (the
        # judge page's filters and its judge-vs-court table).
        "judge": f"/judges/{judge}?nationality={nationality}",
        "court": f"/courts/{court}",
    }
    written: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path in pages.items():
            page.goto(url + path)
            page.wait_for_selector("[data-chart-spec][data-rendered='true']", timeout=30_000)
            page.wait_for_function(
                "() => [...document.querySelectorAll('[data-chart-spec]')]"
                ".every(e => e.getAttribute('data-rendered'))"
            )
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--store", type=Path, help="store folder; a server is started for it")
    group.add_argument("--url", help="base URL of a running server")
    group.add_argument(
        "--synth", type=int, metavar="CASES", help="make a synthetic release of CASES cases"
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed for --synth")
    parser.add_argument("--release", help="release id (default: newest)")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    if args.url:
        written = shoot(args.url.rstrip("/"), args.out)
    elif args.synth:
        with tempfile.TemporaryDirectory() as tmp:
            store = synthetic_store(Path(tmp), args.synth, args.seed)
            with served(store, None) as url:
                written = shoot(url, args.out)
    else:
        with served(args.store, args.release) as url:
            written = shoot(url, args.out)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
