"""Hostile and broken releases: names that are SQL, second copies of a table, headers that
lie, lines past DuckDB's limit, empty core tables, a Count.txt that disagrees, zip bombs.

Each test builds the hostile release from a small synthetic one with plain file and zip
operations, runs the real ingest (CLI in a subprocess where the exit status matters), and
checks the store, the manifest or the working folder afterwards.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from asylumlens.errors import ReleaseError
from asylumlens.ingest.load import COUNT_TXT_TOLERANCE
from asylumlens.ingest.normalise import survey_table
from asylumlens.ingest.source import MAX_MEMBER_BYTES, MAX_MEMBER_RATIO, check_member
from asylumlens.layout import RELEASE_TABLES, TABLES
from asylumlens.pipeline import ingest_release, write_catalog
from asylumlens.store import Release, Store
from asylumlens.synth import generate
from cli_support import run_cli as cli_run
from cli_support import snapshot

EVIL = "x\" AS SELECT 1; COPY (SELECT 'pwned') TO 'PWNED.csv'; CREATE VIEW \"y.csv"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small synthetic release (with its faults), as a folder and a zip, and a store
    holding it, to compare against after each hostile ingest."""
    root = tmp_path_factory.mktemp("hostile")
    result = generate(root / "synth", 2000, 5, release_date=date(2026, 10, 1), zip=True)
    assert result.zip is not None
    store = root / "store"
    ingest_release(result.zip, Store(store))
    return {"folder": result.release, "zip": result.zip, "store": store}


@pytest.fixture()
def release(base: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the release folder, dated one month later than the stored one."""
    target = tmp_path / "in" / "EOIR Case Data 2026-1101"
    shutil.copytree(base["folder"], target)
    return target


@pytest.fixture()
def store(base: dict[str, Path], tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(base["store"], target, symlinks=True)  # links are relative
    return target


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return cli_run(*args, cwd=cwd)


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The one-line error of a failed CLI run (exit 2, no traceback)."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1] == errors[0]
    return errors[0]


def core_file(release: Path, stem: str) -> Path:
    return (
        release
        / ("Lookup" if TABLES[stem].folder == "lookup" else "EOIR Case Data")
        / (stem + ".csv")
    )


def set_count(release: Path, stem: str, n: int) -> None:
    """Make Count.txt say ``n`` rows for ``stem`` (as EOIR writes it)."""
    path = release / "Count.txt"
    lines = path.read_text(encoding="cp1252").splitlines()
    lines = [f"{stem}\t{n} rows copied." if ln.split("\t")[0] == stem else ln for ln in lines]
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")


def rewrite(release: Path, stem: str, lines: list[bytes]) -> None:
    """Write a table's lines (header first) and keep Count.txt in agreement with them."""
    core_file(release, stem).write_bytes(b"\n".join(lines) + b"\n")
    if TABLES[stem].folder == "core":
        set_count(release, stem, len(lines) - 1)


def table_lines(release: Path, stem: str) -> list[bytes]:
    return core_file(release, stem).read_bytes().split(b"\n")[:-1]


def zip_folder(folder: Path, target: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(file, file.relative_to(folder.parent).as_posix())
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return target


# --- file names are never SQL, never paths ------------------------------------------------


def test_a_member_name_holding_sql_is_reported_and_never_run(
    release: Path, store: Path, tmp_path: Path
) -> None:
    """The name is not a table of the layout: it is recorded and warned about, its bytes
    are never read, and no view (in memory or in catalog.duckdb) carries it."""
    work = tmp_path / "cwd"
    work.mkdir()
    (release / "EOIR Case Data" / f"{EVIL}.csv").write_bytes(b"a\tb\n1\t2\n")
    proc = run_cli("ingest", str(release), "--store", str(store), cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"warning: .*PWNED\.csv.*not a table", proc.stderr), proc.stderr
    rel = Store(store).release("2026-11-01")
    ignored = rel.info["ignored"]
    assert [i["path"] for i in ignored] == [f"EOIR Case Data/{EVIL}.csv"]
    con = rel.connect()
    found = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    views = {r[0] for r in found}
    assert views <= set(RELEASE_TABLES) | {"rejects", "repairs", "decisions"}
    con.execute("SELECT count(*) FROM A_TblCase").fetchall()
    proc = run_cli("status", "--store", str(store), cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert not list(work.rglob("PWNED*")) and not list(store.rglob("PWNED*"))
    assert not list(Path.cwd().glob("PWNED*"))


def test_a_stored_table_folder_named_like_sql_is_not_a_view(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release folder written before this check (or by hand) may hold a table folder with
    a hostile name: views come from the layout's names only, so it is never turned into SQL."""
    rel = Store(store).release()
    evil = rel.path / "tables" / EVIL
    shutil.copytree(rel.path / "tables" / "tblLookupSex", evil)
    monkeypatch.chdir(tmp_path)
    fresh = Release(rel.id, rel.path)
    assert EVIL not in fresh.view_definitions()
    con = fresh.connect()
    con.execute("SELECT count(*) FROM tblLookupSex").fetchall()
    write_catalog(fresh)
    assert not list(tmp_path.rglob("PWNED*")) and not list(store.rglob("PWNED*"))


@pytest.mark.parametrize("name", ["...csv", ".csv", "..", "A_TblCase.csv.bak", "notes.txt"])
def test_odd_member_names_are_ignored_with_a_record(release: Path, store: Path, name: str) -> None:
    """Names that are no table (including ones that would make odd paths) are recorded."""
    folder = release / "EOIR Case Data"
    if name == "..":
        name = "..csv"
    (folder / name).write_bytes(b"IDNCASE\n1\n")
    outcome = ingest_release(release, Store(store))
    ignored = [i["path"] for i in outcome.release.info["ignored"]]
    assert ignored == [f"EOIR Case Data/{name}"]
    assert set(outcome.release.table_stems()) <= set(RELEASE_TABLES)


def test_a_symbolic_link_in_a_folder_release_is_not_followed(
    release: Path, store: Path, tmp_path: Path
) -> None:
    """A link named as a table (pointing anywhere: another file, a device) is not read."""
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(b"idnSex\tstrcode\n1\tZ\n")
    sex = release / "Lookup" / "tblLookupSex.csv"
    sex.unlink()
    sex.symlink_to(outside)
    outcome = ingest_release(release, Store(store))
    assert outcome.release.info["ignored"] == [
        {"path": "Lookup/tblLookupSex.csv", "reason": "a symbolic link; not followed"}
    ]
    assert "tblLookupSex" not in outcome.manifest["tables"]


def test_zip_member_names_that_climb_or_hold_sql_are_ignored(
    release: Path, store: Path, tmp_path: Path
) -> None:
    target = zip_folder(
        release,
        tmp_path / "EOIR Case Data.zip",
        {
            "../../escape.csv": b"a\n1\n",
            f"EOIR Case Data 2026-1101/EOIR Case Data/{EVIL}.csv": b"a\n1\n",
            "EOIR Case Data 2026-1101/EOIR Case Data/...csv": b"a\n1\n",
        },
    )
    work = tmp_path / "cwd"
    work.mkdir()
    proc = run_cli("ingest", str(target), "--store", str(store), cwd=work)
    assert proc.returncode == 0, proc.stderr
    rel = Store(store).release("2026-11-01")
    assert len(rel.info["ignored"]) == 3
    assert not list(tmp_path.rglob("PWNED*")) and not list(tmp_path.rglob("escape.csv"))


def test_files_not_read_are_listed_to_a_bound_and_counted(
    release: Path, store: Path, tmp_path: Path
) -> None:
    junk = {f"EOIR Case Data 2026-1101/junk/{i}.txt": b"" for i in range(1005)}
    target = zip_folder(release, tmp_path / "EOIR Case Data.zip", junk)
    proc = run_cli("ingest", str(target), "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    info = Store(store).release("2026-11-01").info
    assert len(info["ignored"]) == 1000 and info["ignored_total"] == 1005
    assert "warning: 5 more files not read" in proc.stderr


# --- one file per table -------------------------------------------------------------------


@pytest.mark.parametrize("where", ["old copy/A_TblCase.csv", "EOIR Case Data/a_tblcase.csv"])
def test_a_second_file_for_a_table_is_an_error_naming_both(
    release: Path, store: Path, where: str
) -> None:
    lines = table_lines(release, "A_TblCase")
    second = release / where
    second.parent.mkdir(parents=True, exist_ok=True)
    second.write_bytes(b"\n".join(lines[:11]) + b"\n")
    before = snapshot(store)
    proc = run_cli("ingest", str(release), "--store", str(store))
    line = error_line(proc)
    assert str(second) in line and str(core_file(release, "A_TblCase")) in line, line
    assert snapshot(store) == before


def test_a_second_zip_member_for_a_table_is_an_error_naming_both(
    release: Path, store: Path, tmp_path: Path
) -> None:
    lines = table_lines(release, "A_TblCase")
    target = zip_folder(
        release,
        tmp_path / "EOIR Case Data.zip",
        {"EOIR Case Data 2026-1101/EOIR Case Data/A_TBLCASE.CSV": b"\n".join(lines[:11])},
    )
    before = snapshot(store)
    line = error_line(run_cli("ingest", str(target), "--store", str(store)))
    assert "EOIR Case Data/A_TBLCASE.CSV" in line and "EOIR Case Data/A_TblCase.csv" in line
    assert snapshot(store) == before


def test_a_table_outside_its_documented_folder_is_an_error(release: Path, store: Path) -> None:
    """A core table sits beside A_TblCase; a lookup in Lookup/ (or, flattened, beside it)."""
    moved = release / "Lookup" / "tbl_Court_Appln.csv"
    core_file(release, "tbl_Court_Appln").rename(moved)
    before = snapshot(store)
    line = error_line(run_cli("ingest", str(release), "--store", str(store)))
    assert str(moved) in line and "EOIR Case Data" in line, line
    assert snapshot(store) == before


def test_a_flattened_release_still_ingests(release: Path, store: Path) -> None:
    """deportationdata unzips with ``-j``: the lookups then sit beside the core tables."""
    for file in (release / "Lookup").iterdir():
        file.rename(release / "EOIR Case Data" / file.name)
    outcome = ingest_release(release, Store(store))
    assert outcome.manifest["tables"]["tblLookupSex"]["folder"] == "lookup"
    assert outcome.manifest["tables"]["tblLookupSex"]["loaded"] == 2


# --- headers that lie, and tables mostly damaged ------------------------------------------


def _drop_field(line: bytes, index: int) -> bytes:
    fields = line.split(b"\t")
    return b"\t".join(fields[:index] + fields[index + 1 :])


def test_a_header_missing_one_column_fails_before_any_row_is_read(
    release: Path, store: Path
) -> None:
    lines = table_lines(release, "A_TblCase")
    names = [n.lower() for n in lines[0].decode().split("\t")]
    lines[0] = _drop_field(lines[0], names.index("casepriority_code"))
    rewrite(release, "A_TblCase", lines)
    before = snapshot(store)
    line = error_line(run_cli("ingest", str(release), "--store", str(store)))
    assert "A_TblCase.csv" in line and "header" in line and "38" in line and "39" in line, line
    assert snapshot(store) == before


def test_a_table_damaged_past_the_header_sample_fails_naming_table_and_share(
    release: Path, store: Path
) -> None:
    """The header agrees with the first lines, but two thirds of the table lost a field
    (or gained one): a ceiling on realigned + quarantined lines stops the ingest."""
    lines = table_lines(release, "B_TblProceeding")
    city = [n.lower() for n in lines[0].decode().split("\t")].index("hearing_loc_code")
    for i in range(1200, len(lines)):
        fields = lines[i].split(b"\t")
        if i % 2:
            fields.insert(city + 1, b"")  # a stray tab after a text value
        else:
            del fields[city]
        lines[i] = b"\t".join(fields)
    rewrite(release, "B_TblProceeding", lines)
    before = snapshot(store)
    line = error_line(run_cli("ingest", str(release), "--store", str(store)))
    assert "B_TblProceeding" in line and re.search(r"\d+(\.\d+)?%", line), line
    assert snapshot(store) == before


def test_a_header_column_named_like_an_internal_alias_keeps_keys_right(
    release: Path, store: Path
) -> None:
    """``P_0`` (and ``N_0``) in the header: side rows (here a cp1252 city sends a row to
    the side path) still get their own key, and the extra column its own values."""
    lines = table_lines(release, "A_TblCase")
    lines[0] += b"\tP_0\tN_0\t_LINE"
    for i in range(1, len(lines)):
        lines[i] += b"\t%d\t%d\t%d" % (900000 + i, 800000 + i, 700000 + i)
    fields = lines[5].split(b"\t")
    key = int(fields[0])
    fields[1] = b"M\xc1LAGA"  # cp1252 'MÁLAGA': a side line
    lines[5] = b"\t".join(fields)
    rewrite(release, "A_TblCase", lines)
    outcome = ingest_release(release, Store(store))
    con = outcome.release.connect()
    got = con.execute(
        "SELECT idncase, alien_city, p_0, n_0, line FROM A_TblCase WHERE idncase = ?", [key]
    ).fetchall()
    assert got == [(key, "MÁLAGA", str(900005), str(800005), str(700005))]
    stray = "SELECT count(*) FROM A_TblCase WHERE idncase BETWEEN 900000 AND 999999"
    assert con.execute(stray).fetchall() == [(0,)]


# --- long lines ---------------------------------------------------------------------------


def test_a_line_over_duckdbs_limit_is_quarantined_whole_as_line_too_long(
    release: Path, store: Path
) -> None:
    lines = table_lines(release, "A_TblCase")
    fields = lines[3].split(b"\t")
    fields[0] = b"7777777"
    fields[1] = b"A" * (3 << 20)  # 3 MiB: over DuckDB's 2 MiB line limit
    long_line = b"\t".join(fields)
    lines.insert(4, long_line)  # line 5 of the file
    rewrite(release, "A_TblCase", lines)
    outcome = ingest_release(release, Store(store))
    con = outcome.release.connect()
    got = con.execute(
        "SELECT line, reason, raw, detail FROM rejects WHERE \"table\" = 'A_TblCase' AND line = 5"
    ).fetchall()
    assert len(got) == 1
    _, reason, raw, detail = got[0]
    assert reason == "line_too_long"
    assert raw == long_line.decode("cp1252")
    assert f"{len(long_line):,}" in detail
    t = outcome.manifest["tables"]["A_TblCase"]
    assert t["lines"] == len(lines) - 1 == t["loaded"] + t["quarantined"]
    # the line after it is line 6, loaded under its own key
    key6 = int(lines[5].split(b"\t")[0])
    assert con.execute("SELECT count(*) FROM A_TblCase WHERE idncase = ?", [key6]).fetchall() == [
        (1,)
    ]


def test_a_line_longer_than_every_buffer_is_streamed_and_its_text_capped(tmp_path: Path) -> None:
    """Stage 1 never holds a whole over-long line: it keeps a documented prefix of it (the
    rest is read and hashed, not kept) and records the line's full length."""
    import hashlib
    import io

    long_line = b"1\t" + b"x" * 50_000
    raw = b"k\tv\n" + b"5\tok\n" + long_line + b"\n6\tok\n"
    out = io.BytesIO()
    survey = survey_table(io.BytesIO(raw), out, chunk_bytes=64, max_line_bytes=100, keep_bytes=1000)
    assert survey.data_lines == 3
    assert survey.sha256 == hashlib.sha256(raw).hexdigest()
    [side] = survey.side
    assert side.line == 3 and side.length == len(long_line)
    assert side.text == long_line[:1000].decode()
    assert out.getvalue() == b"k\tv\n5\tok\n\n6\tok\n"


# --- core tables and Count.txt ------------------------------------------------------------


def test_an_empty_core_table_fails_the_ingest(release: Path, store: Path) -> None:
    lines = table_lines(release, "B_TblProceeding")
    rewrite(release, "B_TblProceeding", lines[:1])
    before = snapshot(store)
    line = error_line(run_cli("ingest", str(release), "--store", str(store)))
    assert "B_TblProceeding" in line and "no loadable row" in line, line
    assert snapshot(store) == before


def test_a_core_table_mostly_quarantined_fails_the_ingest(release: Path, store: Path) -> None:
    """15 of 20 lines garbage (the right field count, no valid key): under the general
    ceiling's floor, but a core table must mostly load."""
    lines = table_lines(release, "tbl_Court_Appln")
    garbage = [b"garbage\t%d\tx\ty\tz\tw" % i for i in range(15)]
    rewrite(release, "tbl_Court_Appln", [lines[0], *lines[1:6], *garbage])
    before = snapshot(store)
    line = error_line(run_cli("ingest", str(release), "--store", str(store)))
    assert "tbl_Court_Appln" in line and "15 of 20" in line, line
    assert snapshot(store) == before


def test_count_txt_disagreeing_fails_unless_allowed(release: Path, store: Path) -> None:
    found = len(table_lines(release, "A_TblCase")) - 1
    claimed = found + COUNT_TXT_TOLERANCE + 1
    set_count(release, "A_TblCase", claimed)
    before = snapshot(store)
    line = error_line(run_cli("ingest", str(release), "--store", str(store)))
    assert "A_TblCase" in line and f"{claimed:,}" in line and f"{found:,}" in line, line
    assert "--allow-count-mismatch" in line
    assert snapshot(store) == before
    proc = run_cli("ingest", str(release), "--store", str(store), "--allow-count-mismatch")
    assert proc.returncode == 0, proc.stderr
    t = Store(store).release("2026-11-01").manifest["tables"]["A_TblCase"]
    assert t["count_txt"] == claimed and t["count_matches"] is False
    assert t["count_difference"] == -(COUNT_TXT_TOLERANCE + 1)


def test_count_txt_a_few_lines_off_loads_and_is_recorded(release: Path, store: Path) -> None:
    """A stray line break splits a row in two: a real release may be off by a few lines."""
    found = len(table_lines(release, "A_TblCase")) - 1
    set_count(release, "A_TblCase", found - COUNT_TXT_TOLERANCE)
    proc = run_cli("ingest", str(release), "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    t = Store(store).release("2026-11-01").manifest["tables"]["A_TblCase"]
    assert t["count_matches"] is False and t["count_difference"] == COUNT_TXT_TOLERANCE


# --- zip bombs ----------------------------------------------------------------------------

_BOMB_MB = 400


def _bomb_zip(release: Path, target: Path, member: str) -> Path:
    zip_folder(release, target)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as zf, zf.open(member, "w") as w:
        block = bytes(1 << 20)
        for _ in range(_BOMB_MB):
            w.write(block)
    assert target.stat().st_size < 8 << 20
    return target


def _peak_rss_mb(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the CLI in a fresh intermediate process and return its child's peak RSS (MB):
    RUSAGE_CHILDREN of a process whose only child is the ingest."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    probe = textwrap.dedent(
        """
        import json, os, resource, subprocess, sys
        env = dict(os.environ, PYTHONPATH=sys.argv[1])
        p = subprocess.run([sys.executable, "-m", "asylumlens", *sys.argv[2:]],
                           capture_output=True, text=True, env=env)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({"rc": p.returncode, "err": p.stderr, "rss": rss}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, src, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    data: dict[str, Any] = json.loads(out.stdout)
    proc = subprocess.CompletedProcess(args, data["rc"], "", data["err"])
    return proc, float(data["rss"])


RSS_BOUND_MB = 700
"""Well above a normal ingest of this small release (Python, DuckDB, Numba and Arrow loaded:
about 470 MB measured), well below what reading the bomb costs (the reader that loaded every
``.csv`` member peaked at 1.2 GB on this bomb)."""


def test_a_zip_bomb_beside_the_tables_is_never_decompressed(
    release: Path, store: Path, tmp_path: Path
) -> None:
    target = _bomb_zip(
        release, tmp_path / "EOIR Case Data.zip", "EOIR Case Data 2026-1101/EOIR Case Data/pad.csv"
    )
    proc, rss = _peak_rss_mb("ingest", str(target), "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    assert rss < RSS_BOUND_MB, rss
    ignored = Store(store).release("2026-11-01").info["ignored"]
    assert [i["path"] for i in ignored] == ["EOIR Case Data 2026-1101/EOIR Case Data/pad.csv"]


def test_a_zip_bomb_named_as_a_table_is_refused_unread(
    release: Path, store: Path, tmp_path: Path
) -> None:
    (release / "Lookup" / "tblLookupSex.csv").unlink()
    target = _bomb_zip(
        release, tmp_path / "EOIR Case Data.zip", "EOIR Case Data 2026-1101/Lookup/tblLookupSex.csv"
    )
    before = snapshot(store)
    proc, rss = _peak_rss_mb("ingest", str(target), "--store", str(store))
    line = error_line(proc)
    assert "tblLookupSex.csv" in line and "compression ratio" in line, line
    assert rss < RSS_BOUND_MB, rss
    assert snapshot(store) == before


def test_member_caps_allow_real_sizes_and_refuse_beyond() -> None:
    """The documented caps: the real release's largest table (~3 GB, compressed ~10x) passes;
    a member over the size cap, or compressed past the ratio cap, is refused by name."""
    real = zipfile.ZipInfo("EOIR Case Data/B_TblProceeding.csv")
    real.file_size, real.compress_size = 3_200_000_000, 320_000_000
    check_member(real, Path("r.zip"))
    huge = zipfile.ZipInfo("EOIR Case Data/tbl_schedule.csv")
    huge.file_size, huge.compress_size = MAX_MEMBER_BYTES + 1, MAX_MEMBER_BYTES // 10
    with pytest.raises(ReleaseError, match=r"tbl_schedule\.csv.*uncompressed"):
        check_member(huge, Path("r.zip"))
    dense = zipfile.ZipInfo("Lookup/tblLookupSex.csv")
    dense.file_size = 100 << 20
    dense.compress_size = dense.file_size // (MAX_MEMBER_RATIO + 1)
    with pytest.raises(ReleaseError, match=r"tblLookupSex\.csv.*compression ratio"):
        check_member(dense, Path("r.zip"))
