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
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asylumlens.web.canonical import canonical_query, matching_route, normalised_query
from asylumlens.web.memo import ByteBoundedLRU
from asylumlens.web.private import is_private_path
from asylumlens.web.provenance import etag_matches

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_BODY = 4 * 1024 * 1024


@dataclass(frozen=True)
class Stored:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str | None

    def cost(self, key: str) -> int:
        """Bytes this entry holds (plus a fixed allowance for the Python objects)."""
        return 256 + len(key) + len(self.body) + sum(len(k) + len(v) + 64 for k, v in self.headers)


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
        for name, value in scope.get("headers", []):
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        stored = self.memo.get(key)
        if stored is not None:
            await self._replay(stored, if_none_match, send)
            return
        await self._record(scope, receive, send)

    async def _replay(self, stored: Stored, if_none_match: str | None, send: Send) -> None:
        if stored.etag and etag_matches(if_none_match, stored.etag):
            keep = {b"etag", b"cache-control", b"x-asylumlens-release", b"x-asylumlens-synthetic"}
            headers = [(k, v) for k, v in stored.headers if k in keep]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        # A fresh list each time: outer middleware (gzip) edits header lists in place.
        headers = list(stored.headers)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": stored.body})

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
                    self.memo.put(key, Stored(headers, b"".join(chunks), etag))
            await send(message)

        await self.app(scope, receive, capture)
