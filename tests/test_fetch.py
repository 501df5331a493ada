"""``fetch`` against a real HTTP server on 127.0.0.1 that can lie, cut, stall and ignore ranges.

The server serves one synthetic zip built here with :mod:`zipfile`; each test sets how it
misbehaves and reads its request log to see what the client actually asked for.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from asylumlens.errors import FetchError, ReleaseError
from asylumlens.releases import FetchProgress, FetchResult, fetch_release, release_file_name
from asylumlens.releases.fetch_limits import DEFAULT_LIMITS, FetchLimits
from asylumlens.releases.progress import LineProgress, RichProgress
from http_fixture import LAST_MODIFIED, Behaviour, ReleaseServer, serving

NEXT_MODIFIED = "Thu, 03 Sep 2026 09:00:00 GMT"
CHUNK = 4096


def synthetic_zip(seed: int = 1, size: int = 300_000) -> bytes:
    """A small stored (uncompressed) zip in the release layout, with incompressible bytes."""
    rng = random.Random(seed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("EOIR Case Data/A_TblCase.csv", rng.randbytes(size))
        archive.writestr("Lookup/tblLanguage.csv", b"strCode\tstrDescription\nENG\tEnglish\n")
    return buffer.getvalue()


def fetch(
    url: str,
    dest: Path,
    *,
    retries: int = 3,
    timeout: httpx.Timeout | float = 2.0,
    progress: FetchProgress | None = None,
    limits: FetchLimits = DEFAULT_LIMITS,
) -> FetchResult:
    """fetch_release with small chunks and no pause between retries, to keep tests fast."""
    return fetch_release(
        url,
        dest,
        chunk_size=CHUNK,
        timeout=timeout,
        retries=retries,
        retry_delay=0.0,
        progress=progress,
        limits=limits,
    )


@pytest.fixture
def release() -> bytes:
    return synthetic_zip()


@pytest.fixture
def server(release: bytes) -> Iterator[ReleaseServer]:
    with serving(Behaviour(body=release)) as srv:
        yield srv


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(dest: Path) -> list[str]:
    """Release zips in the download folder (what a later ingest would pick up)."""
    return sorted(p.name for p in dest.glob("*.zip"))


def state(dest: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((dest / "fetch-state.json").read_text())
    return loaded


# --- the normal path -----------------------------------------------------------------------


def test_first_fetch_downloads_and_records(server: ReleaseServer, tmp_path: Path) -> None:
    result = fetch(server.url, tmp_path)
    body = server.behaviour.body
    assert result.status == "downloaded"
    assert result.path == tmp_path / "EOIR Case Data 2026-08-03.zip"
    assert result.path.read_bytes() == body
    assert (result.sha256, result.bytes, result.etag) == (sha(body), len(body), '"v1"')
    record = state(tmp_path)["fetches"][server.url]  # type: ignore[index]
    assert record["sha256"] == sha(body)
    assert record["last_modified"] == LAST_MODIFIED
    assert record["content_length"] == len(body)
    assert record["path"] == "EOIR Case Data 2026-08-03.zip"
    assert not list(tmp_path.glob("*.part*"))
    assert server.behaviour.gets()[0].headers["Accept-Encoding"] == "identity"


def test_unchanged_release_issues_no_get(server: ReleaseServer, tmp_path: Path) -> None:
    first = fetch(server.url, tmp_path)
    server.behaviour.log.clear()
    again = fetch(server.url, tmp_path)
    assert again.status == "unchanged"
    assert (again.path, again.sha256) == (first.path, first.sha256)
    assert [s.method for s in server.behaviour.log] == ["HEAD"]


@pytest.mark.parametrize(
    "change",
    [{"etag": '"v2"'}, {"last_modified": NEXT_MODIFIED}],
    ids=["etag", "last-modified"],
)
def test_changed_validator_downloads_again(
    server: ReleaseServer, tmp_path: Path, change: dict[str, str]
) -> None:
    fetch(server.url, tmp_path)
    new_body = synthetic_zip(seed=2)
    server.behaviour.body = new_body
    for key, value in change.items():
        setattr(server.behaviour, key, value)
    result = fetch(server.url, tmp_path)
    assert result.status == "downloaded"
    assert result.path.read_bytes() == new_body
    assert state(tmp_path)["fetches"][server.url]["sha256"] == sha(new_body)  # type: ignore[index]
    if "last_modified" in change:  # a new date, a new file beside the old one
        assert stored(tmp_path) == [
            "EOIR Case Data 2026-08-03.zip",
            "EOIR Case Data 2026-09-03.zip",
        ]


def test_altered_local_file_is_downloaded_again(server: ReleaseServer, tmp_path: Path) -> None:
    first = fetch(server.url, tmp_path)
    first.path.write_bytes(b"tampered")
    result = fetch(server.url, tmp_path)
    assert result.status == "downloaded"
    assert result.path.read_bytes() == server.behaviour.body


def test_weak_etag_counts_as_the_same_release(server: ReleaseServer, tmp_path: Path) -> None:
    fetch(server.url, tmp_path)
    server.behaviour.etag = 'W/"v1"'
    assert fetch(server.url, tmp_path).status == "unchanged"


# --- cuts, stalls and resumes --------------------------------------------------------------


def test_cut_connection_is_resumed_automatically(server: ReleaseServer, tmp_path: Path) -> None:
    server.behaviour.cut_after = [12 * CHUNK]  # whole chunks: the client keeps every byte
    result = fetch(server.url, tmp_path, retries=2)
    assert result.status == "resumed"
    assert result.sha256 == sha(server.behaviour.body)
    first, second = server.behaviour.gets()
    assert "Range" not in first.headers
    assert second.headers["Range"] == f"bytes={12 * CHUNK}-"
    assert second.headers["If-Range"] == '"v1"'


def test_next_run_resumes_a_kept_part(server: ReleaseServer, tmp_path: Path) -> None:
    server.behaviour.cut_after = [17 * CHUNK]
    with pytest.raises(
        FetchError, match=rf"connection cut after {17 * CHUNK} of \d+ bytes .*run again"
    ):
        fetch(server.url, tmp_path, retries=0)
    assert (tmp_path / "EOIR Case Data.zip.part").stat().st_size == 17 * CHUNK
    assert stored(tmp_path) == [] and not (tmp_path / "fetch-state.json").exists()
    result = fetch(server.url, tmp_path, retries=0)
    assert result.status == "resumed"
    assert result.path.read_bytes() == server.behaviour.body
    assert result.sha256 == sha(server.behaviour.body)
    assert server.behaviour.gets()[-1].headers["Range"] == f"bytes={17 * CHUNK}-"
    assert not list(tmp_path.glob("*.part*"))


def test_read_timeout_is_resumed(server: ReleaseServer, tmp_path: Path) -> None:
    server.behaviour.stall_after = [10 * CHUNK]
    result = fetch(server.url, tmp_path, retries=1, timeout=httpx.Timeout(2.0, read=0.2))
    assert result.status == "resumed"
    assert result.sha256 == sha(server.behaviour.body)
    assert server.behaviour.gets()[1].headers["Range"] == f"bytes={10 * CHUNK}-"


def test_server_ignoring_range_restarts_cleanly(server: ReleaseServer, tmp_path: Path) -> None:
    server.behaviour.honour_range = False
    server.behaviour.cut_after = [15 * CHUNK]
    result = fetch(server.url, tmp_path, retries=1)
    assert result.status == "downloaded"
    assert result.path.read_bytes() == server.behaviour.body
    assert server.behaviour.gets()[1].headers["Range"] == f"bytes={15 * CHUNK}-"


def test_part_of_an_older_version_is_not_spliced(server: ReleaseServer, tmp_path: Path) -> None:
    server.behaviour.cut_after = [50_000]
    with pytest.raises(FetchError):
        fetch(server.url, tmp_path, retries=0)
    server.behaviour.body = synthetic_zip(seed=3)
    server.behaviour.etag, server.behaviour.last_modified = '"v2"', NEXT_MODIFIED
    result = fetch(server.url, tmp_path, retries=0)
    assert result.status == "downloaded"
    assert result.path.read_bytes() == server.behaviour.body
    assert "Range" not in server.behaviour.gets()[-1].headers


def test_retries_are_bounded(server: ReleaseServer, tmp_path: Path) -> None:
    server.behaviour.cut_after = [10_000] * 10
    with pytest.raises(FetchError, match=r"\(3 attempts\); EOIR Case Data\.zip\.part kept"):
        fetch(server.url, tmp_path, retries=2)
    assert len(server.behaviour.gets()) == 3
    assert stored(tmp_path) == []


def test_whole_part_from_a_killed_run_is_promoted_without_get(
    server: ReleaseServer, tmp_path: Path
) -> None:
    body = server.behaviour.body
    (tmp_path / "EOIR Case Data.zip.part").write_bytes(body)
    (tmp_path / "EOIR Case Data.zip.part.json").write_text(
        json.dumps(
            {
                "url": server.url,
                "etag": '"v1"',
                "last_modified": LAST_MODIFIED,
                "content_length": len(body),
            }
        )
    )
    result = fetch(server.url, tmp_path)
    assert (result.status, result.sha256) == ("resumed", sha(body))
    assert server.behaviour.gets() == []


def test_one_fetch_per_folder_at_a_time(server: ReleaseServer, tmp_path: Path) -> None:
    import fcntl

    with (tmp_path / "fetch.lock").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(FetchError, match="another fetch is already running"):
            fetch(server.url, tmp_path)
    assert server.behaviour.log == []


# --- bad answers: an error, nothing stored, state untouched --------------------------------


def assert_nothing_stored(dest: Path, *, part_kept: bool = False) -> None:
    assert stored(dest) == []
    assert not (dest / "fetch-state.json").exists()
    assert (dest / "EOIR Case Data.zip.part").exists() == part_kept


@pytest.mark.parametrize("status", [404, 503])
def test_http_error(server: ReleaseServer, tmp_path: Path, status: int) -> None:
    server.behaviour.status = status
    with pytest.raises(FetchError, match=rf"^cannot fetch {server.url}: HTTP {status} \w"):
        fetch(server.url, tmp_path)
    assert_nothing_stored(tmp_path)


def test_error_on_get_after_good_head(server: ReleaseServer, tmp_path: Path) -> None:
    server.behaviour.status, server.behaviour.head_status = 500, 200
    with pytest.raises(FetchError, match=r"HTTP 500"):
        fetch(server.url, tmp_path)
    assert_nothing_stored(tmp_path)


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/EOIR%20Case%20Data.zip"
    with pytest.raises(FetchError, match=rf"^cannot fetch {url}: connection failed"):
        fetch(url, tmp_path)
    assert_nothing_stored(tmp_path)


def test_truncated_body_without_ranges(server: ReleaseServer, tmp_path: Path) -> None:
    body = server.behaviour.body
    server.behaviour.accept_ranges = False
    server.behaviour.head_length = server.behaviour.get_length = len(body) + 1000
    with pytest.raises(
        FetchError,
        match=rf"connection cut after \d+ of {len(body) + 1000} bytes \(2 attempts\); "
        "nothing stored$",
    ):
        fetch(server.url, tmp_path, retries=1)
    assert_nothing_stored(tmp_path)
    assert all("Range" not in s.headers for s in server.behaviour.gets())


def test_truncated_body_with_ranges(server: ReleaseServer, tmp_path: Path) -> None:
    body = server.behaviour.body
    server.behaviour.head_length = server.behaviour.get_length = len(body) + 1000
    with pytest.raises(FetchError, match=r"wrong length, .*; partial download discarded$"):
        fetch(server.url, tmp_path, retries=1)
    assert_nothing_stored(tmp_path)


def test_head_and_get_disagree_on_length(server: ReleaseServer, tmp_path: Path) -> None:
    server.behaviour.head_length = len(server.behaviour.body) + 100
    with pytest.raises(FetchError, match=r"wrong length, HEAD announced \d+ bytes but GET \d+"):
        fetch(server.url, tmp_path)
    assert_nothing_stored(tmp_path)


def test_body_longer_than_announced(server: ReleaseServer, tmp_path: Path) -> None:
    real = server.behaviour.body
    server.behaviour.close_delimited = True
    server.behaviour.body = real + b"\0" * 50
    server.behaviour.head_length = len(real)
    with pytest.raises(FetchError, match=rf"received more than the {len(real)} bytes .*announced"):
        fetch(server.url, tmp_path)
    assert_nothing_stored(tmp_path)


@pytest.mark.parametrize(
    "body",
    [b"<html><body>Service unavailable</body></html>" * 100, synthetic_zip()[:-200]],
    ids=["html-page", "cut-central-directory"],
)
def test_not_a_zip(server: ReleaseServer, tmp_path: Path, body: bytes) -> None:
    server.behaviour.body = body
    with pytest.raises(FetchError, match=r"is not a readable zip .*; nothing stored$"):
        fetch(server.url, tmp_path)
    assert_nothing_stored(tmp_path)


def test_failed_update_keeps_previous_release(server: ReleaseServer, tmp_path: Path) -> None:
    first = fetch(server.url, tmp_path)
    before = (tmp_path / "fetch-state.json").read_bytes()
    server.behaviour.etag, server.behaviour.body = '"v2"', b"not a zip at all" * 100
    with pytest.raises(FetchError, match="not a readable zip"):
        fetch(server.url, tmp_path)
    assert (tmp_path / "fetch-state.json").read_bytes() == before
    assert stored(tmp_path) == [first.path.name]
    assert first.path.read_bytes() != server.behaviour.body


def test_unreadable_state_file(server: ReleaseServer, tmp_path: Path) -> None:
    (tmp_path / "fetch-state.json").write_text("{not json")
    with pytest.raises(FetchError, match=r"fetch-state\.json: unreadable fetch state"):
        fetch(server.url, tmp_path)
    assert issubclass(FetchError, ReleaseError)


# --- hostile servers: every fetch ends, within its limits, with one line ------------------
# The fixture's hostile servers give up after 10 s or 20 MB, so a client without the limit
# under test fails these tests (another error, or a download) instead of hanging.


def test_trickling_body_is_cut_by_the_minimum_rate(server: ReleaseServer, tmp_path: Path) -> None:
    """One byte every 50 ms never trips a read timeout; the rate window catches it, each
    attempt resumes what the last one got, and the part is kept for the next run."""
    server.behaviour.trickle = 0.05
    limits = FetchLimits(min_rate=1000, rate_window=0.5)
    with pytest.raises(FetchError) as caught:
        fetch(server.url, tmp_path, retries=1, limits=limits)
    message = str(caught.value)
    assert message.startswith(f"cannot fetch {server.url}: slower than the minimum of 1000 ")
    assert "bytes/s over 0.5 s (--min-rate, --rate-window) after " in message
    assert message.endswith("(2 attempts); EOIR Case Data.zip.part kept; run again to resume")
    assert "\n" not in message
    part = tmp_path / "EOIR Case Data.zip.part"
    got = part.stat().st_size
    assert 0 < got < len(server.behaviour.body)
    assert part.read_bytes() == server.behaviour.body[:got]
    assert server.behaviour.gets()[1].headers["Range"].startswith("bytes=")
    assert stored(tmp_path) == [] and not (tmp_path / "fetch-state.json").exists()


def test_trickling_body_is_stopped_by_the_deadline(server: ReleaseServer, tmp_path: Path) -> None:
    """With the rate check off, the whole call still ends at its deadline; the part is kept
    (the server supports ranges) and nothing is promoted."""
    server.behaviour.trickle = 0.05
    limits = FetchLimits(deadline=1.0, min_rate=0)
    with pytest.raises(FetchError) as caught:
        fetch(server.url, tmp_path, retries=5, limits=limits)
    message = str(caught.value)
    assert message.startswith(
        f"cannot fetch {server.url}: not done within the deadline of 1 s (--deadline) after "
    )
    assert message.endswith("(1 attempt); EOIR Case Data.zip.part kept; run again to resume")
    assert len(server.behaviour.gets()) == 1  # no retry after the deadline
    assert (tmp_path / "EOIR Case Data.zip.part").stat().st_size > 0
    assert stored(tmp_path) == [] and not (tmp_path / "fetch-state.json").exists()


def test_deadline_holds_while_headers_trickle(server: ReleaseServer, tmp_path: Path) -> None:
    """A status line then one header byte every 50 ms: httpx is inside its header read the
    whole time, so only the deadline's watchdog can end it."""
    server.behaviour.trickle_headers = 0.05
    with pytest.raises(FetchError) as caught:
        fetch(server.url, tmp_path, timeout=5.0, limits=FetchLimits(deadline=1.0))
    assert str(caught.value) == (
        f"cannot fetch {server.url}: not done within the deadline of 1 s (--deadline); "
        "nothing stored"
    )
    assert_nothing_stored(tmp_path)


def test_deadline_on_a_trickle_without_ranges_discards_the_part(
    server: ReleaseServer, tmp_path: Path
) -> None:
    server.behaviour.trickle = 0.05
    server.behaviour.accept_ranges = False
    with pytest.raises(FetchError, match=r"deadline of 0\.5 s .*; nothing stored$"):
        fetch(server.url, tmp_path, limits=FetchLimits(deadline=0.5, min_rate=0))
    assert_nothing_stored(tmp_path)


def test_endless_body_stops_at_the_size_cap(server: ReleaseServer, tmp_path: Path) -> None:
    """No length anywhere and a body without end: the download stops just past the cap."""
    server.behaviour.endless = True
    server.behaviour.head_announces_length = False
    cap = 1_000_000
    with pytest.raises(FetchError) as caught:
        fetch(server.url, tmp_path, limits=FetchLimits(max_bytes=cap))
    assert str(caught.value) == (
        f"cannot fetch {server.url}: the body is larger than the cap of {cap} bytes "
        "(--max-bytes); nothing stored"
    )
    assert_nothing_stored(tmp_path)


def test_endless_body_past_its_announced_length_stops_early(
    server: ReleaseServer, tmp_path: Path
) -> None:
    """HEAD announces the length, GET sends no end: stop as soon as the length is passed,
    not when the disk is full (the test's cap is far above what is read)."""
    server.behaviour.endless = True
    body = server.behaviour.body
    with pytest.raises(FetchError, match=rf"received more than the {len(body)} bytes"):
        fetch(server.url, tmp_path)
    assert_nothing_stored(tmp_path)


@pytest.mark.parametrize("where", ["HEAD", "GET"])
def test_announced_size_over_the_cap_is_refused(
    server: ReleaseServer, tmp_path: Path, where: str
) -> None:
    body = server.behaviour.body
    cap = len(body) - 1
    if where == "GET":  # HEAD gives no length: the GET's Content-Length is checked
        server.behaviour.head_announces_length = False
    with pytest.raises(FetchError) as caught:
        fetch(server.url, tmp_path, limits=FetchLimits(max_bytes=cap))
    verb = "announces" if where == "HEAD" else "sends"
    assert str(caught.value).startswith(
        f"cannot fetch {server.url}: the server {verb} {len(body)} bytes, more than the cap of "
        f"{cap} (--max-bytes); nothing "
    )
    assert len(server.behaviour.gets()) == (0 if where == "HEAD" else 1)
    assert_nothing_stored(tmp_path)


@pytest.mark.parametrize("methods", [{"HEAD", "GET"}, {"GET"}], ids=["head", "get"])
def test_redirect_loop_is_one_line(
    server: ReleaseServer, tmp_path: Path, methods: set[str]
) -> None:
    server.behaviour.redirect_loop = methods
    with pytest.raises(FetchError) as caught:
        fetch(server.url, tmp_path)
    assert str(caught.value) == f"cannot fetch {server.url}: redirect loop (more than 20 redirects)"
    assert_nothing_stored(tmp_path)


def test_limits_reject_nonsense() -> None:
    for bad in ({"deadline": 0}, {"rate_window": -1}, {"min_rate": -1}, {"max_bytes": 0}):
        with pytest.raises(ValueError):
            FetchLimits(**bad)  # type: ignore[arg-type]


# --- naming and progress -------------------------------------------------------------------


def test_release_file_name() -> None:
    url = "https://fileshare.eoir.justice.gov/EOIR%20Case%20Data.zip"
    assert release_file_name(url, LAST_MODIFIED, "2026-11-29") == "EOIR Case Data 2026-08-03.zip"
    assert release_file_name(url, None, "2026-11-29") == "EOIR Case Data 2026-11-29.zip"
    assert release_file_name(url, "garbage", "2026-11-29") == "EOIR Case Data 2026-11-29.zip"
    assert release_file_name("https://h/a/..", None, "2026-11-29") == "release 2026-11-29.zip"


def test_line_progress_reports_resume_and_percentages(
    server: ReleaseServer, tmp_path: Path
) -> None:
    server.behaviour.cut_after = [25 * CHUNK]
    out = io.StringIO()
    fetch(server.url, tmp_path, progress=LineProgress(out), retries=1)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("downloading 300.")
    assert any(line.startswith("connection cut after 102.4 kB; resuming") for line in lines)
    assert any("resuming at 102.4 kB" in line for line in lines)
    assert lines[-1].lstrip().startswith("100%")


def test_rich_progress_draws_a_bar(server: ReleaseServer, tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    server.behaviour.cut_after = [25 * CHUNK]
    fetch(server.url, tmp_path, progress=RichProgress(console), retries=1)
    text = out.getvalue()
    assert "connection cut after 102.4 kB; resuming" in text
    assert "300.3 kB" in text


# --- the command line ----------------------------------------------------------------------


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asylumlens", "fetch", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_cli_downloads_then_reports_unchanged(server: ReleaseServer, tmp_path: Path) -> None:
    env = {"ASYLUMLENS_STORE": str(tmp_path / "store")}
    first = run_cli("--url", server.url, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("downloaded ")
    assert (tmp_path / "store/downloads/EOIR Case Data 2026-08-03.zip").exists()
    second = run_cli("--url", server.url, env=env)
    assert second.returncode == 0
    assert second.stdout.startswith(f"unchanged since {LAST_MODIFIED}")


def test_cli_error_is_one_line_exit_2(server: ReleaseServer, tmp_path: Path) -> None:
    server.behaviour.status = 404
    result = run_cli("--url", server.url, "--dest", str(tmp_path / "dl"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: cannot fetch {server.url}: HTTP 404 Not Found"]
    assert "Traceback" not in result.stderr
    assert stored(tmp_path / "dl") == []


@pytest.mark.parametrize("command", ["fetch", "update"])
def test_cli_limits_are_flags(server: ReleaseServer, tmp_path: Path, command: str) -> None:
    """--deadline, --min-rate and --max-bytes reach the download from both commands."""
    server.behaviour.trickle = 0.05
    store = tmp_path / "store"
    base = [sys.executable, "-m", "asylumlens", command, "--url", server.url, "--store", str(store)]
    slow = subprocess.run(
        [*base, "--deadline", "1", "--min-rate", "0"], capture_output=True, text=True, timeout=60
    )
    assert slow.returncode == 2 and "Traceback" not in slow.stderr
    assert slow.stderr.splitlines()[-1].startswith(
        f"error: cannot fetch {server.url}: not done within the deadline of 1 s (--deadline)"
    )
    server.behaviour.trickle = None
    big = subprocess.run([*base, "--max-bytes", "1000"], capture_output=True, text=True, timeout=60)
    assert big.returncode == 2
    assert big.stderr.splitlines()[-1] == (
        f"error: cannot fetch {server.url}: the server announces {len(server.behaviour.body)} "
        "bytes, more than the cap of 1000 (--max-bytes); nothing downloaded"
    )
    assert stored(store / "downloads") == [] and not (store / "releases").exists()
