"""The attorney's dashboard in a real browser, at desktop width and at 390 px (a phone).

"This judge, this nationality, detained, the last 5 years" beside the court: the judge
page's form, submitted with its button, gives a table whose figures are the library's
(``asylumlens.rates``) for the same filters. Every page fits a 390 px screen. A select
moves with the keyboard without reloading the page (WCAG 3.2.2); the form submits with
its button or Enter.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from asylumlens import analytics
from asylumlens.store import Store
from browser_support import BROWSER_MARKS, Watched, top_code, wait_for_charts

pytestmark = BROWSER_MARKS


def _row_by_header(page: Page, row_id: str) -> dict[str, str]:
    """The judge-vs-court table's row ``row_id`` as {column header: cell text}."""
    headers = page.eval_on_selector_all(
        "#judge-vs-court thead th", "ths => ths.slice(1).map(t => t.innerText.trim())"
    )
    cells = page.eval_on_selector_all(f"#{row_id} td", "tds => tds.map(t => t.innerText.trim())")
    return dict(zip(headers, cells, strict=True))


def _detained_judge(store: Store) -> tuple[str, str]:
    """A judge and a nationality with detained decisions in the last 5 fiscal years."""
    years = analytics.rates(by=("fiscal_year",), store=store)["fiscal_year"]
    since = f"FY{int(years.max()) - 4}"
    df = analytics.rates(
        analytics.DEFAULT_DEFINITION,
        by=("judge", "nationality"),
        where={"custody": "D"},
        since=since,
        store=store,
    )
    df = df[df["judge"].notna()].sort_values(["total", "judge"], ascending=[False, True])
    row = df.iloc[0]
    return str(row["judge"]), str(row["nationality"])


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def test_judge_nationality_detained_last_5_years_beside_the_court(
    sized: Watched, base_url: str, store: Store
) -> None:
    page = sized.page
    judge, nat = _detained_judge(store)
    page.goto(f"{base_url}/judges/{judge}")
    wait_for_charts(page)
    page.select_option("#j-nationality", value=nat)
    page.select_option("#j-custody", value="D")
    page.select_option("#j-last", value="5")
    with page.expect_navigation():
        page.click("#judge-form button[type=submit]")
    wait_for_charts(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query == {
        "definition": [analytics.DEFAULT_DEFINITION],
        "nationality": [nat],
        "custody": ["D"],
        "last": ["5"],
    }  # a permalink with only what was chosen: no empty since/until/represented
    years = analytics.rates(by=("fiscal_year",), store=store)["fiscal_year"]
    since, until = f"FY{int(years.max()) - 4}", f"FY{int(years.max())}"
    assert f"{since} to {until}" in page.locator("#group-note").inner_text()
    where = {"judge": judge, "nationality": nat, "custody": "D"}
    lib = analytics.rates(
        analytics.DEFAULT_DEFINITION,
        by=("judge",),
        where=where,
        since=since,
        until=until,
        store=store,
    )
    judge_row = _row_by_header(page, "vs-judge")
    assert _count(judge_row["grants"]) == int(lib["grants"][0])
    assert _count(judge_row["denials"]) == int(lib["denials"][0])
    assert _count(judge_row["total"]) == int(lib["total"][0])
    assert judge_row["rate"] == f"{float(lib['rate'][0]) * 100:.1f}%"
    court_code = page.locator("#vs-court th").inner_text().split("(")[-1].split(")")[0]
    court = analytics.rates(
        analytics.DEFAULT_DEFINITION,
        by=("court",),
        where={"court": court_code, "nationality": nat, "custody": "D"},
        since=since,
        until=until,
        store=store,
    )
    assert _count(_row_by_header(page, "vs-court")["total"]) == int(court["total"][0])
    assert page.locator("#vs-court_without_judge").count() == 1
    # the table is on screen (not only in a tooltip) and the page fits the viewport
    assert page.locator("#judge-vs-court").is_visible()
    width = page.viewport_size["width"] if page.viewport_size else 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _phone_paths(store: Store) -> list[str]:
    return [
        "/",
        "/explorer",
        "/explorer?by=fiscal_year&by=custody",
        "/judges",
        f"/judges/{top_code(store, 'judge')}",
        "/courts",
        f"/courts/{top_code(store, 'court')}",
        "/nationalities",
        f"/nationalities/{top_code(store, 'nationality')}",
        "/methodology",
        "/data",
        "/api",
        "/claim?rate=20&period=FY2020",
    ]


@pytest.mark.parametrize("phone", [390, 360])
def test_no_page_is_wider_than_a_phone(
    browser: Browser, base_url: str, store: Store, phone: int
) -> None:
    """No page lays out wider than the phone: 390 px (a current iPhone) and 360 px (the
    narrow Android width the layout is designed down to)."""
    context = browser.new_context(viewport={"width": phone, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        wide = {}
        for path in _phone_paths(store):
            page.goto(base_url + path)
            if page.locator("[data-chart-spec]").count():
                wait_for_charts(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > phone:
                wide[path] = width
        assert wide == {}
    finally:
        context.close()


def _mark(page: Page) -> None:
    page.evaluate("window.__notReloaded = 'still here'")


def _still_marked(page: Page) -> bool:
    return bool(page.evaluate("window.__notReloaded === 'still here'"))


def test_keyboard_moves_a_select_without_reloading(
    sized: Watched, base_url: str, store: Store
) -> None:
    page = sized.page
    start = f"{base_url}/judges/{top_code(store, 'judge')}"
    page.goto(start)
    wait_for_charts(page)
    _mark(page)
    select = page.locator("#j-custody")
    select.focus()
    before = select.input_value()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)  # a reload would have started by now
    assert select.input_value() != before
    assert page.url == start and _still_marked(page)
    chosen = select.input_value()
    page.locator("#judge-form button[type=submit]").focus()  # Tab on to the button...
    with page.expect_navigation():
        page.keyboard.press("Enter")  # ...and Enter submits the form
    assert not _still_marked(page)
    assert parse_qs(urlsplit(page.url).query).get("custody") == [chosen]
    # the Explorer too: a select changed by keyboard waits for the button
    page.goto(f"{base_url}/explorer?by=fiscal_year")
    wait_for_charts(page)
    _mark(page)
    page.locator("#x-by2").focus()
    for _ in range(3):  # (nothing) -> fiscal_year -> calendar_year -> nationality
        page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    assert _still_marked(page) and page.url.endswith("/explorer?by=fiscal_year")
    with page.expect_navigation():
        page.click("#explorer-form button[type=submit]")
    assert parse_qs(urlsplit(page.url).query)["by"] == ["fiscal_year", "nationality"]
