"""A real HTTP server on 127.0.0.1 serving a release zip; it can lie, cut, stall, ignore ranges,
trickle, never end, and redirect to itself.

Shared by ``test_fetch.py`` and ``test_update.py``: each test sets how it misbehaves (or
swaps the body, ETag and Last-Modified to publish a "new release") and reads its request
log to see what the client actually asked for.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Mon, 03 Aug 2026 14:22:09 GMT"
GIVE_UP_SECONDS = 10.0  # a trickle stops (the connection closes) after this long
GIVE_UP_BYTES = 20_000_000  # an endless body stops after this much


@dataclass
class Seen:
    method: str
    headers: dict[str, str]


@dataclass
class Behaviour:
    """What the server sends; tests mutate it between calls."""

    body: bytes
    etag: str | None = '"v1"'
    last_modified: str | None = LAST_MODIFIED
    status: int = 200
    head_status: int | None = None
    accept_ranges: bool = True
    honour_range: bool = True
    head_length: int | None = None  # Content-Length announced by HEAD; None = len(body)
    get_length: int | None = None  # Content-Length announced by GET; None = actual length
    close_delimited: bool = False  # GET without Content-Length, body ends at close
    cut_after: list[int | None] = field(default_factory=list)  # per GET: bytes before a cut
    stall_after: list[int | None] = field(default_factory=list)  # per GET: bytes, then stall
    head_announces_length: bool = True  # False: HEAD sends no Content-Length
    # Hostile servers. Each gives up after GIVE_UP seconds or bytes, so a client without the
    # limit under test fails its test instead of hanging the suite or filling the disk.
    trickle: float | None = None  # GET body: one byte every this many seconds
    trickle_headers: float | None = None  # GET and HEAD: one header byte every this many seconds
    endless: bool = False  # GET: 200, no Content-Length, the body repeated without end
    redirect_loop: set[str] = field(default_factory=set)  # methods answered "302: go here"
    log: list[Seen] = field(default_factory=list)

    def gets(self) -> list[Seen]:
        return [s for s in self.log if s.method == "GET"]


class ReleaseHandler(BaseHTTPRequestHandler):
    server: ReleaseServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _common(self, length: int | None) -> None:
        b = self.server.behaviour
        if b.etag:
            self.send_header("ETag", b.etag)
        if b.last_modified:
            self.send_header("Last-Modified", b.last_modified)
        self.send_header("Accept-Ranges", "bytes" if b.accept_ranges else "none")
        self.send_header("Content-Type", "application/zip")
        if length is not None:
            self.send_header("Content-Length", str(length))

    def _hostile_start(self, method: str) -> bool:
        """Answer a redirect loop or trickle the headers; True when the answer is done."""
        b = self.server.behaviour
        if method in b.redirect_loop:
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if b.trickle_headers is not None:
            self.send_response(200)
            self.flush_headers()  # the status line, Server and Date; then one endless header
            self.wfile.write(b"X-Slow: ")
            self._drip(b"a" * 10_000, b.trickle_headers)
            self.close_connection = True
            return True
        return False

    def _drip(self, data: bytes, interval: float) -> None:
        """Send ``data`` one byte at a time, until it ends, GIVE_UP_SECONDS pass or the client
        leaves."""
        started = time.monotonic()
        try:
            for i in range(len(data)):
                if time.monotonic() - started > GIVE_UP_SECONDS:
                    break
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass

    def _endless(self) -> None:
        b = self.server.behaviour
        self.send_response(200)
        self._common(None)
        self.end_headers()
        sent = 0
        try:
            while sent < GIVE_UP_BYTES:
                self.wfile.write(b.body)
                sent += len(b.body)
        except OSError:
            pass
        self.close_connection = True

    def do_HEAD(self) -> None:
        b = self.server.behaviour
        b.log.append(Seen("HEAD", dict(self.headers.items())))
        if self._hostile_start("HEAD"):
            return
        status = b.head_status or b.status
        if status != 200:
            self.send_error(status)
            return
        self.send_response(200)
        length = b.head_length if b.head_length is not None else len(b.body)
        self._common(length if b.head_announces_length else None)
        self.end_headers()

    def do_GET(self) -> None:
        b = self.server.behaviour
        b.log.append(Seen("GET", dict(self.headers.items())))
        cut = b.cut_after.pop(0) if b.cut_after else None
        stall = b.stall_after.pop(0) if b.stall_after else None
        if self._hostile_start("GET"):
            return
        if b.status != 200:
            self.send_error(b.status)
            return
        if b.endless:
            self._endless()
            return
        start = self._range_start()
        if start is not None and start >= len(b.body):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(b.body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = b.body[start or 0 :]
        if start is not None:
            self.send_response(206)
            self._common(len(payload))
            self.send_header("Content-Range", f"bytes {start}-{len(b.body) - 1}/{len(b.body)}")
        else:
            self.send_response(200)
            announced = b.get_length if b.get_length is not None else len(payload)
            self._common(None if b.close_delimited else announced)
        self.end_headers()
        limit = next((n for n in (cut, stall) if n is not None), None)
        if b.trickle is not None:
            self._drip(payload, b.trickle)
            self.close_connection = True
            return
        try:
            self.wfile.write(payload if limit is None else payload[:limit])
            self.wfile.flush()
            if stall is not None:
                time.sleep(1.0)  # longer than the client's read timeout
        except OSError:
            pass
        self.close_connection = True
        if limit is not None:
            self.connection.shutdown(socket.SHUT_RDWR)

    def _range_start(self) -> int | None:
        b = self.server.behaviour
        wanted = self.headers.get("Range")
        if not wanted or not b.honour_range or not b.accept_ranges:
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range not in (b.etag, b.last_modified):
            return None  # the part belongs to another version: send it all
        return int(wanted.removeprefix("bytes=").split("-")[0])


class ReleaseServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), ReleaseHandler)
        self.behaviour = behaviour

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/EOIR%20Case%20Data.zip"


@contextmanager
def serving(behaviour: Behaviour) -> Iterator[ReleaseServer]:
    """Run a :class:`ReleaseServer` on a free port for the duration of the block."""
    srv = ReleaseServer(behaviour)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)
