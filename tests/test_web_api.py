"""The JSON API and the pages, through the real app over ASGI, on a real synthetic store.

Expected rows are never written down here: each is computed by calling the library
(``asylumlens.rates``, ``compare``, ``judges``, ``codes``) with the same parameters, or read
from the release's manifest, and compared with what the API returns.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

import asylumlens
from asylumlens import analytics
from asylumlens.errors import QueryError
from asylumlens.output import jsonable
from asylumlens.store import Store
from asylumlens.web import create_app


def library_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): jsonable(v) for k, v in rec.items()} for rec in df.to_dict("records")]


def assert_same_rows(api: list[dict[str, Any]], lib: list[dict[str, Any]]) -> None:
    assert len(api) == len(lib)
    for got, want in zip(api, lib, strict=True):
        assert set(got) == set(want)
        for key, value in want.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
            else:
                assert got[key] == value, key


def assert_error(response: Any, status: int) -> dict[str, Any]:
    """The one error shape (Datasette's canonical error, plus suggestions)."""
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["ok"] is False
    assert body["status"] == status
    assert body["error"] == "; ".join(body["errors"])
    assert body["errors"]
    assert isinstance(body["suggestions"], list)
    assert "Traceback" not in response.text
    return body


def top_code(store: Store, dimension: str) -> str:
    return str(analytics.codes(dimension, store=store)["code"].iloc[0])


# --- rates --------------------------------------------------------------------------


RATES_CASES: list[dict[str, Any]] = [
    {"definition": "eoir", "by": ["fiscal_year"]},
    {"definition": "trac", "by": ["nationality", "custody"]},
    {"definition": "eoir", "by": ["court"], "since": "FY2015", "until": "FY2020"},
    {"definition": "trac_other_relief", "by": ["fiscal_year"], "unit": "case"},
    {"definition": "trac", "by": ["judge"], "min_decisions": 10},
]


@pytest.mark.parametrize("params", RATES_CASES, ids=lambda p: ",".join(p["by"]))
def test_rates_rows_equal_library(client: TestClient, store: Store, params: dict[str, Any]) -> None:
    query = {**params, "by": ",".join(params["by"]), "_size": 10000}
    body = client.get("/api/v1/rates", params=query).json()
    assert body["ok"] is True
    lib = asylumlens.analytics.rates(store=store, **params)
    assert body["columns"] == [str(c) for c in lib.columns]
    assert body["total_rows"] == len(lib)
    assert_same_rows(body["rows"], library_rows(lib))


def test_rates_where_is_repeatable_and_matches_library(client: TestClient, store: Store) -> None:
    nats = list(analytics.codes("nationality", store=store)["code"][:2])
    custody = top_code(store, "custody")
    params = [("by", "fiscal_year"), ("definition", "trac")]
    params += [("where", f"nationality:{n}") for n in nats] + [("where", f"custody:{custody}")]
    body = client.get("/api/v1/rates", params=params).json()
    lib = analytics.rates(
        definition="trac",
        by=("fiscal_year",),
        where={"nationality": nats, "custody": custody},
        store=store,
    )
    assert_same_rows(body["rows"], library_rows(lib))
    # the echo groups codes by dimension (sorted), each dimension's codes as requested
    assert body["query"]["where"] == {"custody": [custody], "nationality": nats}
    assert list(body["query"]["where"]) == ["custody", "nationality"]


def test_by_accepts_repeated_and_comma_forms(client: TestClient) -> None:
    comma = client.get("/api/v1/rates?by=fiscal_year,custody").json()["rows"]
    repeated = client.get("/api/v1/rates?by=fiscal_year&by=custody").json()["rows"]
    assert comma == repeated
    assert comma and "custody" in comma[0]


# --- CSV twins, pagination, ETag -------------------------------------------------


def csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return header, list(reader)


def as_csv_cell(value: Any) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/rates?by=nationality,fiscal_year&definition=trac",
        "/api/v1/compare",
        "/api/v1/courts",
        "/api/v1/nationalities?definition=trac",
        "/api/v1/judges",
        "/api/v1/release",
        "/api/v1/definitions",
    ],
)
def test_csv_rows_equal_json_rows(client: TestClient, path: str) -> None:
    base, _, query = path.partition("?")
    suffix = f"?{query}" if query else ""
    data = client.get(f"{base}.json{suffix}").json()
    plain = client.get(path).json()
    assert data == plain
    csv_resp = client.get(f"{base}.csv{suffix}")
    assert csv_resp.status_code == 200
    assert csv_resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_resp.headers["content-disposition"]
    assert "SYNTHETIC" in csv_resp.headers["content-disposition"]
    header, rows = csv_rows(csv_resp.text)
    assert header == data["columns"]
    assert rows == [[as_csv_cell(r[c]) for c in header] for r in data["rows"]]
    sep = "&" if query else "?"
    assert client.get(f"{path}{sep}_format=csv").text == csv_resp.text


def test_detail_csv_is_its_primary_table(client: TestClient, store: Store) -> None:
    code = top_code(store, "nationality")
    data = client.get(f"/api/v1/nationalities/{code}.json").json()
    header, rows = csv_rows(client.get(f"/api/v1/nationalities/{code}.csv").text)
    assert header == data["columns"]
    assert rows == [[as_csv_cell(r[c]) for c in header] for r in data["rows"]]


def test_pagination_walks_every_row_once(client: TestClient) -> None:
    full = client.get("/api/v1/rates?by=nationality,fiscal_year&definition=trac").json()
    assert full["total_rows"] > 12
    collected: list[dict[str, Any]] = []
    url: str | None = "/api/v1/rates?by=nationality,fiscal_year&definition=trac&_size=5"
    pages = 0
    while url:
        resp = client.get(url)
        body = resp.json()
        assert len(body["rows"]) <= 5
        collected += body["rows"]
        if body["next"]:
            assert body["next"] in resp.headers["link"]
        url = body["next_url"]
        pages += 1
    assert pages == math.ceil(full["total_rows"] / 5)
    assert collected == full["rows"]
    # the CSV of a page holds that page's rows
    page2 = client.get(
        f"/api/v1/rates?by=nationality,fiscal_year&definition=trac&_size=5"
        f"&_next={client.get('/api/v1/rates?by=nationality,fiscal_year&definition=trac&_size=5').json()['next']}"
    )
    header, rows = csv_rows(client.get(str(page2.url).replace("/rates?", "/rates.csv?")).text)
    assert rows == [[as_csv_cell(r[c]) for c in header] for r in page2.json()["rows"]]


@pytest.mark.parametrize("token", ["garbage", "bzp4", "!!!", "cDox"])
def test_bad_page_token_is_422(client: TestClient, token: str) -> None:
    body = assert_error(client.get(f"/api/v1/rates?_next={token}"), 422)
    assert "_next" in body["error"]


def test_etag_and_not_modified(client: TestClient, store: Store) -> None:
    first = client.get("/api/v1/rates?by=custody")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    release = store.release()
    # tied to the release, the app version and the URL: another URL has its own
    assert client.get("/api/v1/release").headers["etag"] != etag
    home = client.get("/").headers["etag"]
    assert home != etag
    again = client.get("/api/v1/rates?by=custody", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get("/", headers={"If-None-Match": f'W/{home}, "x"'}).status_code == 304
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 200
    assert (
        client.get("/api/v1/rates?by=custody", headers={"If-None-Match": '"other"'}).status_code
        == 200
    )
    # a bad request is still a 422, whatever the client holds
    assert_error(client.get("/api/v1/rates?by=nope", headers={"If-None-Match": etag}), 422)
    assert first.headers["x-asylumlens-release"] == release.id


def test_etag_changes_with_the_release(store: Store, tmp_path: Any) -> None:
    import shutil

    release = store.release()
    copy_root = tmp_path / "copy"
    shutil.copytree(release.path, copy_root / "releases" / "other-release")
    manifest_path = copy_root / "releases" / "other-release" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["release"]["id"] = "other-release"
    manifest_path.write_text(json.dumps(manifest))
    with TestClient(create_app(Store(copy_root))) as other, TestClient(create_app(store)) as this:
        a = this.get("/api/v1/release").headers["etag"]
        b = other.get("/api/v1/release").headers["etag"]
        assert a != b
        assert other.get("/api/v1/release", headers={"If-None-Match": a}).status_code == 200


# --- compare, judges, courts, nationalities, release ---------------------------------


def test_compare_equals_library(client: TestClient, store: Store) -> None:
    body = client.get("/api/v1/compare?period=FY2024&baseline=FY2015-FY2023&definition=trac").json()
    lib = analytics.compare(
        period="FY2024", baseline="FY2015-FY2023", definition="trac", store=store
    )
    assert_same_rows(body["rows"], library_rows(lib))


def test_compare_default_is_latest_full_year_against_2010(client: TestClient, store: Store) -> None:
    body = client.get("/api/v1/compare").json()
    # the synthetic release is dated 2026-11-01: FY2026 (to 2026-09-30) is its latest
    # complete year, and its data start before FY2010
    assert store.release().release_date == date(2026, 11, 1)
    assert (body["query"]["period"], body["query"]["baseline"]) == ("FY2026", "FY2010-FY2025")
    assert analytics.default_comparison(store=store) == ("FY2026", "FY2010-FY2025")
    lib = analytics.compare(period="FY2026", baseline="FY2010-FY2025", store=store)
    assert_same_rows(body["rows"], library_rows(lib))


def test_judges_of_a_court_equal_library(client: TestClient, store: Store) -> None:
    court = top_code(store, "court")
    body = client.get(f"/api/v1/judges?court={court}").json()
    lib = analytics.judges(court=court, store=store)
    assert_same_rows(body["rows"], library_rows(lib))
    # how the estimates were made travels with them, as the library says it
    assert body["model"]["model"] == lib.attrs["model"]
    assert body["model"]["note"] == lib.attrs["note"]
    assert [r["judge"] for r in body["model"]["not_judges"]] == [
        r["judge"] for r in lib.attrs["not_judges"]
    ]


def test_judges_list_is_rates_by_judge(client: TestClient, store: Store) -> None:
    body = client.get("/api/v1/judges?_size=10000").json()
    lib = analytics.rates(definition=analytics.DEFAULT_DEFINITION, by=("judge",), store=store)
    assert_same_rows(body["rows"], library_rows(lib))


def test_judge_detail(client: TestClient, store: Store) -> None:
    judge = top_code(store, "judge")
    body = client.get(f"/api/v1/judges/{judge}").json()
    where = {"judge": judge}
    lib = analytics.rates(
        definition=analytics.DEFAULT_DEFINITION, by=("fiscal_year",), where=where, store=store
    )
    assert_same_rows(body["rows"], library_rows(lib))
    facts = body["facts"]
    assert facts["judge"]["code"] == judge
    by_court = analytics.rates(definition="eoir", by=("court",), where=where, store=store)
    main_court = str(by_court.sort_values("total", ascending=False)["court"].iloc[0])
    assert facts["court"]["code"] == main_court
    spread = library_rows(analytics.judges(court=main_court, store=store))
    mine = next(r for r in spread if r["judge"] == judge)
    assert facts["estimate"]["shrunk_rate"] == pytest.approx(mine["shrunk_rate"])
    nation = analytics.rates(
        definition=analytics.DEFAULT_DEFINITION, by=("fiscal_year",), store=store
    )
    assert_same_rows(body["tables"]["national_trend"]["rows"], library_rows(nation))
    mix = analytics.rates(
        definition=analytics.DEFAULT_DEFINITION, by=("custody",), where=where, store=store
    )
    assert {r["custody"] for r in body["tables"]["mix_custody"]["rows"]} == set(mix["custody"])


def test_detail_pages_with_no_matching_decisions_say_so(client: TestClient, store: Store) -> None:
    judge = top_code(store, "judge")
    with pytest.raises(QueryError):
        analytics.rates(by=("fiscal_year",), where={"judge": judge}, since="FY2090", store=store)
    body = client.get(f"/api/v1/judges/{judge}?since=FY2090").json()
    assert body["ok"] is True and body["rows"] == []
    for kind, dim in (("judges", "judge"), ("courts", "court"), ("nationalities", "nationality")):
        page = client.get(f"/{kind}/{top_code(store, dim)}?since=FY2090")
        assert page.status_code == 200
        assert 'id="empty-note"' in page.text


def test_court_detail(client: TestClient, store: Store) -> None:
    court = top_code(store, "court")
    body = client.get(f"/api/v1/courts/{court}?definition=eoir").json()
    lib = library_rows(analytics.judges(court=court, definition="eoir", store=store))
    assert [r["judge"] for r in body["rows"]] == [r["judge"] for r in lib]
    assert [r["shrunk_rate"] for r in body["rows"]] == pytest.approx(
        [r["shrunk_rate"] for r in lib]
    )
    trend = analytics.rates(
        definition="eoir", by=("fiscal_year",), where={"court": court}, store=store
    )
    assert_same_rows(body["tables"]["trend"]["rows"], library_rows(trend))


def test_nationality_detail(client: TestClient, store: Store) -> None:
    nat = top_code(store, "nationality")
    body = client.get(f"/api/v1/nationalities/{nat}?since=FY2012").json()
    where = {"nationality": nat}
    trend = analytics.rates(by=("fiscal_year",), where=where, since="FY2012", store=store)
    assert_same_rows(body["rows"], library_rows(trend))
    rep = analytics.rates(by=("represented",), where=where, since="FY2012", store=store)
    assert {r["represented"] for r in body["tables"]["represented"]["rows"]} == set(
        rep["represented"]
    )


@pytest.mark.parametrize("kind,dim", [("courts", "court"), ("nationalities", "nationality")])
def test_listings_equal_library(client: TestClient, store: Store, kind: str, dim: str) -> None:
    body = client.get(f"/api/v1/{kind}?definition=trac&_size=10000").json()
    lib = analytics.rates(definition="trac", by=(dim,), store=store)
    assert_same_rows(body["rows"], library_rows(lib))


def test_release_reports_the_manifest(client: TestClient, store: Store) -> None:
    release = store.release()
    manifest = json.loads((release.path / "manifest.json").read_text())
    body = client.get("/api/v1/release").json()
    assert body["release"]["id"] == manifest["release"]["id"]
    assert body["release"]["source_sha256"] == manifest["release"]["source_sha256"]
    assert body["release"]["synthetic"] is True
    got = {r["table"]: r for r in body["rows"]}
    assert set(got) == set(manifest["tables"])
    for stem, entry in manifest["tables"].items():
        for key in ("lines", "loaded", "repaired", "quarantined"):
            assert got[stem][key] == entry[key]
        for reason, count in entry["reasons"].items():
            assert f"{reason}: {count}" in got[stem]["reasons"]
    assert sum(r["quarantined"] for r in body["rows"]) == manifest["totals"]["quarantined"]


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,must_mention",
    [
        ("/api/v1/rates?definition=tracc", "trac_other_relief"),
        ("/api/v1/rates?by=fiscal_year,colour", "nationality"),
        ("/api/v1/rates?where=nationality", "DIMENSION:CODE"),
        ("/api/v1/rates?where=planet:MARS", "valid"),
        ("/api/v1/rates?where=nationality:QQQQ", "valid"),
        ("/api/v1/rates?since=2019", "FY2010"),
        ("/api/v1/rates?since=FY2020&until=FY2010", "after"),
        ("/api/v1/rates?unit=person", "case"),
        ("/api/v1/rates?_size=0", "_size"),
        ("/api/v1/rates?min_decisions=-1", "min_decisions"),
        ("/api/v1/rates.csv?_format=json", "csv"),
        ("/api/v1/compare?period=2025", "FY2025"),
        ("/api/v1/judges/ZZ9?definition=nope", "valid"),
    ],
)
def test_invalid_parameters_are_422_and_say_what_is_valid(
    client: TestClient, url: str, must_mention: str
) -> None:
    body = assert_error(client.get(url), 422)
    assert must_mention in body["error"]


def test_unknown_code_is_404_with_near_matches(client: TestClient, store: Store) -> None:
    judge = top_code(store, "judge")
    typo = judge[:-1] + ("X" if judge[-1] != "X" else "Y")
    body = assert_error(client.get(f"/api/v1/judges/{typo}"), 404)
    # the judge one letter away is among the near matches, linked to its page
    suggested = {s["code"]: s["url"] for s in body["suggestions"]}
    assert judge in suggested and suggested[judge] == f"/judges/{judge}"
    label = analytics.codes("nationality", store=store)["label"].dropna().iloc[0]
    body = assert_error(client.get(f"/api/v1/nationalities/{str(label).lower()}"), 404)
    assert any(s["label"] == label for s in body["suggestions"])


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404)
    assert_error(client.post("/api/v1/rates"), 405)


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    for path in (
        "rates",
        "compare",
        "judges",
        "judges/{code}",
        "courts",
        "courts/{code}",
        "nationalities",
        "nationalities/{code}",
        "release",
        "definitions",
    ):
        assert f"/api/v1/{path}" in paths
    assert client.get("/docs").status_code == 404  # Swagger UI would load a CDN


# --- pages -------------------------------------------------------------------------


def page_urls(store: Store) -> list[str]:
    return [
        "/",
        "/explorer?by=fiscal_year&by=custody",
        "/judges",
        f"/judges/{top_code(store, 'judge')}",
        "/courts",
        f"/courts/{top_code(store, 'court')}",
        "/nationalities",
        f"/nationalities/{top_code(store, 'nationality')}",
        "/methodology",
        "/data",
    ]


def test_api_reference_page_lists_every_endpoint(client: TestClient) -> None:
    html = client.get("/api").text
    for path in client.get("/api/v1/openapi.json").json()["paths"]:
        assert f"GET {path}" in html


def test_every_page_names_its_release_and_labels_synthetic(
    client: TestClient, store: Store
) -> None:
    release = store.release()
    for url in page_urls(store):
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.text
        assert release.id in html, url
        assert 'id="synthetic-banner"' in html, url
        assert 'id="provenance"' in html, url
        assert "cdn" not in html.lower(), url
        for script in ("vega-6.4.0.min.js", "vega-lite-6.5.0.min.js", "vega-embed-7.3.0.min.js"):
            assert f"/static/{script}" in html
            assert client.get(f"/static/{script}").status_code == 200


def test_page_twins_resolve(client: TestClient, store: Store) -> None:
    import re

    for url in page_urls(store):
        html = client.get(url).text
        twins = re.findall(r'href="(/api/v1/[^"]+\.(?:json|csv)[^"]*)"', html)
        assert any(".json" in t for t in twins) and any(".csv" in t for t in twins), url
        for twin in set(twins):
            target = twin.replace("&amp;", "&")
            assert client.get(target).status_code == 200, (url, target)


def test_page_suffixes_lead_to_the_api_twins(client: TestClient, store: Store) -> None:
    judge = top_code(store, "judge")
    pairs = {
        "/explorer.csv?by=fiscal_year&by=custody": "/api/v1/rates.csv?by=fiscal_year&by=custody",
        f"/judges/{judge}.json?definition=eoir": f"/api/v1/judges/{judge}.json?definition=eoir",
        "/courts.csv": "/api/v1/courts.csv",
        "/index.json": "/api/v1/compare.json",
        "/data.csv": "/api/v1/release.csv",
        "/methodology.json": "/api/v1/definitions.json",
    }
    for page, api in pairs.items():
        hop = client.get(page, follow_redirects=False)
        assert hop.status_code == 307
        assert hop.headers["location"] == api
        assert client.get(page).content == client.get(api).content


def test_explorer_table_matches_api(client: TestClient) -> None:
    html = client.get("/explorer?definition=trac&by=nationality").text
    api = client.get("/api/v1/rates?definition=trac&by=nationality").json()
    assert f"({api['total_rows']} rows)" in html
    assert html.count("<tr") - 1 == min(api["total_rows"], 500)


def test_pages_show_errors_without_tracebacks(client: TestClient, store: Store) -> None:
    resp = client.get("/judges/NO-SUCH-JUDGE")
    assert resp.status_code == 404
    assert "Did you mean" in resp.text
    assert "Traceback" not in resp.text
    resp = client.get("/explorer?by=colour")
    assert resp.status_code == 422
    assert "valid: fiscal_year" in resp.text
    assert "Traceback" not in resp.text
    assert client.get("/no/such/page").status_code == 404


def test_chart_specs_are_valid_vega_lite(client: TestClient, store: Store) -> None:
    """Charts are serialised without validation at run time; every one is validated here."""
    import re

    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import core

    schema = core.load_schema()
    seen = 0
    for url in page_urls(store):
        html = client.get(url).text
        for raw in re.findall(
            r'<script type="application/json" id="spec-[^"]+">(.*?)</script>', html
        ):
            spec = json.loads(raw)  # "\\u003c" in the page is the JSON escape of "<"
            assert validate_jsonschema(spec, schema, rootschema=schema, raise_error=False) is None
            assert "data" in spec or all("data" in layer for layer in spec["layer"]), url
            seen += 1
    assert seen >= 15


def test_cached_responses_are_identical_and_honour_etags(app: FastAPI) -> None:
    with TestClient(app) as fresh:
        url = "/api/v1/rates?by=custody,fiscal_year&definition=trac"
        first = fresh.get(url)
        second = fresh.get(url)
        assert first.content == second.content
        assert first.headers["etag"] == second.headers["etag"]
        assert fresh.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        # replays keep their headers intact whatever encoding each client asks for
        for encoding in ("gzip", "identity", "gzip", "identity"):
            resp = fresh.get(url, headers={"Accept-Encoding": encoding})
            assert resp.content == first.content
            assert resp.headers.get("content-encoding") == ("gzip" if encoding == "gzip" else None)
            if encoding == "identity":
                assert int(resp.headers["content-length"]) == len(resp.content)
        assert_error(fresh.get("/api/v1/rates?by=bogus"), 422)
        assert_error(fresh.get("/api/v1/rates?by=bogus"), 422)


def test_a_memo_hit_sends_the_gzip_the_gzip_layer_sent(app: FastAPI) -> None:
    """The memo answers a gzip-accepting repeat with its stored compressed bytes: the same
    body once decoded, and the headers Starlette's gzip layer gave the first answer."""
    gz = {"Accept-Encoding": "gzip"}
    with TestClient(app) as fresh:
        for url in ("/courts/NYC", "/api/v1/rates?by=court&definition=eoir"):
            first, repeat = fresh.get(url, headers=gz), fresh.get(url, headers=gz)
            assert first.status_code == repeat.status_code == 200, url
            assert repeat.content == first.content
            for resp in (first, repeat):
                assert resp.headers["content-encoding"] == "gzip"
                assert int(resp.headers["content-length"]) == resp.num_bytes_downloaded
            same = ("vary", "etag", "content-type", "cache-control", "x-asylumlens-release")
            assert {h: repeat.headers.get(h) for h in same} == {
                h: first.headers.get(h) for h in same
            }
            assert "Accept-Encoding" in repeat.headers["vary"]
            plain = fresh.get(url, headers={"Accept-Encoding": "identity"})
            assert plain.content == first.content and "content-encoding" not in plain.headers


def test_methodology_renders_the_document(client: TestClient) -> None:
    html = client.get("/methodology").text
    for name in analytics.DEFINITIONS:
        assert html.count(f'id="{name}"') == 1, name  # /methodology#<definition> links land
    assert "<script" not in html.split('<article class="markdown">')[1].split("</article>")[0]


# --- schemathesis -------------------------------------------------------------------


def test_openapi_schema_holds_under_generated_requests(store: Store, tmp_path: Path) -> None:
    """Schemathesis generates requests from the schema; every answer must conform to it.

    The private case API is in the schema too, met here as an anonymous client (or one
    signing in with generated credentials) meets it: its 401s, 403s and 422s must be the
    documented error shape, never a 5xx."""
    import secrets

    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import checks
    from schemathesis.core.result import Ok

    from asylumlens.cases.crypto import FieldKey
    from asylumlens.web.workspace import CaseWorkspace

    cases = CaseWorkspace(
        f"sqlite:///{tmp_path / 'cases.sqlite'}", key=FieldKey(secrets.token_bytes(32))
    )
    app = create_app(store, cases=cases)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = list(schema.get_all_operations())
    paths = {r.ok().path for r in operations}
    # public: 11 + similar + estimate + history; private: 15 case and session + 8 exhibit
    # operations
    assert len(operations) == 14 + 23, sorted(paths)
    assert {"/api/v1/session", "/api/v1/cases/{case_id}"} <= paths
    for result in operations:
        assert isinstance(result, Ok), result  # the schema itself is valid
        op = result.ok()
        strategy = op.as_strategy()

        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            case.call_and_validate(
                checks=[
                    checks.not_a_server_error,
                    checks.status_code_conformance,
                    checks.content_type_conformance,
                    checks.response_schema_conformance,
                ]
            )

        run()
