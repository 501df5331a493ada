"""On a page requested with ``?release=ID`` every internal link and every filter form keeps
``release=ID``, so a reader who follows a cited permalink stays on the cited figures.

The only links that may name another release are the ones that exist to switch release:
the pinned banner's "view it" (``#newer-release``) and the Data page's list of every
release (``#release-list``). Static files, external links and same-page fragments carry
no release.

Two hand-built releases (``analytics_support.Builder``), the older one pinned; every page
kind is requested, with and without a query of its own.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from asylumlens.store import Store
from asylumlens.web.app import create_app
from web_support import publish_nyc

OLD, NEW = "2026-10-01", "2026-11-01"

ROLES = frozenset({"newer-release", "release-list", "cite-permalink", "share"})
"""Links that name a release on purpose: the pinned banner's "view it" (the newest), the
Data page's list of releases, the "Cite this" permalink and each chart's "Share / embed"
links (``class="share-..."``: the release shown, pinned even on an unpinned page)."""

PAGES = (
    "/",
    "/?definition=trac&period=FY2026",
    "/explorer",
    "/explorer?by=court&by=judge&where=nationality:CH",
    "/judges",
    "/judges?q=ada",
    "/courts",
    "/nationalities",
    "/courts/NYC",
    "/courts/NYC?definition=trac&since=FY2025",
    "/nationalities/CH",
    "/judges/JAA",
    "/judges/JAA?nationality=CH",
    "/methodology",
    "/data",
    "/api",
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    root = tmp_path_factory.mktemp("pinned-links")
    publish_nyc(root, OLD, 3)
    publish_nyc(root, NEW, 7)
    return TestClient(create_app(Store(root)))


class Links(HTMLParser):
    """Every ``<a href>`` (with its role when it names a release on purpose, see
    :data:`ROLES`) and every GET form's action and hidden ``release`` value."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str | None]] = []
        self.forms: list[dict[str, str | None]] = []
        self._release_list = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "ul" and a.get("id") == "release-list":
            self._release_list += 1
        elif tag == "a" and a.get("href"):
            shared = str(a.get("class") or "").startswith("share-")
            role = "release-list" if self._release_list else "share" if shared else a.get("id")
            self.links.append((str(a["href"]), role if role in ROLES else None))
        elif tag == "form" and (a.get("method") or "get").lower() == "get":
            self.forms.append({"action": a.get("action"), "release": None})
        elif tag == "input" and a.get("name") == "release" and self.forms:
            self.forms[-1]["release"] = a.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul" and self._release_list:
            self._release_list -= 1


def internal(href: str) -> bool:
    parts = urlsplit(href)
    return not (parts.scheme or parts.netloc or href.startswith(("#", "/static/")))


def releases_in(href: str) -> list[str]:
    return parse_qs(urlsplit(href).query).get("release", [])


def parsed(client: TestClient, path: str) -> Links:
    url = f"{path}{'&' if '?' in path else '?'}release={OLD}"
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    links = Links()
    links.feed(response.text)
    return links


@pytest.mark.parametrize("path", PAGES)
def test_every_internal_link_keeps_the_pin(client: TestClient, path: str) -> None:
    links = parsed(client, path)
    kept = [
        h for h, role in links.links if internal(h) and role in (None, "cite-permalink", "share")
    ]
    assert len(kept) >= 10, kept  # the navigation alone has 9; the page adds its own
    lost = [href for href in kept if releases_in(href) != [OLD]]
    assert lost == [], f"{path}: links that drop release={OLD}: {lost}"


@pytest.mark.parametrize("path", PAGES)
def test_every_filter_form_keeps_the_pin(client: TestClient, path: str) -> None:
    forms = parsed(client, path).forms
    lost = [f["action"] for f in forms if f["release"] != OLD]
    assert lost == [], f"{path}: forms without release={OLD}: {lost}"


def test_the_links_that_switch_release_name_it(client: TestClient) -> None:
    home = parsed(client, "/")
    newer = [href for href, role in home.links if role == "newer-release"]
    assert [releases_in(h) for h in newer] == [[NEW]]  # the banner's "view it"
    data = parsed(client, "/data")
    listed = [r for href, role in data.links if role == "release-list" for r in releases_in(href)]
    assert sorted(listed) == [OLD, NEW]


def test_unpinned_pages_link_unpinned(client: TestClient) -> None:
    for path in ("/", "/courts/NYC", "/explorer"):
        html = client.get(path).text
        links = Links()
        links.feed(html)
        cites = [h for h, role in links.links if role == "cite-permalink"]
        assert [releases_in(h) for h in cites] == [[NEW]]  # names the release it shows
        shared = [releases_in(h) for h, role in links.links if role == "share"]
        assert shared and all(r == [NEW] for r in shared)  # embeds keep the figures shown
        pinned = [h for h, role in links.links if internal(h) and role is None and releases_in(h)]
        assert pinned == [], (path, pinned)


def court_rows(html: str) -> list[list[str]]:
    """The nationality page's courts table: the cells of each row, tags stripped."""
    table = re.search(r'<table class="data" id="nationality-courts">(.*?)</table>', html, re.S)
    assert table is not None, "no courts table beside the courts chart"
    body = table.group(1).split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_nationality_courts_table_beside_the_chart(client: TestClient) -> None:
    """The rates of the courts chart are in a table too (not only in tooltips): release A's
    13 of 30 at NYC on the pinned page, B's 17 of 30 unpinned, the court linked pinned."""
    pinned = client.get(f"/nationalities/CH?release={OLD}").text
    [row] = court_rows(pinned)
    assert row[:7] == ["NYC", "New York", "13", "17", "0", "30", "43.3%"]
    assert f'href="/courts/NYC?release={OLD}"' in pinned.split('id="nationality-courts"')[1]
    [row] = court_rows(client.get("/nationalities/CH").text)
    assert row[:7] == ["NYC", "New York", "17", "13", "0", "30", "56.7%"]
