"""The "Check a figure" page and its API twin, through the real app on the web test store.

Expected figures are never written down here: each comes from calling
:func:`asylumlens.analytics.check_claim` with the same claim and comparing it with what the
page and ``/api/v1/claim`` show. A claim built from one reading's own figures must be
reproduced by that reading on the page; a sentence the library cannot read is a 422 that
lists the accepted shapes; the page's URL, form, twins and citation carry the same claim.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import warnings
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pandas as pd
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from asylumlens import analytics
from asylumlens.analytics.claims import CLAIM_SHAPES
from asylumlens.output import jsonable
from asylumlens.store import Store

SEED = "plummeted to 10 percent in 2025, from the 28 percent average recorded between 2010 and 2024"


@pytest.fixture(scope="module")
def seed(store: Store) -> pd.DataFrame:
    return analytics.check_claim(SEED, store=store)


def library_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): jsonable(v) for k, v in rec.items()} for rec in df.to_dict("records")]


def pct(value: Any) -> str:
    """The page's ``pct`` filter."""
    return "–" if value is None or pd.isna(value) else f"{float(value) * 100:.1f}%"


class Tables(HTMLParser):
    """The text of every cell of the tables on a page, by table id, row by row (body only),
    and each body row's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.row_attrs: dict[str, list[dict[str, str | None]]] = {}
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = found["id"]
            self.tables[self._table] = []
            self.row_attrs[self._table] = []
        elif tag == "tbody" and self._table:
            self._in_body = True
        elif tag == "tr" and self._table and self._in_body:
            self.tables[self._table].append([])
            self.row_attrs[self._table].append(found)
        elif tag in ("td", "th") and self._table and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(text: str) -> Tables:
    parser = Tables()
    parser.feed(text)
    return parser


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|div)>', page, re.S)
    assert found is not None, element_id
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


def spec_of(page: str, chart_id: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="spec-{chart_id}">(.*?)</script>', page)
    assert found is not None
    spec: dict[str, Any] = json.loads(found.group(1))
    return spec


def layer_values(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    """A layer's inline rows (Altair moves them to the spec's ``datasets``, by name)."""
    data = layer["data"]
    values: list[dict[str, Any]] = (
        data["values"] if "values" in data else spec["datasets"][data["name"]]
    )
    return values


# --- the API agrees with the library ---------------------------------------------------------


def test_api_rows_and_facts_are_the_librarys(client: TestClient, seed: pd.DataFrame) -> None:
    body = client.get("/api/v1/claim", params={"sentence": SEED}).json()
    assert body["ok"] is True and body["total_rows"] == len(seed) == 96
    assert body["columns"] == list(seed.columns)
    assert body["rows"] == library_rows(seed)
    facts = body["facts"]
    for key in ("understood", "verdict", "matched", "readings", "queries"):
        assert facts[key] == seed.attrs[key], key
    assert facts["tolerance"] == seed.attrs["tolerance"]
    assert facts["claim"]["rate"] == 10.0 and facts["claim"]["baseline_rate"] == 28.0
    assert "SYNTHETIC" in facts["verdict"] and facts["synthetic"] is True
    assert body["query"]["sentence"] == SEED
    assert body["release"]["synthetic"] is True


def test_flags_scope_and_tolerance_reach_the_library(client: TestClient, store: Store) -> None:
    params = {
        "rate": "12.5",
        "period": "FY2024",
        "baseline_rate": "30",
        "baseline": "FY2015-FY2023",
        "where": "custody:D",
        "tolerance": "3",
    }
    lib = analytics.check_claim(
        rate="12.5",
        period="FY2024",
        baseline_rate="30",
        baseline="FY2015-FY2023",
        where={"custody": "D"},
        tolerance=3.0,
        store=store,
    )
    body = client.get("/api/v1/claim", params=params).json()
    assert body["rows"] == library_rows(lib)
    assert body["facts"]["where"] == {"custody": ["D"]}
    assert body["facts"]["tolerance"]["period"] == 3.0
    assert body["facts"]["understood"] == lib.attrs["understood"]
    assert "scope custody=D" in body["facts"]["understood"]
    assert body["query"]["where"] == {"custody": ["D"]} and body["query"]["tolerance"] == 3.0
    # one printed decimal is kept as typed: 12.5 is read as ±0.05 without a tolerance
    plain = client.get("/api/v1/claim", params={"rate": "12.5", "period": "FY2024"}).json()
    assert plain["facts"]["tolerance"]["period"] == 0.05


def test_csv_twins_hold_every_reading(client: TestClient, seed: pd.DataFrame) -> None:
    query = urlencode({"sentence": SEED})
    text = client.get(f"/api/v1/claim.csv?{query}").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(seed.columns)
    assert len(rows) - 1 == len(seed)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["definition"] == seed["definition"].iloc[0]
    assert float(first["period_rate"]) == pytest.approx(float(seed["period_rate"].iloc[0]))
    assert client.get(f"/api/v1/claim?{query}&_format=csv").text == text
    redirect = client.get(f"/claim.csv?{query}", follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"] == f"/api/v1/claim.csv?{query}"
    json_twin = client.get(f"/api/v1/claim.json?{query}").json()
    assert json_twin["total_rows"] == len(seed)


# --- the page agrees with the library ------------------------------------------------------


def test_page_shows_every_reading_as_the_library_ranks_it(
    client: TestClient, seed: pd.DataFrame
) -> None:
    response = client.get("/claim", params={"sentence": SEED})
    assert response.status_code == 200
    page = response.text
    assert text_of(page, "claim-understood") == f"SYNTHETIC: {seed.attrs['understood']}."
    assert text_of(page, "claim-verdict") == seed.attrs["verdict"]
    assert "No reading reproduces the claim" in text_of(page, "claim-matching")
    rows = tables(page).tables["claim-table"]
    assert len(rows) == len(seed)
    for i, (cells, (_, want)) in enumerate(zip(rows, seed.iterrows(), strict=True)):
        assert cells[0] == str(i + 1)
        assert f"({want['definition']}), by {want['unit']}, {want['year_basis']}" in cells[1]
        assert want["grant_set"] in cells[1] and str(want["aggregation"]) in cells[1]
        assert cells[2].startswith(str(want["period_label"]))
        assert cells[3] == pct(want["period_rate"])
        assert cells[4] == f"{pct(want['period_ci_low'])}–{pct(want['period_ci_high'])}"
        assert cells[5] == f"{int(want['period_grants']):,} / {int(want['period_decisions']):,}"
        assert cells[6] == f"{want['period_diff_points']:+.1f}"
        assert cells[7].startswith(str(want["baseline_label"]))
        assert cells[8] == pct(want["baseline_rate"])
        if want["aggregation"] == "mean of years":
            assert cells[10].startswith(f"mean of {int(want['baseline_years_with_data'])} years")
        else:
            assert cells[10] == (
                f"{int(want['baseline_grants']):,} / {int(want['baseline_decisions']):,}"
            )
        assert cells[-2] == f"{want['distance_points']:.1f}"
        assert cells[-1] == ("yes" if want["matches"] else "no")


def test_chart_draws_every_reading_against_the_claimed_values(
    client: TestClient, seed: pd.DataFrame
) -> None:
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import core

    spec = spec_of(client.get("/claim", params={"sentence": SEED}).text, "chart-claim")
    schema = core.load_schema()
    assert validate_jsonschema(spec, schema, rootschema=schema, raise_error=False) is None
    assert spec["title"]["subtitle"][0].startswith("SYNTHETIC")
    layers = spec["layer"]
    points = layer_values(spec, layers[0])
    assert len(points) == 2 * len(seed)  # a period and a baseline point per reading
    for point in points:
        want = seed.iloc[point["rank"] - 1]
        prefix = "period" if point["figure"].startswith("period") else "baseline"
        assert point["rate"] == pytest.approx(float(want[f"{prefix}_rate"]))
        assert point["matches"] == bool(want["matches"])
    claimed = {r["figure"]: r["claimed"] for r in layer_values(spec, layers[1])}
    assert claimed == {"period rate (claimed 10%)": 0.10, "baseline rate (claimed 28%)": 0.28}


def _reading_claim(store: Store) -> tuple[dict[str, str], pd.Series]:
    """A claim printed from one reading's own figures (one decimal), and that reading:
    TRAC's rate by case over calendar years, full grants only, mean-of-years baseline."""
    probe = analytics.check_claim(
        rate="50", period="CY2024", baseline_rate="50", baseline="CY2015-CY2023", store=store
    )
    pick = probe[
        (probe["definition"] == "trac")
        & (probe["unit"] == "case")
        & (probe["grant_set"].str.startswith("full grants only"))
        & (probe["aggregation"] == "mean of years")
    ]
    assert len(pick) == 1
    row = pick.iloc[0]
    params = {
        "rate": f"{row['period_rate'] * 100:.1f}",
        "period": "CY2024",
        "baseline_rate": f"{row['baseline_rate'] * 100:.1f}",
        "baseline": "CY2015-CY2023",
    }
    return params, row


def test_a_claim_built_from_a_reading_is_found_on_the_page(
    client: TestClient, store: Store
) -> None:
    params, reading = _reading_claim(store)
    lib = analytics.check_claim(
        rate=params["rate"],
        period=params["period"],
        baseline_rate=params["baseline_rate"],
        baseline=params["baseline"],
        store=store,
    )
    page = client.get("/claim", params=params).text
    parsed = tables(page)
    attrs = parsed.row_attrs["claim-table"]
    rows = parsed.tables["claim-table"]
    matched = [cells for cells, a in zip(rows, attrs, strict=True) if a["data-matches"] == "true"]
    assert len(matched) == int(lib["matches"].sum()) >= 1
    wanted = f"(trac), by case, {reading['year_basis']}, {reading['grant_set']}, mean of years"
    assert any(wanted in cells[1] for cells in matched), wanted
    assert text_of(page, "claim-verdict") == lib.attrs["verdict"]
    assert "Reproduced within tolerance by" in text_of(page, "claim-matching")
    assert "of SYNTHETIC release" in lib.attrs["verdict"]


# --- bad input -----------------------------------------------------------------------------


def test_a_sentence_it_cannot_read_is_a_422_with_the_accepted_shapes(client: TestClient) -> None:
    bad = "approval rates fell sharply last year"
    page = client.get("/claim", params={"sentence": bad})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "etag" not in page.headers
    error = text_of(page.text, "claim-error")
    assert "cannot read the claim" in error and CLAIM_SHAPES in error
    assert f'value="{bad}"' in page.text  # the form is kept, to be corrected
    assert "SYNTHETIC" in page.text
    api = client.get("/api/v1/claim", params={"sentence": bad})
    assert api.status_code == 422
    body = api.json()
    assert body["ok"] is False and CLAIM_SHAPES in body["error"]
    assert body["error"] == error.removeprefix("Cannot check this claim: ")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "give the claim as a sentence or as rate and period"),
        ({"rate": "abc", "period": "2025"}, "rate='abc' is not a percentage"),
        ({"rate": "10", "period": "2025", "tolerance": "0"}, "tolerance=0.0 must be more"),
        ({"rate": "10", "period": "2025", "tolerance": "wide"}, "tolerance='wide' is not a number"),
        ({"rate": "10", "period": "1990"}, "period 1990 (fiscal or calendar) is outside the data"),
        ({"rate": "10", "period": "2025", "where": "nationality:ZZZ"}, "unknown nationality code"),
        ({"rate": "10", "period": "2025", "baseline_rate": "20"}, "baseline_rate and baseline go"),
        ({"sentence": "10% in 2025", "rate": "10", "period": "2025"}, "not both"),
        ({"rate": "10", "period": "2025", "where": "colour:red"}, "colour"),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    api = client.get("/api/v1/claim", params=params)
    assert api.status_code == 422, api.text
    assert message in api.json()["error"]
    page = client.get("/claim", params=params)
    if params:
        assert page.status_code == 422
        assert message in html.unescape(page.text)
    else:
        assert page.status_code == 200  # an empty form is not a bad claim


def test_the_empty_form_offers_an_example(client: TestClient) -> None:
    page = client.get("/claim")
    assert page.status_code == 200
    assert 'id="claim-form"' in page.text and 'id="claim-table"' not in page.text
    assert "/api/v1/claim.json" not in page.text  # no twin of nothing
    link = re.search(r'href="([^"]+)" id="claim-example"', page.text)
    assert link is not None
    example = client.get(html.unescape(link.group(1)))
    assert example.status_code == 200 and 'id="claim-table"' in example.text


# --- the permalink -------------------------------------------------------------------------


def _form_fields(page: str) -> list[tuple[str, str]]:
    """What the claim form submits (non-empty fields only, as charts.js sends them)."""
    form = page.split('id="claim-form"', 1)[1].split("</form>", 1)[0]
    fields: list[tuple[str, str]] = []
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value and value.group(1):
            fields.append((name.group(1), html.unescape(value.group(1))))
    for select in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select[1])
        if chosen and chosen.group(1):
            fields.append((select[0], html.unescape(chosen.group(1))))
    return fields


def test_the_permalink_round_trips(client: TestClient, store: Store) -> None:
    release = store.release().id
    pairs = [
        ("rate", "12"),
        ("period", "FY2024"),
        ("baseline_rate", "30"),
        ("baseline", "FY2015-FY2023"),
        ("where", "custody:D"),
        ("tolerance", "2.5"),
    ]
    url = f"/claim?{urlencode(pairs)}"
    first = client.get(url)
    assert first.status_code == 200
    # the form, submitted again, asks for the same claim
    assert sorted(_form_fields(first.text)) == sorted(pairs)
    again = client.get(f"/claim?{urlencode(_form_fields(first.text))}")
    assert tables(again.text).tables["claim-table"] == tables(first.text).tables["claim-table"]
    # the twins and the citation carry the claim (and the citation the release)
    twin = re.search(r'href="(/api/v1/claim\.json[^"]*)"', first.text)
    assert twin is not None
    twin_query = parse_qsl(urlsplit(html.unescape(twin.group(1))).query)
    assert sorted(twin_query) == sorted(pairs)
    cite = re.search(r'id="cite-permalink"><code>([^<]+)</code>', first.text)
    assert cite is not None
    cited = urlsplit(html.unescape(cite.group(1)))
    assert cited.path == "/claim"
    assert sorted(parse_qsl(cited.query)) == sorted([*pairs, ("release", release)])
    pinned = client.get(f"{cited.path}?{cited.query}")
    assert pinned.status_code == 200
    assert f'name="release" value="{release}"' in pinned.text  # the form keeps the pin
    assert tables(pinned.text).tables["claim-table"] == tables(first.text).tables["claim-table"]
    body = client.get(html.unescape(twin.group(1))).json()
    assert len(body["rows"]) == len(tables(first.text).tables["claim-table"])


def test_home_headline_and_nav_link_the_page(client: TestClient) -> None:
    page = client.get("/").text
    assert re.search(r'<a href="/claim" id="check-a-figure">Check a figure like this</a>', page)
    assert '<a href="/claim">Check a figure</a>' in page  # the nav
    current = client.get("/claim").text
    assert '<a href="/claim" aria-current="page">Check a figure</a>' in current
