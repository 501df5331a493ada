"""How long, how slowly and how much ``fetch`` may download before it gives up.

A per-read timeout alone does not bound a download: a server (or a middlebox) that sends one
byte every few seconds never trips it, keeps ``update``'s store lock for ever, and a body that
never ends fills the disk. So every :func:`~asylumlens.releases.fetch_release` call has three
limits (:class:`FetchLimits`), each failing with a one-line ``FetchError`` naming the URL
and the limit:

* a **deadline** for the whole call (HEAD, every GET, the pauses between retries). It holds
  even while a read is blocked or headers trickle in: :class:`Deadline` records every
  connection the call opens (httpx's public ``trace`` request extension) and, when time is up,
  shuts their sockets down from a timer thread, which makes the blocked read return;
* a **minimum transfer rate** over a sliding window (:class:`RateWindow`): a body slower than
  that counts as a cut connection and is resumed like one;
* a **size cap**: a body announced as, or growing, larger than the cap is refused.

The defaults are sized for the real release, a zip of about 4 GB (``shared/eoir/NOTES.md``
§1.1; some sources give 1-2 GB): 4 hours, at least 10 kB/s over any 2 minutes, at most 16 GB.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI reads the defaults at start-up; httpx is imported when fetching
    import httpx

DEFAULT_DEADLINE = 4 * 3600.0
DEFAULT_MIN_RATE = 10_000.0
DEFAULT_RATE_WINDOW = 120.0
DEFAULT_MAX_BYTES = 16 * 10**9


@dataclass(frozen=True)
class FetchLimits:
    """The bounds of one fetch. ``min_rate`` 0 turns the rate check off."""

    deadline: float = DEFAULT_DEADLINE  # seconds for the whole call
    min_rate: float = DEFAULT_MIN_RATE  # bytes per second, averaged over rate_window
    rate_window: float = DEFAULT_RATE_WINDOW  # seconds
    max_bytes: int = DEFAULT_MAX_BYTES  # the largest release accepted

    def __post_init__(self) -> None:
        if not self.deadline > 0 or not self.rate_window > 0:
            raise ValueError("deadline and rate_window must be positive")
        if self.min_rate < 0 or self.max_bytes < 1:
            raise ValueError("min_rate must be >= 0 and max_bytes >= 1")


DEFAULT_LIMITS = FetchLimits()


def seconds_text(value: float) -> str:
    """``14400`` -> ``14400 s``, ``0.5`` -> ``0.5 s``: limits as the user typed them."""
    return f"{value:g} s"


class Deadline:
    """The time left for one fetch call, enforced even inside a blocked read.

    Use as a context manager around the call; pass :meth:`timeout` and :attr:`extensions` to
    every request. Connections are recorded when opened; at the deadline a timer thread shuts
    them down (``SHUT_RDWR``), so whatever read is in progress ends at once with a transport
    error, which the caller recognises through :attr:`passed`.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @contextmanager
    def running(self) -> Iterator[Deadline]:
        self._timer.start()
        try:
            yield self
        finally:
            self._timer.cancel()

    @property
    def passed(self) -> bool:
        return self._expired or time.monotonic() >= self._ends

    def remaining(self) -> float:
        return max(self._ends - time.monotonic(), 0.0)

    def timeout(self, base: httpx.Timeout | float, read_at_most: float | None) -> httpx.Timeout:
        """``base`` with every phase cut to the time left (and reads to ``read_at_most``)."""
        import httpx

        t = base if isinstance(base, httpx.Timeout) else httpx.Timeout(base)
        left = max(self.remaining(), 0.001)

        def cut(value: float | None, also: float | None = None) -> float:
            bounds = [b for b in (value, also) if b is not None]
            return min([left, *bounds])

        return httpx.Timeout(
            connect=cut(t.connect),
            read=cut(t.read, read_at_most),
            write=cut(t.write),
            pool=cut(t.pool),
        )

    @property
    def extensions(self) -> dict[str, Any]:
        """httpx request extensions that let the deadline see each connection opened."""
        return {"trace": self._trace}

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            late = self._expired
        if late:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):  # already closed by the client
        sock.shutdown(socket.SHUT_RDWR)


class RateWindow:
    """Whether a transfer averaged less than ``min_rate`` bytes/s over the last ``window`` s.

    Samples (time, bytes so far) are kept at most ``window / 16`` apart, so memory stays
    small however fast the body arrives; the check is therefore exact to 1/16 of the window.
    """

    def __init__(self, min_rate: float, window: float, size: int) -> None:
        self.min_rate, self.window = min_rate, window
        self._step = window / 16
        self._samples: deque[tuple[float, int]] = deque([(time.monotonic(), size)])

    def too_slow(self, size: int) -> bool:
        if self.min_rate <= 0:
            return False
        now = time.monotonic()
        if now - self._samples[-1][0] >= self._step:
            self._samples.append((now, size))
        while len(self._samples) > 1 and self._samples[1][0] <= now - self.window:
            self._samples.popleft()
        start, had = self._samples[0]
        span = now - start
        return span >= self.window and (size - had) < self.min_rate * span
