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
from asylumlens.synth.knobs import DEFAULT_KNOBS, DecisionKnobs, Knobs
from asylumlens.synth.reference import ADMIN_LETTERS, MERITS_LETTERS, Reference

Columns = dict[str, pa.Array]


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
APPEAL_TYPES: Final = tuple(DEFAULT_KNOBS.appeals.type_shares)
"""STRAPPEALTYPE values the default model writes (shares in ``knobs.appeals``)."""


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
    wk = knobs.world
    nat_effect = np.array(
        [p.grant_effect for p in profiles.values()]
        + list(rng.normal(*wk.other_nationality_effect, len(others)))
    )
    nat_asylum = wk.asylum_rate_factor * np.array(
        [p.asylum_rate for p in profiles.values()]
        + [wk.other_nationality_asylum_rate] * len(others)
    )
    other_langs = wk.other_nationality_languages
    languages = tuple(
        sorted(
            {lang for p in profiles.values() for lang, _ in p.languages}
            | {lang for lang, _ in other_langs}
        )
    )
    lang_index = {lang: i for i, lang in enumerate(languages)}
    nat_lang = tuple(
        (
            np.array([lang_index[lang] for lang, _ in p.languages]),
            np.array([w for _, w in p.languages]),
        )
        for p in profiles.values()
    ) + tuple(
        (
            np.array([lang_index[lang] for lang, _ in other_langs]),
            np.array([w for _, w in other_langs]),
        )
        for _ in others
    )

    courts = tuple(c for c in ref.courts if c in ref.hearing_locations)
    sizes = rng.lognormal(0.0, wk.court_size_sd, len(courts))
    for big in wk.big_courts:
        if big in courts:
            sizes[courts.index(big)] *= wk.big_court_factor
    court_p = sizes / sizes.sum()
    court_effect = rng.normal(0.0, knobs.court_effect_sd, len(courts))
    for code, offset in knobs.court_offsets.items():
        if code in courts:
            court_effect[courts.index(code)] = offset

    judges = ref.real_judges
    # Every court gets at least a few judges; the rest go to courts by size.
    least = wk.judges_per_court_min
    judge_court = np.concatenate(
        [
            np.repeat(np.arange(len(courts)), least),
            _pick(rng, court_p, len(judges) - least * len(courts)),
        ]
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


@dataclass(frozen=True)
class _Cases:
    """Per-case draws every table depends on (one entry per case, in case order)."""

    case_id: NDArray
    nat: NDArray
    lang: NDArray
    custody: NDArray  # 0 D, 1 R, 2 N
    case_type: NDArray
    court: NDArray
    fy: NDArray  # fiscal year of receipt
    osc: NDArray  # day of the charging document
    seeker: NDArray  # applies for asylum
    represented: NDArray
    affirmative: NDArray


@dataclass(frozen=True)
class _Timeline:
    """The proceedings of every case (one entry per proceeding, grouped by case)."""

    pc_case: NDArray  # case index of each proceeding
    seq: NDArray  # position within its case
    last: NDArray  # is the case's last proceeding
    start: NDArray
    end: NDArray
    completed: NDArray
    prev_kind: NDArray  # how a non-last proceeding ended: 0 venue change, 1 transfer, 2 reopened
    court: NDArray
    judge: NDArray
    no_judge: NDArray

    @property
    def final(self) -> NDArray:
        """Index of each case's last proceeding, in case order."""
        out: NDArray = np.flatnonzero(self.last)
        return out


@dataclass(frozen=True)
class _Decisions:
    """The decisions on each case's final proceeding (one entry per case)."""

    granted: NDArray
    denied: NDArray
    u_other: NDArray  # asylum decided 'other'
    asyl_dec: NDArray  # APPL_DEC of the asylum application
    asyw_granted: NDArray
    wcat_granted: NDArray
    other_app: NDArray
    other_app_code: NDArray
    other_app_dec: NDArray
    outcome: NDArray  # index into OUTCOMES
    absentia: NDArray


@dataclass(frozen=True)
class _Proceedings:
    """B_TblProceeding's columns and the values later tables reuse."""

    columns: Columns
    proc_id: NDArray
    hearing: NDArray
    no_hearing: NDArray
    detained_day: NDArray  # per case
    released_day: NDArray  # per case


@dataclass(frozen=True)
class _Appeals:
    """tblAppeal's columns and the values the representatives table reuses."""

    columns: Columns
    ap_case: NDArray
    ap_id: NDArray
    filed: NDArray


_CUSTODY_CODES: Final = ("D", "R", "N")


def _draw_cases(
    world: World, knobs: Knobs, rng: np.random.Generator, ids: IdCursor, n: int
) -> _Cases:
    """Who each case is: keys, nationality, language, custody, type, court, receipt date,
    whether the respondent seeks asylum and has a lawyer."""
    rel = world.release_day
    case_id = _ids(rng, ids.case, n, knobs.key_gaps.case)
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
    seeker |= np.isin(ct_code, knobs.timeline.always_seeking_case_types)
    seeker &= ~np.isin(ct_code, knobs.timeline.never_seeking_case_types)
    rep_p = np.where(seeker, knobs.represented_rate[0], knobs.represented_rate[1])
    rep_p = np.where(custody == 0, rep_p * knobs.detained_representation_factor, rep_p)
    represented = rng.random(n) < rep_p
    affirmative = seeker & (rng.random(n) < knobs.affirmative_rate)
    return _Cases(
        case_id, nat, lang, custody, case_type, court, fy, osc, seeker, represented, affirmative
    )


def _draw_timeline(
    world: World, knobs: Knobs, rng: np.random.Generator, cases: _Cases
) -> _Timeline:
    """Each case's proceedings: how many, when each starts and ends, where, before whom.

    Earlier proceedings end in a venue change, a transfer or a decision later reopened;
    a case keeps its court until a move.
    """
    tk, rel = knobs.timeline, world.release_day
    k = _pick(rng, knobs.proceedings_per_case, len(cases.case_id)) + 1
    pc_case, seq = _group_index(k)
    m = len(pc_case)
    last = seq == k[pc_case] - 1
    mean_last = np.where(cases.seeker[pc_case], *tk.final_mean_days) * np.where(
        cases.custody[pc_case] == 0, tk.detained_duration_factor, 1.0
    )
    dur = (
        np.where(last, rng.exponential(mean_last), rng.exponential(tk.earlier_mean_days, m))
        + tk.min_days
    )
    gap = rng.integers(*tk.gap_days, m)
    step = dur.astype(np.int64) + gap
    cum = np.cumsum(step)
    first_of_case = np.concatenate([[0], np.cumsum(k)[:-1]])
    before = cum - step - (cum - step)[first_of_case][pc_case]
    start = np.minimum(cases.osc[pc_case] + rng.integers(*tk.first_start_days, m) + before, rel - 2)
    end_raw = start + dur.astype(np.int64)
    completed = ~last | (end_raw < rel)
    end = np.minimum(end_raw, rel - 1)
    prev_kind = _pick(rng, tk.earlier_end_shares, m)  # for non-last: 0 C, 1 T, 2 reopened
    p_court = cases.court[pc_case].copy()
    moved = (seq > 0) & (prev_kind[np.maximum(np.arange(m) - 1, 0)] < 2)
    new_court = _pick(rng, world.court_p, m)
    new_court = np.where(new_court == p_court, (new_court + 1) % len(world.courts), new_court)
    # a case keeps its court until a move; propagate moves forward within the case
    court_seq = np.where(moved, new_court, -1)
    for s in range(1, int(k.max())):
        here = (seq == s) & (court_seq < 0)
        court_seq[here] = court_seq[np.flatnonzero(here) - 1] if here.any() else court_seq[here]
    p_court = np.where(court_seq < 0, p_court, court_seq)
    judge_slot = (rng.random(m) * world.court_judge_count[p_court]).astype(np.int64)
    judge = world.judge_order[world.court_judge_start[p_court] + judge_slot]
    no_judge = rng.random(m) < tk.no_judge_rate
    return _Timeline(pc_case, seq, last, start, end, completed, prev_kind, p_court, judge, no_judge)


def _draw_decisions(
    world: World, knobs: Knobs, rng: np.random.Generator, cases: _Cases, tl: _Timeline
) -> _Decisions:
    """The asylum, withholding and other decisions on each final proceeding (the grant
    model of :mod:`.knobs`), then the completion outcome they lead to."""
    dk, n = knobs.decisions, len(cases.case_id)
    final = tl.final
    f_fy = fiscal_year(tl.end[final])
    fy_eff = np.array([knobs.fy_effect.get(int(y), 0.0) for y in range(1990, 2031)])
    logit = (
        knobs.intercept
        + fy_eff[np.clip(f_fy - 1990, 0, 40)]
        + world.nat_effect[cases.nat]
        + world.judge_effect[tl.judge[final]]
        + world.court_effect[tl.court[final]]
        + np.array(knobs.custody_effect)[cases.custody]
        + knobs.rep_effect * cases.represented
        + knobs.affirmative_effect * cases.affirmative
    )
    p_oth = np.where(cases.represented, knobs.p_other[0], knobs.p_other[1])
    u_other = rng.random(n) < p_oth
    granted = ~u_other & (rng.random(n) < _sigmoid(logit))
    denied = ~u_other & ~granted
    asyl_dec = np.full(n, "", dtype="<U1")
    asyl_dec[granted] = np.array(tuple(dk.grant_shares))[
        _pick(rng, tuple(dk.grant_shares.values()), int(granted.sum()))
    ]
    asyl_dec[denied] = "D"
    asyl_dec[u_other] = np.array(tuple(dk.other_shares))[
        _pick(rng, tuple(dk.other_shares.values()), int(u_other.sum()))
    ]
    asyw_granted = denied & (rng.random(n) < dk.withholding_ina_grant_rate)
    wcat_granted = denied & ~asyw_granted & (rng.random(n) < dk.withholding_cat_grant_rate)
    other_app = rng.random(n) < np.where(cases.seeker, *dk.other_application_rate)
    other_app_code = _pick(rng, tuple(dk.other_application_shares.values()), n)
    other_app_granted = other_app & (rng.random(n) < dk.other_application_grant_rate)
    other_app_dec = np.where(
        other_app_granted,
        "G",
        np.where(rng.random(n) < dk.other_application_denial_rate, "D", "W"),
    )
    outcome, absentia = _final_outcomes(
        dk, rng, cases.seeker, granted, denied, u_other, asyl_dec, asyw_granted, wcat_granted,
        other_app_granted,
    )  # fmt: skip
    return _Decisions(
        granted, denied, u_other, asyl_dec, asyw_granted, wcat_granted, other_app,
        other_app_code, other_app_dec, outcome, absentia,
    )  # fmt: skip


def _final_outcomes(
    dk: DecisionKnobs,
    rng: np.random.Generator,
    seeker: NDArray,
    granted: NDArray,
    denied: NDArray,
    u_other: NDArray,
    asyl_dec: NDArray,
    asyw_granted: NDArray,
    wcat_granted: NDArray,
    other_app_granted: NDArray,
) -> tuple[NDArray, NDArray]:
    """The completion outcome (index into :data:`OUTCOMES`) and in-absentia flag of each
    case's final proceeding, from its application decisions."""
    n = len(seeker)
    outcome = np.full(n, OUTCOME["remove"], dtype=np.int32)
    absentia = np.zeros(n, dtype=bool)
    r = rng.random(n)
    # asylum seekers
    outcome[seeker & granted] = OUTCOME["relief"]
    outcome[seeker & asyw_granted] = OUTCOME["withholding_ina"]
    outcome[seeker & wcat_granted] = OUTCOME["withholding_cat"]
    den_plain = seeker & denied & ~asyw_granted & ~wcat_granted
    outcome[den_plain & (r < dk.denied_voluntary_departure_rate)] = OUTCOME["voluntary_departure"]
    abandoned = seeker & u_other & (asyl_dec == "A")
    absentia |= abandoned
    withdrawn = seeker & u_other & (asyl_dec == "W")
    vd_cut, terminated_cut = dk.withdrawn_cuts
    outcome[withdrawn & (r < vd_cut)] = OUTCOME["voluntary_departure"]
    outcome[withdrawn & (r >= vd_cut) & (r < terminated_cut)] = OUTCOME["terminated"]
    outcome[seeker & u_other & (asyl_dec == "L")] = OUTCOME["withholding_cat"]
    outcome[seeker & u_other & (asyl_dec == "S")] = OUTCOME["admin_close"]
    oth = seeker & u_other & np.isin(asyl_dec, ("O", "M"))
    outcome[oth] = np.where(
        r[oth] < dk.other_admin_rate, OUTCOME["other_admin"], OUTCOME["terminated"]
    )
    # everyone else
    non = ~seeker
    outcome[non & other_app_granted] = OUTCOME["relief"]
    rest = non & ~other_app_granted
    pick = _pick(rng, tuple(dk.non_seeker_outcome_shares.values()), n)
    rest_outcomes = np.array([OUTCOME[name] for name in dk.non_seeker_outcome_shares])
    outcome[rest] = rest_outcomes[pick[rest]]
    absentia |= (
        rest & (outcome == OUTCOME["remove"]) & (rng.random(n) < dk.removal_in_absentia_rate)
    )
    return outcome, absentia


def _proceeding_columns(
    world: World,
    knobs: Knobs,
    rng: np.random.Generator,
    ids: IdCursor,
    cases: _Cases,
    tl: _Timeline,
    dec: _Decisions,
) -> _Proceedings:
    """B_TblProceeding: one row per proceeding, its decision coded by case type."""
    pk, rel = knobs.proceedings, world.release_day
    m, n = len(tl.pc_case), len(cases.case_id)
    pc_case, seq, p_court, final = tl.pc_case, tl.seq, tl.court, tl.final
    f_done = tl.completed[final]
    p_outcome = np.full(m, -1, dtype=np.int32)
    nonlast = ~tl.last
    p_outcome[nonlast] = np.where(
        tl.prev_kind[nonlast] == 0,
        OUTCOME["change_of_venue"],
        np.where(tl.prev_kind[nonlast] == 1, OUTCOME["transfer"], OUTCOME["remove"]),
    )
    p_outcome[final] = np.where(f_done, dec.outcome, -1)
    p_absentia = np.zeros(m, dtype=bool)
    p_absentia[final] = dec.absentia
    p_absentia[nonlast & (tl.prev_kind == 2)] = True  # removed in absentia, then reopened
    done = p_outcome >= 0
    merits = done & (p_outcome < _N_MERITS)
    admin = done & ~merits
    ct_p = cases.case_type[pc_case]
    dec_letter = world.merits_letter[ct_p, np.clip(p_outcome, 0, _N_MERITS - 1)]
    admin_codes = tuple(ADMIN_LETTERS[name][0] for name in OUTCOMES[_N_MERITS:])
    admin_idx = np.clip(p_outcome - _N_MERITS, 0, len(admin_codes) - 1)
    proc_id = _ids(rng, ids.proceeding, m, knobs.key_gaps.proceeding)
    ids.proceeding = int(proc_id[-1]) + 1
    prev_idx = np.maximum(np.arange(m) - 1, 0)
    was_moved = (
        (seq > 0)
        & (p_outcome[prev_idx] >= 0)
        & np.isin(p_outcome[prev_idx], (OUTCOME["change_of_venue"], OUTCOME["transfer"]))
    )
    next_idx = np.minimum(np.arange(m) + 1, m - 1)
    moves = np.isin(p_outcome, (OUTCOME["change_of_venue"], OUTCOME["transfer"]))
    start, end = tl.start, tl.end
    hearing = start + rng.integers(*pk.hearing_days, m)
    no_hearing = (hearing >= rel) | (rng.random(m) < pk.no_hearing_rate)
    hloc = world.court_hloc
    detained_day = cases.osc - rng.integers(*pk.detained_before_osc_days, n)
    released_day = detained_day + rng.integers(*pk.detention_days, n)
    nat, custody = cases.nat[pc_case], cases.custody[pc_case]
    columns: Columns = {
        "idnproceeding": int_text(proc_id),
        "idncase": int_text(cases.case_id[pc_case]),
        "osc_date": date_text(cases.osc[pc_case], rng.random(m) < pk.osc_date_blank_rate),
        "input_date": date_text(start, rng.random(m) < pk.input_date_blank_rate),
        "base_city_code": code_text(world.courts, p_court),
        "hearing_loc_code": code_text(hloc, p_court),
        "ij_code": code_text(world.judges, tl.judge, tl.no_judge),
        "trans_in_date": date_text(start, ~was_moved),
        "prev_hearing_loc": code_text(hloc, p_court[prev_idx], ~was_moved),
        "prev_hearing_base": code_text(world.courts, p_court[prev_idx], ~was_moved),
        "prev_ij_code": code_text(world.judges, tl.judge[prev_idx], ~was_moved),
        "trans_nbr": code_text(
            ("00", "01", "02", "03"),
            np.minimum(seq, 3),
            (seq == 0) & (rng.random(m) < pk.first_trans_nbr_blank_rate),
        ),
        "hearing_date": date_text(hearing, no_hearing),
        "hearing_time": code_text(
            _HEARING_TIMES, rng.integers(0, len(_HEARING_TIMES), m), no_hearing
        ),
        "dec_type": code_text(
            ("O", "W"), (rng.random(m) < pk.written_decision_rate).astype(np.int32), ~merits
        ),
        "dec_code": code_text(world.letters, dec_letter, ~merits),
        "deported_1": code_text(world.nat_codes, nat, ~(merits & (p_outcome == OUTCOME["remove"]))),
        "other_comp": code_text(admin_codes, admin_idx, ~admin),
        "appeal_rsvd": code_text(
            ("A", "I", "B", "N"),
            _pick(rng, pk.appeal_reserved_shares, m),
            ~merits | (rng.random(m) < pk.appeal_reserved_blank_rate),
        ),
        "comp_date": date_text(end, ~done),
        "absentia": code_text(("N", "Y"), p_absentia.astype(np.int32), ~done),
        "venue_chg_granted": date_text(end, p_outcome != OUTCOME["change_of_venue"]),
        "transfer_to": code_text(hloc, p_court[next_idx], ~moves),
        "date_appeal_due_status": date_text(end + 30, ~merits),
        "transfer_status": code_text(
            ("V", "T"), (p_outcome[prev_idx] == OUTCOME["transfer"]).astype(np.int32), ~was_moved
        ),
        "custody": code_text(_CUSTODY_CODES, custody),
        "case_type": code_text(world.case_types, ct_p),
        "nat": code_text(world.nat_codes, nat, rng.random(m) < pk.nat_blank_rate),
        "lang": code_text(world.languages, cases.lang[pc_case], rng.random(m) < pk.lang_blank_rate),
        "scheduled_hear_loc": code_text(
            hloc, p_court, rng.random(m) < pk.scheduled_hear_loc_blank_rate
        ),
        "crim_ind": code_text(
            ("N", "Y"),
            (rng.random(m) < pk.criminal_rate).astype(np.int32),
            rng.random(m) < pk.criminal_blank_rate,
        ),
        "aggravate_felon": code_text(
            ("0", "1"),
            (rng.random(m) < pk.aggravated_felon_rate).astype(np.int32),
            rng.random(m) < pk.aggravated_felon_blank_rate,
        ),
        "date_detained": date_text(detained_day[pc_case], custody == 2),
        "date_released": date_text(released_day[pc_case], custody != 1),
    }
    return _Proceedings(columns, proc_id, hearing, no_hearing, detained_day, released_day)


def _application_columns(
    knobs: Knobs,
    rng: np.random.Generator,
    ids: IdCursor,
    cases: _Cases,
    tl: _Timeline,
    dec: _Decisions,
    proc_id: NDArray,
) -> Columns:
    """tbl_Court_Appln: a seeker's ASYL, ASYW and WCAT, then any other application, all on
    the final proceeding."""
    ak, dk, n = knobs.applications, knobs.decisions, len(cases.case_id)
    seeker, granted, asyw_granted = cases.seeker, dec.granted, dec.asyw_granted
    denied, asyl_dec = dec.denied, dec.asyl_dec
    has_asyw = seeker & (rng.random(n) < ak.withholding_ina_rate)
    has_wcat = seeker & (rng.random(n) < ak.withholding_cat_rate)
    n_apps = seeker.astype(np.int64) + has_asyw + has_wcat + dec.other_app
    a_case, a_pos = _group_index(n_apps)
    # position order within a case: ASYL, ASYW, WCAT, other
    slot_kinds = np.stack([seeker, has_asyw, has_wcat, dec.other_app], axis=1)
    kind_of = np.zeros(len(a_case), dtype=np.int32)
    ranks = np.cumsum(slot_kinds, axis=1) - 1
    for s in range(4):
        sel = slot_kinds[a_case, s] & (ranks[a_case, s] == a_pos)
        kind_of[sel] = s
    asyw_dec = np.where(
        granted,
        np.where(rng.random(n) < ak.moot_after_grant_rate, "M", "O"),
        np.where(asyw_granted, "G", np.where(denied, "D", asyl_dec)),
    )
    wcat_dec = np.where(
        granted | asyw_granted,
        np.where(rng.random(n) < ak.moot_after_grant_rate, "M", "O"),
        np.where(dec.wcat_granted, "G", np.where(denied, "D", asyl_dec)),
    )
    dec_by_kind = np.stack([asyl_dec, asyw_dec, wcat_dec, dec.other_app_dec], axis=1)
    app_dec = dec_by_kind[a_case, kind_of]
    codes = ["ASYL", "ASYW", "WCAT", *dk.other_application_shares]
    app_code = np.where(kind_of < 3, kind_of, 3 + dec.other_app_code[a_case])
    a_proc = tl.final[a_case]
    pending_app = ~tl.completed[a_proc]
    dec_codes = ("", *sorted(set(dk.grant_shares) | set(dk.other_shares) | {"D"}))
    app_dec_idx = np.searchsorted(np.array(dec_codes), app_dec.astype("<U1")).astype(np.int32)
    start, end = tl.start[a_proc], tl.end[a_proc]
    recd = start + (
        rng.random(len(a_case)) * np.maximum(end - start, 1) * ak.received_within_share
    ).astype(np.int64)
    app_id = _ids(rng, ids.application, len(a_case), knobs.key_gaps.application)
    ids.application = int(app_id[-1]) + 1 if len(app_id) else ids.application
    return {
        "idnproceedingappln": int_text(app_id),
        "idnproceeding": int_text(proc_id[a_proc]),
        "idncase": int_text(cases.case_id[a_case]),
        "appl_code": code_text(codes, app_code),
        "appl_recd_date": date_text(recd),
        "appl_dec": code_text(dec_codes, app_dec_idx, pending_app | (app_dec_idx == 0)),
    }


def _case_columns(
    world: World,
    knobs: Knobs,
    rng: np.random.Generator,
    cases: _Cases,
    tl: _Timeline,
    procs: _Proceedings,
) -> tuple[Columns, NDArray]:
    """A_TblCase: one row per case; also each case's first EOIR-28 day (for counsel rows)."""
    ck, rel, n = knobs.cases, world.release_day, len(cases.case_id)
    osc, custody, final = cases.osc, cases.custody, tl.final
    e28 = osc + rng.integers(*ck.e28_after_osc_days, n)
    e28 = np.minimum(e28, rel - 1)
    city = rng.integers(0, len(CITIES), n)
    no_addr = rng.random(n) < ck.no_address_rate
    zips = np.array([c[2] for c in CITIES])[city]
    zip_text = np.char.add(zips.astype(str), np.char.zfill(rng.integers(0, 100, n).astype(str), 2))
    latest = np.where(tl.completed[final], tl.end[final], np.minimum(procs.hearing[final], rel - 1))
    birth = np.char.add(
        np.char.add(rng.integers(1, 13, n).astype(str), "/"),
        (cases.fy - rng.integers(*ck.age_at_receipt_years, n)).astype(str),
    )
    sex_empty = rng.random(n) < ck.sex_blank_rate
    entry = osc - rng.integers(*ck.entry_before_osc_days, n)
    asy_type = np.where(cases.affirmative, 1, 0)
    asy_type = np.where(rng.random(n) < ck.asylum_type_j_rate, 2, asy_type)
    no_hearing = procs.no_hearing[final]
    represented = cases.represented
    columns: Columns = {
        "idncase": int_text(cases.case_id),
        "alien_city": code_text([c[0] for c in CITIES], city, no_addr),
        "alien_state": code_text([c[1] for c in CITIES], city, no_addr),
        "alien_zipcode": pa.array(
            zip_text,
            mask=no_addr & (rng.random(n) < ck.no_address_zip_blank_rate),
            type=pa.string(),
        ),
        "updated_zipcode": pa.array(
            zip_text, mask=rng.random(n) > ck.updated_zipcode_rate, type=pa.string()
        ),
        "nat": code_text(world.nat_codes, cases.nat, rng.random(n) < ck.nat_blank_rate),
        "lang": code_text(world.languages, cases.lang, rng.random(n) < ck.lang_blank_rate),
        "custody": code_text(_CUSTODY_CODES, custody, rng.random(n) < ck.custody_blank_rate),
        "site_type": code_text(
            ("M", "P"),
            (rng.random(n) < ck.site_type_p_rate).astype(np.int32),
            rng.random(n) < ck.site_type_blank_rate,
        ),
        "e_28_date": date_text(e28, ~represented),
        "atty_nbr": const_text("01", n, ~represented & (rng.random(n) < ck.atty_nbr_blank_rate)),
        "case_type": code_text(world.case_types, cases.case_type),
        "update_site": code_text(
            world.courts, tl.court[final], rng.random(n) < ck.update_site_blank_rate
        ),
        "latest_hearing": date_text(latest, no_hearing),
        "latest_time": code_text(
            _HEARING_TIMES, rng.integers(0, len(_HEARING_TIMES), n), no_hearing
        ),
        "latest_cal_type": code_text(
            ("I", "M"), (rng.random(n) < ck.master_calendar_rate).astype(np.int32), no_hearing
        ),
        "date_of_entry": date_text(entry, rng.random(n) < ck.date_of_entry_blank_rate),
        "c_asy_type": code_text(("E", "I", "J"), asy_type, ~cases.seeker),
        "c_birthdate": pa.array(
            birth, mask=rng.random(n) < ck.birthdate_blank_rate, type=pa.string()
        ),
        "address_changedon": date_text(
            np.minimum(osc + rng.integers(*ck.address_change_days, n), rel - 1),
            rng.random(n) < ck.address_changedon_blank_rate,
        ),
        "sex": code_text(("F", "M"), (rng.random(n) < ck.male_rate).astype(np.int32), sex_empty),
        "date_detained": date_text(procs.detained_day, custody == 2),
        "date_released": date_text(procs.released_day, custody != 1),
        "lpr": const_text("0", n, rng.random(n) < ck.lpr_blank_rate),
        "casepriority_code": code_text(
            tuple(ck.priority_shares), _pick(rng, tuple(ck.priority_shares.values()), n)
        ),
    }
    return columns, e28


def _appeal_columns(
    world: World,
    knobs: Knobs,
    rng: np.random.Generator,
    ids: IdCursor,
    cases: _Cases,
    tl: _Timeline,
    dec: _Decisions,
    proc_id: NDArray,
) -> _Appeals:
    """tblAppeal: BIA appeals of completed merits decisions not made in absentia."""
    apk, rel, n = knobs.appeals, world.release_day, len(cases.case_id)
    final = tl.final
    f_done = tl.completed[final]
    merits_final = f_done & (dec.outcome < _N_MERITS) & ~dec.absentia
    p_app = np.where(cases.seeker & dec.denied, knobs.appeal_rate[0], knobs.appeal_rate[1])
    appealed = merits_final & (rng.random(n) < p_app)
    ap_case = np.flatnonzero(appealed)
    second = ap_case[rng.random(len(ap_case)) < apk.second_appeal_rate]
    ap_case = np.sort(np.concatenate([ap_case, second]))
    na = len(ap_case)
    ap_id = _ids(rng, ids.appeal, na, knobs.key_gaps.appeal)
    ids.appeal = int(ap_id[-1]) + 1 if na else ids.appeal
    filed = tl.end[final][ap_case] + rng.integers(*apk.filed_days, na)
    filed = np.minimum(filed, rel - 1)
    bia_day = filed + rng.integers(*apk.decided_days, na)
    bia_pending = bia_day >= rel
    dd = rng.random(na) < apk.dd_rate
    types, decisions = apk.type_shares, apk.decision_shares
    columns: Columns = {
        "idnappeal": int_text(ap_id),
        "idncase": int_text(cases.case_id[ap_case]),
        "idnproceeding": int_text(proc_id[final][ap_case], dd),
        "strappealcategory": code_text(("IJ", "DD"), dd.astype(np.int32)),
        "strappealtype": code_text(tuple(types), _pick(rng, tuple(types.values()), na)),
        "datappealfiled": date_text(filed),
        "strfiledby": code_text(("A", "I"), (rng.random(na) < apk.dhs_filed_rate).astype(np.int32)),
        "datattorneye27": date_text(filed + apk.e27_after_filing_days, ~cases.represented[ap_case]),
        "datbiadecision": date_text(np.minimum(bia_day, rel - 1), bia_pending),
        "strbiadecision": code_text(
            tuple(decisions), _pick(rng, tuple(decisions.values()), na), bia_pending
        ),
        "strbiadecisiontype": code_text(
            ("R", "P"), (rng.random(na) < apk.decision_type_p_rate).astype(np.int32), bia_pending
        ),
        "strcasetype": code_text(world.case_types, cases.case_type[ap_case]),
        "strlang": code_text(world.languages, cases.lang[ap_case]),
        "strnat": code_text(world.nat_codes, cases.nat[ap_case]),
        "strcustody": code_text(_CUSTODY_CODES, cases.custody[ap_case]),
        "strprobono": const_text("Y", na, rng.random(na) > apk.pro_bono_rate),
    }
    return _Appeals(columns, ap_case, ap_id, filed)


# One group of representative rows: (case idx, level, type, parent table, parent idn,
# base city, ins_ta date, e27 date, e28 date, prime); None where the group has no value.
_RepGroup = tuple[
    NDArray, int, int, int, NDArray, NDArray | None, NDArray | None, NDArray | None,
    NDArray | None, NDArray,
]  # fmt: skip


def _representative_columns(
    world: World,
    knobs: Knobs,
    rng: np.random.Generator,
    ids: IdCursor,
    cases: _Cases,
    tl: _Timeline,
    proc_id: NDArray,
    e28: NDArray,
    appeals: _Appeals,
) -> Columns:
    """tbl_RepsAssigned: respondent's and DHS counsel, in court (case and proceeding rows)
    and at the BIA (appeal rows), ordered by case."""
    rk, n, m = knobs.representatives, len(cases.case_id), len(tl.pc_case)
    ap_case, ap_id, filed = appeals.ap_case, appeals.ap_id, appeals.filed
    na = len(ap_case)
    n_alien = cases.represented * (1 + rng.poisson(rk.extra_court_counsel_mean, n))
    al_case, al_pos = _group_index(n_alien)
    al_e28 = np.where(
        al_pos == 0, e28[al_case], e28[al_case] - rng.integers(*rk.earlier_e28_days, len(al_case))
    )
    ins_sel = np.flatnonzero(rng.random(m) < rk.dhs_counsel_rate)
    bd_alien = np.flatnonzero(cases.represented[ap_case] & (rng.random(na) < rk.board_counsel_rate))
    bd_ins = np.flatnonzero(rng.random(na) < rk.board_dhs_rate)
    parts: list[_RepGroup] = [
        (
            al_case, 0, 0, 0, cases.case_id[al_case], tl.court[tl.final][al_case], None, None,
            al_e28, al_pos == 0,
        ),
        (
            tl.pc_case[ins_sel], 0, 1, 1, proc_id[ins_sel], tl.court[ins_sel],
            tl.start[ins_sel] + rk.dhs_assigned_days, None, None,
            rng.random(len(ins_sel)) < rk.dhs_counsel_prime_rate,
        ),
        (
            ap_case[bd_alien], 1, 0, 2, ap_id[bd_alien], None, None,
            filed[bd_alien] + rk.board_e27_days, None, np.ones(len(bd_alien), bool),
        ),
        (
            ap_case[bd_ins], 1, 1, 2, ap_id[bd_ins], None,
            filed[bd_ins] + rk.board_dhs_assigned_days, None, None, np.zeros(len(bd_ins), bool),
        ),
    ]  # fmt: skip
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

    rep_id = _ids(rng, ids.reps, nr, knobs.key_gaps.representative)
    ids.reps = int(rep_id[-1]) + 1 if nr else ids.reps
    return {
        "idnrepsassigned": int_text(rep_id),
        "idncase": int_text(cases.case_id[r_case[order]]),
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


def _custody_columns(
    knobs: Knobs, rng: np.random.Generator, ids: IdCursor, cases: _Cases, procs: _Proceedings
) -> Columns:
    """tbl_CustodyHistory: detention and release rows by the case's custody status."""
    chk, custody, n = knobs.custody, cases.custody, len(cases.case_id)
    n_cust = np.where(
        custody == 2,
        (rng.random(n) < chk.never_detained_row_rate).astype(np.int64),
        np.where(custody == 1, 2, 1 + (rng.random(n) < chk.detained_second_row_rate)),
    )
    ch_case, ch_pos = _group_index(n_cust)
    ch_status = np.where(
        custody[ch_case] == 2, 2, np.where((custody[ch_case] == 1) & (ch_pos == 1), 1, 0)
    )
    ch_id = _ids(rng, ids.custody, len(ch_case), knobs.key_gaps.custody)
    ids.custody = int(ch_id[-1]) + 1 if len(ch_case) else ids.custody
    return {
        "idncustody": int_text(ch_id),
        "idncase": int_text(cases.case_id[ch_case]),
        "custody": code_text(_CUSTODY_CODES, ch_status),
        "datdetained": date_text(
            procs.detained_day[ch_case] + chk.second_row_days * ch_pos, ch_status == 2
        ),
        "datreleased": date_text(procs.released_day[ch_case], ch_status != 1),
    }


def generate_chunk(
    world: World, knobs: Knobs, rng: np.random.Generator, ids: IdCursor, n: int
) -> Chunk:
    """Generate ``n`` cases and everything hanging off them; advances ``ids``.

    The steps run in a fixed order on one random stream: that order is part of a seed's
    bytes, so a new draw goes at the end of the step that needs it, never in between.
    """
    cases = _draw_cases(world, knobs, rng, ids, n)
    timeline = _draw_timeline(world, knobs, rng, cases)
    decisions = _draw_decisions(world, knobs, rng, cases, timeline)
    procs = _proceeding_columns(world, knobs, rng, ids, cases, timeline, decisions)
    apps = _application_columns(knobs, rng, ids, cases, timeline, decisions, procs.proc_id)
    case_cols, e28 = _case_columns(world, knobs, rng, cases, timeline, procs)
    appeals = _appeal_columns(world, knobs, rng, ids, cases, timeline, decisions, procs.proc_id)
    reps = _representative_columns(
        world, knobs, rng, ids, cases, timeline, procs.proc_id, e28, appeals
    )
    custody_rows = _custody_columns(knobs, rng, ids, cases, procs)
    tables = {
        "A_TblCase": case_cols,
        "B_TblProceeding": procs.columns,
        "tbl_Court_Appln": apps,
        "tbl_RepsAssigned": reps,
        "tbl_CustodyHistory": custody_rows,
        "tblAppeal": appeals.columns,
    }
    rows = {stem: len(next(iter(cols.values()))) for stem, cols in tables.items()}
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
