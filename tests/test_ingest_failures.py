"""Bad input gets a one-line error naming the file, exit status 2, and the store as it was."""

from __future__ import annotations

import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from datetime import date
from pathlib import Path

import inflate64
import pytest

from asylumlens.pipeline import ingest_release
from asylumlens.store import Store
from asylumlens.synth import generate
from cli_support import run_cli as cli_run
from cli_support import snapshot


def run_cli(*args: str, env_store: Path | None = None) -> subprocess.CompletedProcess[str]:
    return cli_run(*args, env={"ASYLUMLENS_STORE": str(env_store)} if env_store else None)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("releases")
    first = generate(root / "one", 800, 3, release_date=date(2026, 10, 1), faults=True, zip=True)
    second = generate(root / "two", 900, 4, release_date=date(2026, 11, 1), faults=True, zip=True)
    assert first.zip is not None and second.zip is not None
    return {
        "one": first.release,
        "one_zip": first.zip,
        "two": second.release,
        "two_zip": second.zip,
    }


@pytest.fixture()
def store(tmp_path: Path, releases: dict[str, Path]) -> Store:
    s = Store(tmp_path / "store")
    ingest_release(releases["one_zip"], s)
    return s


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    # progress lines may precede it on stderr; the error itself is exactly one line
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1] == lines[0]
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_truncated_zip_leaves_store_as_it_was(
    store: Store, releases: dict[str, Path], tmp_path: Path
) -> None:
    before = snapshot(store.root)
    data = releases["two_zip"].read_bytes()
    bad = tmp_path / "EOIR Case Data.zip"
    bad.write_bytes(data[: len(data) // 2])
    proc = run_cli("ingest", str(bad), "--store", str(store.root))
    assert_one_line_error(proc, str(bad))
    assert snapshot(store.root) == before


def test_corrupt_member_leaves_store_as_it_was(
    store: Store, releases: dict[str, Path], tmp_path: Path
) -> None:
    before = snapshot(store.root)
    data = bytearray(releases["two_zip"].read_bytes())
    with zipfile.ZipFile(releases["two_zip"]) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith("B_TblProceeding.csv"))
    # flip bytes in the middle of the compressed member: CRC or inflate error while streaming
    start = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    for i in range(start, start + 64):
        data[i] ^= 0xFF
    bad = tmp_path / "corrupt.zip"
    bad.write_bytes(bytes(data))
    proc = run_cli("ingest", str(bad), "--store", str(store.root))
    assert_one_line_error(proc, "B_TblProceeding")
    assert snapshot(store.root) == before


def test_missing_path_and_missing_table(
    store: Store, tmp_path: Path, releases: dict[str, Path]
) -> None:
    before = snapshot(store.root)
    proc = run_cli("ingest", str(tmp_path / "nope.zip"), "--store", str(store.root))
    assert_one_line_error(proc, "nope.zip", "no such file")
    partial = tmp_path / "partial"
    shutil.copytree(releases["two"], partial)
    next(partial.rglob("tbl_Court_Appln.csv")).unlink()
    proc = run_cli("ingest", str(partial), "--store", str(store.root))
    assert_one_line_error(proc, "tbl_Court_Appln.csv")
    assert snapshot(store.root) == before


def test_required_column_missing_names_file_and_column(
    store: Store, tmp_path: Path, releases: dict[str, Path]
) -> None:
    before = snapshot(store.root)
    broken = tmp_path / "broken"
    shutil.copytree(releases["two"], broken)
    table = next(broken.rglob("B_TblProceeding.csv"))
    lines = table.read_bytes().split(b"\n")
    lines[0] = (
        lines[0].replace(b"COMP_DATE", b"COMPLETION", 1).replace(b"comp_date", b"COMPLETION", 1)
    )
    table.write_bytes(b"\n".join(lines))
    proc = run_cli("ingest", str(broken), "--store", str(store.root))
    assert_one_line_error(proc, "B_TblProceeding.csv", "COMP_DATE", "line 1")
    assert snapshot(store.root) == before


def test_killed_ingest_leaves_previous_release_queryable(
    store: Store, releases: dict[str, Path]
) -> None:
    before = snapshot(store.root)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "asylumlens",
            "ingest",
            str(releases["two"]),
            "--store",
            str(store.root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        staging = store.root / "staging"
        if staging.exists() and any(staging.rglob("*.parquet")):
            break
        time.sleep(0.01)
    else:
        proc.kill()
        pytest.fail("ingest never started writing")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert snapshot(store.root) == before
    rel = store.release()
    assert rel.id == "2026-10-01"
    count = rel.connect().execute('SELECT count(*) FROM "A_TblCase"').fetchone()
    assert count is not None and count[0] > 0
    # the next ingest clears what the killed one left and publishes normally
    outcome = ingest_release(releases["two"], store)
    assert outcome.status == "ingested"
    assert not any((store.root / "staging").iterdir())
    assert [r.id for r in store.releases()] == ["2026-10-01", "2026-11-01"]


def _deflate64_zip(source: Path, target: Path) -> None:
    """Write ``source``'s files into a zip compressed with Deflate64 (method 9), by hand:
    Python's zipfile cannot write that method, and EOIR's zip has used it."""
    entries: list[tuple[bytes, int, int, int, int]] = []
    with target.open("wb") as out:
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            name = file.relative_to(source.parent).as_posix().encode()
            data = file.read_bytes()
            comp = inflate64.Deflater()
            packed = comp.deflate(data) + comp.flush()
            crc = zlib.crc32(data)
            offset = out.tell()
            out.write(
                struct.pack(
                    "<IHHHHHIIIHH",
                    0x04034B50,
                    21,
                    0,
                    9,
                    0,
                    0x21,
                    crc,
                    len(packed),
                    len(data),
                    len(name),
                    0,
                )
            )
            out.write(name + packed)
            entries.append((name, crc, len(packed), len(data), offset))
        cd_start = out.tell()
        for name, crc, csize, usize, offset in entries:
            out.write(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    21,
                    21,
                    0,
                    9,
                    0,
                    0x21,
                    crc,
                    csize,
                    usize,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
            )
            out.write(name)
        cd_size = out.tell() - cd_start
        out.write(
            struct.pack(
                "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), cd_size, cd_start, 0
            )
        )


def test_deflate64_zip_ingests_like_the_folder(releases: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "EOIR Case Data.zip"
    _deflate64_zip(releases["one"], target)
    with zipfile.ZipFile(target) as zf:
        assert {i.compress_type for i in zf.infolist()} == {9}
    from_zip = ingest_release(target, Store(tmp_path / "a")).manifest["tables"]
    from_dir = ingest_release(releases["one"], Store(tmp_path / "b")).manifest["tables"]
    for stem, t in from_dir.items():
        assert from_zip[stem]["sha256"] == t["sha256"], stem
        for key in ("lines", "loaded", "repaired", "quarantined", "reasons"):
            assert from_zip[stem][key] == t[key], (stem, key)


def test_status_json_shape(store: Store) -> None:
    proc = run_cli("status", "--json", "--store", str(store.root))
    assert proc.returncode == 0, proc.stderr
    import json

    data = json.loads(proc.stdout)
    assert data["release"]["id"] == "2026-10-01" and data["release"]["synthetic"] is True
    for stem, t in data["tables"].items():
        assert set(t) == {"lines", "loaded", "repaired", "quarantined", "reasons"}, stem
        assert t["lines"] == t["loaded"] + t["quarantined"]
    proc = run_cli(
        "rejects", "--store", str(store.root), "--table", "A_TblCase", "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows and all(r["table"] == "A_TblCase" and r["line"] >= 2 for r in rows)
    proc = run_cli("rejects", "--store", str(store.root), "--reason", "nonsense")
    assert_one_line_error(proc, "nonsense", "duplicate_key")


def test_empty_store_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("status", env_store=tmp_path / "empty")
    assert_one_line_error(proc, "no release")
