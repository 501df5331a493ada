"""Server-rendered pages: the Jinja2 environment, page and error-page responses.

Templates ship inside the package (``asylumlens/web/templates``) and are loaded with a
``PackageLoader``, so an installed wheel renders the same pages as a checkout. Every page
extends ``base.html``, which prints the release, the method, the JSON/CSV twins and, for a
synthetic release, the SYNTHETIC banner; a page cannot forget them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from asylumlens.web.canonical import canonical_query
from asylumlens.web.errors import WebError
from asylumlens.web.formats import cache_headers, not_modified

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


@pass_context
def _pinned(ctx: Context, url: str) -> str:
    """``url`` (an internal link) kept on the page's release when the page is pinned.

    A page reached with ``?release=ID`` is a permalink: every link it renders through this
    filter (``{{ "/judges/" ~ code | pinned }}``) carries the same ``release``, so a reader
    following it stays on the figures that were cited. Unpinned pages link unpinned.
    """
    pin = ctx.get("pin")
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
    return env


def page_context(request: Request, **context: Any) -> dict[str, Any]:
    state = request.app.state.web
    query = canonical_query(request.scope)
    twin = context.get("twin")
    twins: dict[str, str] | None = None
    if isinstance(twin, str):
        twin_query = context.get("twin_query", query)
        suffix = f"?{twin_query}" if twin_query else ""
        twins = {"json": f"{twin}.json{suffix}", "csv": f"{twin}.csv{suffix}"}
    return {
        "request": request,
        "release": state.info,
        "twins": twins,
        "path": request.url.path,
        "query": query,
        "pin": None,  # the release id of a pinned page (?release=ID), for the `pinned` filter
        **context,
    }


def render_page(request: Request, template: str, **context: Any) -> Response:
    state = request.app.state.web
    if (cached := not_modified(request, state)) is not None:
        return cached
    html = state.templates.get_template(template).render(page_context(request, **context))
    return HTMLResponse(html, headers=cache_headers(request, state))


def render_error_page(request: Request, error: WebError) -> Response:
    state = getattr(request.app.state, "web", None)
    if state is None:  # pragma: no cover - only before start-up finished
        return HTMLResponse(f"<h1>{error.status}</h1><p>{error}</p>", status_code=error.status)
    context = page_context(request, error=error, title=f"{error.status}")
    html = state.templates.get_template("error.html").render(context)
    return HTMLResponse(html, status_code=error.status)
