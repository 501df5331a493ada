"""The dashboard in a real browser: headless Debian Chromium driven by Playwright.

A real server (``python -m asylumlens serve``) runs on a free loopback port over a real
synthetic store. The browser must draw every chart (an ``svg`` inside each vega container),
make no request outside the server, keep the Explorer's URL as its permalink, and download
CSVs that hold the API's rows.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from asylumlens import analytics
from asylumlens.store import Store
from web_support import web_store

CHROMIUM = Path(os.environ.get("ASYLUMLENS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is absent: install Debian's chromium (apt-get install -y chromium)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return web_store(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def base_url(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "asylumlens",
                "serve",
                "--store",
                str(store.root),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"server exited early:\n{log.read_text()}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/api/v1/release", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{log.read_text()}")
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Watched:
    """A page that records console errors and any request that leaves the server."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def guard(route: Route) -> None:
            url = route.request.url
            if url.startswith((base_url, "data:")):
                route.continue_()
            else:
                self.foreign.append(url)
                route.abort()

        page.route("**/*", guard)


@pytest.fixture()
def watched(browser: Browser, base_url: str) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    w = Watched(page, base_url)
    yield w
    context.close()
    assert w.foreign == [], f"requests outside the server: {w.foreign}"
    assert w.errors == [], f"console errors: {w.errors}"


def wait_for_charts(page: Page) -> int:
    """Wait until every chart container has drawn; return how many there are."""
    page.wait_for_function(
        "() => { const c = [...document.querySelectorAll('[data-chart-spec]')];"
        " return c.length > 0 && c.every(e => e.getAttribute('data-rendered')); }",
        timeout=30_000,
    )
    containers = page.locator("[data-chart-spec]")
    count = containers.count()
    for i in range(count):
        box = containers.nth(i)
        assert box.get_attribute("data-rendered") == "true"
        assert box.locator("svg").count() >= 1
        assert (
            box.locator("svg .mark-symbol, svg .mark-rect, svg .mark-line, svg .mark-rule").count()
            > 0
        )
    return count


def top_code(store: Store, dimension: str) -> str:
    return str(analytics.codes(dimension, store=store)["code"].iloc[0])


def test_every_page_draws_its_charts(watched: Watched, base_url: str, store: Store) -> None:
    page = watched.page
    pages = {
        "/": 3,
        "/explorer?by=fiscal_year": 1,
        "/judges": 1,
        f"/judges/{top_code(store, 'judge')}": 4,
        "/courts": 1,
        f"/courts/{top_code(store, 'court')}": 2,
        "/nationalities": 1,
        f"/nationalities/{top_code(store, 'nationality')}": 3,
    }
    for path, charts in pages.items():
        page.goto(base_url + path)
        assert wait_for_charts(page) == charts, path
        expect(page.locator("#synthetic-banner")).to_be_visible()
        expect(page.locator("#provenance")).to_contain_text(store.release().id)
    for path in ("/methodology", "/data"):
        page.goto(base_url + path)
        expect(page.locator("#provenance")).to_contain_text(store.release().id)


def table_rows(page: Page, table_id: str) -> list[list[str]]:
    rows: list[list[str]] = page.eval_on_selector_all(
        f"#{table_id} tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))",
    )
    return rows


def test_explorer_filter_changes_url_and_table(
    watched: Watched, base_url: str, store: Store
) -> None:
    page = watched.page
    page.goto(f"{base_url}/explorer?definition=trac&by=fiscal_year")
    wait_for_charts(page)
    before = table_rows(page, "explorer-table")
    custody = top_code(store, "custody")
    with page.expect_navigation():
        page.select_option("#x-where-custody", value=f"custody:{custody}")
    wait_for_charts(page)
    query = parse_qs(urlsplit(page.url).query)
    assert f"custody:{custody}" in query["where"]
    assert query["definition"] == ["trac"]
    after = table_rows(page, "explorer-table")
    assert after != before
    expected = analytics.rates(
        definition="trac", by=("fiscal_year",), where={"custody": custody}, store=store
    )
    assert [int(r[0]) for r in after] == [int(y) for y in expected["fiscal_year"]]
    assert [int(r[1].replace(",", "")) for r in after] == [int(g) for g in expected["grants"]]
    # the URL is the permalink: loading it again shows the same table
    permalink = page.url
    page.goto(permalink)
    wait_for_charts(page)
    assert table_rows(page, "explorer-table") == after
    assert page.locator("#x-where-custody").input_value() == f"custody:{custody}"


def test_explorer_second_dimension_draws_series(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/explorer?by=fiscal_year")
    wait_for_charts(page)
    with page.expect_navigation():
        page.select_option("#x-by2", value="represented")
    wait_for_charts(page)
    assert parse_qs(urlsplit(page.url).query)["by"] == ["fiscal_year", "represented"]
    assert "represented" in page.locator("#explorer-table thead").inner_text()


def test_csv_download_matches_api(watched: Watched, base_url: str, store: Store) -> None:
    page = watched.page
    nat = top_code(store, "nationality")
    page.goto(f"{base_url}/explorer?definition=eoir&by=court&where=nationality:{nat}")
    wait_for_charts(page)
    with page.expect_download() as info:
        page.locator("p.twins a", has_text="CSV").first.click()
    download = info.value
    assert "SYNTHETIC" in download.suggested_filename
    text = Path(download.path()).read_text(encoding="utf-8")
    header, *rows = list(csv.reader(io.StringIO(text)))
    api = httpx.get(
        f"{base_url}/api/v1/rates",
        params={"definition": "eoir", "by": "court", "where": f"nationality:{nat}"},
    ).json()
    assert header == api["columns"]
    assert rows == [["" if r[c] is None else str(r[c]) for c in header] for r in api["rows"]]


def test_phone_width_has_no_sideways_scroll(browser: Browser, base_url: str, store: Store) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        for path in (
            "/",
            "/explorer?by=fiscal_year&by=custody",
            f"/judges/{top_code(store, 'judge')}",
        ):
            page.goto(base_url + path)
            wait_for_charts(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
            labels = page.eval_on_selector_all(
                "form.filters select, form.filters input",
                "els => els.filter(e => !e.labels || e.labels.length === 0).map(e => e.name)",
            )
            assert labels == [], (path, labels)
    finally:
        context.close()


def test_unknown_judge_page_suggests(watched: Watched, base_url: str, store: Store) -> None:
    page = watched.page
    response = page.goto(f"{base_url}/judges/NO-SUCH-JUDGE")
    assert response is not None and response.status == 404
    # Chromium logs the 404 of the document itself as a console error; that one is expected.
    watched.errors[:] = [e for e in watched.errors if "status of 404" not in e]
    links = page.locator("#suggestions a")
    assert links.count() >= 1
    with page.expect_navigation():
        links.first.click()
    wait_for_charts(page)
    assert "/judges/" in page.url
