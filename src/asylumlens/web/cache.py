"""Whole-response memo for GET requests: valid because the served release never changes.

The app is pinned to one immutable release version (the store keeps the files it opened
until it restarts), so the 200 response for a URL is the same every time. This ASGI
middleware keeps recent such responses and answers repeats from memory, including
``If-None-Match`` -> 304. Only 200s are kept: errors are recomputed, so a bad URL always
gets its 422/404 page.

Anonymous clients choose the URLs, so the memo is bounded where it matters, in **bytes**
(:class:`ResponseMemo`, bodies, headers and keys counted), and an entry is stored under
the route's **declared** parameters only (:func:`~asylumlens.web.canonical.canonical_query`,
known once the router has matched). A request is looked up by all its parameters,
normalised the same way, so a URL without junk hits its entry; one with junk parameters
misses, is answered by the handlers (whose frame memo makes that cheap) and re-stores the
same canonical entry: junk can never add an entry (and an undeclared parameter is a 422,
which is never kept).

A **streamed** response (its body in more than one message: the whole-list CSV downloads)
is passed through as it is produced and never stored, so a download of any size costs the
memo nothing and every request for it is answered the same way (streamed, no
``Content-Length``); the handler's frame memo keeps it cheap.

The private case workspace (:func:`~asylumlens.web.private.is_private_path`) is never
looked up or stored: its responses differ per user and must not outlive the request.

A stored body that the app's gzip layer would compress is also kept **compressed** (made
once, when stored): a repeat from a client that accepts gzip is answered with those bytes
and the headers the gzip layer would have set, so a memo hit never compresses again (on a
page of 50-130 kB that was a third of a hit's cost). The gzip layer passes a response that
already has a ``Content-Encoding`` through untouched.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asylumlens.web.canonical import canonical_query, matching_route, normalised_query
from asylumlens.web.memo import ByteBoundedLRU
from asylumlens.web.private import is_private_path
from asylumlens.web.provenance import etag_matches

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_BODY = 4 * 1024 * 1024
GZIP_MINIMUM_SIZE: Final = 1024
"""The app's gzip layer leaves smaller bodies as they are (``web/app.py`` uses these)."""
GZIP_LEVEL: Final = 5
_NOT_COMPRESSED: Final = ("text/event-stream",)  # Starlette's gzip layer's exclusion


@dataclass(frozen=True)
class Stored:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str | None
    gzipped: bytes | None = None
    """``body`` as the gzip layer would send it (:func:`stored`), or None if it would not."""

    def cost(self, key: str) -> int:
        """Bytes this entry holds (plus a fixed allowance for the Python objects)."""
        extra = len(self.gzipped) if self.gzipped is not None else 0
        headers = sum(len(k) + len(v) + 64 for k, v in self.headers)
        return 256 + len(key) + len(self.body) + extra + headers


def stored(headers: list[tuple[bytes, bytes]], body: bytes, etag: str | None) -> Stored:
    """A response to keep, with its gzipped body when the gzip layer would compress it."""
    names = {k.lower(): v for k, v in headers}
    media = names.get(b"content-type", b"").decode("latin-1").partition(";")[0].strip()
    compress = (
        len(body) >= GZIP_MINIMUM_SIZE
        and b"content-encoding" not in names
        and media.lower() not in _NOT_COMPRESSED
    )
    return Stored(headers, body, etag, gzip.compress(body, GZIP_LEVEL) if compress else None)


def _gzip_headers(headers: list[tuple[bytes, bytes]], size: int) -> list[tuple[bytes, bytes]]:
    """``headers`` for the gzipped body: what Starlette's gzip layer sets (encoding, length,
    ``Vary: Accept-Encoding`` added to any Vary already there)."""
    out: list[tuple[bytes, bytes]] = []
    vary: bytes | None = None
    for k, v in headers:
        if k.lower() == b"content-length":
            continue
        if k.lower() == b"vary":
            vary = v
            continue
        out.append((k, v))
    out.append((b"content-length", str(size).encode()))
    out.append((b"content-encoding", b"gzip"))
    out.append((b"vary", vary + b", Accept-Encoding" if vary else b"Accept-Encoding"))
    return out


class ResponseMemo(ByteBoundedLRU[str, Stored]):
    """The stored responses, by canonical URL, whose total :meth:`Stored.cost` stays under
    ``max_bytes``; a body larger than ``max_body`` is never kept."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, max_body: int = DEFAULT_MAX_BODY):
        super().__init__(max_bytes)
        self.max_body = max_body

    def get(self, key: str) -> Stored | None:
        return self.lookup(key)

    def put(self, key: str, stored: Stored) -> None:
        if len(stored.body) <= self.max_body:
            self.store(key, stored, stored.cost(key))


class ResponseCache:
    """The ASGI middleware in front of the app, answering from a :class:`ResponseMemo`."""

    def __init__(
        self,
        app: ASGIApp,
        memo: ResponseMemo | None = None,
        skip_prefixes: tuple[str, ...] = ("/static/",),
    ) -> None:
        self.app = app
        self.memo = memo if memo is not None else ResponseMemo()
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(self.skip_prefixes) or is_private_path(path):
            await self.app(scope, receive, send)
            return
        key = path + "?" + normalised_query(scope)
        if_none_match = None
        accepts_gzip = False
        for name, value in scope.get("headers", []):
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"accept-encoding":
                accepts_gzip = b"gzip" in value
        kept = self.memo.get(key)
        if kept is not None:
            await self._replay(kept, if_none_match, send, accepts_gzip)
            return
        await self._record(scope, receive, send)

    async def _replay(
        self, kept: Stored, if_none_match: str | None, send: Send, accepts_gzip: bool
    ) -> None:
        if kept.etag and etag_matches(if_none_match, kept.etag):
            keep = {b"etag", b"cache-control", b"x-asylumlens-release", b"x-asylumlens-synthetic"}
            headers = [(k, v) for k, v in kept.headers if k in keep]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if accepts_gzip and kept.gzipped is not None:
            headers, body = _gzip_headers(kept.headers, len(kept.gzipped)), kept.gzipped
        else:
            # A fresh list each time: outer middleware (gzip) edits header lists in place.
            headers, body = list(kept.headers), kept.body
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _record(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        size = 0
        cacheable = True

        async def capture(message: Message) -> None:
            nonlocal size, cacheable
            if message["type"] == "http.response.start":
                # Copy now: outer middleware (gzip) edits this header list in place.
                headers.extend((bytes(k), bytes(v)) for k, v in message.get("headers", []))
                cacheable = message["status"] == 200
            elif message["type"] == "http.response.body" and cacheable:
                body: bytes = message.get("body", b"")
                size += len(body)
                if message.get("more_body", False) or size > self.memo.max_body:
                    # a streamed body (a whole-list CSV) passes through, never buffered
                    cacheable = False
                    chunks.clear()
                else:
                    chunks.append(body)
                if not message.get("more_body", False) and cacheable and headers:
                    if matching_route(scope) is None:
                        return await send(message)  # not one of our routes: keep nothing
                    key = scope["path"] + "?" + canonical_query(scope)
                    etag = next((v.decode("latin-1") for k, v in headers if k == b"etag"), None)
                    self.memo.put(key, stored(headers, b"".join(chunks), etag))
            await send(message)

        await self.app(scope, receive, capture)
