"""EOIR's published "Asylum Decision Rates by Nationality" rows, reproduced end to end.

For every EOIR row of ``published_reference_values.csv`` the fixture holds exactly that
many initial-completion ASYL decisions (grants spread over G/F/C/I/P, others over
A/L/M/O/W, admin closures as S), on completion dates inside that fiscal year (its first
and last day included), in RMV/DEP/EXC/AOC cases of that nationality. Around them sits
noise no definition may count: an earlier change-of-venue proceeding, a later reopened
proceeding, out-of-scope case types, pending and reserved/transferred applications.

The published rates come back under ``eoir`` (FY2019 onward) and ``eoir_admin_closure``
(the FY2018 table, whose denominator included admin closures), to the printed precision;
``trac`` gives grants / (grants + denials) of the same counts, where a GRANT WCAT (L)
among EOIR's "others" refuses asylum and so counts as a TRAC denial (NOTES.md section 3.2).
"""

from __future__ import annotations

import csv
import gc
import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from analytics_support import RawRelease, nationality_names, standard_lookups
from asylumlens.analytics import rates
from asylumlens.layout import TABLES, Kind

REFERENCE = Path(__file__).resolve().parent / "data" / "published_reference_values.csv"
"""Vendored in the repository (see tests/data/README.md); its absence fails, never skips."""


@dataclass(frozen=True)
class Published:
    fiscal_year: int
    last_day: date
    nationality: str
    grants: int
    denials: int
    others: int
    admin_closures: int
    rate_text: str


def published_rows() -> list[Published]:
    if not REFERENCE.exists():
        pytest.fail(f"{REFERENCE} is missing: the published reference values are vendored there")
    codes = {name: code for code, name in nationality_names().items()}
    out = []
    with REFERENCE.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row["publisher"].startswith("EOIR"):
                continue
            fy = int(row["fiscal_year"][:4])
            last = date(fy, 9, 30)
            if "through" in row["fiscal_year"]:
                last = date.fromisoformat(row["fiscal_year"].split("through")[1].strip(" )"))
            out.append(
                Published(
                    fy,
                    last,
                    codes[row["group"]],
                    int(row["grants"]),
                    int(row["denials"]),
                    int(row["other"]),
                    int(row["admin_closure"] or 0),
                    row["grant_rate_pct"],
                )
            )
    return out


def build_raw(rows: list[Published]) -> RawRelease:
    raw = RawRelease()
    for stem, lrows in standard_lookups(
        nationality_names(),
        {"JAA": "ADAMS, A."},
        {"NYC": "NEW YORK"},
        {"NYC": "NEW YORK"},
        {"MAN": "MANDARIN"},
    ).items():
        raw.tables[stem] = lrows
    case_types = itertools.cycle(["RMV", "DEP", "EXC", "AOC"])
    ids = itertools.count(1)

    def add(
        case: int,
        fy_day: date,
        nat: str,
        ct: str,
        decs: list[tuple[str, str | None]],
        *,
        other_comp: str | None = None,
        dec_code: str | None = "X",
        completed: bool = True,
    ) -> None:
        proc = next(ids)
        raw.rows("B_TblProceeding").append(
            dict(
                idnproceeding=proc,
                idncase=case,
                base_city_code="NYC",
                hearing_loc_code="NYC",
                ij_code="JAA",
                case_type=ct,
                custody="N",
                dec_code=dec_code,
                other_comp=other_comp,
                comp_date=fy_day if completed else None,
                nat=nat,
            )
        )
        for code, dec in decs:
            raw.rows("tbl_Court_Appln").append(
                dict(
                    idnproceedingappln=next(ids),
                    idnproceeding=proc,
                    idncase=case,
                    appl_code=code,
                    appl_recd_date=fy_day - timedelta(days=400),
                    appl_dec=dec,
                )
            )

    for pub in rows:
        decisions = (
            list(itertools.islice(itertools.cycle("GFCIP"), pub.grants))
            + ["D"] * pub.denials
            + list(itertools.islice(itertools.cycle("ALMOW"), pub.others))
            + ["S"] * pub.admin_closures
        )
        first = date(pub.fiscal_year - 1, 10, 1)
        span = (pub.last_day - first).days
        n = len(decisions)
        for i, dec in enumerate(decisions):
            day = first + timedelta(days=round(i * span / max(n - 1, 1)))
            case = next(ids)
            ct = next(case_types)
            raw.rows("A_TblCase").append(
                dict(idncase=case, nat=pub.nationality, case_type=ct, custody="N")
            )
            if i % 10 == 0:  # moved in from another court first: not the initial completion
                add(
                    case,
                    day - timedelta(days=30),
                    pub.nationality,
                    ct,
                    [],
                    other_comp="C",
                    dec_code=None,
                )
            add(case, day, pub.nationality, ct, [("ASYL", dec), ("ASYW", "D")])
            if i % 7 == 0:  # reopened later: a subsequent completion, with a withdrawal
                add(case, day + timedelta(days=1), pub.nationality, ct, [("ASYL", "W")])
        # Noise outside every definition, in the same fiscal year and nationality.
        day = first + timedelta(days=40)
        for ct, decs, kwargs in [
            ("WHO", [("ASYL", "A")], {}),
            ("RMV", [("ASYL", "R"), ("ASYL", "T")], {}),
            ("RMV", [("ASYL", "G"), ("ASYL", None)], {"completed": False}),
        ]:
            case = next(ids)
            raw.rows("A_TblCase").append(dict(idncase=case, nat=pub.nationality, case_type=ct))
            add(case, day, pub.nationality, ct, decs, **kwargs)
    return raw


def printed_precision_matches(rate: float, printed: str) -> bool:
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return round(Decimal(rate * 100), decimals) == Decimal(printed)


def check(store: Path, rows: list[Published]) -> None:
    keys = ("fiscal_year", "nationality")
    eoir = rates("eoir", by=keys, store=store).set_index(list(keys))
    eoir_ac = rates("eoir_admin_closure", by=keys, store=store).set_index(list(keys))
    trac = rates("trac", by=keys, store=store).set_index(list(keys))
    assert eoir.attrs["synthetic"] is True
    for pub in rows:
        key = (pub.fiscal_year, pub.nationality)
        e = eoir.loc[key]
        assert (e["grants"], e["denials"], e["others"]) == (pub.grants, pub.denials, pub.others)
        table = eoir_ac.loc[key] if pub.admin_closures else e
        assert table["total"] == pub.grants + pub.denials + pub.others + pub.admin_closures
        assert printed_precision_matches(float(table["rate"]), pub.rate_text), (key, table["rate"])
        t = trac.loc[key]
        cat_grants = wcat_grants_among_others(pub.others)
        assert (t["grants"], t["denials"], t["others"]) == (
            pub.grants,
            pub.denials + cat_grants,
            0,
        )
        assert t["rate"] == pytest.approx(
            pub.grants / (pub.grants + pub.denials + cat_grants), abs=1e-15
        )
    if (2021, "CH") in eoir.index:  # NOTES.md's worked example (its 81.1% under trac
        # assumes no L among the 592 others; test_analytics_codes checks that case)
        assert round(eoir.loc[(2021, "CH")]["rate"] * 100) == 50


def wcat_grants_among_others(others: int) -> int:
    """How many of ``build_raw``'s others are L: they cycle A, L, M, O, W."""
    return sum(1 for i in range(others) if "ALMOW"[i % 5] == "L")


@pytest.fixture(scope="module")
def reference() -> tuple[list[Published], RawRelease]:
    rows = published_rows()
    assert len(rows) == 30
    return rows, build_raw(rows)


def test_published_eoir_rates_direct_parquet(
    reference: tuple[list[Published], RawRelease], tmp_path: Path
) -> None:
    """The rows written straight to typed Parquet in the store layout."""
    rows, raw = reference
    raw.publish(tmp_path)
    check(tmp_path, rows)


def _text(value: Any, kind: Kind) -> str | None:
    if value is None:
        return None
    if kind in (Kind.DATE, Kind.BIRTH_MONTH):
        return value.isoformat() + " 00:00:00.000"
    if kind is Kind.BOOLEAN:
        return "1" if value else "0"
    return str(value)


def text_rows(stem: str, rows: list[dict[str, Any]]) -> list[list[str | None]]:
    """Rows as the release writes them: values in header order, EOIR's text formats."""
    columns = TABLES[stem].columns
    keys = {k for r in rows for k in r}
    present = [(i, c.key, c.kind) for i, c in enumerate(columns) if c.key in keys]
    out = []
    gc.disable()  # millions of small lists: the cyclic collector would dominate the run time
    try:
        for r in rows:
            line: list[str | None] = [None] * len(columns)
            for i, key, kind in present:
                line[i] = _text(r.get(key), kind)
            out.append(line)
    finally:
        gc.enable()
    return out


def ingest_through_pipeline(raw: RawRelease, tmp_path: Path) -> Path:
    """Write ``raw`` with the synth writer, ingest it with the pipeline; return the store."""
    pipeline = pytest.importorskip("asylumlens.pipeline")
    if not hasattr(pipeline, "ingest_release"):
        pytest.skip("asylumlens.pipeline.ingest_release does not exist yet")
    from asylumlens.store import Store
    from asylumlens.synth import write_release

    tables = {
        stem: text_rows(stem, trows)
        for stem, trows in raw.tables.items()
        if not stem.startswith("tblLookup") or stem == "tblLookupNationality"
    }
    source = write_release(
        tmp_path / "source",
        date(2026, 1, 1),
        tables,
        synthetic_note="analytics fixture: EOIR published nationality rows",
    )
    store = Store(tmp_path / "store")
    pipeline.ingest_release(source, store)
    return store.root


def test_small_published_rows_through_synth_and_ingest(tmp_path: Path) -> None:
    """The smaller published rows (every edition: FY2018 with admin closures, FY2019,
    partial FY2020, FY2021) written by the synth writer and read by the ingest pipeline."""
    rows = [p for p in published_rows() if p.grants + p.denials + p.others < 2500]
    assert {p.fiscal_year for p in rows} == {2018, 2019, 2020, 2021}
    store = ingest_through_pipeline(build_raw(rows), tmp_path)
    check(store, rows)


@pytest.mark.slow
def test_all_published_rows_through_synth_and_ingest(
    reference: tuple[list[Published], RawRelease], tmp_path: Path
) -> None:
    """Every published EOIR row, end to end (about 900k lines; ~40 s)."""
    rows, raw = reference
    check(ingest_through_pipeline(raw, tmp_path), rows)
