"""The public "cases like this" page and its API twin: the library's context figures, as
they are, for any combination of codes; unknown parameters and bad values are refused."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from asylumlens import analytics
from asylumlens.analytics.context import case_context

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from asylumlens.store import Store


def _busiest_judge(store: Store) -> tuple[str, str]:
    court = str(analytics.codes("court", store=store)["code"].iloc[0])
    bench = analytics.judges(court, store=store).sort_values("total")
    return str(bench["judge"].iloc[-1]), court


def test_the_api_and_page_show_the_librarys_figures(client: TestClient, store: Store) -> None:
    """Rows of /api/v1/similar are case_context's figures then its trend; the page has a row
    per figure with its rate; the CSV twin holds the same rows."""
    judge, court = _busiest_judge(store)
    nationality = str(analytics.codes("nationality", store=store)["code"].iloc[0])
    ctx = case_context(judge=judge, court=court, nationality=nationality, custody="D", store=store)
    query = f"judge={judge}&court={court}&nationality={nationality}&custody=D"
    body = client.get(f"/api/v1/similar?{query}").json()
    assert [r["key"] for r in body["rows"]] == [f.key for f in [*ctx.figures, *ctx.trend]]
    assert [r["decisions"] for r in body["rows"]] == [
        f.decisions for f in [*ctx.figures, *ctx.trend]
    ]
    assert body["facts"]["period"] == ctx.period and body["release"]["id"] == ctx.release
    assert any(r["key"] == "judge" and r["estimate"] == "shrunken" for r in body["rows"])
    page = client.get(f"/similar?{query}")
    assert page.status_code == 200
    assert page.text.count('<tr id="ctx-') == len(ctx.figures)
    assert 'id="ctx-judge"' in page.text and "SYNTHETIC" in page.text
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/v1/similar.csv?{query}").text)))
    assert [r["key"] for r in rows] == [r["key"] for r in body["rows"]]


def test_an_unknown_judge_is_said_and_bad_values_refused(client: TestClient) -> None:
    body = client.get("/api/v1/similar?judge=ZZZZZ").json()
    assert any("judge ZZZZZ" in n for n in body["facts"]["notes"])
    assert client.get("/api/v1/similar?custody=X").status_code == 422
    assert client.get("/api/v1/similar?jduge=X").status_code == 422
    assert client.get("/similar?represented=maybe").status_code == 422
