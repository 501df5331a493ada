"""Whole-response memo for GET requests: valid because the served release never changes.

The app is pinned to one immutable release, so the 200 response for a URL (path and query
string) is the same every time until the process restarts with another release or version.
This ASGI middleware keeps the most recent ``max_entries`` such responses (bodies up to
``max_body`` bytes) and answers repeats from memory, including ``If-None-Match`` -> 304.
Only 200s are kept: errors are recomputed, so a bad URL always gets its 422/404 page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asylumlens.web.provenance import etag_matches


@dataclass(frozen=True)
class Stored:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str | None


class ResponseCache:
    def __init__(
        self,
        app: ASGIApp,
        max_entries: int = 512,
        max_body: int = 4 * 1024 * 1024,
        skip_prefixes: tuple[str, ...] = ("/static/",),
    ) -> None:
        self.app = app
        self.max_entries = max_entries
        self.max_body = max_body
        self.skip_prefixes = skip_prefixes
        self._items: OrderedDict[str, Stored] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, key: str) -> Stored | None:
        with self._lock:
            stored = self._items.get(key)
            if stored is not None:
                self._items.move_to_end(key)
            return stored

    def _put(self, key: str, stored: Stored) -> None:
        with self._lock:
            self._items[key] = stored
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        key = path + "?" + scope.get("query_string", b"").decode("latin-1")
        if_none_match = None
        for name, value in scope.get("headers", []):
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        stored = self._get(key)
        if stored is not None:
            await self._replay(stored, if_none_match, send)
            return
        await self._record(key, scope, receive, send)

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

    async def _record(self, key: str, scope: Scope, receive: Receive, send: Send) -> None:
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
                if size > self.max_body:
                    cacheable = False
                    chunks.clear()
                else:
                    chunks.append(body)
                if not message.get("more_body", False) and cacheable and headers:
                    etag = next((v.decode("latin-1") for k, v in headers if k == b"etag"), None)
                    self._put(key, Stored(headers, b"".join(chunks), etag))
            await send(message)

        await self.app(scope, receive, capture)
