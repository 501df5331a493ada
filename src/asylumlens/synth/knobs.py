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


DEFAULT_KNOBS: Final = Knobs()
