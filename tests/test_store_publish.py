"""Publishing survives a crash at any instant, concurrent ingests, and corrupt manifests.

Crashes are real: a ``python -m asylumlens ingest`` subprocess kills itself with SIGKILL at
a named step (the documented hook ``ASYLUMLENS_FAULT_AT``, :mod:`asylumlens.crashpoints`).
Every check reads the store afresh, in this process and in a new one, and judges a release
complete by what its own manifest promises (rows per table, decision rows, catalog).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from asylumlens import locks
from asylumlens.crashpoints import FAULT_ENV, PUBLISH_STEPS
from asylumlens.errors import StoreError
from asylumlens.pipeline import ingest_release
from asylumlens.store import MARKER, Release, Store
from asylumlens.synth import generate
from cli_support import run_cli as cli_run

RELEASE_DATE = date(2026, 11, 1)
RID = RELEASE_DATE.isoformat()
VISIBLE_FROM = PUBLISH_STEPS.index("linked")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two different releases with the same id (same date, other seed), and another id."""
    root = tmp_path_factory.mktemp("publish-sources")
    old = generate(root / "old", 300, 11, release_date=RELEASE_DATE)
    new = generate(root / "new", 340, 12, release_date=RELEASE_DATE)
    other = generate(root / "other", 300, 13, release_date=date(2026, 10, 1))
    return {"old": old.release, "new": new.release, "other": other.release}


def run_cli(*args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    extra = {"COLUMNS": "200"}  # tables unwrapped
    if fault is not None:
        extra[FAULT_ENV] = fault
    return cli_run(*args, env=extra, drop=(FAULT_ENV,))


def sha(rel: Release) -> str:
    return str(rel.info["source_sha256"])


def assert_complete(rel: Release) -> None:
    """Everything the release's manifest promises is there and readable, catalog included."""
    marker = json.loads((rel.path / MARKER).read_text())
    assert marker == {**marker, "release": rel.id, "catalog": True}
    con = rel.connect()
    try:
        for stem, entry in rel.manifest["tables"].items():
            got = con.execute(f'SELECT count(*) FROM "{stem}"').fetchone()
            assert got is not None and got[0] == entry["loaded"], stem
        got = con.execute("SELECT count(*) FROM decisions").fetchone()
        assert got is not None and got[0] == rel.manifest["decisions"]["rows"]
    finally:
        con.close()
    catalog = duckdb.connect(str(rel.path / "catalog.duckdb"), read_only=True)
    try:
        got = catalog.execute('SELECT count(*) FROM "A_TblCase"').fetchone()
        assert got is not None and got[0] == rel.manifest["tables"]["A_TblCase"]["loaded"]
        paths = catalog.execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall()
        assert paths and all(str(rel.path) in sql for (sql,) in paths)
    finally:
        catalog.close()


def versions(store: Store) -> list[Path]:
    return sorted(store.data_dir.iterdir()) if store.data_dir.is_dir() else []


def status_in_new_process(store: Store) -> dict[str, Any]:
    done = run_cli("status", "--store", str(store.root), "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# --- a crash at each step --------------------------------------------------------------


@pytest.mark.parametrize("step", PUBLISH_STEPS)
def test_replacement_killed_at_each_step_leaves_old_or_new_never_none(
    tmp_path: Path, sources: dict[str, Path], step: str
) -> None:
    store = Store(tmp_path / "store")
    old = ingest_release(sources["old"], store).release
    old_sha = sha(old)
    killed = run_cli("ingest", str(sources["new"]), "--store", str(store.root), fault=step)
    assert killed.returncode == -9, killed.stderr

    seen = status_in_new_process(store)  # another process, reading first
    releases = store.releases()
    assert [r.id for r in releases] == [RID] and store.damaged() == []
    rel = releases[0]
    assert_complete(rel)
    became_new = PUBLISH_STEPS.index(step) >= VISIBLE_FROM
    assert (sha(rel) != old_sha) is became_new
    assert seen["release"]["source_sha256"] == sha(rel)

    again = ingest_release(sources["new"], store)
    assert again.status == ("unchanged" if became_new else "ingested")
    final = store.release()
    assert sha(final) != old_sha
    assert_complete(final)
    assert versions(store) == [final.path]  # the old version and the crash's leftovers gone
    assert list(store.staging_dir.iterdir()) == []


@pytest.mark.parametrize("step", ["moved", "catalog", "marked", "linked"])
def test_first_ingest_killed_leaves_nothing_or_the_complete_release(
    tmp_path: Path, sources: dict[str, Path], step: str
) -> None:
    store = Store(tmp_path / "store")
    killed = run_cli("ingest", str(sources["new"]), "--store", str(store.root), fault=step)
    assert killed.returncode == -9, killed.stderr
    releases = store.releases()
    # complete but not yet linked ("marked") is complete: readers take it, and link it
    if PUBLISH_STEPS.index(step) >= PUBLISH_STEPS.index("marked"):
        assert [r.id for r in releases] == [RID]
        assert_complete(releases[0])
        assert (store.releases_dir / RID).is_symlink()
    else:
        assert releases == []
        with pytest.raises(StoreError, match="no release in store"):
            store.release()
    again = ingest_release(sources["new"], store)
    assert again.status == ("unchanged" if releases else "ingested")
    assert_complete(store.release())


@pytest.mark.parametrize("step", ["moved", "catalog", "marked"])
def test_full_disk_before_visibility_leaves_store_unchanged(
    tmp_path: Path, sources: dict[str, Path], step: str
) -> None:
    store = Store(tmp_path / "store")
    old = ingest_release(sources["old"], store).release
    before = versions(store)
    failed = run_cli(
        "ingest", str(sources["new"]), "--store", str(store.root), fault=f"{step}:enospc"
    )
    assert failed.returncode == 2
    errors = [line for line in failed.stderr.splitlines() if line and "ingest: " not in line]
    assert len(errors) == 1 and "no space left on device" in errors[0], failed.stderr
    assert versions(store) == before
    assert sha(store.release()) == sha(old)
    assert ingest_release(sources["new"], store).status == "ingested"


# --- one ingest at a time ----------------------------------------------------------------


def test_second_ingest_fails_at_once_with_one_line(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    store = Store(tmp_path / "store")
    old = ingest_release(sources["old"], store).release
    with store.ingest_lock():  # this process plays the running ingest
        blocked = run_cli("ingest", str(sources["new"]), "--store", str(store.root))
    assert blocked.returncode == 2
    assert blocked.stderr.strip().splitlines() == [
        f"error: {store.root}: another ingest into this store is running; "
        "run this one again when it has finished"
    ]
    assert sha(store.release()) == sha(old)
    assert ingest_release(sources["new"], store).status == "ingested"  # lock released


def test_two_concurrent_ingests_of_one_release(tmp_path: Path, sources: dict[str, Path]) -> None:
    store = Store(tmp_path / "store")
    ingest_release(sources["old"], store)
    args = [sys.executable, "-m", "asylumlens", "ingest", str(sources["new"])]
    procs = [
        subprocess.Popen(
            [*args, "--store", str(store.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    for code, out, err in results:
        assert "Traceback" not in err
        if code == 2:
            assert "another ingest into this store is running" in err
        else:
            assert out.startswith(("ingested", "unchanged"))
    assert sum(out.startswith("ingested") for _, out, _ in results) == 1
    rel = store.release()
    assert_complete(rel)
    assert versions(store) == [rel.path]


# --- readers keep what they opened -------------------------------------------------------


def test_a_reader_keeps_its_version_until_it_lets_go(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    store = Store(tmp_path / "store")
    ingest_release(sources["old"], store)
    held = store.release()  # pins the version for this process
    con = held.connect()
    before = con.execute("SELECT count(*) FROM decisions").fetchone()
    done = run_cli("ingest", str(sources["new"]), "--store", str(store.root))
    assert done.returncode == 0, done.stderr
    assert store.release().path != held.path  # readers opening now get the new version
    assert held.path.is_dir()  # not deleted under this reader
    assert con.execute("SELECT count(*) FROM decisions").fetchone() == before
    assert Release(held.id, held.path).manifest == held.manifest
    con.close()
    locks.unpin(held.path)
    store.recover()
    assert not held.path.exists()  # collected once nobody holds it


def test_a_store_of_plain_folders_is_moved_behind_links(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    """A store written by AsylumLens 0.1 (plain ``releases/<id>/`` folders) stays readable,
    and the next ingest moves it into ``data/`` without a moment with no release."""
    store = Store(tmp_path / "store")
    published = ingest_release(sources["old"], store).release
    plain = store.releases_dir / RID
    plain.unlink()
    os.replace(published.path, plain)
    (plain / MARKER).unlink()
    assert [r.path for r in store.releases()] == [plain]
    assert ingest_release(sources["other"], store).status == "ingested"
    assert plain.is_symlink()
    moved = store.release(RID)
    assert moved.path.parent == store.data_dir.resolve()
    assert sha(moved) == sha(published)


# --- a corrupt manifest ------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory: pytest.TempPathFactory, sources: dict[str, Path]) -> Path:
    store = Store(tmp_path_factory.mktemp("two-releases") / "store")
    ingest_release(sources["other"], store)
    ingest_release(sources["new"], store)
    return store.root


@pytest.mark.parametrize(
    "damage",
    [b'{"release": {"id": "2026-11-01"', b"[1, 2]", b"\xff\xfe not text", b'{"tables": {}}'],
    ids=["truncated", "not-an-object", "not-utf8", "no-release-block"],
)
def test_corrupt_manifest_is_one_line_and_others_stay_usable(
    tmp_path: Path, two_releases: Path, damage: bytes
) -> None:
    root = tmp_path / "store"
    shutil.copytree(two_releases, root, symlinks=True)
    store = Store(root)
    manifest = (store.releases_dir / RID).resolve() / "manifest.json"
    manifest.write_bytes(damage)
    assert [r.id for r in store.releases()] == ["2026-10-01"]
    [bad] = store.damaged()
    assert bad.id == RID and bad.problem.startswith(f"{manifest}: not a valid manifest (")
    assert "\n" not in bad.problem
    with pytest.raises(StoreError) as caught:
        store.release(RID)
    assert str(caught.value) == bad.problem
    assert store.release().id == "2026-10-01"
    if damage.startswith(b"[1"):
        return
    # the CLI, once per kind of damage that json itself reports
    listed = run_cli("releases", "--store", str(root), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows["2026-10-01"]["status"] == "ok"
    assert rows[RID]["status"] == f"damaged: {bad.problem}"
    table = run_cli("releases", "--store", str(root))
    assert table.returncode == 0 and "damaged" in table.stdout
    assert table.stderr.strip() == f"{RID}: {bad.problem}"
    status = run_cli("status", "--store", str(root), "--release", RID)
    assert status.returncode == 2
    assert status.stderr.strip() == f"error: {bad.problem}"
    newest = run_cli("status", "--store", str(root), "--json")  # the usable release serves
    assert newest.returncode == 0, newest.stderr
    assert json.loads(newest.stdout)["release"]["id"] == "2026-10-01"
