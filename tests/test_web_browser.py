"""The dashboard in a real browser: headless Debian Chromium driven by Playwright.

A real server (``python -m asylumlens serve``) runs on a free loopback port over a real
synthetic store. The browser must draw every chart (an ``svg`` inside each vega container),
make no request outside the server, keep the Explorer's URL as its permalink, and download
CSVs that hold the API's rows.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Browser, Page, expect

from asylumlens import analytics
from asylumlens.store import Store
from browser_support import BROWSER_MARKS, Watched, top_code, wait_for_charts

pytestmark = BROWSER_MARKS


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
    page.select_option("#x-where-custody", value=f"custody:{custody}")  # no reload (WCAG 3.2.2)
    with page.expect_navigation():
        page.click("#explorer-form button[type=submit]")
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
    page.select_option("#x-by2", value="represented")
    with page.expect_navigation():
        page.click("#explorer-form button[type=submit]")
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
