"""``update`` against a real HTTP server on 127.0.0.1 serving real synthetic release zips.

The first zip is ``synth --zip``; the "next month" is ``synth --from`` of it, zipped. The server
publishes one, then the other (new body, ETag and Last-Modified), as EOIR replaces its file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from asylumlens.errors import StoreError
from asylumlens.releases import fetch_release
from asylumlens.releases.update import update_release
from asylumlens.store import Store
from asylumlens.synth import generate, next_release
from http_fixture import Behaviour, ReleaseServer, serving

NEXT_MODIFIED = "Thu, 03 Sep 2026 09:00:00 GMT"


@pytest.fixture(scope="module")
def zips(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    root = tmp_path_factory.mktemp("zips")
    first = generate(root / "a", 1500, 21, release_date=date(2026, 11, 1), zip=True)
    second = next_release(first.release, root / "b", 22, zip=True)
    assert first.zip is not None and second.zip is not None
    return first.zip.read_bytes(), second.zip.read_bytes()


@pytest.fixture
def server(zips: tuple[bytes, bytes]) -> Iterator[ReleaseServer]:
    with serving(Behaviour(body=zips[0])) as srv:
        yield srv


def publish_next(server: ReleaseServer, body: bytes) -> None:
    server.behaviour.body = body
    server.behaviour.etag = '"v2"'
    server.behaviour.last_modified = NEXT_MODIFIED


def test_update_ingests_then_is_unchanged_then_adds_the_next_release(
    server: ReleaseServer, zips: tuple[bytes, bytes], tmp_path: Path
) -> None:
    store = Store(tmp_path / "store")
    first = update_release(store, url=server.url, retries=0, retry_delay=0.0, timeout=10.0)
    assert (first.status, first.fetch.status) == ("ingested", "downloaded")
    assert first.release is not None and first.release.id == "2026-11-01"
    assert first.release.synthetic
    assert first.fetch.path == tmp_path / "store/downloads/EOIR Case Data 2026-08-03.zip"
    assert [r.id for r in store.releases()] == ["2026-11-01"]
    ingested_at = first.release.info["ingested_at"]

    gets = len(server.behaviour.gets())
    again = update_release(store, url=server.url, retries=0, retry_delay=0.0, timeout=10.0)
    assert (again.status, again.fetch.status) == ("unchanged", "unchanged")
    assert len(server.behaviour.gets()) == gets  # no download
    assert [r.id for r in store.releases()] == ["2026-11-01"]
    assert store.release().info["ingested_at"] == ingested_at  # not re-ingested
    assert "unchanged" in again.summary

    publish_next(server, zips[1])
    nxt = update_release(store, url=server.url, retries=0, retry_delay=0.0, timeout=10.0)
    assert (nxt.status, nxt.fetch.status) == ("ingested", "downloaded")
    assert [r.id for r in store.releases()] == ["2026-11-01", "2026-12-01"]
    assert store.release("2026-11-01").info["ingested_at"] == ingested_at  # kept side by side
    assert sorted(p.name for p in (tmp_path / "store/downloads").glob("*.zip")) == [
        "EOIR Case Data 2026-08-03.zip",
        "EOIR Case Data 2026-09-03.zip",
    ]


def test_a_downloaded_but_never_ingested_zip_is_ingested(
    server: ReleaseServer, tmp_path: Path
) -> None:
    store = Store(tmp_path / "store")
    fetch_release(
        server.url, tmp_path / "store/downloads", retries=0, retry_delay=0.0, timeout=10.0
    )  # e.g. the ingest then died
    assert store.releases() == []
    outcome = update_release(store, url=server.url, retries=0, retry_delay=0.0, timeout=10.0)
    assert (outcome.status, outcome.fetch.status) == ("ingested", "unchanged")
    assert [r.id for r in store.releases()] == ["2026-11-01"]


def run(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asylumlens", *args, "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )


def test_update_cli(server: ReleaseServer, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = run("update", "--url", server.url, store=store)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("ingested release 2026-11-01 [SYNTHETIC] from ")
    second = run("update", "--url", server.url, store=store)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("unchanged: EOIR Case Data 2026-08-03.zip")
    assert [r.id for r in Store(store).releases()] == ["2026-11-01"]


def test_update_failure_is_one_line_and_leaves_the_store(
    server: ReleaseServer, tmp_path: Path
) -> None:
    server.behaviour.status = 404
    done = run("update", "--url", server.url, store=tmp_path / "store")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"error: cannot fetch {server.url}: HTTP 404 Not Found"]
    assert Store(tmp_path / "store").releases() == []


def test_one_update_per_store(server: ReleaseServer, tmp_path: Path) -> None:
    import fcntl

    store = Store(tmp_path / "store")
    store.root.mkdir()
    with (store.root / "update.lock").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # a run in progress
        with pytest.raises(StoreError, match="another update is already running"):
            update_release(store, url=server.url, retries=0, retry_delay=0.0, timeout=10.0)
    assert server.behaviour.log == []  # it did not even ask the server
