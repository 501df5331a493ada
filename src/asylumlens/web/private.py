"""Which URLs are the private case workspace, and what every response under them carries.

One list, used three ways: the response memo never stores or replays them
(:class:`~asylumlens.web.cache.ResponseCache`), the public API's open CORS
(:class:`~asylumlens.web.guard.ApiCors`) never applies to them, and :class:`PrivateHeaders`
marks each of their responses ``Cache-Control: no-store`` (no browser, proxy or back-button
cache keeps a client's page) and ``X-Robots-Tag: noindex``.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRIVATE_PREFIXES: Final = (
    "/api/v1/session",
    "/api/v1/cases",
    "/api/v1/deadlines",
    "/api/v1/audit",
    "/api/v1/calendar-feeds",
    "/login",
    "/logout",
    "/cases",
    "/deadlines",
    "/account",
    "/audit",
    "/calendar",
)

PRIVATE_HEADERS: Final = (
    (b"cache-control", b"no-store"),
    (b"x-robots-tag", b"noindex, nofollow"),
)


def is_private_path(path: str) -> bool:
    """``path`` is one of :data:`PRIVATE_PREFIXES` or below one (``/cases/12``)."""
    return any(path == p or path.startswith((p + "/", p + ".")) for p in PRIVATE_PREFIXES)


class PrivateHeaders:
    """ASGI middleware adding :data:`PRIVATE_HEADERS` to every private response (errors and
    redirects included), replacing any ``Cache-Control`` a handler set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_private_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in PRIVATE_HEADERS}
                headers = [
                    (bytes(k), bytes(v))
                    for k, v in message.get("headers", [])
                    if bytes(k).lower() not in names
                ]
                headers.extend(PRIVATE_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, marked)


class PublicOnly:
    """Run ``middleware`` on public paths only; private ones go straight to ``app``.

    For compression: an exhibit download is a ranged stream of (already incompressible)
    video whose ``Content-Length`` and ``Content-Range`` must stay exact, and a private page
    is small, so the case workspace is never gzipped (which also keeps its responses out of
    compression side channels such as BREACH)."""

    def __init__(self, app: ASGIApp, /, *, middleware: type[Any], **options: Any) -> None:
        self.app = app
        self.wrapped = middleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_private_path(scope["path"]):
            await self.app(scope, receive, send)
        else:
            await self.wrapped(scope, receive, send)
