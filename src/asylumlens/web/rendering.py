"""Server-rendered pages: the Jinja2 environment, page and error-page responses.

Templates ship inside the package (``asylumlens/web/templates``) and are loaded with a
``PackageLoader``, so an installed wheel renders the same pages as a checkout. Every page
extends ``base.html``, which prints the release, the method, the JSON/CSV twins and, for a
synthetic release, the SYNTHETIC banner; a page cannot forget them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, Final
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from asylumlens import analytics
from asylumlens.web.canonical import canonical_pairs, canonical_query
from asylumlens.web.context import WebState
from asylumlens.web.embed_links import ShareLinks, share_links
from asylumlens.web.errors import WebError
from asylumlens.web.formats import cache_headers, not_modified
from asylumlens.web.provenance import ReleaseInfo, release_info

STATIC_VERSIONS = {"vega": "6.4.0", "vega_lite": "6.5.0", "vega_embed": "7.3.0"}


def _pct(value: Any, digits: int = 1) -> str:
    if value is None or value == "":
        return "–"
    try:
        return f"{float(value) * 100:.{digits}f}%"
    except (TypeError, ValueError):
        return str(value)


def _num(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.1f}"
    return str(value)


def _spec_json(spec: Mapping[str, Any]) -> Markup:
    """A Vega-Lite spec for a ``<script type="application/json">`` block.

    Every ``<`` is written as the JSON escape ``\\u003c``, so no label (judge names come from
    the release) can close the script element or open a comment inside it.
    """
    text = json.dumps(spec, separators=(",", ":")).replace("<", "\\u003c")
    return Markup(text)  # every "<" escaped; inside a non-executed script block


PAGE_PIN: ContextVar[str | None] = ContextVar("asylumlens_page_pin", default=None)
"""The pin of the page being rendered, for macros imported without the page's context
(``{% import "_macros.html" as m %}`` sees only globals): set around each render."""


PAGE_SHARE: ContextVar[tuple[str, str, tuple[tuple[str, str], ...], str] | None] = ContextVar(
    "asylumlens_page_share", default=None
)
"""The page being rendered as (base URL, path, its parameters, release id), for the chart
macro's "Share / embed" control (imported without the page's context): set around each
render, as :data:`PAGE_PIN`."""


def chart_share(element_id: str, spec: Mapping[str, Any]) -> ShareLinks | None:
    """The share links of the chart drawn in element ``chart-NAME`` on the page being
    rendered (:mod:`asylumlens.web.embed_links`); None outside a page render."""
    page = PAGE_SHARE.get()
    if page is None:
        return None
    base_url, path, pairs, release_id = page
    title = spec.get("title")
    text = title.get("text") if isinstance(title, Mapping) else title
    height = spec.get("height")
    return share_links(
        base_url,
        path,
        pairs,
        release_id,
        element_id.removeprefix("chart-"),
        title=str(text or ""),
        height=height if isinstance(height, int) else 300,
    )


@pass_context
def _pinned(ctx: Context, url: str) -> str:
    """``url`` (an internal link) kept on the page's release when the page is pinned.

    A page reached with ``?release=ID`` is a permalink: every link it renders through this
    filter (``{{ "/judges/" ~ code | pinned }}``) carries the same ``release``, so a reader
    following it stays on the figures that were cited. Unpinned pages link unpinned. A
    link that already names a release keeps it (the Data page links to each release).
    """
    pin = ctx.get("pin") or PAGE_PIN.get()
    if pin and "release=" in url.partition("#")[0]:
        return url
    if not pin:
        return url
    base, _, fragment = url.partition("#")
    joiner = "&" if "?" in base else "?"
    pinned = f"{base}{joiner}{urlencode({'release': pin})}"
    return f"{pinned}#{fragment}" if fragment else pinned


def make_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("asylumlens.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    env.filters["spec_json"] = _spec_json
    env.filters["pinned"] = _pinned
    env.filters["path_quote"] = lambda v: quote(str(v), safe="")
    env.globals["urlencode"] = lambda pairs: urlencode(list(pairs), doseq=True)
    env.globals["static_versions"] = STATIC_VERSIONS
    env.globals["DEFINITION_INFO"] = {
        name: {"plain_name": d.plain_name, "formula": d.formula, "unit": d.unit}
        for name, d in analytics.DEFINITIONS.items()
    }
    env.globals["DEFAULT_DEFINITION"] = analytics.DEFAULT_DEFINITION
    env.globals["page_pin"] = PAGE_PIN.get  # a form's hidden release= on a pinned page
    env.globals["chart_share"] = chart_share
    return env


def request_state(request: Request) -> WebState:
    """The state this request is served from: the pinned release's (``get_state`` leaves it
    on ``request.state``), else the app's default."""
    state = getattr(request.state, "web", None)
    default: WebState = request.app.state.web
    return state if isinstance(state, WebState) else default


def page_context(request: Request, **context: Any) -> dict[str, Any]:
    state = request_state(request)
    query = canonical_query(request.scope)
    twin = context.get("twin")
    twins: dict[str, str] | None = None
    if isinstance(twin, str):
        twin_query = context.get("twin_query", query)
        if state.pin and "release=" not in twin_query:
            twin_query = "&".join(p for p in (twin_query, urlencode({"release": state.pin})) if p)
        suffix = f"?{twin_query}" if twin_query else ""
        twins = {"json": f"{twin}.json{suffix}", "csv": f"{twin}.csv{suffix}"}
    page = {
        "request": request,
        "release": state.info,
        "twins": twins,
        "path": request.url.path,
        "query": query,
        "pin": state.pin,  # the release id of a pinned page (?release=ID), for `pinned`
        "newer": (newer := newer_releases(state)),
        **context,
    }
    if newer:  # the same page, pinned to the newest release
        rest = [(k, v) for k, v in canonical_pairs(request.scope) if k != "release"]
        page["newer_link"] = f"{request.url.path}?{urlencode([*rest, ('release', newer[-1].id)])}"
    page["cite"] = citation(request, state, page)
    return page


def newer_releases(state: WebState) -> list[ReleaseInfo]:
    """Releases of the store newer than the one a pinned page shows (newest last), so the
    page can offer them; none on an unpinned page (it shows the default release)."""
    if not state.pin:
        return []
    releases = state.store.releases()
    ids = [r.id for r in releases]
    if state.release.id not in ids:
        return []
    return [release_info(r) for r in releases[ids.index(state.release.id) + 1 :]]


CITE_SKIP: Final = frozenset({"release", "definition", "_format", "_size", "_next"})


def citation(request: Request, state: WebState, page: Mapping[str, Any]) -> dict[str, Any]:
    """The "Cite this" block: the permalink pinned to the release shown, and the facts a
    citation needs (definition by plain name, unit, period and filters as applied, the
    release and its date, SYNTHETIC, the AsylumLens version, the day it was accessed)."""
    pairs = [(k, v) for k, v in canonical_pairs(request.scope) if k != "release" and v != ""]
    url = request.url.path + "?" + urlencode([*pairs, ("release", state.info.id)])
    definition = page.get("definition")
    known = analytics.DEFINITIONS.get(str(definition)) if definition else None
    applied = [f"{k}={v}" for k, v in pairs if k not in CITE_SKIP]
    view = page.get("view")
    facts = getattr(view, "facts", {}) if view is not None else {}
    for key in ("period", "baseline"):
        value = facts.get(key)
        if not value:
            continue
        # a page's period is a label ("FY2025") or its parts ({"since": ..., "until": ...})
        parts = (
            [(k, v) for k, v in value.items() if v not in (None, "")]
            if isinstance(value, Mapping)
            else [(key, value)]
        )
        for name, shown in parts:
            if not any(a.startswith(f"{name}=") for a in applied):
                applied.append(f"{name}={shown}")
    unit = None
    q = page.get("q")
    if known is not None:
        unit = getattr(q, "unit", None) or known.unit
    return {
        "url": f"{state.base_url}{url}",
        "definition": known.plain_name if known else None,
        "definition_code": definition if known else None,
        "unit": unit,
        "applied": applied,
        "accessed": date.today().isoformat(),
    }


@contextmanager
def _pinning(
    pin: str | None, share: tuple[str, str, tuple[tuple[str, str], ...], str] | None = None
) -> Iterator[None]:
    token = PAGE_PIN.set(pin)
    shared = PAGE_SHARE.set(share)
    try:
        yield
    finally:
        PAGE_SHARE.reset(shared)
        PAGE_PIN.reset(token)


def render_page(request: Request, template: str, **context: Any) -> Response:
    state = request_state(request)
    if (cached := not_modified(request, state)) is not None:
        return cached
    share = (
        state.base_url,
        request.url.path,
        tuple(canonical_pairs(request.scope)),
        state.info.id,
    )
    with _pinning(state.pin, share):
        html = state.templates.get_template(template).render(page_context(request, **context))
    return HTMLResponse(html, headers=cache_headers(request, state))


def render_error_page(request: Request, error: WebError) -> Response:
    web = getattr(request.app.state, "web", None)
    if web is None:  # pragma: no cover - only before start-up finished
        return HTMLResponse(f"<h1>{error.status}</h1><p>{error}</p>", status_code=error.status)
    state = request_state(request)
    context = page_context(request, error=error, title=f"{error.status}")
    with _pinning(state.pin):
        html = state.templates.get_template("error.html").render(context)
    return HTMLResponse(html, status_code=error.status)
