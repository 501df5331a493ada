"""Fixture releases for the analytics tests, built in code (datasette-style).

A :class:`RawRelease` holds rows of the release tables as plain dicts keyed by the store's
column names; :meth:`RawRelease.publish` writes them as typed Parquet in the store layout
the ingest produces (``releases/<id>/tables/<stem>/part-0.parquet`` + ``manifest.json``),
then builds ``decisions.parquet`` with the real :func:`build_decisions`.

The same raw rows feed the plain-Python oracle in ``test_analytics_oracle.py``, so engine
and oracle never share code beyond these dicts.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from asylumlens.analytics.decisions import build_decisions
from asylumlens.layout import APPLICATION_DECISIONS, CASE_TYPES, CUSTODY_CODES, TABLES, Kind
from asylumlens.store import Release, Store

Row = dict[str, Any]

_ARROW: dict[Kind, pa.DataType] = {
    Kind.INTEGER: pa.int64(),
    Kind.DATE: pa.date32(),
    Kind.BOOLEAN: pa.bool_(),
    Kind.BIRTH_MONTH: pa.date32(),
    Kind.TEXT: pa.string(),
}


def nationality_names() -> dict[str, str]:
    """Real NAT code -> name pairs (the synth package's copy of EOIR's lookup)."""
    text = (
        resources.files("asylumlens.synth").joinpath("data", "tblLookupNationality.json")
    ).read_text("utf-8")
    raw: dict[str, Any] = json.loads(text)
    return {("NA" if k == "NaN" else k): str(v).strip() for k, v in raw.items() if v}


COURT_DECISION_O = {"C": "Change of Venue", "T": "Transfer", "A": "Administrative Closing - Other"}


def standard_lookups(
    nationalities: dict[str, str],
    judges: dict[str, str],
    courts: dict[str, str],
    hlocs: dict[str, str],
    languages: dict[str, str],
    places: dict[str, tuple[str, str]] | None = None,
) -> dict[str, list[Row]]:
    """The lookups of a hand-built release. ``courts`` maps BASE_CITY_CODE to
    BASE_CITY_NAME; ``places`` (code -> (BASE_CITY, BASE_STATE)) fills the two columns the
    court names are built from, left empty without it (the fallback to the hearing
    location's name)."""
    where = places or {}
    court_decisions: list[Row] = []
    idn = 1
    for ct in ("RMV", "DEP", "EXC", "AOC", "WHO"):
        for code, desc in COURT_DECISION_O.items():
            court_decisions.append(
                dict(
                    idncourtdecision=idn,
                    strcasetype=ct,
                    strdeccode=code,
                    strdecdescription=desc,
                    strdectype="O",
                    blnactive=True,
                )
            )
            idn += 1
        court_decisions.append(
            dict(
                idncourtdecision=idn,
                strcasetype=ct,
                strdeccode="C",
                strdecdescription="Conditional Grant",
                strdectype="C",
                blnactive=True,
            )
        )
        idn += 1
    # An inactive duplicate that must lose to the active row.
    court_decisions.append(
        dict(
            idncourtdecision=idn,
            strcasetype="RMV",
            strdeccode="A",
            strdecdescription="Transfer (old)",
            strdectype="O",
            blnactive=False,
        )
    )
    return {
        "tblLookupNationality": [
            dict(id=i, nat_code=c, nat_name=n, blnactive=True)
            for i, (c, n) in enumerate(nationalities.items())
        ],
        "tblLookupJudge": [
            dict(idnjudge=i, judge_code=c, judge_name=n, blnactive=True)
            for i, (c, n) in enumerate(judges.items())
        ],
        "tblLookupBaseCity": [
            dict(
                idnbasecity=i,
                base_city_code=c,
                base_city_name=n,
                base_city=where.get(c, (None, None))[0],
                base_state=where.get(c, (None, None))[1],
                blnactive=True,
            )
            for i, (c, n) in enumerate(courts.items())
        ],
        "tblLookupHloc": [
            dict(idnhloc=i, hearing_loc_code=c, hearing_loc_name=n, blnactive=True)
            for i, (c, n) in enumerate(hlocs.items())
        ],
        "tblLanguage": [
            dict(idnlang=i, strcode=c, strdescription=n, blnactive=True)
            for i, (c, n) in enumerate(languages.items())
        ],
        "tblLookupCaseType": [
            dict(idncasetype=i, strcode=c, strdescription=n, blnactive=True)
            for i, (c, n) in enumerate(CASE_TYPES.items())
        ],
        "tblLookupCustodyStatus": [
            dict(idncustodystatus=i, strcode=c, strdescription=n, blnactive=True)
            for i, (c, n) in enumerate(CUSTODY_CODES.items())
        ],
        "tblLookupSex": [
            dict(idnsex=1, strcode="M", strdescription="Male", blnactive=True),
            dict(idnsex=2, strcode="F", strdescription="Female", blnactive=True),
        ],
        "tblLookupCourtAppDecisions": [
            dict(idncourtapplndec=i, strcourtapplndeccode=c, strcourtapplndecdesc=n, blnactive=True)
            for i, (c, n) in enumerate(APPLICATION_DECISIONS.items())
        ],
        "tblLookupCourtDecision": court_decisions,
    }


@dataclass
class RawRelease:
    """Rows per table stem, as the store holds them (normalised column names)."""

    tables: dict[str, list[Row]] = field(default_factory=dict)

    def rows(self, stem: str) -> list[Row]:
        return self.tables.setdefault(stem, [])

    def publish(
        self,
        root: Path,
        release_id: str = "2026-0101",
        *,
        synthetic: bool = True,
        release_date: str = "2026-01-01",
        build: bool = True,
    ) -> Release:
        rel_dir = root / "releases" / release_id
        for stem, rows in self.tables.items():
            table = TABLES[stem]
            fields = [pa.field(c.key, _ARROW[c.kind]) for c in table.columns]
            fields.append(pa.field("_line", pa.int64()))
            # What the ingest's typing pass leaves on every loaded row.
            fields += [pa.field(n, pa.string()) for n in ("_bad", "_repairs", "_raw")]
            schema = pa.schema(fields)
            present = {k for r in rows for k in r}
            data = {
                f.name: [r.get(f.name) for r in rows]
                if f.name in present
                else pa.nulls(len(rows), f.type)
                for f in fields
            }
            data["_line"] = list(range(2, len(rows) + 2))
            data["_bad"] = [""] * len(rows)
            folder = rel_dir / "tables" / stem
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.table(data, schema=schema), folder / "part-0.parquet")
        manifest = {
            "release": {"id": release_id, "date": release_date, "synthetic": synthetic},
            "tables": {stem: {"rows": len(rows)} for stem, rows in self.tables.items()},
        }
        (rel_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        release = Store(root).release(release_id)
        if build:
            con = release.connect()
            try:
                build_decisions(con, rel_dir / "decisions.parquet")
            finally:
                con.close()
        return release


# ---------------------------------------------------------------------------------------
# A random release with every quirk the fact table must handle.

JUDGES = {"JAA": "ADAMS, A.", "JBB": "BAKER, B.", "JCC": "CRUZ, C.", "JDD": "DIAZ, D."}
COURTS = {"NYC": "NEW YORK", "ARL": "ARLINGTON", "HOU": "HOUSTON"}
HLOCS = {"NYC": "NEW YORK", "VAR": "VARICK", "ARL": "ARLINGTON", "HOU": "HOUSTON"}
LANGS = {"SP": "SPANISH", "MAN": "MANDARIN", "ENG": "ENGLISH"}
NATS = {"CH": "CHINA", "ES": "EL SALVADOR", "MX": "MEXICO", "GT": "GUATEMALA"}


def random_release(seed: int, n_cases: int = 400) -> RawRelease:
    rng = random.Random(seed)
    raw = RawRelease()
    for stem, rows in standard_lookups(NATS, JUDGES, COURTS, HLOCS, LANGS).items():
        raw.tables[stem] = rows

    def pick(options: list[Any], weights: list[float] | None = None) -> Any:
        return rng.choices(options, weights=weights)[0]

    def some_date() -> date:
        if rng.random() < 0.3:  # fiscal-year boundaries
            year = rng.randint(2009, 2025)
            return pick(
                [date(year, 9, 30), date(year, 10, 1), date(year, 12, 31), date(year, 1, 1)]
            )
        return date(2009, 1, 1) + timedelta(days=rng.randint(0, 6200))

    proc_id, appl_id, rep_id = 1000, 5000, 9000
    for case_id in range(1, n_cases + 1):
        orphan = rng.random() < 0.03
        if not orphan:
            raw.rows("A_TblCase").append(
                dict(
                    idncase=case_id,
                    nat=pick([*NATS, "XX", None], [5, 5, 5, 5, 1, 1]),
                    lang=pick([*LANGS, "ZZZ", None], [5, 5, 2, 1, 1]),
                    c_asy_type=pick(["I", "E", "J", None], [4, 4, 1, 2]),
                    sex=pick(["M", "F", None], [4, 4, 1]),
                    e_28_date=some_date() if rng.random() < 0.3 else None,
                    case_type=pick(["RMV", "DEP"]),
                    custody=pick(["D", "R", "N"]),
                )
            )
        for _ in range(rng.randint(1, 3)):
            proc_id += 1
            completed = rng.random() < 0.85
            admin = pick([None, "C", "T", "A"], [6, 2, 1, 1]) if completed else None
            case_type = pick(["RMV", "DEP", "EXC", "AOC", "WHO", "BND"], [8, 2, 1, 2, 1, 1])
            raw.rows("B_TblProceeding").append(
                dict(
                    idnproceeding=proc_id,
                    idncase=case_id,
                    base_city_code=pick([*COURTS, "QQQ"], [4, 4, 4, 1]),
                    hearing_loc_code=pick([*HLOCS, None], [3, 3, 3, 3, 1]),
                    ij_code=pick([*JUDGES, "ZZZ", None], [4, 4, 4, 4, 1, 1]),
                    dec_code=None if admin and rng.random() < 0.8 else pick(["X", "R", "V", None]),
                    other_comp=admin,
                    comp_date=some_date() if completed else None,
                    absentia=pick(["Y", "N", None, "X"], [2, 5, 2, 1]),
                    custody=pick(["D", "R", "N", None], [3, 3, 3, 1]),
                    case_type=case_type,
                    nat=pick([*NATS, None]),
                    lang=pick([*LANGS, None]),
                )
            )
            for _ in range(rng.randint(0, 3)):
                appl_id += 1
                raw.rows("tbl_Court_Appln").append(
                    dict(
                        idnproceedingappln=appl_id,
                        idnproceeding=proc_id if rng.random() > 0.02 else 999_999,
                        idncase=case_id,
                        appl_code=pick(["ASYL", "ASYW", "WCAT", "42B"], [6, 3, 3, 1]),
                        appl_recd_date=some_date(),
                        appl_dec=pick(
                            [*APPLICATION_DECISIONS, None, "Z"],
                            [6, 3, 2, 2, 1, 8, 2, 2, 2, 1, 1, 1, 1, 1, 4, 1],
                        ),
                    )
                )
        for _ in range(pick([0, 1, 2], [5, 3, 1])):
            rep_id += 1
            raw.rows("tbl_RepsAssigned").append(
                dict(
                    idnrepsassigned=rep_id,
                    idncase=case_id,
                    strattylevel=pick(["COURT", "BOARD"], [3, 1]),
                    strattytype=pick(["ALIEN", "INS"], [2, 1]),
                    parent_table="A_tblCase",
                    parent_idn=case_id,
                )
            )
    return raw


class Builder:
    """Hand-made releases for exact tests: cases, proceedings and applications by call."""

    def __init__(self) -> None:
        self.raw = RawRelease()
        for stem, rows in standard_lookups(NATS, JUDGES, COURTS, HLOCS, LANGS).items():
            self.raw.tables[stem] = rows
        self._ids = iter(range(1, 10**9))
        self.raw.rows("A_TblCase")
        self.raw.rows("B_TblProceeding")
        self.raw.rows("tbl_Court_Appln")

    def case(self, **fields: Any) -> int:
        idn = next(self._ids)
        self.raw.rows("A_TblCase").append(
            {"idncase": idn, "nat": "CH", "case_type": "RMV", **fields}
        )
        return idn

    def proceeding(self, case: int, comp_date: date | None, **fields: Any) -> int:
        idn = next(self._ids)
        row = {
            "idnproceeding": idn,
            "idncase": case,
            "comp_date": comp_date,
            "case_type": "RMV",
            "ij_code": "JAA",
            "base_city_code": "NYC",
            "hearing_loc_code": "NYC",
            "custody": "N",
            "dec_code": "X" if comp_date else None,
            **fields,
        }
        self.raw.rows("B_TblProceeding").append(row)
        return idn

    def application(self, proceeding: int, decision: str | None, code: str = "ASYL") -> int:
        idn = next(self._ids)
        case = next(
            p["idncase"]
            for p in self.raw.rows("B_TblProceeding")
            if p["idnproceeding"] == proceeding
        )
        self.raw.rows("tbl_Court_Appln").append(
            {
                "idnproceedingappln": idn,
                "idnproceeding": proceeding,
                "idncase": case,
                "appl_code": code,
                "appl_dec": decision,
                "appl_recd_date": date(2015, 1, 1),
            }
        )
        return idn

    def decided(self, comp_date: date, decision: str, **case_fields: Any) -> int:
        """A one-proceeding case with one decided ASYL application; returns the case id."""
        proc_fields = {
            k: case_fields.pop(k)
            for k in list(case_fields)
            if k in ("ij_code", "base_city_code", "hearing_loc_code", "case_type")
        }
        case = self.case(**case_fields)
        self.application(self.proceeding(case, comp_date, **proc_fields), decision)
        return case

    def rep(self, case: int, level: str = "COURT", kind: str = "ALIEN") -> None:
        rows = self.raw.rows("tbl_RepsAssigned")
        rows.append(
            {
                "idnrepsassigned": len(rows) + 1,
                "idncase": case,
                "strattylevel": level,
                "strattytype": kind,
                "parent_table": "A_tblCase",
                "parent_idn": case,
            }
        )

    def publish(self, root: Path, **kwargs: Any) -> Release:
        return self.raw.publish(root, **kwargs)
