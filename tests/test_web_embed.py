"""Embeddable charts (issue 18 item 2): every public chart at ``/embed/...`` as an iframe
page, an SVG, a PNG and the spec they are drawn from, each with its caption (source and
release, definition, unit, period, SYNTHETIC where it applies); only the embeds may be
framed by other sites; validators tied to the release (item 3).

The pages' own HTML is the oracle: each chart's share control must lead to an embed whose
spec is exactly the page's, and the caption's facts are checked against the release's API
block and the library's definition table, not against strings copied from the code.
"""

from __future__ import annotations

import json
import re
import struct
import xml.etree.ElementTree as ET
from datetime import date
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from analytics_support import Builder
from asylumlens import analytics
from asylumlens.store import Store
from asylumlens.web.app import create_app
from asylumlens.web.chart_images import render_png
from asylumlens.web.pages import CLAIM_EXAMPLE
from browser_support import top_code

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chart_pages(store: Store) -> list[str]:
    """Every public page that draws a chart, with a code of the test store where needed."""
    return [
        "/",
        "/?definition=trac",
        "/explorer?by=fiscal_year",
        "/explorer?by=fiscal_year,custody&where=represented:true",
        "/explorer?by=court&definition=trac",
        "/judges",
        "/courts",
        "/nationalities?q=a",
        f"/judges/{top_code(store, 'judge')}",
        f"/courts/{top_code(store, 'court')}",
        f"/nationalities/{top_code(store, 'nationality')}?since=FY2020",
        "/claim?sentence=" + quote(CLAIM_EXAMPLE),
    ]


class Charts(HTMLParser):
    """The page's chart specs (by element id) and its share controls' links (by chart)."""

    def __init__(self) -> None:
        super().__init__()
        self.specs: dict[str, Any] = {}
        self.links: dict[str, dict[str, str]] = {}
        self.snippets: dict[str, str] = {}
        self._spec: str | None = None
        self._share: str | None = None
        self._snippet: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("type") == "application/json":
            self._spec = str(a.get("id", "")).removeprefix("spec-")
        if tag == "details" and "share" in str(a.get("class")):
            self._share = str(a["id"]).removeprefix("share-")
            self.links[self._share] = {}
        if tag == "a" and self._share and a.get("class", "").startswith("share-"):  # type: ignore[union-attr]
            self.links[self._share][str(a["class"]).removeprefix("share-")] = str(a["href"])
        if tag == "textarea" and self._share:
            self._snippet = self._share

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self._share = None
        if tag == "textarea":
            self._snippet = None

    def handle_data(self, data: str) -> None:
        if self._spec is not None:
            self.specs[self._spec] = json.loads(data)
            self._spec = None
        if self._snippet is not None:
            self.snippets[self._snippet] = self.snippets.get(self._snippet, "") + data


def parse(html: str) -> Charts:
    p = Charts()
    p.feed(html)
    return p


def release_block(client: TestClient, release: str | None = None) -> dict[str, Any]:
    url = "/api/v1/release" + (f"?release={release}" if release else "")
    block: dict[str, Any] = client.get(url).json()["release"]
    return block


def svg_text(svg: str) -> str:
    """Every text the SVG draws, joined: what a reader of the image sees written."""
    root = ET.fromstring(svg)
    return "\n".join("".join(t.itertext()) for t in root.iter(f"{SVG_NS}text"))


def subtitle(spec: dict[str, Any]) -> list[str]:
    lines = spec["title"]["subtitle"]
    return [lines] if isinstance(lines, str) else list(lines)


def expected_caption(release: dict[str, Any], definition: str) -> list[str]:
    """What any chart's caption must say, from the release block and the definition table."""
    known = analytics.DEFINITIONS[definition]
    words = [f"EOIR case-data release {release['id']}", f"released {release['date']}"]
    words += [f"{known.plain_name} ({definition})", f"counting {known.unit}s"]
    return words + (["SYNTHETIC"] if release["synthetic"] else [])


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def test_every_chart_has_a_share_control_whose_embed_draws_the_same_spec(
    client: TestClient, store: Store
) -> None:
    """Each chart on each public page has a "Share / embed" control; its embed page serves
    the very spec the page draws, and its links are pinned to the release shown."""
    release = release_block(client)
    seen = 0
    for url in chart_pages(store):
        page = client.get(url)
        assert page.status_code == 200, url
        charts = parse(page.text)
        assert charts.specs, url
        assert set(charts.links) == set(charts.specs), url
        for element, spec in charts.specs.items():
            links = charts.links[element]
            assert set(links) == {"permalink", "embed", "svg", "png", "spec"}, (url, links)
            for link in links.values():
                assert ("release", release["id"]) in parse_qsl(urlsplit(link).query), link
            embed = client.get(links["embed"])
            assert embed.status_code == 200, links["embed"]
            assert parse(embed.text).specs == {element.removeprefix("chart-"): spec}, url
            snippet = unescape(charts.snippets[element])
            assert f'<iframe src="{links["embed"]}"' in unescape(snippet), snippet
            permalink = urlsplit(links["permalink"])
            assert permalink.path == urlsplit(url).path
            seen += 1
    assert seen >= 20  # home 3, explorer 3, listings 3, judge 4, court 2, nationality 3, claim


@pytest.mark.parametrize("definition", ["eoir", "trac"])
def test_svg_png_and_spec_carry_the_caption(client: TestClient, definition: str) -> None:
    """The SVG's drawn text, the spec's subtitle and the embed page's caption hold the
    source release and date, the definition by name and code, the unit and SYNTHETIC; the
    PNG is a real PNG drawn from exactly that spec."""
    release = release_block(client)
    words = expected_caption(release, definition)
    base = f"/embed/home/trend?definition={definition}&release={release['id']}"
    path, _, query = base.partition("?")
    page = client.get(base)
    caption = re.search(r'<figcaption class="embed-caption".*?</figcaption>', page.text, re.S)
    assert caption is not None
    caption_text = unescape(re.sub(r"<[^>]+>", "", caption.group(0)))
    spec = client.get(f"{path}.vl.json?{query}")
    svg = client.get(f"{path}.svg?{query}")
    png = client.get(f"{path}.png?{query}")
    assert spec.headers["content-type"] == "application/json"
    assert svg.headers["content-type"] == "image/svg+xml"
    assert png.headers["content-type"] == "image/png"
    lines = "\n".join(subtitle(spec.json()))
    drawn = svg_text(svg.text)
    for word in words:
        assert word in lines, word
        assert word in drawn, word
    for word in [*words[:2], f"({definition})", "SYNTHETIC"]:
        assert word in caption_text, word
    assert "every fiscal year in the release" in lines  # the home trend is not the headline
    assert f"/?definition={definition}&release={release['id']}" in lines  # the way back
    width, height = png_size(png.content)
    assert width >= 2 * 640 and height > 2 * 260  # drawn at twice the static width
    assert png.content == render_png(spec.json())


def test_the_static_spec_is_the_page_spec_with_its_caption(client: TestClient) -> None:
    """The images show the page's numbers: the static spec's data and marks are the page
    chart's, only the width, title lines and background differ."""
    page_spec = parse(client.get("/").text).specs["chart-nationalities"]
    static = client.get("/embed/home/nationalities.vl.json").json()
    assert static["width"] == 640 and page_spec["width"] == "container"
    for key in set(page_spec) - {"width", "title", "usermeta", "background"}:
        assert static[key] == page_spec[key], key
    assert subtitle(static)[: len(subtitle(page_spec))] == subtitle(page_spec)


def test_a_real_release_is_not_labelled_synthetic(tmp_path: Path) -> None:
    """SYNTHETIC appears only where it applies: a release published as real data has
    SVG and embed page say nothing of it, and name that release."""
    b = Builder()
    for i in range(20):
        b.decided(date(2025, 3, 1), "G" if i < 6 else "D")
    b.publish(tmp_path, release_id="2026-09-01", release_date="2026-09-01", synthetic=False)
    with TestClient(create_app(Store(tmp_path))) as client:
        release = release_block(client)
        assert release["synthetic"] is False
        svg = client.get("/embed/home/trend.svg")
        page = client.get("/embed/home/trend")
        drawn = svg_text(svg.text)
        assert "EOIR case-data release 2026-09-01" in drawn
        assert "SYNTHETIC" not in drawn and "SYNTHETIC" not in page.text


def test_only_embeds_may_be_framed_by_other_sites(client: TestClient, store: Store) -> None:
    """Embed pages say ``frame-ancestors *`` with no X-Frame-Options and their files are
    cross-origin readable; every other page, the error page included, keeps refusing
    (``frame-ancestors 'self'`` and SAMEORIGIN)."""
    for url in ("/embed/home/trend", "/embed/judges/listing", "/embed/home/nope"):
        r = client.get(url)
        assert "frame-ancestors *" in r.headers["content-security-policy"], url
        assert "frame-ancestors 'self'" not in r.headers["content-security-policy"], url
        assert "x-frame-options" not in r.headers, url
        assert "script-src 'self'" in r.headers["content-security-policy"], url
    for url in ("/embed/home/trend.svg", "/embed/home/trend.png"):
        r = client.get(url)
        assert r.headers["cross-origin-resource-policy"] == "cross-origin", url
        assert r.headers["content-security-policy"].startswith("default-src 'none'"), url
    for url in [*chart_pages(store), "/methodology", "/data", "/nope", "/embed"]:
        r = client.get(url)
        assert "frame-ancestors 'self'" in r.headers["content-security-policy"], url
        assert r.headers["x-frame-options"] == "SAMEORIGIN", url
        assert r.headers["cross-origin-resource-policy"] == "same-origin", url


def test_embeds_refuse_what_their_page_refuses(client: TestClient, store: Store) -> None:
    """An unknown chart is a 404 naming the page's charts; an unknown parameter, a bad
    definition or an unknown code are refused as on the page itself."""
    r = client.get("/embed/home/nope")
    assert r.status_code == 404 and "trend" in r.text and "nationalities" in r.text
    assert client.get("/embed/home/trend.svg?defintion=trac").status_code == 422
    assert client.get("/embed/home/trend?definition=nope").status_code == 422
    assert client.get("/embed/judges/NO-SUCH-JUDGE/trend").status_code == 404
    assert client.get("/embed/claim/claim").status_code == 404  # the empty form: no chart
    assert client.get("/embed/home/trend.gif").status_code == 404


def test_embeds_revalidate_and_pinned_ones_cache_long(client: TestClient) -> None:
    """Every embed format has an ETag of its own URL and answers it with a 304 (before
    drawing); a pinned URL may be cached for a day, an unpinned one is revalidated."""
    release = release_block(client)["id"]
    etags = set()
    for suffix in ("", ".svg", ".png", ".vl.json"):
        for query, control in ((f"?release={release}", "public, max-age=86400"), ("", None)):
            url = f"/embed/home/trend{suffix}{query}"
            r = client.get(url)
            assert r.status_code == 200, url
            assert r.headers["cache-control"] == (control or "public, no-cache"), url
            assert r.headers["x-asylumlens-release"] == release
            etags.add(r.headers["etag"])
            again = client.get(url, headers={"If-None-Match": r.headers["etag"]})
            assert again.status_code == 304 and again.content == b"", url
            assert again.headers["etag"] == r.headers["etag"]
    assert len(etags) == 8  # no two URLs share a validator


def _publish(root: Path, release_id: str, grants: int) -> None:
    b = Builder()
    for fy in (2024, 2025):
        for i in range(10):
            b.decided(date(fy, 3, 1), "G" if i < grants else "D")
    b.publish(root, release_id=release_id, release_date=release_id)


PUBLIC_URLS = (
    "/",
    "/explorer?by=fiscal_year",
    "/courts",
    "/api/v1/rates?by=fiscal_year",
    "/api/v1/rates.csv?by=fiscal_year",
    "/embed/home/trend",
    "/embed/home/trend.svg",
    "/embed/home/trend.png",
    "/embed/home/trend.vl.json",
)


def test_a_new_release_changes_every_validator(tmp_path: Path) -> None:
    """Item 3: every public response (pages, API, embeds) carries an ETag tied to the
    release; a second process on the same release repeats it, and once a new release is
    the default every one of them changes, so no cache revalidates stale figures."""
    _publish(tmp_path, "2026-10-01", 3)
    with TestClient(create_app(Store(tmp_path))) as first:
        old = {url: first.get(url) for url in PUBLIC_URLS}
    with TestClient(create_app(Store(tmp_path))) as second:
        for url in PUBLIC_URLS:
            assert second.get(url).headers["etag"] == old[url].headers["etag"], url
    _publish(tmp_path, "2026-11-01", 7)
    with TestClient(create_app(Store(tmp_path))) as newer:
        for url, before in old.items():
            assert before.status_code == 200 and before.headers["etag"], url
            r = newer.get(url, headers={"If-None-Match": before.headers["etag"]})
            assert r.status_code == 200, url  # the old validator no longer matches
            assert r.headers["etag"] != before.headers["etag"], url
            assert r.headers["x-asylumlens-release"] == "2026-11-01"
        pinned = newer.get("/embed/home/trend.svg?release=2026-10-01")
        assert pinned.headers["etag"] != newer.get("/embed/home/trend.svg").headers["etag"]
        assert "release 2026-10-01" in svg_text(pinned.text)


def test_share_links_are_absolute_under_a_base_url(tmp_path: Path) -> None:
    """With ``--base-url`` the snippet and links name the public site, so they can be
    pasted elsewhere; the host a request names never reaches them."""
    _publish(tmp_path, "2026-10-01", 3)
    app = create_app(Store(tmp_path), base_url="https://lens.example")
    with TestClient(app) as client:
        page = client.get("/courts", headers={"Host": "evil.example"})
        charts = parse(page.text)
        links = charts.links["chart-listing"]
        assert links["embed"].startswith("https://lens.example/embed/courts/listing?")
        assert all(v.startswith("https://lens.example/") for v in links.values())
        assert "evil.example" not in page.text
        spec = client.get("/embed/courts/listing.vl.json", headers={"Host": "evil.example"})
        assert "https://lens.example/courts?" in "\n".join(subtitle(spec.json()))
        assert "evil.example" not in spec.text
