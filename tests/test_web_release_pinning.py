"""``?release=ID``: every page and API route serves the release it names, from that release's
own snapshot; unknown ids are 404 naming the valid ones; links and twins keep the pin.

Two hand-built releases in one store with different, exact numbers: 2026-10-01 grants
3 of 10 in FY2026, 2026-11-01 grants 7 of 10. The app's default is the newest.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from analytics_support import Builder
from asylumlens.store import Store
from asylumlens.web.app import create_app

OLD, NEW = "2026-10-01", "2026-11-01"


def publish(root: Path, release_id: str, grants: int) -> None:
    b = Builder()
    for fy in (2024, 2025):
        for i in range(10):
            b.decided(date(fy, 3, 1), "G" if i < 5 else "D")
    for i in range(10):
        b.decided(date(2026, 3, 1) if i else date(2026, 9, 30), "G" if i < grants else "D")
    b.publish(root, release_id=release_id, release_date=release_id)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("pinning")
    publish(root, OLD, 3)
    publish(root, NEW, 7)
    return Store(root)


@pytest.fixture(scope="module")
def client(store: Store) -> TestClient:
    return TestClient(create_app(store, base_url="https://lens.example"))


def fy2026_rate(body: dict[str, object]) -> float:
    rows = body["rows"]
    assert isinstance(rows, list)
    return float(next(r["rate"] for r in rows if r["fiscal_year"] == 2026))


def test_api_serves_the_pinned_release(client: TestClient) -> None:
    default = client.get("/api/v1/rates").json()
    assert default["release"]["id"] == NEW and fy2026_rate(default) == pytest.approx(0.7)
    pinned = client.get(f"/api/v1/rates?release={OLD}")
    assert pinned.status_code == 200
    assert pinned.json()["release"]["id"] == OLD
    assert fy2026_rate(pinned.json()) == pytest.approx(0.3)
    assert pinned.headers["X-AsylumLens-Release"] == OLD
    assert pinned.headers["ETag"] != client.get("/api/v1/rates").headers["ETag"]
    csv = client.get(f"/api/v1/rates.csv?release={OLD}").text
    assert ",3,7," in csv.replace("\r", "")  # FY2026: 3 grants, 7 denials


def test_unknown_release_is_404_naming_the_valid_ids(client: TestClient) -> None:
    for url in ("/api/v1/rates?release=2026-10-02", "/?release=2026-10-02"):
        response = client.get(url)
        assert response.status_code == 404
        text = response.text
        assert "2026-10-02" in text and OLD in text and NEW in text
    body = client.get("/api/v1/rates?release=2026-10-02").json()
    assert body["ok"] is False
    assert body["error"].index(OLD) < body["error"].index(NEW)  # closest first


def test_pinned_page_keeps_the_pin_in_links_twins_and_forms(client: TestClient) -> None:
    page = client.get(f"/?release={OLD}")
    assert page.status_code == 200
    html = page.text
    assert f"Release {OLD}" in html and f"A newer release, {NEW}" in html
    assert f'href="/?release={NEW}"' in html  # "view it": the same page, newest release
    assert f'/explorer?release={OLD}"' in html and f'/methodology?release={OLD}"' in html
    twins = re.findall(r'href="(/api/v1/compare\.(?:json|csv)[^"]*)"', html)
    assert twins and all(f"release={OLD}" in t.replace("&amp;", "&") for t in twins)
    assert f'name="release" value="{OLD}"' in html
    follow = client.get(twins[0].replace("&amp;", "&")).json()
    assert follow["release"]["id"] == OLD
    assert follow["rows"][0]["rate"] == pytest.approx(0.3)
    unpinned = client.get("/").text
    assert "pinned-banner" not in unpinned and "release=" not in unpinned.split("<main>")[0]


def test_cite_block_pins_the_permalink(client: TestClient) -> None:
    html = client.get("/?definition=trac").text
    permalink = f"https://lens.example/?definition=trac&amp;release={NEW}"
    assert f'href="{permalink}"' in html
    cite = re.search(r'<p id="cite-text">(.*?)</p>', html, re.S)
    assert cite is not None
    text = cite.group(1)
    assert "TRAC&#39;s judge-report rate (trac), counting cases" in text
    assert f"EOIR case-data release {NEW} (released {NEW})" in text
    assert "SYNTHETIC" in text and "period=FY2026" in text and "accessed" in text


def test_data_page_lists_every_release_pinned(client: TestClient) -> None:
    html = client.get("/data").text
    for rid in (OLD, NEW):
        assert f'href="/?release={rid}"' in html


def test_pinned_pages_all_answer(client: TestClient) -> None:
    for path in ("/", "/explorer", "/judges", "/courts", "/nationalities", "/methodology",
                 "/data", "/api"):  # fmt: skip
        response = client.get(f"{path}?release={OLD}")
        assert response.status_code == 200, path
        assert f"EOIR case-data release {OLD}" in response.text, path


def test_footer_source_is_no_filesystem_path(client: TestClient, store: Store) -> None:
    html = client.get("/").text
    assert str(store.root) not in html


def test_cite_text_names_a_judge_pages_period_in_words(client: TestClient, store: Store) -> None:
    """The judge page's period is since/until parts: cited as such, never as a raw dict."""
    from asylumlens import analytics

    judge = str(analytics.codes("judge", store=store)["code"].iloc[0])
    html = client.get(f"/judges/{judge}?last=2").text
    text = re.search(r'<p id="cite-text">(.*?)</p>', html, re.S)
    assert text is not None
    cited = text.group(1)
    assert "{" not in cited and "&#39;since&#39;" not in cited
    assert "last=2" in cited
    assert re.search(r"since=FY\d{4}\W+until=FY\d{4}", cited), cited
