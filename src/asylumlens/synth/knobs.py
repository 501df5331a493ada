"""Every tunable of the population model, in one place, each with the reason for its default.

How an asylum decision is drawn (the part analytics tests rely on): a completed final
proceeding of an asylum seeker first ends in an "other" outcome (abandoned, withdrawn, not
adjudicated, other, admin closure, grant WCAT) with probability ``p_other`` (higher without a
lawyer); otherwise the application is granted with probability ``sigmoid(logit)`` where::

    logit = intercept + fy_effect[FY of COMP_DATE] + nationality_effect + judge_effect
            + court_effect + custody_effect + represented * rep_effect
            + affirmative * affirmative_effect

Judge effects are drawn once per seed with a wide spread ("refugee roulette"), court effects
likewise plus a few fixed offsets. With the defaults, ASYL decisions give about 29% granted
on EOIR's definition over FY2010-FY2024 and about 10% on TRAC's in FY2025; represented
respondents about 30% vs 10% unrepresented (EOIR definition). Row ratios per case follow the
2026-07 release (NOTES.md section 1.2).

The grant model's knobs sit on :class:`Knobs` itself; the rest are grouped by the table or
step of ``population`` that uses them (``knobs.cases``, ``knobs.appeals``, ...). A rate is
the modelled share of rows, not a measurement unless its docstring cites one. Every default
is part of a seed's bytes: changing one changes every synthetic release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final


def _fy_effects() -> dict[int, float]:
    effects = {fy: -0.2 for fy in range(1990, 2010)}
    effects.update({fy: 0.15 for fy in range(2010, 2016)})
    effects.update(
        {
            2016: 0.0,
            2017: -0.2,
            2018: -0.45,
            2019: -0.7,
            2020: -0.85,
            2021: -0.3,
            2022: 0.15,
            2023: 0.3,
            2024: -0.1,
            2025: -2.6,
            2026: -2.8,
            2027: -2.9,
        }
    )
    return effects


@dataclass(frozen=True)
class NationalityProfile:
    """A nationality's share of cases, asylum-seeking rate, grant effect and languages."""

    share: float
    asylum_rate: float
    grant_effect: float
    languages: tuple[tuple[str, float], ...]


def _nationalities() -> dict[str, NationalityProfile]:
    sp = (("SP", 1.0),)
    p = NationalityProfile
    return {
        "MX": p(0.22, 0.22, -1.4, sp),
        "GT": p(0.11, 0.55, -1.0, (("SP", 0.7), ("QUI", 0.3))),
        "HO": p(0.10, 0.55, -1.0, sp),
        "ES": p(0.09, 0.55, -0.9, sp),
        "CU": p(0.04, 0.45, -0.7, sp),
        "VE": p(0.03, 0.80, 0.7, sp),
        "CO": p(0.025, 0.70, -0.3, sp),
        "EC": p(0.03, 0.60, -0.5, sp),
        "NU": p(0.02, 0.60, -0.1, sp),
        "DR": p(0.02, 0.25, -1.3, sp),
        "PE": p(0.008, 0.55, -0.3, sp),
        "HA": p(0.03, 0.55, -0.6, (("CRE", 0.9), ("FR", 0.1))),
        "BR": p(0.02, 0.45, -0.5, (("POR", 1.0),)),
        "CH": p(0.04, 0.90, 1.4, (("MAN", 0.75), ("FUK", 0.2), ("CAN", 0.05))),
        "IN": p(0.03, 0.85, 0.7, (("PUN", 0.6), ("HIN", 0.3), ("GUJ", 0.1))),
        "RU": p(0.01, 0.90, 1.6, (("RUS", 1.0),)),
        "AF": p(0.004, 0.95, 1.9, (("FAE", 1.0),)),
        "ER": p(0.003, 0.95, 1.7, (("AR", 1.0),)),
        "CM": p(0.005, 0.90, 0.8, (("FR", 0.6), ("ENG", 0.4))),
        "TU": p(0.005, 0.90, 1.3, (("TU", 1.0),)),
        "AL": p(0.005, 0.85, 0.8, (("ALB", 1.0),)),
        "UE": p(0.005, 0.80, 1.1, (("UK", 0.5), ("RUS", 0.5))),
        "NP": p(0.004, 0.90, 0.6, (("NEP", 1.0),)),
        "BG": p(0.004, 0.85, 0.3, (("BEN", 1.0),)),
        "PK": p(0.004, 0.80, 0.4, (("UR", 1.0),)),
        "MR": p(0.003, 0.90, 0.2, (("AR", 0.5), ("WLF", 0.5))),
        "JM": p(0.01, 0.10, -0.8, (("ENG", 1.0),)),
        "RP": p(0.01, 0.10, -0.3, (("ENG", 1.0),)),
        "??": p(0.002, 0.20, 0.0, (("ENG", 0.5), ("SP", 0.5))),
    }


@dataclass(frozen=True)
class WorldKnobs:
    """The per-seed structure drawn by ``build_world``: nationalities outside the profiles,
    court sizes and the spread of judges over courts."""

    other_nationality_effect: tuple[float, float] = (0.3, 0.5)
    """Mean and spread of the grant logit effect of an unprofiled nationality (drawn once
    per seed): on average a little above the profiled Latin American majority."""

    asylum_rate_factor: float = 0.85
    """Multiplier on every nationality's asylum-seeking rate (profiled or not): the share
    of a nationality's cases that file for asylum is this times its ``asylum_rate``."""

    other_nationality_asylum_rate: float = 0.5
    """Asylum-seeking rate of an unprofiled nationality (before ``asylum_rate_factor``)."""

    other_nationality_languages: tuple[tuple[str, float], ...] = (("ENG", 0.7), ("SP", 0.3))
    """Hearing languages of an unprofiled nationality: mostly English, some Spanish."""

    court_size_sd: float = 0.9
    """Spread (log scale) of court sizes: a few courts hear most cases."""

    big_courts: tuple[str, ...] = (
        "NYC", "LOS", "MIA", "HOU", "SFR", "CHI", "ATL", "DAL", "NEW", "ARL", "BOS",
    )  # fmt: skip
    """The courts with the largest dockets (New York, Los Angeles, Miami, Houston, ...)."""

    big_court_factor: float = 4.0
    """Multiplier on the drawn size of a court in :attr:`big_courts`."""

    judges_per_court_min: int = 2
    """Judges every court gets before the rest are spread over courts by size."""


@dataclass(frozen=True)
class KeyGapKnobs:
    """Chance that a primary key skips a value: real keys are not 1..N (deleted records)."""

    case: float = 0.15
    """IDNCASE."""
    proceeding: float = 0.1
    """IDNPROCEEDING."""
    application: float = 0.05
    """IDNPROCEEDINGAPPLN."""
    appeal: float = 0.2
    """IDNAPPEAL."""
    representative: float = 0.1
    """IDNREPSASSIGNED."""
    custody: float = 0.3
    """IDNCUSTODY."""


@dataclass(frozen=True)
class TimelineKnobs:
    """How long proceedings last and how a case moves between courts."""

    always_seeking_case_types: tuple[str, ...] = ("AOC",)
    """Case types that are asylum claims by definition (asylum-only cases)."""

    never_seeking_case_types: tuple[str, ...] = ("CFR", "RFR", "CDR", "REC", "CSR", "NAC")
    """Case types with no asylum application: credible/reasonable fear reviews, claimed
    status and rescission reviews, NACARA."""

    final_mean_days: tuple[float, float] = (1700.0, 800.0)
    """Mean length in days of a case's last proceeding, for asylum seekers and others: an
    asylum case takes years in the backlog."""

    detained_duration_factor: float = 0.25
    """Multiplier on that length for a detained respondent (the detained docket is fast)."""

    earlier_mean_days: float = 150.0
    """Mean length in days of a proceeding that ended in a venue change, transfer or a
    decision later reopened."""

    min_days: int = 20
    """Days every proceeding lasts at least."""

    gap_days: tuple[int, int] = (1, 40)
    """Days between one proceeding's end and the next one's start (low inclusive, high
    exclusive, as every day range here)."""

    first_start_days: tuple[int, int] = (3, 60)
    """Days from the charging document (OSC_DATE) to the first proceeding's input."""

    earlier_end_shares: tuple[float, float, float] = (0.55, 0.35, 0.10)
    """How a proceeding that is not a case's last ended: change of venue, transfer, or a
    decision (removal in absentia) later reopened."""

    no_judge_rate: float = 0.009
    """Share of proceedings with no IJ_CODE."""


@dataclass(frozen=True)
class DecisionKnobs:
    """Decisions on a case's final proceeding, beyond the grant model of :class:`Knobs`."""

    grant_shares: dict[str, float] = field(
        default_factory=lambda: {"G": 0.86, "F": 0.05, "C": 0.04, "I": 0.03, "P": 0.02}
    )
    """APPL_DEC codes of a granted asylum application: G grant, F full, C conditional,
    I in-court stipulated, P paper stipulated grant."""

    other_shares: dict[str, float] = field(
        default_factory=lambda: {"A": 0.33, "W": 0.36, "O": 0.13, "M": 0.06, "L": 0.06, "S": 0.06}
    )
    """APPL_DEC codes of an 'other' asylum outcome (NOTES.md section 3.2): A abandonment,
    W withdrawn, O other, M not adjudicated, L grant WCAT, S admin closure."""

    withholding_ina_grant_rate: float = 0.12
    """P(withholding of removal under the INA granted) after an asylum denial."""

    withholding_cat_grant_rate: float = 0.05
    """P(CAT protection granted) after asylum and INA withholding are denied."""

    other_application_rate: tuple[float, float] = (0.08, 0.25)
    """P(an application other than asylum/withholding: cancellation, adjustment, voluntary
    departure, ...) for asylum seekers and for others."""

    other_application_shares: dict[str, float] = field(
        default_factory=lambda: {
            "42B": 0.34,
            "245": 0.25,
            "VD": 0.20,
            "42A": 0.10,
            "212h": 0.03,
            "SUSP": 0.03,
            "212c": 0.02,
            "209c": 0.02,
            "WAIV": 0.01,
        }
    )
    """APPL_CODE of that other application: mostly non-LPR cancellation (42B), adjustment
    (245) and voluntary departure."""

    other_application_grant_rate: float = 0.4
    """P(that other application granted)."""

    other_application_denial_rate: float = 0.6
    """P(denied, not withdrawn) of an other application not granted."""

    denied_voluntary_departure_rate: float = 0.2
    """P(voluntary departure rather than removal) for a seeker denied all protection."""

    withdrawn_cuts: tuple[float, float] = (0.4, 0.7)
    """Outcome of a seeker who withdrew asylum, on one uniform draw u: voluntary departure
    when u < first, terminated when u < second, else removal (40%, 30%, 30%)."""

    other_admin_rate: float = 0.5
    """P(other administrative completion rather than termination) for a seeker whose asylum
    decision is 'other' or 'not adjudicated'."""

    non_seeker_outcome_shares: dict[str, float] = field(
        default_factory=lambda: {
            "remove": 0.42,
            "voluntary_departure": 0.10,
            "terminated": 0.12,
            "dismissed": 0.08,
            "withdrawn": 0.03,
            "admin_close": 0.10,
            "pd_admin_close": 0.07,
            "in_court_pd": 0.03,
            "other_admin": 0.03,
            "failure_to_appear": 0.01,
            "tps": 0.01,
        }
    )
    """Completion outcome of a respondent who sought no asylum and won no other relief
    (names of ``population.OUTCOMES``): removal most often."""

    removal_in_absentia_rate: float = 0.6
    """P(in absentia) of such a removal order (most non-seeker removals are of absent
    respondents)."""


@dataclass(frozen=True)
class ProceedingKnobs:
    """Column values of B_TblProceeding."""

    hearing_days: tuple[int, int] = (20, 200)
    """Days from a proceeding's input to its (latest) hearing."""

    no_hearing_rate: float = 0.03
    """Share of proceedings with no hearing scheduled (beyond those after the release)."""

    detained_before_osc_days: tuple[int, int] = (1, 30)
    """Days a detained respondent was held before the charging document."""

    detention_days: tuple[int, int] = (15, 300)
    """Days from detention to release."""

    osc_date_blank_rate: float = 0.005
    """Share of proceedings with OSC_DATE empty."""

    input_date_blank_rate: float = 0.03
    """Share of proceedings with INPUT_DATE empty."""

    first_trans_nbr_blank_rate: float = 0.6
    """Share of first proceedings (no transfer yet) with TRANS_NBR empty rather than 00."""

    written_decision_rate: float = 0.3
    """Share of merits decisions that are written (DEC_TYPE W) rather than oral (O)."""

    appeal_reserved_shares: tuple[float, float, float, float] = (0.3, 0.06, 0.04, 0.6)
    """APPEAL_RSVD of a merits decision: A respondent, I DHS, B both (codebook), N none."""

    appeal_reserved_blank_rate: float = 0.5
    """Share of merits decisions with APPEAL_RSVD empty."""

    nat_blank_rate: float = 0.003
    """Share of proceedings with NAT empty."""

    lang_blank_rate: float = 0.001
    """Share of proceedings with LANG empty."""

    scheduled_hear_loc_blank_rate: float = 0.74
    """Share of proceedings with SCHEDULED_HEAR_LOC empty (most)."""

    criminal_rate: float = 0.03
    """Share of proceedings with CRIM_IND Y."""

    criminal_blank_rate: float = 0.025
    """Share of proceedings with CRIM_IND empty."""

    aggravated_felon_rate: float = 0.02
    """Share of proceedings with AGGRAVATE_FELON 1."""

    aggravated_felon_blank_rate: float = 0.26
    """Share of proceedings with AGGRAVATE_FELON empty."""


@dataclass(frozen=True)
class ApplicationKnobs:
    """Rows of tbl_Court_Appln filed on a case's final proceeding."""

    withholding_ina_rate: float = 0.85
    """P(an asylum seeker also applies for withholding under the INA, ASYW)."""

    withholding_cat_rate: float = 0.70
    """P(an asylum seeker also applies for CAT protection, WCAT)."""

    moot_after_grant_rate: float = 0.6
    """P(a withholding application is decided M, not adjudicated, rather than O, other)
    once a stronger form of protection was granted (the lookup's 'moot' use of M)."""

    received_within_share: float = 0.6
    """Applications are received within this first share of their proceeding."""


@dataclass(frozen=True)
class CaseKnobs:
    """Column values of A_TblCase."""

    e28_after_osc_days: tuple[int, int] = (10, 400)
    """Days from the charging document to the first EOIR-28 (appearance of counsel)."""

    no_address_rate: float = 0.03
    """Share of cases with no ALIEN_CITY/ALIEN_STATE."""

    no_address_zip_blank_rate: float = 0.5
    """Share of those with ALIEN_ZIPCODE empty too."""

    updated_zipcode_rate: float = 0.001
    """Share of cases with UPDATED_ZIPCODE filled (almost none)."""

    nat_blank_rate: float = 0.01
    """Share of cases with NAT empty."""

    lang_blank_rate: float = 0.012
    """Share of cases with LANG empty."""

    custody_blank_rate: float = 0.01
    """Share of cases with CUSTODY empty."""

    site_type_p_rate: float = 0.3
    """Share of cases with SITE_TYPE P rather than M."""

    site_type_blank_rate: float = 0.51
    """Share of cases with SITE_TYPE empty."""

    atty_nbr_blank_rate: float = 0.8
    """Share of unrepresented cases with ATTY_NBR empty (the rest hold 01)."""

    update_site_blank_rate: float = 0.01
    """Share of cases with UPDATE_SITE empty."""

    master_calendar_rate: float = 0.6
    """Share of latest hearings on the master calendar (LATEST_CAL_TYPE M, else I)."""

    date_of_entry_blank_rate: float = 0.38
    """Share of cases with DATE_OF_ENTRY empty."""

    age_at_receipt_years: tuple[int, int] = (1, 60)
    """Years between birth and the fiscal year the case was received."""

    birthdate_blank_rate: float = 0.5
    """Share of cases with C_BIRTHDATE empty."""

    sex_blank_rate: float = 0.45
    """Share of cases with SEX empty."""

    male_rate: float = 0.6
    """Share of cases with SEX M (of those filled)."""

    entry_before_osc_days: tuple[int, int] = (30, 4000)
    """Days from entry to the charging document."""

    asylum_type_j_rate: float = 0.01
    """Share of cases with C_ASY_TYPE J (any other filled value: E defensive, I affirmative)."""

    address_change_days: tuple[int, int] = (30, 2000)
    """Days from the charging document to the last address change."""

    address_changedon_blank_rate: float = 0.63
    """Share of cases with ADDRESS_CHANGEDON empty."""

    lpr_blank_rate: float = 0.92
    """Share of cases with LPR empty (the rest hold 0)."""

    priority_shares: dict[str, float] = field(
        default_factory=lambda: {
            "N/A": 0.93,
            "UC": 0.03,
            "AWC/ATD": 0.02,
            "RBC/D": 0.01,
            "AWC/D": 0.005,
            "CR": 0.005,
        }
    )
    """CASEPRIORITY_CODE: N/A when unset (NOTES.md section 2), a few priority dockets."""


@dataclass(frozen=True)
class AppealKnobs:
    """Rows of tblAppeal (BIA appeals of merits decisions)."""

    second_appeal_rate: float = 0.1
    """P(a second appeal) of an appealed case."""

    filed_days: tuple[int, int] = (10, 31)
    """Days from the decision to the appeal (the deadline is 30 days)."""

    decided_days: tuple[int, int] = (90, 700)
    """Days from filing to the BIA decision."""

    dd_rate: float = 0.05
    """Share of appeals of a DHS officer decision (STRAPPEALCATEGORY DD), which name no
    proceeding; the rest are IJ appeals."""

    dhs_filed_rate: float = 0.1
    """Share of appeals filed by DHS (I) rather than the respondent (A)."""

    e27_after_filing_days: int = 5
    """Days from filing to the EOIR-27 (counsel before the BIA) of a represented appellant."""

    decision_type_p_rate: float = 0.3
    """Share of BIA decisions with STRBIADECISIONTYPE P rather than R (regular case)."""

    pro_bono_rate: float = 0.002
    """Share of appeals with STRPROBONO Y filled (almost none)."""

    type_shares: dict[str, float] = field(
        default_factory=lambda: {
            "Case Appeal": 0.80,
            "Appeal of IJ MTR": 0.08,
            "Bond Appeal": 0.07,
            "Interlocutory Appeal": 0.05,
        }
    )
    """STRAPPEALTYPE: appeals of the merits decision above all."""

    decision_shares: dict[str, float] = field(
        default_factory=lambda: {
            "DIS": 0.55,
            "SUS": 0.05,
            "REM": 0.12,
            "SAF": 0.08,
            "OTH": 0.05,
            "WDL": 0.05,
            "DMO": 0.10,
        }
    )
    """STRBIADECISION codes: dismissed (DIS) most often."""


@dataclass(frozen=True)
class RepresentativeKnobs:
    """Rows of tbl_RepsAssigned: counsel of the respondent and of DHS, in court and at the BIA."""

    extra_court_counsel_mean: float = 0.6
    """Mean (Poisson) number of court representatives of a represented case after the first."""

    earlier_e28_days: tuple[int, int] = (30, 400)
    """Days an extra court representative's EOIR-28 precedes the first one's."""

    dhs_counsel_rate: float = 0.88
    """Share of proceedings with DHS trial counsel on record."""

    dhs_assigned_days: int = 10
    """Days from a proceeding's input to DHS counsel's assignment."""

    dhs_counsel_prime_rate: float = 0.5
    """Share of DHS trial counsel marked primary."""

    board_counsel_rate: float = 0.85
    """Share of appeals of represented cases with respondent's counsel at the BIA."""

    board_e27_days: int = 5
    """Days from filing to that counsel's EOIR-27."""

    board_dhs_rate: float = 0.9
    """Share of appeals with DHS counsel at the BIA."""

    board_dhs_assigned_days: int = 20
    """Days from filing to DHS counsel's assignment at the BIA."""


@dataclass(frozen=True)
class CustodyKnobs:
    """Rows of tbl_CustodyHistory."""

    never_detained_row_rate: float = 0.45
    """Share of never-detained respondents (custody N) with one history row."""

    detained_second_row_rate: float = 0.3
    """Share of detained respondents (custody D) with a second detention row."""

    second_row_days: int = 7
    """Days between consecutive detention rows of one case."""


@dataclass(frozen=True)
class Knobs:
    """Every tunable of the population model, with the reason for its default."""

    cases_per_chunk: int = 500_000
    """Cases generated (and held in memory) at a time; part of determinism, do not vary."""

    first_case_id: int = 2_000_000
    """IDNCASE values start here and grow with small gaps (real keys are not 1..N)."""

    receipts_by_fy: dict[int, float] = field(
        default_factory=lambda: {
            **{fy: 1.0 for fy in range(1996, 2013)},
            2013: 1.2,
            2014: 1.4,
            2015: 1.5,
            2016: 1.8,
            2017: 2.0,
            2018: 2.4,
            2019: 3.2,
            2020: 2.4,
            2021: 2.6,
            2022: 5.0,
            2023: 7.0,
            2024: 7.2,
            2025: 4.0,
            2026: 2.5,
            2027: 0.2,
        }
    )
    """Relative number of new cases (OSC_DATE) per fiscal year: the backlog surge of 2022-24."""

    other_nationality_share: float = 0.10
    """Share of cases from nationalities not profiled in :attr:`nationalities` (any real code)."""

    nationalities: dict[str, NationalityProfile] = field(default_factory=_nationalities)
    """Profiled nationalities: China/India/Russia/Venezuela high grant effects, Mexico and
    Central America low (TRAC and EOIR figures, NOTES.md section 5)."""

    custody_shares: tuple[float, float, float] = (0.15, 0.15, 0.70)
    """Shares of custody D (detained), R (released), N (never detained)."""

    case_type_shares: dict[str, float] = field(
        default_factory=lambda: {
            "RMV": 0.86,
            "DEP": 0.04,
            "EXC": 0.015,
            "AOC": 0.02,
            "WHO": 0.01,
            "CFR": 0.025,
            "RFR": 0.015,
            "CDR": 0.005,
            "NAC": 0.004,
            "REC": 0.003,
            "CSR": 0.003,
        }
    )
    """Case types: mostly removal (RMV)."""

    proceedings_per_case: tuple[float, ...] = (0.75, 0.20, 0.04, 0.01)
    """P(1, 2, 3, 4 proceedings): extra ones come from venue changes, transfers, reopenings."""

    represented_rate: tuple[float, float] = (0.78, 0.25)
    """P(represented) for asylum seekers and for others (E_28_DATE filled)."""

    detained_representation_factor: float = 0.55
    """Multiplier on the representation rate of detained respondents."""

    affirmative_rate: float = 0.35
    """Share of asylum seekers whose claim was affirmative (C_ASY_TYPE 'I')."""

    intercept: float = -1.25
    """Grant logit of an unrepresented, never-detained, defensive case before other effects."""

    fy_effect: dict[int, float] = field(default_factory=_fy_effects)
    """Grant logit shift by fiscal year of completion; note the collapse in FY2025."""

    judge_effect_sd: float = 1.0
    """Spread of judge effects on the logit scale (wide: 'refugee roulette')."""

    court_effect_sd: float = 0.35
    """Spread of court effects."""

    court_offsets: dict[str, float] = field(
        default_factory=lambda: {
            "ATL": -1.2,
            "HOU": -0.8,
            "ELP": -1.0,
            "LVG": -0.7,
            "CHL": -1.0,
            "OMA": -0.6,
            "SFR": 0.8,
            "NYC": 0.7,
            "LOS": 0.3,
            "ARL": 0.4,
            "BOS": 0.4,
            "SEA": 0.4,
        }
    )
    """Fixed court offsets for well-known low- and high-grant courts."""

    custody_effect: tuple[float, float, float] = (-1.0, -0.35, 0.0)
    """Logit shift for D, R, N: detained respondents win far less often."""

    rep_effect: float = 1.4
    """Logit shift for a represented respondent."""

    affirmative_effect: float = 0.5
    """Logit shift for an affirmative (referred) claim."""

    p_other: tuple[float, float] = (0.22, 0.40)
    """P(asylum decision is 'other') for represented and unrepresented seekers."""

    appeal_rate: tuple[float, float] = (0.45, 0.12)
    """P(BIA appeal) after an asylum denial, and after any other merits decision."""

    world: WorldKnobs = field(default_factory=WorldKnobs)
    """The per-seed structure: unprofiled nationalities, court sizes, judges per court."""

    key_gaps: KeyGapKnobs = field(default_factory=KeyGapKnobs)
    """Gaps in each table's primary key."""

    timeline: TimelineKnobs = field(default_factory=TimelineKnobs)
    """Proceedings: how long they last, how cases move between courts."""

    decisions: DecisionKnobs = field(default_factory=DecisionKnobs)
    """Decision codes and completion outcomes of the final proceeding."""

    proceedings: ProceedingKnobs = field(default_factory=ProceedingKnobs)
    """B_TblProceeding column values."""

    applications: ApplicationKnobs = field(default_factory=ApplicationKnobs)
    """tbl_Court_Appln rows."""

    cases: CaseKnobs = field(default_factory=CaseKnobs)
    """A_TblCase column values."""

    appeals: AppealKnobs = field(default_factory=AppealKnobs)
    """tblAppeal rows."""

    representatives: RepresentativeKnobs = field(default_factory=RepresentativeKnobs)
    """tbl_RepsAssigned rows."""

    custody: CustodyKnobs = field(default_factory=CustodyKnobs)
    """tbl_CustodyHistory rows."""


DEFAULT_KNOBS: Final = Knobs()
