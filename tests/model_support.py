"""A release with a known outcome model, for the outcome model's tests (the oracle).

Each decided ASYL application is a grant with probability sigmoid(BASE + judge effect +
nationality effect + custody effect + representation effect): judges and nationalities
differ, and (what judge x nationality alone cannot see) detention lowers the odds and a
representative raises them. Completions run FY2016-FY2025; the release is dated
2026-01-01, so FY2024 and FY2025 are the held-out years.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from pathlib import Path

from analytics_support import COURTS, HLOCS, LANGS, NATS, RawRelease, standard_lookups
from asylumlens.store import Release

BASE = -0.6
JUDGE_EFFECT = {"JAA": -1.4, "JBB": -0.6, "JCC": 0.0, "JDD": 0.5, "JEE": 1.0, "JFF": 1.5}
JUDGE_COURT = {"JAA": "NYC", "JBB": "NYC", "JCC": "ARL", "JDD": "ARL", "JEE": "HOU", "JFF": "HOU"}
NAT_EFFECT = {"CH": 0.8, "ES": -0.5, "MX": -1.0, "GT": 0.2}
CUSTODY_EFFECT = {"D": -1.5, "R": -0.4, "N": 0.0}
REPRESENTED_EFFECT = 1.2


def grant_probability(judge: str, nat: str, custody: str, represented: bool) -> float:
    z = BASE + JUDGE_EFFECT[judge] + NAT_EFFECT[nat] + CUSTODY_EFFECT[custody]
    z += REPRESENTED_EFFECT if represented else 0.0
    return 1.0 / (1.0 + math.exp(-z))


def known_raw(n_cases: int, seed: int = 7) -> RawRelease:
    rng = random.Random(seed)
    judges = {j: f"JUDGE {j}" for j in JUDGE_EFFECT}
    raw = RawRelease()
    raw.tables.update(standard_lookups(NATS, judges, COURTS, HLOCS, LANGS))
    cases, procs, appls = (
        raw.rows("A_TblCase"),
        raw.rows("B_TblProceeding"),
        raw.rows("tbl_Court_Appln"),
    )
    start, span = date(2015, 10, 1), (date(2025, 9, 30) - date(2015, 10, 1)).days
    for idn in range(1, n_cases + 1):
        judge = rng.choice(list(JUDGE_EFFECT))
        nat = rng.choice(list(NAT_EFFECT))
        custody = rng.choices(list(CUSTODY_EFFECT), [3, 2, 5])[0]
        represented = rng.random() < 0.6
        granted = rng.random() < grant_probability(judge, nat, custody, represented)
        completed = start + timedelta(days=rng.randint(0, span))
        filed = completed - timedelta(days=rng.randint(30, 700))
        cases.append(
            dict(
                idncase=idn,
                nat=nat,
                lang=rng.choice(list(LANGS)),
                c_asy_type=rng.choice(["I", "E"]),
                sex=rng.choice(["M", "F"]),
                e_28_date=filed if represented else None,
                case_type="RMV",
                custody=custody,
            )
        )
        procs.append(
            dict(
                idnproceeding=idn,
                idncase=idn,
                comp_date=completed,
                case_type="RMV",
                ij_code=judge,
                base_city_code=JUDGE_COURT[judge],
                hearing_loc_code=JUDGE_COURT[judge],
                custody=custody,
                dec_code="X",
                nat=nat,
            )
        )
        appls.append(
            dict(
                idnproceedingappln=idn,
                idnproceeding=idn,
                idncase=idn,
                appl_code="ASYL",
                appl_dec="G" if granted else "D",
                appl_recd_date=filed,
            )
        )
    return raw


def known_release(root: Path, n_cases: int = 6000, seed: int = 7) -> Release:
    return known_raw(n_cases, seed).publish(root, "2026-0101", release_date="2026-01-01")
