"""The CLI's one error boundary: operator faults are one line and exit 2, bugs keep a traceback.

Each test runs the real command line in a subprocess (``python -m asylumlens``). Full disk and
read-only store are real: a 2 MB tmpfs, and a tmpfs remounted read-only (needs root, as CI
has; elsewhere the tests skip and say why). After every failure the store must be as before.
"""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from asylumlens.errors import StorageError
from asylumlens.faults import storage_fault
from asylumlens.synth import generate


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asylumlens", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "80", **(env or {})},
    )


PROGRESS = ("ingest: ", "synth: ")  # progress lines on stderr when it is not a terminal


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, no traceback, and besides progress lines exactly one line on stderr, the last,
    starting ``error:``; returns it."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    said = [line for line in lines if not line.startswith(PROGRESS)]
    assert len(said) == 1 and said[0] == lines[-1], proc.stderr
    assert said[0].startswith("error: ")
    for needle in needles:
        assert needle in said[0], said[0]
    return said[0]


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> SHA-256) and every folder."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# --- options are checked at parse time ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("rejects", "--limit", str(2**63)), "--limit"),
        (("rejects", "--limit", "0"), "--limit"),
        (("serve", "--port", "99999"), "--port"),
        (("serve", "--port", "0"), "--port"),
        (("fetch", "--deadline", "0"), "--deadline"),
        (("fetch", "--max-bytes", "0"), "--max-bytes"),
        (("update", "--min-rate", "-1"), "--min-rate"),
        (("rates", "--no-such-option"), "--no-such-option"),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(v[:2]),
)
def test_out_of_range_option_is_one_line(
    tmp_path: Path, args: tuple[str, ...], option: str
) -> None:
    proc = run(*args, "--store", str(tmp_path / "store"))
    assert_one_line_error(proc, option, f"{args[0]} --help")
    assert not (tmp_path / "store").exists()  # refused before anything ran


# --- faults of the machine ---------------------------------------------------------------


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small release (fits a 2 MB store) and a larger one of the same id (does not)."""
    root = tmp_path_factory.mktemp("releases")
    small = generate(root / "small", 300, 3, release_date=date(2026, 11, 1)).release
    large = generate(root / "large", 12_000, 4, release_date=date(2026, 11, 1)).release
    return small, large


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted on a fresh folder, unmounted afterwards (root only)."""
    where = tmp_path / f"tmpfs-{uuid.uuid4().hex[:8]}"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_full_disk_during_ingest_is_one_line_and_the_store_is_as_it_was(
    tmpfs: Path, releases: tuple[Path, Path]
) -> None:
    small, large = releases
    store = tmpfs / "store"
    first = run("ingest", str(small), "--store", str(store))
    assert first.returncode == 0, first.stderr
    before = snapshot(store)
    full = run("ingest", str(large), "--store", str(store))
    line = assert_one_line_error(full, "No space left on device", str(store))
    assert "ENOSPC" in line
    assert snapshot(store) == before
    status = run("status", "--store", str(store), "--json")
    assert status.returncode == 0 and '"lines": 303' in status.stdout  # the small release


def test_read_only_store_is_one_line_and_still_readable(
    tmpfs: Path, releases: tuple[Path, Path]
) -> None:
    small, large = releases
    store = tmpfs / "store"
    assert run("ingest", str(small), "--store", str(store)).returncode == 0
    before = snapshot(store)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    again = run("ingest", str(large), "--store", str(store))
    assert_one_line_error(again, "Read-only file system", str(store))
    assert snapshot(store) == before
    diff = run("diff", "2026-11-01", "2026-11-01", "--store", str(store))
    assert_one_line_error(diff, "Read-only file system", "EROFS")
    assert snapshot(store) == before
    status = run("status", "--store", str(store))
    assert status.returncode == 0, status.stderr


def test_full_disk_fault_without_a_file_names_the_store(tmp_path: Path) -> None:
    """An ENOSPC that names no file (as pyarrow raises them) is named by the store."""
    code = textwrap.dedent(
        """
        import errno, sys
        from asylumlens import cli

        @cli.app.command("boom")
        def boom(store: cli.StoreOption = None) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        sys.argv = ["asylumlens", "boom", "--store", sys.argv[1]]
        cli.main()
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "st")], capture_output=True, text=True
    )
    assert_one_line_error(proc, "No space left on device (ENOSPC)", f"(store {tmp_path / 'st'})")


@pytest.mark.parametrize(
    "raised",
    [
        "RuntimeError('a genuine bug')",
        "FileNotFoundError(errno.ENOENT, 'No such file', 'x')",
        "KeyError(1)",
    ],
)
def test_a_genuine_bug_keeps_its_traceback(raised: str) -> None:
    code = textwrap.dedent(
        f"""
        import errno, sys
        from asylumlens import cli

        @cli.app.command("boom")
        def boom() -> None:
            raise {raised}

        sys.argv = ["asylumlens", "boom"]
        cli.main()
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(raised.split("(")[0])


# --- the classification itself, on real exceptions ----------------------------------------


def test_duckdb_out_of_memory_is_a_storage_fault(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("SET memory_limit='2MB'")
    with pytest.raises(duckdb.OutOfMemoryException) as caught:
        con.execute("SELECT list(range) FROM range(10000000)").fetchall()
    fault = storage_fault(caught.value, tmp_path)
    assert isinstance(fault, StorageError)
    assert str(fault).startswith("out of memory: Out of Memory Error: failed to allocate")
    assert str(fault).endswith(f"(store {tmp_path})") and "\n" not in str(fault)


def test_duckdb_write_to_a_read_only_mount_is_a_storage_fault(tmpfs: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    target = tmpfs / "x.parquet"
    with pytest.raises(duckdb.IOException) as caught:
        duckdb.sql(f"COPY (SELECT 1 AS a) TO '{target}' (FORMAT parquet)")
    fault = storage_fault(caught.value)
    assert fault is not None and str(target) in str(fault) and "EROFS" in str(fault)


def test_other_duckdb_io_errors_and_plain_os_errors_are_bugs(tmp_path: Path) -> None:
    with pytest.raises(duckdb.IOException) as caught:
        duckdb.sql(f"SELECT * FROM read_parquet('{tmp_path / 'missing.parquet'}')")
    assert storage_fault(caught.value) is None
    assert storage_fault(FileNotFoundError(errno.ENOENT, "No such file", "x")) is None
    assert storage_fault(ValueError("No space left on device")) is None  # not an I/O error
    arrow_like = OSError("Failed to write /a/b.parquet: No space left on device")  # no errno
    assert str(storage_fault(arrow_like, Path("/a"))) == (
        "Failed to write /a/b.parquet: No space left on device (ENOSPC)"
    )
    wrapped = RuntimeError("stage 1 failed")
    wrapped.__cause__ = OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), "/q/file")
    assert str(storage_fault(wrapped)) == f"/q/file: {os.strerror(errno.EDQUOT)} (EDQUOT)"


def test_version_prints_the_installed_distribution_version() -> None:
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-m", "asylumlens", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"asylumlens {version('asylumlens')}\n"
