"""Browser: an embed snippet pasted on a page of ANOTHER origin draws its chart in the
iframe, with no console error; an ordinary page framed the same way is refused.

The host page is served by a plain ``http.server`` on a second loopback port (another
origin than the real ``asylumlens serve``). The snippet is the one the home page's
"Share / embed" control hands out, with its relative ``src`` made absolute, as a reader
would do when pasting it into another site.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import Browser, Route

from browser_support import BROWSER_MARKS, free_port

pytestmark = BROWSER_MARKS


@contextlib.contextmanager
def host_page(html: str) -> Iterator[str]:
    """``html`` served at ``/`` of another loopback origin until the block ends."""
    body = html.encode("utf-8")

    class Host(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def story(iframe: str) -> str:
    """Another site's article with ``iframe`` (markup) in it."""
    return f"<!doctype html><title>A story</title><p>Story.</p>{iframe}"


def test_an_embed_draws_in_an_iframe_of_another_origin(browser: Browser, base_url: str) -> None:
    """The home page's share snippet, pasted on another origin, loads; Chromium draws
    the chart inside the frame and its caption names the release; no console error,
    and no request leaves the two loopback servers."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    allowed = [base_url, "data:"]
    foreign: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(tuple(allowed)):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(f"{base_url}/")
    page.locator("#share-chart-trend summary").click()
    snippet = page.locator("#snippet-chart-trend").input_value()
    assert snippet.startswith('<iframe src="/embed/home/trend?release=')
    pasted = unescape(snippet).replace('src="/', f'src="{base_url}/', 1)
    with host_page(story(pasted)) as host:
        assert not host.startswith(base_url)  # another origin: another port
        allowed.append(host)
        page.goto(host)
        frame = page.frame_locator("iframe")
        frame.locator("[data-rendered=true] svg").first.wait_for(timeout=30_000)
        assert frame.locator("svg .mark-symbol, svg .mark-line").count() > 0
        caption = frame.locator("#embed-caption").inner_text()
        assert "EOIR case-data release" in caption and "SYNTHETIC" in caption
        back = frame.locator("#embed-permalink").get_attribute("href")
        assert back is not None and "release=" in back
    context.close()
    assert foreign == [], foreign
    assert errors == [], errors


def test_an_ordinary_page_refuses_to_be_framed(browser: Browser, base_url: str) -> None:
    """The same iframe on another origin pointing at an ordinary page is blocked by
    Chromium (frame-ancestors 'self'): its chart never renders in the frame."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    with host_page(story(f'<iframe src="{base_url}/"></iframe>')) as host:
        page.goto(host)
        page.wait_for_timeout(2_000)
        frame = page.frame_locator("iframe")
        assert frame.locator("[data-chart-spec]").count() == 0
    context.close()
    assert any("frame-ancestors" in e for e in errors), errors
