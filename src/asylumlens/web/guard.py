"""The first and last thing every request meets: hostile URLs, HEAD, security headers, crashes.

An outermost ASGI middleware, so nothing it promises depends on a route:

* a URL (path and query) longer than :data:`MAX_URL_BYTES` gets 414, a NUL in the path or
  query (raw or ``%00``) gets 400, both in the project's error shape (the JSON envelope
  under ``/api/``, the error page elsewhere), before any handler or cache sees them;
* HEAD is answered exactly like GET (status and headers, cached or not) without the body;
* a trailing slash redirects (308) to the path without it, by a *relative* ``Location``:
  no link or header is ever built from the client's Host header;
* every response carries ``X-Content-Type-Options: nosniff``, a ``Referrer-Policy`` and a
  ``Cross-Origin-Resource-Policy``; HTML pages add a ``Content-Security-Policy``
  (``default-src 'self'``: the vendored Vega scripts load, nothing from elsewhere) with
  ``frame-ancestors 'self'`` and ``X-Frame-Options: SAMEORIGIN``, except the embeds
  (:func:`is_embed_path`, ``/embed/...``), pages made to be framed by other sites: their
  CSP says ``frame-ancestors *`` and they carry no ``X-Frame-Options``; the embeds' files
  (SVG, PNG) are ``Cross-Origin-Resource-Policy: cross-origin``, so another site's
  ``<img>`` may show them;
* an unexpected exception becomes a proper 500 in the error shape, logged with its
  traceback, and the keep-alive connection stays open (left to Starlette, the exception
  would be re-raised to uvicorn, which closes the connection after the 500).

:class:`ApiCors`, just inside it, lets any web origin read the API (GET and HEAD, no
credentials: the data is public), so a notebook or another site can ``fetch`` it. The
private case API (:mod:`asylumlens.web.private`) is left out: no other origin may read it.
"""

from __future__ import annotations

import logging
from typing import Final
from urllib.parse import quote, unquote_to_bytes

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asylumlens.web.error_handlers import error_response
from asylumlens.web.errors import WebError
from asylumlens.web.private import is_private_path

log = logging.getLogger("asylumlens.web")

MAX_URL_BYTES: Final = 16 * 1024
"""Far above any URL the pages build (the Explorer's longest filter sets are a few KB)."""

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; "
    # Vega compiles its expressions with Function(): no other script source is allowed.
    "script-src 'self' 'unsafe-eval'; "
    # vega-embed and the SVG renderer set inline styles.
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
COMMON_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
PAGE_HEADERS: Final = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"SAMEORIGIN"),
)
EMBED_CONTENT_SECURITY_POLICY: Final = CONTENT_SECURITY_POLICY.replace(
    "frame-ancestors 'self'", "frame-ancestors *"
)
EMBED_PAGE_HEADERS: Final = ((b"content-security-policy", EMBED_CONTENT_SECURITY_POLICY.encode()),)
EMBED_PREFIX: Final = "/embed/"


def is_embed_path(path: str) -> bool:
    """An embeddable chart (:mod:`asylumlens.web.embeds`): the one kind of page other sites
    may frame. A path rule, not a header a handler sets, so no route can open framing by
    accident and none can forget to."""
    return path.startswith(EMBED_PREFIX)


def _problem(scope: Scope) -> WebError | None:
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    query: bytes = scope.get("query_string", b"")
    if len(raw_path) + len(query) > MAX_URL_BYTES:
        return WebError(414, [f"the URL is longer than {MAX_URL_BYTES} bytes"])
    if b"\x00" in unquote_to_bytes(raw_path) or b"\x00" in unquote_to_bytes(query):
        return WebError(400, ["the URL contains a NUL character (%00)"])
    return None


def _security_headers(path: str, headers: list[tuple[bytes, bytes]]) -> None:
    present = {k.lower() for k, _ in headers}
    extra = list(COMMON_HEADERS)
    embed = is_embed_path(path)
    corp = b"cross-origin" if path.startswith("/api/") or embed else b"same-origin"
    extra.append((b"cross-origin-resource-policy", corp))
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html"):
        extra.extend(EMBED_PAGE_HEADERS if embed else PAGE_HEADERS)
    headers.extend((k, v) for k, v in extra if k not in present)


class Guard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        path: str = scope["path"]
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
                _security_headers(path, headers)
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        problem = _problem(scope)
        if problem is not None:
            await self._error(scope, problem, receive, guarded_send)
            return
        if path != "/" and path.endswith("/"):
            await self._slash_redirect(scope, guarded_send)
            return
        inner = {**scope, "method": "GET"} if head else scope
        try:
            await self.app(inner, receive, guarded_send)
        except Exception as exc:
            log.exception("unhandled error on %s", path, exc_info=exc)
            if started:
                raise  # too late for a clean answer; uvicorn ends the connection
            error = WebError(500, ["internal error; the server log has the details"])
            await self._error(scope, error, receive, guarded_send)

    async def _error(self, scope: Scope, error: WebError, receive: Receive, send: Send) -> None:
        request = Request({**scope, "method": "GET"}, receive)
        response = error_response(request, error)
        await response(scope, receive, send)

    async def _slash_redirect(self, scope: Scope, send: Send) -> None:
        # "/" + stripped path: never "//host", which a browser would read as another site
        location = quote("/" + scope["path"].strip("/")).encode("ascii")
        query: bytes = scope.get("query_string", b"")
        if query:
            location += b"?" + query
        await send(
            {
                "type": "http.response.start",
                "status": 308,
                "headers": [(b"location", location), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})


def is_api_path(path: str) -> bool:
    """The API and its twins: ``/api/...`` and any ``.json``/``.csv`` URL (a page twin's
    307 to the API must carry the CORS header too, or a browser stops at the redirect)."""
    return path.startswith("/api/") or path.endswith((".json", ".csv"))


class ApiCors:
    """Starlette's :class:`CORSMiddleware` (any origin; GET and HEAD; no credentials), on
    the API paths only (:func:`is_api_path`); pages answer as before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD"],
            allow_headers=["If-None-Match"],
            allow_credentials=False,
            expose_headers=[
                "ETag",
                "Link",
                "Content-Disposition",
                "X-AsylumLens-Release",
                "X-AsylumLens-Synthetic",
            ],
            max_age=86400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if is_api_path(path) and not is_private_path(path):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
