"""``/embed/...``: each public chart on its own, for an iframe, as SVG, PNG and its spec.

An embed URL is its page's path under ``/embed`` plus the chart's name
(:mod:`asylumlens.web.embed_links`), with the page's own query parameters: each route
declares exactly its page's parameters (so unknown ones are refused as on the page, and the
ETag and memo key are the page's canonical query) and calls the page's builder from
:mod:`asylumlens.web.pages`, so the chart is the one on the page, not a copy of its logic.

* ``/embed/<page>/<chart>``: a minimal HTML page (the vendored Vega scripts draw the same
  spec) with the :class:`~asylumlens.web.chart_caption.Caption` under it. Other origins
  may frame it: :class:`~asylumlens.web.guard.Guard` gives ``/embed/`` pages
  ``frame-ancestors *`` and no ``X-Frame-Options``; every other page keeps refusing.
* ``.svg`` / ``.png``: drawn server-side (:mod:`asylumlens.web.chart_images`) from the
  ``.vl.json`` spec, which is the page's spec with the caption in its subtitle.

Caching: every response has the release's ETag for its URL (:func:`request_etag`; a new
release or app version changes it) and answers ``If-None-Match`` with a 304 before
drawing. A URL pinned with ``release=`` (all the share links are) names immutable figures,
so caches may keep it for :data:`PINNED_MAX_AGE`; an unpinned URL follows the server's
default release, so it is ``no-cache`` (revalidated, never stale after a new release).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from asylumlens.analytics import DEFAULT_DEFINITION
from asylumlens.errors import QueryError
from asylumlens.web import pages
from asylumlens.web.canonical import canonical_pairs
from asylumlens.web.catalog import Kind
from asylumlens.web.chart_caption import make_caption, static_spec
from asylumlens.web.chart_images import render_png, render_svg
from asylumlens.web.context import StateDep, WebState
from asylumlens.web.embed_links import FORMATS, page_of, share_links
from asylumlens.web.errors import WebError, bad_params
from asylumlens.web.formats import request_etag
from asylumlens.web.groups import JudgeGroupDep
from asylumlens.web.page_model import PageModel
from asylumlens.web.params import (
    ClaimInputDep,
    DefinitionQuery,
    PeriodQuery,
    RatesQueryDep,
    check_definition,
)
from asylumlens.web.provenance import etag_matches

router = APIRouter(include_in_schema=False)

PINNED_MAX_AGE: Final = 86_400
"""A day: a pinned release's figures never change, but a re-ingest of the same release id
(an operator's correction) or a new app version may redraw them; the ETag catches both."""

IMAGE_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'"
"""An SVG opened on its own is a document: it may style itself, nothing more."""

MEDIA_TYPES: Final = {
    "html": "text/html; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "vl.json": "application/json",
}


def split_chart(segment: str) -> tuple[str, str]:
    """``trend.svg`` -> (``trend``, ``svg``); ``trend`` -> (``trend``, ``html``)."""
    for fmt in FORMATS:
        if segment.endswith(f".{fmt}"):
            return segment.removesuffix(f".{fmt}"), fmt
    return segment, "html"


def _headers(request: Request, state: WebState, fmt: str) -> dict[str, str]:
    pinned = state.pin is not None
    headers = {
        "ETag": request_etag(request, state),
        "Cache-Control": f"public, max-age={PINNED_MAX_AGE}" if pinned else "public, no-cache",
        "X-AsylumLens-Release": state.info.id,
        "X-AsylumLens-Synthetic": "true" if state.info.synthetic else "false",
    }
    if fmt in ("svg", "png"):
        headers["Content-Security-Policy"] = IMAGE_CSP
    return headers


def _filename(page_path: str, chart: str, state: WebState, fmt: str) -> str:
    stem = "-".join(part for part in page_path.split("/") if part) or "home"
    label = "-SYNTHETIC" if state.info.synthetic else ""
    raw = f"asylumlens-{stem}-{chart}-{state.info.id}{label}"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in raw)
    return f"{safe}.{fmt}"


def embed_response(
    request: Request, state: WebState, build: Callable[[], PageModel], segment: str
) -> Response:
    """The chart ``segment`` (name and format) of the page ``build`` makes."""
    chart, fmt = split_chart(segment)
    model = build()
    spec = model.charts.get(chart)
    if spec is None:
        shown = ", ".join(sorted(model.charts)) or "none with these parameters"
        raise WebError(404, [f"this page has no chart {chart!r}; its charts: {shown}"])
    if etag_matches(request.headers.get("if-none-match"), request_etag(request, state)):
        return Response(status_code=304, headers=_headers(request, state, fmt))
    path = request.url.path
    embed = path.removesuffix(f".{fmt}") if fmt != "html" else path
    page_path = page_of(embed, chart)
    pairs = canonical_pairs(request.scope)
    links = share_links(state.base_url, page_path, pairs, state.info.id, chart)
    caption = make_caption(state.info, model.context, links.permalink, model.periods.get(chart))
    headers = _headers(request, state, fmt)
    if fmt == "html":
        title = str(model.context.get("title") or "AsylumLens chart")
        html = state.templates.get_template("embed.html").render(
            spec=spec, caption=caption, chart=chart, title=title, base_url=state.base_url
        )
        return HTMLResponse(html, headers=headers)
    drawn = static_spec(spec, caption)
    if fmt == "vl.json":
        body: str | bytes = json.dumps(drawn, separators=(",", ":"))
    elif fmt == "svg":
        body = render_svg(drawn)
    else:
        body = render_png(drawn)
    if fmt in ("svg", "png"):
        name = _filename(page_path, chart, state, fmt)
        headers["Content-Disposition"] = f'inline; filename="{name}"'
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/embed/home/{chart}")
def home(
    request: Request,
    state: StateDep,
    chart: str,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    period: pages.HeadlinePeriodQuery = None,
    baseline: pages.HeadlineBaselineQuery = None,
) -> Response:
    build = partial(pages.home_page, state, definition, period, baseline)
    return embed_response(request, state, build, chart)


@router.get("/embed/explorer/{chart}")
def explorer(request: Request, state: StateDep, chart: str, q: RatesQueryDep) -> Response:
    return embed_response(request, state, partial(pages.explorer_page, state, q), chart)


@router.get("/embed/claim/{chart}")
def claim(request: Request, state: StateDep, chart: str, q: ClaimInputDep) -> Response:
    def build() -> PageModel:
        if not q.given:
            return PageModel("claim.html", {})  # the empty form draws no chart
        try:
            return pages.claim_page(state, q)
        except QueryError as exc:
            raise bad_params(str(exc)) from None

    return embed_response(request, state, build, chart)


def _listing(kind: Kind) -> None:
    def listing(
        request: Request,
        state: StateDep,
        chart: str,
        definition: DefinitionQuery = DEFAULT_DEFINITION,
        q: pages.SearchQuery = None,
    ) -> Response:
        checked = check_definition(definition)
        build = partial(pages.listing_page, state, kind, checked, q)
        return embed_response(request, state, build, chart)

    router.get(f"/embed/{kind}/{{chart}}")(listing)


for _kind in ("judges", "courts", "nationalities"):
    _listing(_kind)


@router.get("/embed/judges/{code}/{chart}")
def judge(
    request: Request,
    state: StateDep,
    code: str,
    chart: str,
    group: JudgeGroupDep,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
) -> Response:
    build = partial(pages.judge_page, state, code, group, definition)
    return embed_response(request, state, build, chart)


@router.get("/embed/courts/{code}/{chart}")
def court(
    request: Request,
    state: StateDep,
    code: str,
    chart: str,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
) -> Response:
    build = partial(pages.court_page, state, code, definition, since, until)
    return embed_response(request, state, build, chart)


@router.get("/embed/nationalities/{code}/{chart}")
def nationality(
    request: Request,
    state: StateDep,
    code: str,
    chart: str,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
) -> Response:
    build = partial(pages.nationality_page, state, code, definition, since, until)
    return embed_response(request, state, build, chart)


__all__ = ["PINNED_MAX_AGE", "embed_response", "router", "split_chart"]
