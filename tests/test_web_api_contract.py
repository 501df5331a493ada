"""The API's contract with its clients, on the real app over the synthetic web store.

No traps: an unknown or misspelt parameter is a 422 that names it and suggests the valid
one (every route, its twins and the pages); HEAD answers like GET on every GET route; the
API answers cross-origin GETs (CORS); every URL has its own stable ETag; a CSV download
without ``_size`` holds every row, streamed. Routes are enumerated from the routers
themselves, so a new route is covered without editing this file.
"""

from __future__ import annotations

import csv
import html
import io
import re
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from asylumlens import analytics
from asylumlens.pipeline import ingest_release
from asylumlens.store import Store
from asylumlens.synth import generate
from asylumlens.web import api, create_app, pages, twins
from asylumlens.web.cache import ResponseMemo
from asylumlens.web.formats import url_etag
from asylumlens.web.provenance import release_etag, release_info
from test_web_hostile import live

ORIGIN = "https://notebook.example"
BIG_CASES = 20_000
"""A synthetic release whose judge x fiscal-year table has 4,000+ rows (about 5,000)."""


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    base = tmp_path_factory.mktemp("big")
    made = generate(base / "synth", cases=BIG_CASES, seed=11, faults=False)
    store = Store(base / "store")
    ingest_release(made.release, store)
    return store


def top_code(store: Store, dimension: str) -> str:
    return str(analytics.codes(dimension, store=store)["code"].iloc[0])


def get_routes() -> list[tuple[str, APIRoute]]:
    """Every GET route of the app's three routers: ("api" | "twin" | "page", route)."""
    found: list[tuple[str, APIRoute]] = []
    for kind, router in (("api", api.router), ("twin", twins.router), ("page", pages.router)):
        for route in router.routes:
            if isinstance(route, APIRoute) and "GET" in route.methods:
                found.append((kind, route))
    return found


def concrete(path: str, store: Store) -> str:
    """``path`` with its ``{code}`` / ``{name}`` filled by a code that exists."""
    kind = path.split("/")[-2] if "{" in path else ""
    dims = {"judges": "judge", "courts": "court", "nationalities": "nationality"}
    if "{code}" in path:
        path = path.replace("{code}", top_code(store, dims[kind]))
    if path.startswith(("/claim", "/api/v1/claim")):  # the check needs a claim to answer 200
        path += "?rate=20&period=FY2020"
    return path.replace("{name}", "none")


def all_urls(store: Store) -> list[tuple[str, str]]:
    return [(kind, concrete(route.path, store)) for kind, route in get_routes()]


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.url, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["ok"] is False and body["status"] == status
    assert body["error"] == "; ".join(body["errors"]) and body["errors"]
    assert isinstance(body["suggestions"], list)
    return body


def csv_table(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def cell(value: Any) -> str:
    return "" if value is None else str(value)


# --- 1. unknown parameters ---------------------------------------------------------------


def test_every_route_is_enumerated(store: Store) -> None:
    kinds = [kind for kind, _ in all_urls(store)]
    assert kinds.count("api") == 39  # 13 endpoints, each with .json and .csv twins
    assert kinds.count("page") >= 10 and kinds.count("twin") >= 14


def test_misspelt_parameter_is_422_with_the_right_name(client: TestClient) -> None:
    response = client.get("/api/v1/rates?defintion=trac&by=court")
    body = assert_error(response, 422)
    assert body["errors"] == [body["error"]]
    assert "unknown parameter 'defintion'; did you mean definition?" in body["error"]
    assert "grant_codes" in body["error"] and "_size" in body["error"]  # what is valid
    assert body["suggestions"] == [
        {"code": "definition", "label": None, "url": "/api/v1/rates?definition=trac&by=court"}
    ]
    fixed = client.get(body["suggestions"][0]["url"]).json()
    assert fixed["ok"] is True and fixed["query"]["definition"] == "trac"
    # the default's figures are not what a misspelt parameter gets
    assert client.get("/api/v1/rates?Definition=trac").status_code == 422  # case
    two = assert_error(client.get("/api/v1/compare?peroid=FY2024&baselin=FY2015-FY2023"), 422)
    assert len(two["errors"]) == 2
    assert {s["code"] for s in two["suggestions"]} == {"period", "baseline"}
    nothing = assert_error(client.get("/api/v1/definitions?zzzqqq=1"), 422)
    assert "did you mean" not in nothing["error"] and nothing["suggestions"] == []


def test_many_or_long_unknown_names_give_a_short_error(client: TestClient) -> None:
    many = "&".join(f"junk{i}=1" for i in range(500))
    body = assert_error(client.get(f"/api/v1/rates?{many}"), 422)
    assert len(body["errors"]) == 6 and body["errors"][-1] == "and 495 more unknown parameters"
    long = "n" * 5000
    body = assert_error(client.get(f"/api/v1/rates?{long}=1"), 422)
    assert len(body["error"]) < 400 and "n" * 57 + "..." in body["error"]


def test_valid_names_come_from_each_route(client: TestClient) -> None:
    """A name one route declares is unknown on a route that does not read it."""
    assert client.get("/api/v1/compare?period=FY2024&baseline=FY2015-FY2023").status_code == 200
    body = assert_error(client.get("/api/v1/rates?period=FY2024"), 422)
    assert "'period'" in body["error"] and "baseline" not in body["error"]
    body = assert_error(client.get("/api/v1/courts?by=court"), 422)
    assert "valid: definition, q, since, until" in body["error"]
    assert "unknown parameter" not in client.get("/api/v1/judges?court=X").text  # declared
    page = client.get("/judges?court=X")  # the API's judges take court=; the page does not
    assert page.status_code == 422 and "unknown parameter 'court'" in html.unescape(page.text)


def test_unknown_parameter_is_422_on_every_route_twin_and_page(
    client: TestClient, store: Store
) -> None:
    for kind, url in all_urls(store):
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}defintion=trac")  # twins' 307s are followed
        assert response.status_code == 422, url
        assert "unknown parameter 'defintion'" in html.unescape(response.text), url
        if kind == "page":
            assert response.headers["content-type"].startswith("text/html"), url
        else:
            assert_error(response, 422)


def test_html_pages_show_the_422_with_the_suggestion(client: TestClient) -> None:
    response = client.get("/courts/?defintion=trac", follow_redirects=True)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "unknown parameter 'defintion'; did you mean definition?" in html.unescape(response.text)
    assert 'href="/courts?definition=trac"' in response.text
    assert "SYNTHETIC" in response.text


def test_always_valid_names_and_tracking_on_pages(client: TestClient, store: Store) -> None:
    release = store.release().id
    for url in ("/courts", "/api/v1/courts", "/explorer?by=court", "/api/v1/rates?by=court"):
        sep = "&" if "?" in url else "?"
        for extra in (f"release={release}", "_size=5", "_format=json"):
            assert client.get(f"{url}{sep}{extra}").status_code == 200, (url, extra)
    clean = client.get("/courts")
    tracked = client.get("/courts?utm_source=newsletter&utm_medium=mail&fbclid=Iw4R")
    assert tracked.status_code == 200 and tracked.content == clean.content
    assert tracked.headers["etag"] == clean.headers["etag"]
    # the API is strict: a client's typo there must never pass for a tracking tag
    assert "'utm_source'" in assert_error(client.get("/api/v1/courts?utm_source=x"), 422)["error"]


# --- 2. HEAD -------------------------------------------------------------------------------


def test_head_answers_like_get_on_every_get_route(client: TestClient, store: Store) -> None:
    checked = 0
    for _kind, url in all_urls(store):
        got = client.get(url, follow_redirects=False)
        head = client.head(url, follow_redirects=False)
        if "/data/diffs/" not in url:
            assert got.status_code in (200, 307), url
        assert head.status_code == got.status_code, url
        assert head.content == b"", url
        for name in ("content-type", "etag", "content-length", "location", "content-disposition"):
            assert head.headers.get(name) == got.headers.get(name), (url, name)
        checked += 1
    assert checked >= 50


# --- 3. CORS -------------------------------------------------------------------------------


def test_api_allows_any_origin_for_get_and_head(client: TestClient, store: Store) -> None:
    code = top_code(store, "court")
    for url in ("/api/v1/rates?by=court", "/api/v1/rates.csv", f"/api/v1/courts/{code}.json"):
        for method in ("GET", "HEAD"):
            r = client.request(method, url, headers={"Origin": ORIGIN})
            assert r.status_code == 200, url
            assert r.headers["access-control-allow-origin"] == "*", url
            assert "access-control-allow-credentials" not in r.headers
            assert "etag" in r.headers["access-control-expose-headers"].lower()
    redirect = client.get(
        "/explorer.csv?by=court", headers={"Origin": ORIGIN}, follow_redirects=False
    )
    assert redirect.status_code == 307 and redirect.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/api/v1/rates",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {"GET", "HEAD"}
    refused = client.options(
        "/api/v1/rates", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert refused.status_code == 400
    page = client.get("/courts", headers={"Origin": ORIGIN})
    assert page.status_code == 200 and "access-control-allow-origin" not in page.headers
    assert_error(client.post("/api/v1/rates", headers={"Origin": ORIGIN}), 405)


# --- 4. per-URL ETags ------------------------------------------------------------------------


def test_each_url_has_its_own_stable_etag(app: FastAPI, store: Store) -> None:
    urls = [
        "/api/v1/rates?by=custody",
        "/api/v1/rates?by=court",
        "/api/v1/rates.csv?by=court",
        "/api/v1/rates?by=court&_format=csv",
        "/api/v1/release",
        "/",
        "/courts",
        "/courts?definition=trac",
    ]
    info = release_info(store.release())
    with TestClient(app) as one, TestClient(create_app(store)) as other:
        tags = {url: one.get(url).headers["etag"] for url in urls}
        assert len(set(tags.values())) == len(urls)  # two URLs never share one
        for url, tag in tags.items():
            assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
            assert one.get(url).headers["etag"] == tag  # again (now from the memo)
            assert other.get(url).headers["etag"] == tag  # another app instance
            path, _, query = url.partition("?")
            assert tag == url_etag(release_etag(info), path, query)  # no process state
        a, b = "/api/v1/rates?by=custody", "/api/v1/rates?by=court"
        for client in (one, other):
            assert client.get(a, headers={"If-None-Match": tags[a]}).status_code == 304
            assert client.get(b, headers={"If-None-Match": tags[a]}).status_code == 200
            assert client.get("/courts", headers={"If-None-Match": tags["/"]}).status_code == 200
            hit = client.get("/courts", headers={"If-None-Match": f'W/{tags["/courts"]}, "x"'})
            assert hit.status_code == 304 and hit.headers["etag"] == tags["/courts"]


# --- 5. complete, streamed CSV downloads ---------------------------------------------------


def test_csv_without_size_is_every_row(big_store: Store) -> None:
    url = "/api/v1/rates?by=judge,fiscal_year"
    with TestClient(create_app(big_store)) as client:
        first = client.get(url).json()
        total = first["total_rows"]
        assert total > 4000 and len(first["rows"]) == 1000 and first["next"]  # JSON pages
        rows = client.get(f"{url}&_size=10000").json()["rows"]
        assert len(rows) == total
        text = client.get(url.replace("/rates?", "/rates.csv?")).text
        header, got = csv_table(text)
        assert header == first["columns"]
        assert len(got) == total
        assert got == [[cell(r[c]) for c in header] for r in rows]
        assert client.get(f"{url}&_format=csv").text == text
        # written as an explicit _size writes it, byte for byte
        assert client.get(url.replace("/rates?", "/rates.csv?") + "&_size=10000").text == text
        # an explicit _size still paginates the CSV
        sized = client.get(url.replace("/rates?", "/rates.csv?") + "&_size=100")
        assert len(csv_table(sized.text)[1]) == 100 and 'rel="next"' in sized.headers["link"]
        # the page's CSV link is the complete download
        page = client.get("/explorer?by=judge,fiscal_year").text
        link = re.search(r'href="([^"]+\.csv[^"]*)" download', page)
        assert link is not None and "_size" not in link.group(1)
        via_page = client.get(link.group(1).replace("&amp;", "&"))
        assert len(csv_table(via_page.text)[1]) == total


def test_csv_download_is_streamed_and_not_buffered_by_the_memo(big_store: Store) -> None:
    memo = ResponseMemo(max_bytes=1024 * 1024, max_body=64 * 1024)
    app = create_app(big_store, memo=memo)
    url = "/api/v1/rates.csv?by=judge,fiscal_year"
    with live(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        total = client.get("/api/v1/rates?by=judge,fiscal_year").json()["total_rows"]
        cached = len(memo), memo.size_bytes
        for _ in range(2):
            with client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as r:
                assert r.status_code == 200
                assert "content-length" not in r.headers  # streamed, not one buffered body
                assert r.headers.get("transfer-encoding") == "chunked"
                body = b"".join(r.iter_raw())
            assert len(body) > memo.max_body
            assert len(csv_table(body.decode())[1]) == total
            assert (len(memo), memo.size_bytes) == cached  # too large to keep: passed through
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert len(csv_table(zipped.text)[1]) == total
        head = client.head(url)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == zipped.headers["etag"]


def test_streamed_csv_is_never_memoised_and_answers_alike(store: Store) -> None:
    memo = ResponseMemo()
    with TestClient(create_app(store, memo=memo)) as client:
        assert client.get("/api/v1/rates?by=custody").status_code == 200
        kept = len(memo)
        assert kept == 1  # a plain body is memoised
        url = "/api/v1/rates.csv?by=custody,fiscal_year"
        first = client.get(url, headers={"Accept-Encoding": "identity"})
        again = client.get(url, headers={"Accept-Encoding": "identity"})
        assert first.status_code == again.status_code == 200
        assert again.content == first.content and again.headers == first.headers
        assert "content-length" not in again.headers
        assert len(memo) == kept
        assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        sized = f"{url}&_size=10"  # one page: a plain body, memoised
        assert client.get(sized).status_code == 200 and len(memo) == kept + 1


def test_docs_describe_the_contract() -> None:
    text = (Path(__file__).parents[1] / "docs" / "api.md").read_text()
    for phrase in ("did you mean", "Access-Control-Allow-Origin", "HEAD", "ETag", "every row"):
        assert phrase in text, phrase
    assert "every row" in create_app.__globals__["API_DESCRIPTION"]
