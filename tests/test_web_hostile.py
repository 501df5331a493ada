"""The server against a re-ingest under it and against hostile clients, over real HTTP.

A real uvicorn (the settings of ``asylumlens serve``) on 127.0.0.1, a real store, a real
``asylumlens ingest`` subprocess. Request loops are bounded in count and time. Cache sizes
are read from the app's own cache objects, never from the process's memory use.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import uvicorn

from asylumlens import analytics
from asylumlens.output import jsonable
from asylumlens.pipeline import ingest_release
from asylumlens.store import Store
from asylumlens.synth import generate
from asylumlens.web import create_app
from asylumlens.web.cache import ResponseMemo
from asylumlens.web.formats import url_etag
from asylumlens.web.guard import MAX_URL_BYTES
from asylumlens.web.server import server_config
from web_support import web_store

RELEASE_DATE = date(2026, 11, 1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return web_store(tmp_path_factory.getbasetemp())


@contextmanager
def live(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with ``asylumlens serve``'s uvicorn settings on a free loopback port."""
    server = uvicorn.Server(server_config(app, "127.0.0.1", 0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        assert not thread.is_alive(), "server did not stop"  # no worker left at exit


def rows_of(df: Any) -> list[dict[str, Any]]:
    return [{str(k): jsonable(v) for k, v in r.items()} for r in df.to_dict("records")]


# --- a re-ingest under a running server -------------------------------------------------


def test_reingest_under_a_running_server_keeps_serving_its_snapshot(tmp_path: Path) -> None:
    """Decision: the server serves the exact version it opened until it restarts (figures,
    SHA-256, ETag all of it); a server started afterwards serves the new version."""
    old_src = generate(tmp_path / "old", 1200, 21, release_date=RELEASE_DATE).release
    new_src = generate(tmp_path / "new", 1500, 22, release_date=RELEASE_DATE).release
    store = Store(tmp_path / "store")
    ingest_release(old_src, store)
    app = create_app(store)
    served = app.state.web.release
    served_etag = app.state.web.etag
    old_sha = served.info["source_sha256"]
    years = rows_of(analytics.rates(definition="eoir", by=("fiscal_year",), release=served))
    courts = rows_of(analytics.rates(definition="trac", by=("court",), release=served))
    seen: list[tuple[int, str | None, str | None]] = []
    with live(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        etag = client.get("/api/v1/release").headers["etag"]
        ingest = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "asylumlens",
                "ingest",
                str(new_src),
                "--store",
                str(store.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 180
        i = 0
        while (ingest.poll() is None or i < 40) and time.monotonic() < deadline and i < 3000:
            i += 1
            # new parameters each time: computed now, from disk, during the switch
            rates = client.get(f"/api/v1/rates?by=fiscal_year&min_decisions={i}")
            page = client.get(f"/courts?definition=trac&utm_content={i}")  # ignored on pages
            listing = client.get(
                "/api/v1/courts?definition=trac&_size=10000&since=" + "&until=" * (1 + i % 20)
            )
            for r in (rates, page, listing):
                seen.append(
                    (r.status_code, r.headers.get("etag"), r.headers.get("x-asylumlens-release"))
                )
            assert rates.status_code == page.status_code == listing.status_code == 200
            body = rates.json()
            assert body["release"]["source_sha256"] == old_sha
            assert [{**r, "below_threshold": None} for r in body["rows"]] == [
                {**r, "below_threshold": None} for r in years
            ]
            assert listing.json()["rows"] == courts
            assert old_sha[:16] in page.text
            for r in (rates, page, listing):  # the ETag of the URL on the served release
                path, _, query = r.request.url.raw_path.decode().partition("?")
                query = "&".join(p for p in query.split("&") if not p.startswith("utm_"))
                assert r.headers["etag"] == url_etag(served_etag, path, query)
        assert ingest.wait(timeout=60) == 0, ingest.stderr.read() if ingest.stderr else ""
    assert len(seen) >= 120 and all(s[0] == 200 for s in seen)
    assert served.path.is_dir()  # the version it served was not deleted under it
    after = create_app(Store(store.root))  # a restart serves the new version
    new = after.state.web.release
    assert new.info["source_sha256"] != old_sha and new.path != served.path
    with TestClient(after) as fresh:
        assert fresh.get("/api/v1/release").headers["etag"] != etag
        assert fresh.get("/api/v1/rates?by=fiscal_year").json()["rows"] != years


# --- caches bounded in bytes, keyed on declared parameters --------------------------------


def test_junk_parameters_never_add_a_cache_entry(store: Store) -> None:
    memo = ResponseMemo(max_bytes=4 * 1024 * 1024)
    app = create_app(store, memo=memo)
    frames = app.state.web.queries.memo
    with TestClient(app) as client:
        for path in ("/api/v1/rates?by=court", "/explorer?by=court", "/courts"):
            assert client.get(path).status_code == 200
        entries, size, frame_entries = len(memo), memo.size_bytes, len(frames)
        for i in range(300):
            sep = "&" if i % 3 != 2 else "?"
            path = ("/api/v1/rates?by=court", "/explorer?by=court", "/courts")[i % 3]
            junk = f"junk{i}={'x' * (i % 50)}&utm_source=s{i}"
            response = client.get(f"{path}{sep}{junk}")
            assert response.status_code == 422  # an undeclared parameter is refused
            assert "x" * 20 not in response.text  # its value is never echoed
            tracked = client.get(f"{path}{sep}utm_source=s{i}&fbclid={'y' * (i % 50)}")
            assert tracked.status_code == (422 if path.startswith("/api/") else 200)
            assert "y" * 20 not in tracked.text
        assert (len(memo), memo.size_bytes, len(frames)) == (entries, size, frame_entries)
        # a page's tracking-tagged URL gets the clean URL's body
        clean = client.get("/explorer?by=court")
        tagged = client.get("/explorer?by=court&utm_medium=mail")
        assert clean.content == tagged.content


def test_distinct_valid_requests_stay_under_the_byte_bounds(store: Store) -> None:
    memo = ResponseMemo(max_bytes=256 * 1024)
    app = create_app(store, memo=memo)
    frames = app.state.web.queries.memo
    frames.max_bytes = 512 * 1024
    with TestClient(app) as client:
        for i in range(200):
            response = client.get(f"/api/v1/rates?by=judge,fiscal_year&min_decisions={i}")
            assert response.status_code == 200
            assert memo.size_bytes <= memo.max_bytes
            assert frames.size_bytes <= frames.max_bytes
        assert len(memo) < 200 and len(frames) < 200  # the bounds did evict
        assert memo.size_bytes > memo.max_bytes // 2  # and the memo was used, not bypassed


# --- the Host header ----------------------------------------------------------------------


def test_host_header_never_reaches_links_bodies_or_the_cache(store: Store) -> None:
    evil = {"host": "evil.example"}
    urls = ["/api/v1/rates?by=judge&_size=1", "/explorer?by=court", "/", "/api/v1/judges?_size=1"]
    with TestClient(create_app(store)) as client:
        for url in urls:
            poisoned = client.get(url, headers=evil)
            assert poisoned.status_code == 200
            assert "evil.example" not in poisoned.text
            assert "evil.example" not in json.dumps(dict(poisoned.headers))
            normal = client.get(url)
            assert "evil.example" not in normal.text + json.dumps(dict(normal.headers))
        first = client.get("/api/v1/rates?by=judge&_size=1", headers=evil)
        assert first.json()["next_url"].startswith("/api/v1/rates?by=judge&_size=1&_next=")
        assert first.headers["link"].startswith("</api/v1/rates?")
        moved = client.get("/judges/", headers=evil, follow_redirects=False)
        assert moved.status_code == 308 and moved.headers["location"] == "/judges"
    based = create_app(store, base_url="https://lens.example/")
    with TestClient(based) as client:
        body = client.get("/api/v1/rates?by=judge&_size=1", headers=evil).json()
        assert body["next_url"].startswith("https://lens.example/api/v1/rates?by=judge&_size=1")


# --- hostile URLs, HEAD, headers, 500s, over real HTTP --------------------------------------


def assert_envelope(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["ok"] is False and body["status"] == status and body["errors"]
    assert body["error"] == "; ".join(body["errors"])
    return body


def test_malformed_urls_get_the_error_shape_over_real_http(store: Store) -> None:
    with live(create_app(store)) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert_envelope(client.get("/api/v1/rates?by=%00"), 400)
        assert_envelope(client.get("/api/v1/judges/%00"), 400)
        page = client.get("/judges/%00")
        assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
        assert "NUL" in page.text and "Traceback" not in page.text
        huge = "by=" + "a" * (1024 * 1024)  # beyond what httpx sends: a raw client
        host, port = base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        for path, kind in (
            (f"/api/v1/rates?{huge}", "application/json"),
            (f"/explorer?{huge}", "text/html"),
        ):
            conn.request("GET", path)
            got = conn.getresponse()
            text = got.read().decode()
            assert got.status == 414 and got.getheader("content-type", "").startswith(kind)
            assert "longer than" in text and "Traceback" not in text
            if kind == "application/json":
                assert json.loads(text)["status"] == 414
        conn.close()
        at_limit = "/api/v1/rates?by=court" + "&where=" * ((MAX_URL_BYTES - 40) // 7)
        assert client.get(at_limit).status_code == 200
        assert client.get("/api/v1/definitions").status_code == 200  # the server is fine


def test_head_answers_like_get_without_a_body(store: Store) -> None:
    with live(create_app(store)) as base, httpx.Client(base_url=base, timeout=30) as client:
        for url in ("/api/v1/rates?by=court", "/courts", "/static/charts.js", "/nope"):
            got = client.get(url)
            head = client.head(url)
            assert head.status_code == got.status_code, url
            assert head.content == b""
            for name in ("content-type", "etag", "content-length"):
                assert head.headers.get(name) == got.headers.get(name), (url, name)


def test_every_response_carries_security_headers(store: Store) -> None:
    with live(create_app(store)) as base, httpx.Client(base_url=base, timeout=30) as client:
        responses = {
            url: client.get(url)
            for url in ("/", "/api/v1/rates", "/static/asylumlens.css", "/nope", "/api/v1/nope")
        }
        for url, r in responses.items():
            assert r.headers["x-content-type-options"] == "nosniff", url
            assert r.headers["referrer-policy"] == "same-origin", url
            assert r.headers["cross-origin-resource-policy"], url
        for url in ("/", "/nope"):
            csp = responses[url].headers["content-security-policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
            assert responses[url].headers["x-frame-options"] == "SAMEORIGIN"
        assert responses["/api/v1/rates"].headers["cross-origin-resource-policy"] == "cross-origin"


def test_a_500_is_a_proper_response_and_keeps_the_connection(tmp_path: Path) -> None:
    made = generate(tmp_path / "synth", 600, 5, release_date=RELEASE_DATE).release
    store = Store(tmp_path / "store")
    ingest_release(made, store)
    app = create_app(store)
    with live(app) as base:
        host, port = base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", "/api/v1/definitions")
        ok = conn.getresponse()
        ok.read()
        sock = conn.sock
        # the disk loses the fact table under the running server: an unexpected failure
        facts = app.state.web.release.path / "decisions.parquet"
        with facts.open("r+b") as fh:  # in place: readers holding the file see it too
            fh.write(b"\0" * facts.stat().st_size)
        conn.request("GET", "/api/v1/rates?by=custody")
        failed = conn.getresponse()
        body = json.loads(failed.read())
        assert failed.status == 500 and body["ok"] is False and body["status"] == 500
        assert "Traceback" not in json.dumps(body) and not failed.will_close
        assert failed.getheader("x-content-type-options") == "nosniff"
        conn.request("GET", "/api/v1/definitions")
        again = conn.getresponse()
        again.read()
        assert again.status == 200 and conn.sock is sock  # same keep-alive connection
        conn.close()


def test_no_filesystem_path_in_any_response(store: Store) -> None:
    release = store.release()
    source = Path(release.info["source"])
    with TestClient(create_app(store)) as client:
        for url in ("/", "/data", "/api/v1/release", "/api/v1/rates", "/courts"):
            r = client.get(url)
            assert r.status_code == 200
            for secret in (str(source.parent), str(store.root.resolve()), str(release.path)):
                assert secret not in r.text, (url, secret)
        block = client.get("/api/v1/release").json()
        assert block["release"]["source"] == source.name
        assert block["facts"]["manifest_release"]["source"] == source.name
        assert release.info["source_sha256"] == block["release"]["source_sha256"]
