"""The population model: cases, proceedings, applications, representation, custody, appeals.

Everything random about a synthetic release is decided here, in vectorised numpy over a chunk
of cases; the tunables live in :mod:`asylumlens.synth.knobs`. Row ratios per case follow the
2026-07 release (NOTES.md section 1.2): about 1.30 proceedings, 1.27 applications, 2.07
representative rows, 0.79 custody rows and 0.12 appeals per case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import pyarrow as pa

from asylumlens.synth.columns import (
    NDArray,
    code_text,
    const_text,
    date_text,
    day_number,
    int_text,
)
from asylumlens.synth.knobs import Knobs
from asylumlens.synth.reference import ADMIN_LETTERS, MERITS_LETTERS, Reference

Columns = dict[str, pa.Array]


_ASYLUM_OTHER_CODES: Final = ("A", "W", "O", "M", "L", "S")
_ASYLUM_OTHER_P: Final = (0.33, 0.36, 0.13, 0.06, 0.06, 0.06)
_GRANT_CODES: Final = ("G", "F", "C", "I", "P")
_GRANT_P: Final = (0.86, 0.05, 0.04, 0.03, 0.02)
_OTHER_APPS: Final = ("42B", "245", "VD", "42A", "212h", "SUSP", "212c", "209c", "WAIV")
_OTHER_APPS_P: Final = (0.34, 0.25, 0.20, 0.10, 0.03, 0.03, 0.02, 0.02, 0.01)

# Outcome classes of a completed proceeding (index -> name); merits first, then admin.
OUTCOMES: Final = (
    "relief",
    "withholding_ina",
    "withholding_cat",
    "remove",
    "voluntary_departure",
    "terminated",
    "dismissed",
    "withdrawn",
    "change_of_venue",
    "transfer",
    "admin_close",
    "pd_admin_close",
    "in_court_pd",
    "other_admin",
    "failure_to_appear",
    "tps",
)
_N_MERITS: Final = 8
OUTCOME = {name: i for i, name in enumerate(OUTCOMES)}

CITIES: Final = (
    ("BROOKLYN", "NY", "112"),
    ("QUEENS", "NY", "113"),
    ("BRONX", "NY", "104"),
    ("NEW YORK", "NY", "100"),
    ("LOS ANGELES", "CA", "900"),
    ("HOUSTON", "TX", "770"),
    ("MIAMI", "FL", "331"),
    ("CHICAGO", "IL", "606"),
    ("DALLAS", "TX", "752"),
    ("ATLANTA", "GA", "303"),
    ("LAKE WORTH", "FL", "334"),
    ("SAN ANTONIO", "TX", "782"),
    ("SILVER SPRING", "MD", "209"),
    ("NEWARK", "NJ", "071"),
    ("BOSTON", "MA", "021"),
    ("SAN JOSE", "CA", "951"),
    ("PHOENIX", "AZ", "850"),
    ("DENVER", "CO", "802"),
    ("SEATTLE", "WA", "981"),
    ("CHARLOTTE", "NC", "282"),
    ("ORLANDO", "FL", "328"),
    ("LAS VEGAS", "NV", "891"),
    ("OMAHA", "NE", "681"),
    ("NASHVILLE", "TN", "372"),
    ("FALLS CHURCH", "VA", "220"),
    ("HYATTSVILLE", "MD", "207"),
    ("SAN DIEGO", "CA", "921"),
    ("EL PASO", "TX", "799"),
    ("PHILADELPHIA", "PA", "191"),
    ("OAKLAND", "CA", "946"),
    ("SALT LAKE CITY", "UT", "841"),
    ("FORT WORTH", "TX", "761"),
    ("DETROIT", "MI", "482"),
    ("NEW ORLEANS", "LA", "701"),
    ("BALTIMORE", "MD", "212"),
    ("PORTLAND", "OR", "972"),
)
_HEARING_TIMES: Final = ("0830", "0900", "1000", "1100", "1300", "1330", "1400")
APPEAL_TYPES: Final = ("Case Appeal", "Appeal of IJ MTR", "Bond Appeal", "Interlocutory Appeal")
_APPEAL_TYPES_P: Final = (0.80, 0.08, 0.07, 0.05)
_BIA_DECISIONS: Final = ("DIS", "SUS", "REM", "SAF", "OTH", "WDL", "DMO")
_BIA_DECISIONS_P: Final = (0.55, 0.05, 0.12, 0.08, 0.05, 0.05, 0.10)
_PRIORITIES: Final = ("N/A", "UC", "AWC/ATD", "RBC/D", "AWC/D", "CR")
_PRIORITIES_P: Final = (0.93, 0.03, 0.02, 0.01, 0.005, 0.005)


def _sigmoid(x: NDArray) -> NDArray:
    out: NDArray = 1.0 / (1.0 + np.exp(-x))
    return out


def _pick(rng: np.random.Generator, p: tuple[float, ...] | NDArray, n: int) -> NDArray:
    """Indices drawn with probabilities ``p`` (normalised), as int32."""
    probs = np.asarray(p, dtype=np.float64)
    cdf = np.cumsum(probs / probs.sum())
    out: NDArray = np.searchsorted(cdf, rng.random(n), side="right").astype(np.int32)
    return np.minimum(out, len(probs) - 1)


def fiscal_year(days: NDArray) -> NDArray:
    """U.S. federal fiscal year of day numbers: FY N runs 1 Oct N-1 to 30 Sep N."""
    d = days.astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (d.astype("datetime64[M]").astype(np.int64) % 12) + 1
    out: NDArray = year + (month >= 10)
    return out


@dataclass(frozen=True)
class World:
    """What is fixed for a whole release (per seed): codes, courts, judges and their effects."""

    nat_codes: tuple[str, ...]
    nat_p: NDArray
    nat_effect: NDArray
    nat_asylum: NDArray
    nat_lang: tuple[tuple[NDArray, NDArray], ...]  # per nationality: (language idx, probs)
    languages: tuple[str, ...]
    courts: tuple[str, ...]
    court_p: NDArray
    court_effect: NDArray
    court_hloc: tuple[str, ...]
    judges: tuple[str, ...]
    judge_effect: NDArray
    court_judge_start: NDArray
    court_judge_count: NDArray
    judge_order: NDArray  # judge indices sorted by court
    case_types: tuple[str, ...]
    case_type_p: NDArray
    merits_letter: NDArray  # [case type, outcome] -> index into letters
    letters: tuple[str, ...]
    release_day: int


def build_world(ref: Reference, seed: int, release_date: date, knobs: Knobs) -> World:
    """Draw the per-seed structure: judge-to-court assignment and all fixed effects."""
    rng = np.random.default_rng([seed, 0xC0DE])
    profiles = knobs.nationalities
    others = sorted(c for c in ref.nationalities if c not in profiles)
    nat_codes = tuple(profiles) + tuple(others)
    profiled_share = sum(p.share for p in profiles.values())
    nat_p = np.array(
        [p.share / profiled_share * (1 - knobs.other_nationality_share) for p in profiles.values()]
        + [knobs.other_nationality_share / len(others)] * len(others)
    )
    nat_effect = np.array(
        [p.grant_effect for p in profiles.values()] + list(rng.normal(0.3, 0.5, len(others)))
    )
    nat_asylum = 0.85 * np.array([p.asylum_rate for p in profiles.values()] + [0.5] * len(others))
    languages = tuple(
        sorted({lang for p in profiles.values() for lang, _ in p.languages} | {"ENG", "SP"})
    )
    lang_index = {lang: i for i, lang in enumerate(languages)}
    nat_lang = tuple(
        (
            np.array([lang_index[lang] for lang, _ in p.languages]),
            np.array([w for _, w in p.languages]),
        )
        for p in profiles.values()
    ) + tuple(
        (np.array([lang_index["ENG"], lang_index["SP"]]), np.array([0.7, 0.3])) for _ in others
    )

    courts = tuple(c for c in ref.courts if c in ref.hearing_locations)
    sizes = rng.lognormal(0.0, 0.9, len(courts))
    for big in ("NYC", "LOS", "MIA", "HOU", "SFR", "CHI", "ATL", "DAL", "NEW", "ARL", "BOS"):
        if big in courts:
            sizes[courts.index(big)] *= 4.0
    court_p = sizes / sizes.sum()
    court_effect = rng.normal(0.0, knobs.court_effect_sd, len(courts))
    for code, offset in knobs.court_offsets.items():
        if code in courts:
            court_effect[courts.index(code)] = offset

    judges = ref.real_judges
    # Every court gets at least two judges; the rest go to courts by size.
    judge_court = np.concatenate(
        [np.repeat(np.arange(len(courts)), 2), _pick(rng, court_p, len(judges) - 2 * len(courts))]
    )
    judge_court = rng.permutation(judge_court)[: len(judges)]
    order = np.argsort(judge_court, kind="stable")
    counts = np.bincount(judge_court, minlength=len(courts))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    judge_effect = rng.normal(0.0, knobs.judge_effect_sd, len(judges))

    case_types = tuple(knobs.case_type_shares)
    letters = tuple(
        sorted({code for table in MERITS_LETTERS.values() for code, _ in table.values()})
    )
    merits_letter = np.zeros((len(case_types), _N_MERITS), dtype=np.int32)
    for i, ct in enumerate(case_types):
        table = MERITS_LETTERS[ct]
        for j, outcome in enumerate(OUTCOMES[:_N_MERITS]):
            merits_letter[i, j] = letters.index(table[outcome][0])
    return World(
        nat_codes=nat_codes,
        nat_p=nat_p,
        nat_effect=nat_effect,
        nat_asylum=nat_asylum,
        nat_lang=nat_lang,
        languages=languages,
        courts=courts,
        court_p=court_p,
        court_effect=court_effect,
        court_hloc=courts,
        judges=judges,
        judge_effect=judge_effect,
        court_judge_start=starts,
        court_judge_count=counts,
        judge_order=order,
        case_types=case_types,
        case_type_p=np.array([knobs.case_type_shares[c] for c in case_types]),
        merits_letter=merits_letter,
        letters=letters,
        release_day=day_number(release_date.isoformat()),
    )


@dataclass
class IdCursor:
    """The next free primary key of each table, carried from chunk to chunk."""

    case: int
    proceeding: int = 1_500_000
    application: int = 900_000
    reps: int = 4_000_000
    custody: int = 1
    appeal: int = 3_000_000


def _ids(rng: np.random.Generator, start: int, n: int, gap_rate: float) -> NDArray:
    steps = 1 + (rng.random(n) < gap_rate).astype(np.int64)
    out: NDArray = start + np.cumsum(steps) - 1
    return out


def _group_index(counts: NDArray) -> tuple[NDArray, NDArray]:
    """For groups of the given sizes: the group of each item and its index within the group."""
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return owner, np.arange(len(owner)) - first[owner]


@dataclass
class Chunk:
    """One chunk of generated rows: per table, its columns by normalised name."""

    tables: dict[str, Columns]
    rows: dict[str, int]


def generate_chunk(
    world: World, knobs: Knobs, rng: np.random.Generator, ids: IdCursor, n: int
) -> Chunk:
    """Generate ``n`` cases and everything hanging off them; advances ``ids``."""
    rel = world.release_day
    # ---- cases -------------------------------------------------------------------------
    case_id = _ids(rng, ids.case, n, 0.15)
    ids.case = int(case_id[-1]) + 1
    nat = _pick(rng, world.nat_p, n)
    lang = np.zeros(n, dtype=np.int32)
    for ni, (langs, probs) in enumerate(world.nat_lang):
        sel = np.flatnonzero(nat == ni)
        if len(sel):
            lang[sel] = langs[_pick(rng, probs, len(sel))]
    custody = _pick(rng, knobs.custody_shares, n)  # 0 D, 1 R, 2 N
    case_type = _pick(rng, world.case_type_p, n)
    ct_code = np.array(world.case_types)[case_type]
    court = _pick(rng, world.court_p, n)
    fys = np.array(sorted(knobs.receipts_by_fy))
    fy = fys[_pick(rng, np.array([knobs.receipts_by_fy[f] for f in fys]), n)]
    fy_first = {y: day_number(f"{y - 1}-10-01") for y in fys}
    fy_start = np.array([fy_first[y] for y in fys])[np.searchsorted(fys, fy)]
    osc = np.minimum(fy_start + rng.integers(0, 365, n), rel - 3)
    seeker = rng.random(n) < world.nat_asylum[nat]
    seeker |= ct_code == "AOC"
    seeker &= ~np.isin(ct_code, ("CFR", "RFR", "CDR", "REC", "CSR", "NAC"))
    rep_p = np.where(seeker, knobs.represented_rate[0], knobs.represented_rate[1])
    rep_p = np.where(custody == 0, rep_p * knobs.detained_representation_factor, rep_p)
    represented = rng.random(n) < rep_p
    affirmative = seeker & (rng.random(n) < knobs.affirmative_rate)

    # ---- proceedings: timeline -----------------------------------------------------------
    k = _pick(rng, knobs.proceedings_per_case, n) + 1
    pc_case, seq = _group_index(k)
    m = len(pc_case)
    last = seq == k[pc_case] - 1
    mean_last = np.where(seeker[pc_case], 1700.0, 800.0) * np.where(
        custody[pc_case] == 0, 0.25, 1.0
    )
    dur = np.where(last, rng.exponential(mean_last), rng.exponential(150.0, m)) + 20
    gap = rng.integers(1, 40, m)
    step = dur.astype(np.int64) + gap
    cum = np.cumsum(step)
    first_of_case = np.concatenate([[0], np.cumsum(k)[:-1]])
    before = cum - step - (cum - step)[first_of_case][pc_case]
    start = np.minimum(osc[pc_case] + rng.integers(3, 60, m) + before, rel - 2)
    end_raw = start + dur.astype(np.int64)
    completed = ~last | (end_raw < rel)
    end = np.minimum(end_raw, rel - 1)
    # earlier proceedings end in venue change / transfer / a decision later reopened
    prev_kind = _pick(rng, (0.55, 0.35, 0.10), m)  # for non-last: 0 C, 1 T, 2 reopened
    p_court = court[pc_case].copy()
    moved = (seq > 0) & (prev_kind[np.maximum(np.arange(m) - 1, 0)] < 2)
    new_court = _pick(rng, world.court_p, m)
    new_court = np.where(new_court == p_court, (new_court + 1) % len(world.courts), new_court)
    # a case keeps its court until a move; propagate moves forward within the case
    court_seq = np.where(moved, new_court, -1)
    for s in range(1, int(k.max())):
        here = (seq == s) & (court_seq < 0)
        court_seq[here] = court_seq[np.flatnonzero(here) - 1] if here.any() else court_seq[here]
    court_seq = np.where(court_seq < 0, p_court, court_seq)
    p_court = court_seq
    judge_slot = (rng.random(m) * world.court_judge_count[p_court]).astype(np.int64)
    judge = world.judge_order[world.court_judge_start[p_court] + judge_slot]
    no_judge = rng.random(m) < 0.009

    # ---- decisions on the final proceeding ------------------------------------------------
    final = np.flatnonzero(last)  # one per case, in case order
    f_done = completed[final]
    f_fy = fiscal_year(end[final])
    fy_eff = np.array([knobs.fy_effect.get(int(y), 0.0) for y in range(1990, 2031)])
    logit = (
        knobs.intercept
        + fy_eff[np.clip(f_fy - 1990, 0, 40)]
        + world.nat_effect[nat]
        + world.judge_effect[judge[final]]
        + world.court_effect[p_court[final]]
        + np.array(knobs.custody_effect)[custody]
        + knobs.rep_effect * represented
        + knobs.affirmative_effect * affirmative
    )
    p_oth = np.where(represented, knobs.p_other[0], knobs.p_other[1])
    u_other = rng.random(n) < p_oth
    granted = ~u_other & (rng.random(n) < _sigmoid(logit))
    denied = ~u_other & ~granted
    asyl_dec = np.full(n, "", dtype="<U1")
    asyl_dec[granted] = np.array(_GRANT_CODES)[_pick(rng, _GRANT_P, int(granted.sum()))]
    asyl_dec[denied] = "D"
    asyl_dec[u_other] = np.array(_ASYLUM_OTHER_CODES)[
        _pick(rng, _ASYLUM_OTHER_P, int(u_other.sum()))
    ]
    asyw_granted = denied & (rng.random(n) < 0.12)
    wcat_granted = denied & ~asyw_granted & (rng.random(n) < 0.05)
    other_app = rng.random(n) < np.where(seeker, 0.08, 0.25)
    other_app_code = _pick(rng, _OTHER_APPS_P, n)
    other_app_granted = other_app & (rng.random(n) < 0.4)
    other_app_dec = np.where(other_app_granted, "G", np.where(rng.random(n) < 0.6, "D", "W"))

    outcome = np.full(n, OUTCOME["remove"], dtype=np.int32)
    absentia = np.zeros(n, dtype=bool)
    r = rng.random(n)
    # asylum seekers
    outcome[seeker & granted] = OUTCOME["relief"]
    outcome[seeker & asyw_granted] = OUTCOME["withholding_ina"]
    outcome[seeker & wcat_granted] = OUTCOME["withholding_cat"]
    den_plain = seeker & denied & ~asyw_granted & ~wcat_granted
    outcome[den_plain & (r < 0.2)] = OUTCOME["voluntary_departure"]
    abandoned = seeker & u_other & (asyl_dec == "A")
    absentia |= abandoned
    withdrawn = seeker & u_other & (asyl_dec == "W")
    outcome[withdrawn & (r < 0.4)] = OUTCOME["voluntary_departure"]
    outcome[withdrawn & (r >= 0.4) & (r < 0.7)] = OUTCOME["terminated"]
    outcome[seeker & u_other & (asyl_dec == "L")] = OUTCOME["withholding_cat"]
    outcome[seeker & u_other & (asyl_dec == "S")] = OUTCOME["admin_close"]
    oth = seeker & u_other & np.isin(asyl_dec, ("O", "M"))
    outcome[oth] = np.where(r[oth] < 0.5, OUTCOME["other_admin"], OUTCOME["terminated"])
    # everyone else
    non = ~seeker
    outcome[non & other_app_granted] = OUTCOME["relief"]
    rest = non & ~other_app_granted
    pick = _pick(rng, (0.42, 0.10, 0.12, 0.08, 0.03, 0.10, 0.07, 0.03, 0.03, 0.01, 0.01), n)
    rest_outcomes = np.array(
        [
            OUTCOME["remove"],
            OUTCOME["voluntary_departure"],
            OUTCOME["terminated"],
            OUTCOME["dismissed"],
            OUTCOME["withdrawn"],
            OUTCOME["admin_close"],
            OUTCOME["pd_admin_close"],
            OUTCOME["in_court_pd"],
            OUTCOME["other_admin"],
            OUTCOME["failure_to_appear"],
            OUTCOME["tps"],
        ]
    )
    outcome[rest] = rest_outcomes[pick[rest]]
    absentia |= rest & (outcome == OUTCOME["remove"]) & (rng.random(n) < 0.6)

    # ---- proceeding columns ------------------------------------------------------------
    p_outcome = np.full(m, -1, dtype=np.int32)
    nonlast = ~last
    p_outcome[nonlast] = np.where(
        prev_kind[nonlast] == 0,
        OUTCOME["change_of_venue"],
        np.where(prev_kind[nonlast] == 1, OUTCOME["transfer"], OUTCOME["remove"]),
    )
    p_outcome[final] = np.where(f_done, outcome, -1)
    p_absentia = np.zeros(m, dtype=bool)
    p_absentia[final] = absentia
    p_absentia[nonlast & (prev_kind == 2)] = True  # removed in absentia, then reopened
    done = p_outcome >= 0
    merits = done & (p_outcome < _N_MERITS)
    admin = done & ~merits
    ct_p = case_type[pc_case]
    dec_letter = world.merits_letter[ct_p, np.clip(p_outcome, 0, _N_MERITS - 1)]
    admin_codes = tuple(ADMIN_LETTERS[name][0] for name in OUTCOMES[_N_MERITS:])
    admin_idx = np.clip(p_outcome - _N_MERITS, 0, len(admin_codes) - 1)
    proc_id = _ids(rng, ids.proceeding, m, 0.1)
    ids.proceeding = int(proc_id[-1]) + 1
    prev_idx = np.maximum(np.arange(m) - 1, 0)
    was_moved = (
        (seq > 0)
        & (p_outcome[prev_idx] >= 0)
        & np.isin(p_outcome[prev_idx], (OUTCOME["change_of_venue"], OUTCOME["transfer"]))
    )
    next_idx = np.minimum(np.arange(m) + 1, m - 1)
    moves = np.isin(p_outcome, (OUTCOME["change_of_venue"], OUTCOME["transfer"]))
    hearing = start + rng.integers(20, 200, m)
    no_hearing = (hearing >= rel) | (rng.random(m) < 0.03)
    hloc = world.court_hloc
    detained_day = osc - rng.integers(1, 30, n)
    released_day = detained_day + rng.integers(15, 300, n)
    cust_codes = ("D", "R", "N")
    proc: Columns = {
        "idnproceeding": int_text(proc_id),
        "idncase": int_text(case_id[pc_case]),
        "osc_date": date_text(osc[pc_case], rng.random(m) < 0.005),
        "input_date": date_text(start, rng.random(m) < 0.03),
        "base_city_code": code_text(world.courts, p_court),
        "hearing_loc_code": code_text(hloc, p_court),
        "ij_code": code_text(world.judges, judge, no_judge),
        "trans_in_date": date_text(start, ~was_moved),
        "prev_hearing_loc": code_text(hloc, p_court[prev_idx], ~was_moved),
        "prev_hearing_base": code_text(world.courts, p_court[prev_idx], ~was_moved),
        "prev_ij_code": code_text(world.judges, judge[prev_idx], ~was_moved),
        "trans_nbr": code_text(
            ("00", "01", "02", "03"), np.minimum(seq, 3), (seq == 0) & (rng.random(m) < 0.6)
        ),
        "hearing_date": date_text(hearing, no_hearing),
        "hearing_time": code_text(
            _HEARING_TIMES, rng.integers(0, len(_HEARING_TIMES), m), no_hearing
        ),
        "dec_type": code_text(("O", "W"), (rng.random(m) < 0.3).astype(np.int32), ~merits),
        "dec_code": code_text(world.letters, dec_letter, ~merits),
        "deported_1": code_text(
            world.nat_codes, nat[pc_case], ~(merits & (p_outcome == OUTCOME["remove"]))
        ),
        "other_comp": code_text(admin_codes, admin_idx, ~admin),
        "appeal_rsvd": code_text(
            ("A", "I", "B", "N"),
            _pick(rng, (0.3, 0.06, 0.04, 0.6), m),
            ~merits | (rng.random(m) < 0.5),
        ),
        "comp_date": date_text(end, ~done),
        "absentia": code_text(("N", "Y"), p_absentia.astype(np.int32), ~done),
        "venue_chg_granted": date_text(end, p_outcome != OUTCOME["change_of_venue"]),
        "transfer_to": code_text(hloc, p_court[next_idx], ~moves),
        "date_appeal_due_status": date_text(end + 30, ~merits),
        "transfer_status": code_text(
            ("V", "T"), (p_outcome[prev_idx] == OUTCOME["transfer"]).astype(np.int32), ~was_moved
        ),
        "custody": code_text(cust_codes, custody[pc_case]),
        "case_type": code_text(world.case_types, ct_p),
        "nat": code_text(world.nat_codes, nat[pc_case], rng.random(m) < 0.003),
        "lang": code_text(world.languages, lang[pc_case], rng.random(m) < 0.001),
        "scheduled_hear_loc": code_text(hloc, p_court, rng.random(m) < 0.74),
        "crim_ind": code_text(
            ("N", "Y"), (rng.random(m) < 0.03).astype(np.int32), rng.random(m) < 0.025
        ),
        "aggravate_felon": code_text(
            ("0", "1"), (rng.random(m) < 0.02).astype(np.int32), rng.random(m) < 0.26
        ),
        "date_detained": date_text(detained_day[pc_case], custody[pc_case] == 2),
        "date_released": date_text(released_day[pc_case], custody[pc_case] != 1),
    }

    # ---- applications on the final proceeding ----------------------------------------------
    has_asyw = seeker & (rng.random(n) < 0.85)
    has_wcat = seeker & (rng.random(n) < 0.70)
    n_apps = seeker.astype(np.int64) + has_asyw + has_wcat + other_app
    a_case, a_pos = _group_index(n_apps)
    # position order within a case: ASYL, ASYW, WCAT, other
    slot_kinds = np.stack([seeker, has_asyw, has_wcat, other_app], axis=1)
    kind_of = np.zeros(len(a_case), dtype=np.int32)
    ranks = np.cumsum(slot_kinds, axis=1) - 1
    for s in range(4):
        sel = slot_kinds[a_case, s] & (ranks[a_case, s] == a_pos)
        kind_of[sel] = s
    asyw_dec = np.where(
        granted,
        np.where(rng.random(n) < 0.6, "M", "O"),
        np.where(asyw_granted, "G", np.where(denied, "D", asyl_dec)),
    )
    wcat_dec = np.where(
        granted | asyw_granted,
        np.where(rng.random(n) < 0.6, "M", "O"),
        np.where(wcat_granted, "G", np.where(denied, "D", asyl_dec)),
    )
    dec_by_kind = np.stack([asyl_dec, asyw_dec, wcat_dec, other_app_dec], axis=1)
    app_dec = dec_by_kind[a_case, kind_of]
    codes = ["ASYL", "ASYW", "WCAT", *_OTHER_APPS]
    app_code = np.where(kind_of < 3, kind_of, 3 + other_app_code[a_case])
    a_proc = final[a_case]
    pending_app = ~completed[a_proc]
    dec_codes = ("", *sorted(set(_GRANT_CODES) | set(_ASYLUM_OTHER_CODES) | {"D"}))
    app_dec_idx = np.searchsorted(np.array(dec_codes), app_dec.astype("<U1")).astype(np.int32)
    recd = start[a_proc] + (
        rng.random(len(a_case)) * np.maximum(end[a_proc] - start[a_proc], 1) * 0.6
    ).astype(np.int64)
    app_id = _ids(rng, ids.application, len(a_case), 0.05)
    ids.application = int(app_id[-1]) + 1 if len(app_id) else ids.application
    apps: Columns = {
        "idnproceedingappln": int_text(app_id),
        "idnproceeding": int_text(proc_id[a_proc]),
        "idncase": int_text(case_id[a_case]),
        "appl_code": code_text(codes, app_code),
        "appl_recd_date": date_text(recd),
        "appl_dec": code_text(dec_codes, app_dec_idx, pending_app | (app_dec_idx == 0)),
    }

    # ---- case columns ------------------------------------------------------------------
    e28 = osc + rng.integers(10, 400, n)
    e28 = np.minimum(e28, rel - 1)
    city = rng.integers(0, len(CITIES), n)
    no_addr = rng.random(n) < 0.03
    zips = np.array([c[2] for c in CITIES])[city]
    zip_text = np.char.add(zips.astype(str), np.char.zfill(rng.integers(0, 100, n).astype(str), 2))
    latest = np.where(completed[final], end[final], np.minimum(hearing[final], rel - 1))
    birth = np.char.add(
        np.char.add(rng.integers(1, 13, n).astype(str), "/"),
        (fy - rng.integers(1, 60, n)).astype(str),
    )
    sex_empty = rng.random(n) < 0.45
    entry = osc - rng.integers(30, 4000, n)
    asy_type = np.where(affirmative, 1, 0)
    asy_type = np.where(rng.random(n) < 0.01, 2, asy_type)
    cases: Columns = {
        "idncase": int_text(case_id),
        "alien_city": code_text([c[0] for c in CITIES], city, no_addr),
        "alien_state": code_text([c[1] for c in CITIES], city, no_addr),
        "alien_zipcode": pa.array(zip_text, mask=no_addr & (rng.random(n) < 0.5), type=pa.string()),
        "updated_zipcode": pa.array(zip_text, mask=rng.random(n) > 0.001, type=pa.string()),
        "nat": code_text(world.nat_codes, nat, rng.random(n) < 0.01),
        "lang": code_text(world.languages, lang, rng.random(n) < 0.012),
        "custody": code_text(cust_codes, custody, rng.random(n) < 0.01),
        "site_type": code_text(
            ("M", "P"), (rng.random(n) < 0.3).astype(np.int32), rng.random(n) < 0.51
        ),
        "e_28_date": date_text(e28, ~represented),
        "atty_nbr": const_text("01", n, ~represented & (rng.random(n) < 0.8)),
        "case_type": code_text(world.case_types, case_type),
        "update_site": code_text(world.courts, p_court[final], rng.random(n) < 0.01),
        "latest_hearing": date_text(latest, no_hearing[final]),
        "latest_time": code_text(
            _HEARING_TIMES, rng.integers(0, len(_HEARING_TIMES), n), no_hearing[final]
        ),
        "latest_cal_type": code_text(
            ("I", "M"), (rng.random(n) < 0.6).astype(np.int32), no_hearing[final]
        ),
        "date_of_entry": date_text(entry, rng.random(n) < 0.38),
        "c_asy_type": code_text(("E", "I", "J"), asy_type, ~seeker),
        "c_birthdate": pa.array(birth, mask=rng.random(n) < 0.5, type=pa.string()),
        "address_changedon": date_text(
            np.minimum(osc + rng.integers(30, 2000, n), rel - 1), rng.random(n) < 0.63
        ),
        "sex": code_text(("F", "M"), (rng.random(n) < 0.6).astype(np.int32), sex_empty),
        "date_detained": date_text(detained_day, custody == 2),
        "date_released": date_text(released_day, custody != 1),
        "lpr": const_text("0", n, rng.random(n) < 0.92),
        "casepriority_code": code_text(_PRIORITIES, _pick(rng, _PRIORITIES_P, n)),
    }

    # ---- appeals -------------------------------------------------------------------------
    merits_final = f_done & (outcome < _N_MERITS) & ~absentia
    p_app = np.where(seeker & denied, knobs.appeal_rate[0], knobs.appeal_rate[1])
    appealed = merits_final & (rng.random(n) < p_app)
    ap_case = np.flatnonzero(appealed)
    second = ap_case[rng.random(len(ap_case)) < 0.1]
    ap_case = np.sort(np.concatenate([ap_case, second]))
    na = len(ap_case)
    ap_id = _ids(rng, ids.appeal, na, 0.2)
    ids.appeal = int(ap_id[-1]) + 1 if na else ids.appeal
    filed = end[final][ap_case] + rng.integers(10, 31, na)
    filed = np.minimum(filed, rel - 1)
    bia_day = filed + rng.integers(90, 700, na)
    bia_pending = bia_day >= rel
    dd = rng.random(na) < 0.05
    appeals: Columns = {
        "idnappeal": int_text(ap_id),
        "idncase": int_text(case_id[ap_case]),
        "idnproceeding": int_text(proc_id[final][ap_case], dd),
        "strappealcategory": code_text(("IJ", "DD"), dd.astype(np.int32)),
        "strappealtype": code_text(APPEAL_TYPES, _pick(rng, _APPEAL_TYPES_P, na)),
        "datappealfiled": date_text(filed),
        "strfiledby": code_text(("A", "I"), (rng.random(na) < 0.1).astype(np.int32)),
        "datattorneye27": date_text(filed + 5, ~represented[ap_case]),
        "datbiadecision": date_text(np.minimum(bia_day, rel - 1), bia_pending),
        "strbiadecision": code_text(_BIA_DECISIONS, _pick(rng, _BIA_DECISIONS_P, na), bia_pending),
        "strbiadecisiontype": code_text(
            ("R", "P"), (rng.random(na) < 0.3).astype(np.int32), bia_pending
        ),
        "strcasetype": code_text(world.case_types, case_type[ap_case]),
        "strlang": code_text(world.languages, lang[ap_case]),
        "strnat": code_text(world.nat_codes, nat[ap_case]),
        "strcustody": code_text(cust_codes, custody[ap_case]),
        "strprobono": const_text("Y", na, rng.random(na) > 0.002),
    }

    # ---- representatives -------------------------------------------------------------------
    n_alien = represented * (1 + rng.poisson(0.6, n))
    al_case, al_pos = _group_index(n_alien)
    al_e28 = np.where(al_pos == 0, e28[al_case], e28[al_case] - rng.integers(30, 400, len(al_case)))
    ins_sel = np.flatnonzero(rng.random(m) < 0.88)
    bd_alien = np.flatnonzero(represented[ap_case] & (rng.random(na) < 0.85))
    bd_ins = np.flatnonzero(rng.random(na) < 0.9)
    parts = [
        # (case idx, level, type, parent table, parent idn, base city, ins_ta, e27, e28, prime)
        (
            al_case,
            0,
            0,
            0,
            case_id[al_case],
            p_court[final][al_case],
            None,
            None,
            al_e28,
            al_pos == 0,
        ),
        (
            pc_case[ins_sel],
            0,
            1,
            1,
            proc_id[ins_sel],
            p_court[ins_sel],
            start[ins_sel] + 10,
            None,
            None,
            rng.random(len(ins_sel)) < 0.5,
        ),
        (
            ap_case[bd_alien],
            1,
            0,
            2,
            ap_id[bd_alien],
            None,
            None,
            filed[bd_alien] + 5,
            None,
            np.ones(len(bd_alien), bool),
        ),
        (
            ap_case[bd_ins],
            1,
            1,
            2,
            ap_id[bd_ins],
            None,
            filed[bd_ins] + 20,
            None,
            None,
            np.zeros(len(bd_ins), bool),
        ),
    ]
    r_case = np.concatenate([p[0] for p in parts])
    order = np.argsort(r_case, kind="stable")
    nr = len(r_case)

    def cat(i: int, fill: int = 0) -> NDArray:
        return np.concatenate(
            [
                np.full(len(p[0]), fill)
                if p[i] is None
                else np.broadcast_to(np.asarray(p[i]), (len(p[0]),))
                for p in parts
            ]
        )[order]

    def has(i: int) -> NDArray:
        return np.concatenate(
            [
                np.ones(len(p[0]), bool) if p[i] is not None else np.zeros(len(p[0]), bool)
                for p in parts
            ]
        )[order]

    rep_id = _ids(rng, ids.reps, nr, 0.1)
    ids.reps = int(rep_id[-1]) + 1 if nr else ids.reps
    reps: Columns = {
        "idnrepsassigned": int_text(rep_id),
        "idncase": int_text(case_id[r_case[order]]),
        "strattylevel": code_text(("COURT", "BOARD"), cat(1)),
        "strattytype": code_text(("ALIEN", "INS"), cat(2)),
        "parent_table": code_text(("A_TblCase", "B_TblProceeding", "tblAppeal"), cat(3)),
        "parent_idn": int_text(cat(4)),
        "base_city_code": code_text(world.courts, cat(5), ~has(5)),
        "ins_ta_date_assigned": date_text(cat(6), ~has(6)),
        "e_27_date": date_text(cat(7), ~has(7)),
        "e_28_date": date_text(cat(8), ~has(8)),
        "blnprimeatty": code_text(("0", "1"), cat(9).astype(np.int32)),
    }

    # ---- custody history ---------------------------------------------------------------------
    n_cust = np.where(
        custody == 2,
        (rng.random(n) < 0.45).astype(np.int64),
        np.where(custody == 1, 2, 1 + (rng.random(n) < 0.3)),
    )
    ch_case, ch_pos = _group_index(n_cust)
    ch_status = np.where(
        custody[ch_case] == 2, 2, np.where((custody[ch_case] == 1) & (ch_pos == 1), 1, 0)
    )
    ch_id = _ids(rng, ids.custody, len(ch_case), 0.3)
    ids.custody = int(ch_id[-1]) + 1 if len(ch_case) else ids.custody
    custody_rows: Columns = {
        "idncustody": int_text(ch_id),
        "idncase": int_text(case_id[ch_case]),
        "custody": code_text(cust_codes, ch_status),
        "datdetained": date_text(detained_day[ch_case] + 7 * ch_pos, ch_status == 2),
        "datreleased": date_text(released_day[ch_case], ch_status != 1),
    }
    tables = {
        "A_TblCase": cases,
        "B_TblProceeding": proc,
        "tbl_Court_Appln": apps,
        "tbl_RepsAssigned": reps,
        "tbl_CustodyHistory": custody_rows,
        "tblAppeal": appeals,
    }
    rows = {
        "A_TblCase": n,
        "B_TblProceeding": m,
        "tbl_Court_Appln": len(a_case),
        "tbl_RepsAssigned": nr,
        "tbl_CustodyHistory": len(ch_case),
        "tblAppeal": na,
    }
    return Chunk(tables=tables, rows=rows)


EXPECTED_ROWS_PER_CASE: Final[dict[str, float]] = {
    "A_TblCase": 1.0,
    "B_TblProceeding": 1.31,
    "tbl_Court_Appln": 1.27,
    "tbl_RepsAssigned": 2.07,
    "tbl_CustodyHistory": 0.79,
    "tblAppeal": 0.12,
}
"""Rows per case the model aims at (2026-07 release ratios); used to size fault counts."""
