"""Shared pieces of the browser suites: Debian Chromium under Playwright, a real
``asylumlens serve`` on a free loopback port over the web test store, and a page that fails
its test on any console error or any request leaving the server.

``tests/conftest.py`` loads this module as a plugin, so its fixtures (``base_url``,
``browser``, ``watched``, ``sized``) reach every module; ``store`` (the web test store) comes
from ``web_support``, the other plugin. A browser test module sets ``pytestmark =
BROWSER_MARKS`` and imports the helpers it uses. A module with its own ``store`` fixture
overrides that one.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from asylumlens import analytics
from asylumlens.store import Store

CHROMIUM = Path(os.environ.get("ASYLUMLENS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

BROWSER_MARKS = [pytest.mark.browser]
"""Every browser module's ``pytestmark``: the suites are opt-in (``pytest --browser``, see
``tests/conftest.py``), so a plain ``pytest`` needs neither Chromium nor root."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(root: Path, port: int, log: Path) -> Iterator[str]:
    """A real ``asylumlens serve`` over ``root`` on ``port`` until the block ends.

    Yields the base URL once ``/api/v1/release`` answers 200; fails the test with the
    server's log (appended to ``log``) if it exits early or is not up within 90 s.
    """
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "asylumlens", "serve", "--store", str(root),
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
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
def base_url(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "serve.log"
    with serving(store.root, free_port(), log) as url:
        yield url


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


@contextlib.contextmanager
def watching(browser: Browser, base_url: str, **context_options: Any) -> Iterator[Watched]:
    """A fresh browser context's page, watched; on exit, no foreign request, no console error."""
    context = browser.new_context(**context_options)
    w = Watched(context.new_page(), base_url)
    yield w
    context.close()
    assert w.foreign == [], f"requests outside the server: {w.foreign}"
    assert w.errors == [], f"console errors: {w.errors}"


@pytest.fixture()
def watched(browser: Browser, base_url: str) -> Iterator[Watched]:
    with watching(
        browser, base_url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    ) as w:
        yield w


WIDTHS = {"desktop": 1280, "phone": 390}
"""The two widths the ``sized`` fixture runs a test at; the phone one is also ``is_mobile``."""


@pytest.fixture(params=list(WIDTHS))
def sized(request: pytest.FixtureRequest, browser: Browser, base_url: str) -> Iterator[Watched]:
    """A watched page at desktop and at phone width (844 px tall), one test run each."""
    width = WIDTHS[request.param]
    with watching(
        browser, base_url, viewport={"width": width, "height": 844}, is_mobile=width < 600
    ) as w:
        yield w


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
