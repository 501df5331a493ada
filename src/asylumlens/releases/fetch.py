"""Download the EOIR case-data release only when it changed, and never store half of one.

EOIR replaces one ~4 GB zip in place every month, at a fixed URL. A download therefore
has to answer three questions cheaply and safely:

* *Is there anything new?* A HEAD request, compared with the ETag / Last-Modified /
  Content-Length recorded after the last good download (``fetch-state.json``). If they match
  and the stored zip still has its recorded SHA-256, nothing is downloaded.
* *Can a cut download continue?* Bytes go to ``<name>.part``; a later attempt sends
  ``Range: bytes=<size>-`` with ``If-Range`` set to the validator of the version the part
  belongs to, so the server either continues that version (206) or sends the whole new one
  (200), and bytes of two versions are never spliced.
* *Is the result a whole release?* Length (against Content-Length / Content-Range), a
  readable zip central directory, and a SHA-256 computed while streaming. Only then is the
  part renamed atomically to ``EOIR Case Data <YYYY-MM-DD>.zip`` (the URL's file name plus the
  Last-Modified date) and the state file replaced.

Every call is bounded (:mod:`asylumlens.releases.fetch_limits`): a deadline for the whole
call, a minimum transfer rate and a size cap; a redirect loop is an error too.

Any failure raises :class:`~asylumlens.errors.FetchError` with one line naming the URL,
leaves the state file and earlier releases untouched, and keeps the ``.part`` only when a
later run can resume it.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote

import httpx
from rich.filesize import decimal

from asylumlens import __version__
from asylumlens.errors import FetchError
from asylumlens.releases.fetch_limits import (
    DEFAULT_LIMITS,
    Deadline,
    FetchLimits,
    RateWindow,
    seconds_text,
)
from asylumlens.releases.fetch_state import (
    FetchRecord,
    Version,
    discard_part,
    part_info_path,
    read_part_version,
    read_state,
    release_date,
    same_validators,
    same_version,
    write_part_version,
    write_state,
)
from asylumlens.releases.progress import FetchProgress

DEFAULT_URL = "https://fileshare.eoir.justice.gov/EOIR%20Case%20Data.zip"
DEFAULT_CHUNK_SIZE = 1 << 20
DEFAULT_TIMEOUT = httpx.Timeout(30.0, read=120.0)
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 5.0
LOCK_FILE = "fetch.lock"

# identity: Range offsets and Content-Length must count the zip's own bytes, not a gzip of them.
_HEADERS = {"Accept-Encoding": "identity", "User-Agent": f"asylumlens/{__version__}"}
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")

FetchStatus = Literal["unchanged", "downloaded", "resumed"]


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_release` did and the release zip it leaves in the download folder."""

    status: FetchStatus
    path: Path
    sha256: str
    last_modified: str | None
    etag: str | None
    bytes: int


def fetch_release(
    url: str,
    dest: Path,
    *,
    client: httpx.Client | None = None,
    progress: FetchProgress | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    retry_delay: float = DEFAULT_RETRY_DELAY,
    limits: FetchLimits = DEFAULT_LIMITS,
) -> FetchResult:
    """Make ``dest`` hold the current release at ``url``, downloading only when it changed.

    ``retries`` bounds the automatic resumes after a cut connection, a read timeout or a
    transfer slower than ``limits.min_rate`` within this call; ``retry_delay`` seconds pass
    before each. ``client`` is used as given (not closed); redirects are followed (at most
    20) and ``timeout`` applies per request either way, cut to the time left before
    ``limits.deadline``.

    :raises FetchError: HTTP error, network failure, redirect loop, wrong length, not a zip,
        unreadable state, or a limit passed (deadline, minimum rate, size cap).
    """
    report: FetchProgress = progress if progress is not None else _Silent()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"{dest}: cannot create the download folder ({exc.strerror})") from None
    deadline = Deadline(limits.deadline)
    plan = _Plan(
        url, dest, report, chunk_size, timeout, max(retries, 0), retry_delay, limits, deadline
    )
    with _exclusive(dest), _http(client) as http, deadline.running():
        try:
            return _fetch(http, plan)
        finally:
            report.finish()


def source_file_name(url: str) -> str:
    """The decoded last path segment of ``url`` (``EOIR Case Data.zip``), else ``release.zip``."""
    name = PurePosixPath(unquote(httpx.URL(url).path)).name
    return name if name not in ("", ".", "..") else "release.zip"


def release_file_name(url: str, last_modified: str | None, fetched_on: str) -> str:
    """``EOIR Case Data 2026-08-03.zip``: the URL's name plus the Last-Modified date.

    ``fetched_on`` (``YYYY-MM-DD``) stands in when the server sends no usable Last-Modified.
    """
    name = PurePosixPath(source_file_name(url))
    return f"{name.stem} {release_date(last_modified) or fetched_on}{name.suffix}"


@dataclass(frozen=True)
class _Plan:
    url: str
    dest: Path
    report: FetchProgress
    chunk_size: int
    timeout: httpx.Timeout | float
    retries: int
    retry_delay: float
    limits: FetchLimits
    deadline: Deadline

    @property
    def part(self) -> Path:
        return self.dest / f"{source_file_name(self.url)}.part"

    def request_timeout(self) -> httpx.Timeout:
        """The per-request timeout, cut to the time left; a read that waits longer than the
        rate window is slower than any positive minimum rate."""
        window = self.limits.rate_window if self.limits.min_rate > 0 else None
        return self.deadline.timeout(self.timeout, window)


@dataclass(frozen=True)
class _Remote:
    """The HEAD answer: the current version and whether its bytes may be fetched by range."""

    version: Version
    ranges: bool


@dataclass(frozen=True)
class _Downloaded:
    version: Version
    size: int
    sha256: str
    resumed: bool


class _Interrupted(Exception):
    """A transfer stopped early in a way that a ranged request may continue."""

    def __init__(self, reason: str, size: int, total: int | None, version: Version) -> None:
        super().__init__(reason)
        self.reason, self.size, self.total, self.version = reason, size, total, version


class _OutOfTime(_Interrupted):
    """The call's deadline passed during a transfer: no retry, but the part may be resumed."""


def _fetch(http: httpx.Client, plan: _Plan) -> FetchResult:
    remote = _head(http, plan)
    records = read_state(plan.dest)
    known = records.get(plan.url)
    if known is not None and same_version(known.version, remote.version):
        kept = plan.dest / known.path
        if _sha256_of(kept) == known.sha256:
            return FetchResult(
                "unchanged",
                kept,
                known.sha256,
                known.last_modified,
                known.etag,
                kept.stat().st_size,
            )
        plan.report.note(f"{kept} is missing or altered; downloading it again")

    got = _download(http, plan, remote)
    _check_zip(plan.part, plan.url)
    now = datetime.now(UTC)
    name = release_file_name(plan.url, got.version.last_modified, now.date().isoformat())
    target = plan.dest / name
    os.replace(plan.part, target)
    part_info_path(plan.part).unlink(missing_ok=True)
    record = FetchRecord(
        url=plan.url,
        etag=got.version.etag,
        last_modified=got.version.last_modified,
        content_length=got.size,
        sha256=got.sha256,
        path=name,
        fetched_at=now.isoformat(timespec="seconds"),
    )
    write_state(plan.dest, {**records, plan.url: record})
    status: FetchStatus = "resumed" if got.resumed else "downloaded"
    return FetchResult(status, target, got.sha256, record.last_modified, record.etag, got.size)


def _head(http: httpx.Client, plan: _Plan) -> _Remote:
    url = plan.url
    try:
        response = http.head(
            url,
            headers=_HEADERS,
            timeout=plan.request_timeout(),
            follow_redirects=True,
            extensions=plan.deadline.extensions,
        )
    except httpx.TooManyRedirects:
        raise FetchError(f"cannot fetch {url}: {_describe_redirects(http)}") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        if plan.deadline.passed:
            raise FetchError(
                f"cannot fetch {url}: {_deadline_words(plan)}; nothing stored"
            ) from None
        raise FetchError(f"cannot fetch {url}: {_describe(exc)}") from None
    _raise_for_status(response, url)
    ranges = response.headers.get("accept-ranges", "").strip().lower() != "none"
    remote = _Remote(Version.from_headers(response.headers), ranges)
    announced = remote.version.content_length
    if announced is not None and announced > plan.limits.max_bytes:
        raise FetchError(
            f"cannot fetch {url}: the server announces {announced} bytes, more than the cap of "
            f"{plan.limits.max_bytes} (--max-bytes); nothing downloaded"
        )
    return remote


def _download(http: httpx.Client, plan: _Plan, remote: _Remote) -> _Downloaded:
    """Fill ``plan.part`` with the whole release, resuming up to ``plan.retries`` times."""
    part = plan.part
    on_disk = read_part_version(part, plan.url)
    if part.exists() and (on_disk is None or not same_version(on_disk, remote.version)):
        plan.report.note(f"discarding {part.name}: it holds another version of the release")
        discard_part(part)
        on_disk = None
    version = on_disk or remote.version
    failures = 0
    while True:
        try:
            return _attempt(http, plan, version, remote)
        except _Interrupted as cut:
            failures += 1
            version = cut.version
            if isinstance(cut, _OutOfTime) or plan.deadline.remaining() <= plan.retry_delay:
                raise _gave_up(plan, cut, failures, remote.ranges, _deadline_words(plan)) from None
            if failures > plan.retries:
                raise _gave_up(plan, cut, failures, remote.ranges) from None
            plan.report.note(
                f"{cut.reason} after {decimal(cut.size)}; resuming "
                f"(retry {failures} of {plan.retries})"
            )
            time.sleep(plan.retry_delay)


def _attempt(http: httpx.Client, plan: _Plan, version: Version, remote: _Remote) -> _Downloaded:
    """One GET: continue the part by range when possible, else rewrite it from byte 0."""
    part, url = plan.part, plan.url
    have = part.stat().st_size if part.exists() else 0
    if have and have == version.content_length:  # whole, from a run killed before promotion
        return _Downloaded(version, have, _sha256_of(part) or "", resumed=True)
    headers = dict(_HEADERS)
    validator = version.if_range
    if have and validator and remote.ranges:
        headers |= {"Range": f"bytes={have}-", "If-Range": validator}
    else:
        have = 0
    try:
        with http.stream(
            "GET",
            url,
            headers=headers,
            timeout=plan.request_timeout(),
            follow_redirects=True,
            extensions=plan.deadline.extensions,
        ) as response:
            if response.status_code == 416:
                return _unsatisfiable(response, plan, version, have, remote.version)
            _raise_for_status(response, url)
            if response.status_code == 206:
                total = _continued_total(response, url, have, version, part)
            else:
                if have:
                    plan.report.note("the server sent the whole file again; restarting")
                have = 0
                version = Version.from_headers(response.headers)
                total = _full_total(url, version, remote.version)
                write_part_version(part, url, version)
            if total is not None and total > plan.limits.max_bytes:
                discard_part(part)
                raise FetchError(
                    f"cannot fetch {url}: the server sends {total} bytes, more than the cap of "
                    f"{plan.limits.max_bytes} (--max-bytes); nothing stored"
                )
            return _stream(response, plan, version, have, total)
    except httpx.TooManyRedirects:
        raise FetchError(f"cannot fetch {url}: {_describe_redirects(http)}") from None
    except httpx.TransportError as exc:  # no response at all (connect failure, reset)
        size = part.stat().st_size if part.exists() else 0
        cut = _OutOfTime if plan.deadline.passed else _Interrupted
        raise cut(_describe(exc, detail=False), size, version.content_length, version) from None


def _stream(
    response: httpx.Response, plan: _Plan, version: Version, have: int, total: int | None
) -> _Downloaded:
    """Append the body to the part (from ``have``), hashing everything, old bytes first."""
    digest = hashlib.sha256()
    size = have
    if have:
        with plan.part.open("rb") as fh:
            for block in iter(lambda: fh.read(plan.chunk_size), b""):
                digest.update(block)
    plan.report.start(total, have)
    limits, deadline = plan.limits, plan.deadline
    rate = RateWindow(limits.min_rate, limits.rate_window, have)
    with plan.part.open("r+b" if have else "wb", buffering=plan.chunk_size) as fh:
        fh.seek(have)
        fh.truncate()
        try:
            # no chunk size: each network read comes back at once, so the limits are checked
            # between reads and a cut loses nothing that was received
            for chunk in response.iter_raw():
                fh.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                plan.report.advance(len(chunk))
                if (total is not None and size > total) or size > limits.max_bytes:
                    break
                if deadline.passed:
                    fh.flush()
                    raise _OutOfTime("out of time", size, total, version)
                if rate.too_slow(size):
                    fh.flush()
                    raise _Interrupted(
                        f"slower than the minimum of {limits.min_rate:g} bytes/s over "
                        f"{seconds_text(limits.rate_window)} (--min-rate, --rate-window)",
                        size,
                        total,
                        version,
                    )
        except httpx.TransportError as exc:
            fh.flush()
            cut = _OutOfTime if deadline.passed else _Interrupted
            raise cut(_describe(exc, detail=False), size, total, version) from None
        except OSError as exc:
            raise FetchError(f"{plan.part}: cannot write the download ({exc.strerror})") from None
        fh.flush()
        os.fsync(fh.fileno())
    if total is not None and size > total:
        discard_part(plan.part)
        raise FetchError(
            f"cannot fetch {plan.url}: wrong length, received more than the {total} bytes the "
            "server announced; nothing stored"
        )
    if size > limits.max_bytes:
        discard_part(plan.part)
        raise FetchError(
            f"cannot fetch {plan.url}: the body is larger than the cap of {limits.max_bytes} "
            "bytes (--max-bytes); nothing stored"
        )
    if total is not None and size < total:
        raise _Interrupted("connection closed early", size, total, version)
    return _Downloaded(version, size, digest.hexdigest(), resumed=have > 0)


def _continued_total(
    response: httpx.Response, url: str, have: int, version: Version, part: Path
) -> int | None:
    """The full length from a 206's Content-Range, after checking it continues our part."""
    match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
    start = int(match.group(1)) if match and match.group(1) else None
    total = int(match.group(3)) if match and match.group(3) != "*" else None
    if start != have:
        discard_part(part)
        raise FetchError(
            f"cannot fetch {url}: asked to resume at byte {have}, the server answered "
            f"{response.headers.get('content-range')!r}; partial download discarded"
        )
    if total is not None and version.content_length not in (None, total):
        discard_part(part)
        raise FetchError(
            f"cannot fetch {url}: wrong length, the server now announces {total} bytes for the "
            f"version that had {version.content_length}; partial download discarded"
        )
    return total if total is not None else version.content_length


def _full_total(url: str, got: Version, head: Version) -> int | None:
    """The length of a 200 body: its Content-Length, which must agree with HEAD's."""
    if not same_validators(got, head) or head.content_length is None:
        return got.content_length  # the release changed between HEAD and GET: trust the GET
    if got.content_length is None:
        return head.content_length
    if got.content_length != head.content_length:
        raise FetchError(
            f"cannot fetch {url}: wrong length, HEAD announced {head.content_length} bytes "
            f"but GET {got.content_length}; nothing stored"
        )
    return got.content_length


def _unsatisfiable(
    response: httpx.Response, plan: _Plan, version: Version, have: int, head: Version
) -> _Downloaded:
    """416: either the part is already whole, or the server holds less than it announced."""
    match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
    held = int(match.group(3)) if match and match.group(3) != "*" else None
    if held == have and head.content_length in (None, have):
        return _Downloaded(version, have, _sha256_of(plan.part) or "", resumed=True)
    discard_part(plan.part)
    announced = version.content_length or head.content_length
    raise FetchError(
        f"cannot fetch {plan.url}: wrong length, the server announced {announced} bytes but "
        f"holds {held if held is not None else 'an unknown number'} (HTTP 416 at byte {have}); "
        "partial download discarded"
    )


def _gave_up(
    plan: _Plan, cut: _Interrupted, attempts: int, ranges: bool, reason: str | None = None
) -> FetchError:
    """The error after the last attempt: the part is kept when a later run can resume it."""
    part = plan.part
    if ranges and cut.version.if_range and part.exists() and part.stat().st_size:
        outcome = f"{part.name} kept; run again to resume"
    else:
        discard_part(part)
        outcome = "nothing stored"
    of = f" of {cut.total}" if cut.total is not None else ""
    return FetchError(
        f"cannot fetch {plan.url}: {reason or cut.reason} after {cut.size}{of} bytes "
        f"({attempts} attempt{'s' if attempts > 1 else ''}); {outcome}"
    )


def _deadline_words(plan: _Plan) -> str:
    return f"not done within the deadline of {seconds_text(plan.limits.deadline)} (--deadline)"


def _describe_redirects(http: httpx.Client) -> str:
    return f"redirect loop (more than {http.max_redirects} redirects)"


def _check_zip(part: Path, url: str) -> None:
    """Refuse a body whose zip central directory cannot be read, before it is promoted.

    Reading the central directory catches HTML error pages, truncation and most corruption
    without decompressing 15-20 GB; member CRCs are checked by the ingest that reads them.
    """
    try:
        with zipfile.ZipFile(part) as archive:
            members = archive.infolist()
        size = part.stat().st_size
        if not members:
            raise zipfile.BadZipFile("no members")
        if any(m.header_offset >= size for m in members):
            raise zipfile.BadZipFile("member offsets beyond the end of the file")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        discard_part(part)
        raise FetchError(
            f"cannot fetch {url}: the download is not a readable zip ({exc}); nothing stored"
        ) from None


def _raise_for_status(response: httpx.Response, url: str) -> None:
    if response.status_code >= 400:
        raise FetchError(
            f"cannot fetch {url}: HTTP {response.status_code} {response.reason_phrase}".rstrip()
        )


def _describe(exc: Exception, *, detail: bool = True) -> str:
    """A one-line reason for a network failure: its kind, then httpx's words if ``detail``."""
    kind = (
        "read timed out"
        if isinstance(exc, httpx.ReadTimeout)
        else "timed out"
        if isinstance(exc, httpx.TimeoutException)
        else "connection failed"
        if isinstance(exc, httpx.ConnectError)
        else "connection cut"
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError)
        else "invalid URL"
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol)
        else "network error"
    )
    words = " ".join(str(exc).split())
    return f"{kind} ({words})" if detail and words else kind


def _sha256_of(path: Path) -> str | None:
    """SHA-256 of a file, or None when it does not exist."""
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        return None


@contextmanager
def _http(client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with httpx.Client() as own:
        yield own


@contextmanager
def _exclusive(dest: Path) -> Iterator[None]:
    """One fetch per download folder: a cron run and a manual run must not share a part."""
    if sys.platform == "win32":  # pragma: no cover - no flock; rely on the operator
        yield
        return
    import fcntl

    with (dest / LOCK_FILE).open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FetchError(f"{dest}: another fetch is already running in this folder") from None
        yield


class _Silent:
    def start(self, total: int | None, completed: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def finish(self) -> None:
        pass
