"""A release-pinned permalink in a real browser keeps its figures after a newer release.

The journalist's link: a court page pinned with ``?release=A`` is read in Chromium from a
real ``asylumlens serve``; a newer release B with other numbers is then published into the
same store and the server restarted (a new process serves the newest release by default).
The pinned permalink reloads to exactly the figures it showed and offers B; the unpinned
URL shows B's; a link followed from the pinned page stays on A; the "Cite this" permalink
names A.

Both releases are hand-built (``analytics_support.Builder``) with exact numbers, all at
court NYC, two judges (JAA, JBB), 10 decisions a fiscal year:

============  ======  ======  ======  ==============
release       FY2024  FY2025  FY2026  all years
============  ======  ======  ======  ==============
A 2026-10-01  5 / 10  5 / 10  3 / 10  13 / 30 = 43.3%
B 2026-11-01  5 / 10  5 / 10  7 / 10  17 / 30 = 56.7%
============  ======  ======  ======  ==============
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from browser_support import BROWSER_MARKS, Watched, free_port, serving, wait_for_charts
from web_support import publish_nyc

pytestmark = BROWSER_MARKS

A, B = "2026-10-01", "2026-11-01"
COURT = "/courts/NYC"


def figures(page: Page) -> dict[str, object]:
    """What a reader copies from the court page: the lede and the yearly table's rows."""
    wait_for_charts(page)
    rows = page.locator("#court-trend tbody tr")
    return {
        "lede": page.locator("main .lede").inner_text(),
        "trend": [rows.nth(i).inner_text() for i in range(rows.count())],
    }


def release_of(url: str) -> list[str]:
    return parse_qs(urlsplit(url).query).get("release", [])


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_pinned_permalink_keeps_its_figures_after_a_newer_release(
    browser: Browser, tmp_path: Path, width: int
) -> None:
    root = tmp_path / "store"
    publish_nyc(root, A, 3)
    port = free_port()
    log = tmp_path / "serve.log"
    pinned_url = f"http://127.0.0.1:{port}{COURT}?release={A}"
    context = browser.new_context(
        viewport={"width": width, "height": 900 if width > 600 else 844}, is_mobile=width < 600
    )
    page = context.new_page()
    watched = Watched(page, f"http://127.0.0.1:{port}")
    try:
        with serving(root, port, log):
            page.goto(pinned_url)
            x = figures(page)
            assert "43.3%" in str(x["lede"]) and "30 asylum decisions" in str(x["lede"])
            fy2026 = [r for r in x["trend"] if isinstance(r, str) and r.startswith("2026")]
            assert len(fy2026) == 1 and "30.0%" in fy2026[0], x["trend"]
            assert page.locator("#newer-release").count() == 0  # A is the newest so far
            publish_nyc(root, B, 7)  # ingested while the old process still serves A

        with serving(root, port, log) as url:  # restarted: the default is now B
            page.reload()
            assert figures(page) == x  # the same figures, character for character
            banner = page.locator("#pinned-banner").inner_text()
            assert f"Release {A}" in banner and f"A newer release, {B}" in banner
            newer = page.locator("#newer-release")
            assert release_of(str(newer.get_attribute("href"))) == [B]

            cite = page.locator("#cite-permalink")
            assert release_of(str(cite.get_attribute("href"))) == [A]
            assert f"release={A}" in page.locator("#cite-text").inner_text()

            # An internal link from the pinned page (a judge in the shared table) keeps A.
            page.locator("#court-judges a[href^='/judges/']").first.click()
            page.wait_for_load_state("load")
            assert urlsplit(page.url).path.startswith("/judges/")
            assert release_of(page.url) == [A]
            assert f"Release {A}" in page.locator("#pinned-banner").inner_text()

            # The unpinned URL serves B, whose figures differ from the pinned ones.
            page.goto(f"{url}{COURT}")
            y = figures(page)
            assert y != x
            assert "56.7%" in str(y["lede"])
            fy2026 = [r for r in y["trend"] if isinstance(r, str) and r.startswith("2026")]
            assert len(fy2026) == 1 and "70.0%" in fy2026[0], y["trend"]
            assert page.locator("#pinned-banner").count() == 0
            assert release_of(str(page.locator("#cite-permalink").get_attribute("href"))) == [B]
    finally:
        context.close()
    assert watched.foreign == [], f"requests outside the server: {watched.foreign}"
    assert watched.errors == [], f"console errors: {watched.errors}"
