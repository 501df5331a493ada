"""Real lookup values the synthetic release draws its codes from, and the lookup tables it writes.

The JSON files in ``synth/data/`` are copies of marrowb/eoir's code -> description maps
(``shared/eoir/reference/marrowb_eoir/lookups/``, commit 9c8cedb9), so every code in a
synthetic release is a real EOIR code. Two known defects of those copies are fixed here, not
in the files:

* ``tblLookupCustodyStatus.json`` in marrowb holds the *case-type* list; the packaged file was
  written from the correct map (the ``tblLookupCustodyStatus`` key of marrowb's lookups.json).
* pandas read the nationality code ``NA`` (Netherlands Antilles) as ``NaN``; it is restored.

marrowb's base-city map holds BASE_CITY_NAME only (almost always "IMMIGRATION COURT"), not
the BASE_CITY and BASE_STATE columns the real lookup carries and the fact table names
courts from. ``base_city_places.json`` supplies them: the city and postal state of each
base-city code, written for the generator from the hearing-location names
(``tblLookupHloc.json``: "ATLANTA, GEORGIA", "NEW YORK VARICK") and the courts' published
locations. It is AsylumLens's own table, not a copy of EOIR's columns.

One list is *not* real on purpose: the judges. ``tblLookupJudge.json`` names real people,
and a synthetic release puts invented grant rates beside every judge, so a synthetic
release's judges are a fictional roster (:func:`fictional_judges`): invented names under
invented codes, as many as the real lookup has people, plus the real lookup's generic
pseudo-judge entries ("<All Judges>", "Visiting Judge 3", "Master Calendar 1"), which name
nobody. The real file stays packaged as the reference the roster is checked against.

``tblLookupCourtDecision`` is not in any stored source with its (case type, code, C/O) keys
(NOTES.md section 3.3), so :data:`COURT_DECISIONS` builds a plausible one from the known
descriptions, including the real quirk of an inactive duplicate key.

Lookup rows are returned as ``list[str | None]`` in the file order of
``layout.TABLES[stem]`` so the writer can treat them like any other table.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

from asylumlens.layout import TABLES

Row = list[str | None]

_CREATED: Final = "2003-05-12 00:00:00.000"
_MODIFIED: Final = "2019-08-30 00:00:00.000"

# Judge-lookup entries that are not people (NOTES.md section 1.4; Chen-do drop list).
_NOT_A_JUDGE: Final = re.compile(
    r"<|\(temp\)|visiting|master calendar|clerical|video|unassigned|\btest\b", re.IGNORECASE
)
# Invented name parts for the fictional judge roster (none is a surname or given name in the
# real lookup: fictional_judges() also drops any that ever is).
_SURNAMES: Final = [
    "Abernathy",
    "Ashgrove",
    "Baxendale",
    "Bellweather",
    "Birchfield",
    "Blackwood",
    "Bramley",
    "Brightwater",
    "Caldmore",
    "Carrowby",
    "Castellane",
    "Chadwell",
    "Clearbrook",
    "Copperfield",
    "Corwen",
    "Crandell",
    "Dunmore",
    "Eastwold",
    "Elderidge",
    "Fairbanks",
    "Fenwright",
    "Foxhollow",
    "Galloway",
    "Garroway",
    "Glenmoor",
    "Goldhaven",
    "Greystone",
    "Hallowell",
    "Harrowgate",
    "Hawthorne",
    "Heathcote",
    "Hollander",
    "Ironwood",
    "Islington",
    "Kestrel",
    "Kingsbury",
    "Lamberton",
    "Larkspur",
    "Linwood",
    "Lockhaven",
    "Marchbank",
    "Merriweather",
    "Millbrook",
    "Moorcroft",
    "Netherby",
    "Northcott",
    "Oakenshaw",
    "Oldcastle",
    "Pemberton",
    "Penhallow",
    "Quillfeather",
    "Ravensworth",
    "Redfern",
    "Ridgeway",
    "Rookwood",
    "Rosemont",
    "Saltmarsh",
    "Silverdale",
    "Southwick",
    "Stonebridge",
    "Sunderby",
    "Tamsworth",
    "Thornbury",
    "Underhill",
    "Vantongeren",
    "Wainscott",
    "Westbury",
    "Whitlock",
    "Wildermuth",
    "Winterbourne",
    "Wolcroft",
    "Yarrowby",
    "Zellerbach",
]
_GIVEN_NAMES: Final = [
    "Adair",
    "Alaric",
    "Amabel",
    "Anselm",
    "Aurelie",
    "Bastian",
    "Blythe",
    "Briony",
    "Caspian",
    "Celandine",
    "Corwin",
    "Dashiell",
    "Delphine",
    "Emrys",
    "Evander",
    "Fenella",
    "Florian",
    "Gideon",
    "Honora",
    "Idris",
    "Imogen",
    "Isolde",
    "Jessamy",
    "Lazarus",
    "Leocadia",
    "Lucan",
    "Marisol",
    "Niamh",
    "Oriel",
    "Ottoline",
    "Peregrine",
    "Philippa",
    "Quentin",
    "Rosalind",
    "Seraphina",
    "Tamsin",
    "Thaddeus",
    "Ulric",
    "Veradis",
    "Wilhelmina",
    "Xanthe",
    "Ysolde",
    "Zephyrine",
]
_INITIALS: Final = "ABCDEFGHJKLMNPRSTW"

# Base-city entries that are not immigration courts.
_NOT_A_COURT: Final = frozenset({"BIA", "CIJ", "HDQ", "OIT", "OIN", "RIC"})


def _load(name: str) -> dict[str, str]:
    text = (
        resources.files("asylumlens.synth")
        .joinpath("data")
        .joinpath(f"{name}.json")
        .read_text("utf-8")
    )
    raw: dict[str, object] = json.loads(text)
    out: dict[str, str] = {}
    for code, desc in raw.items():
        key = "NA" if code == "NaN" else code
        out[key] = desc.strip() if isinstance(desc, str) else ""
    return out


def _load_places() -> dict[str, tuple[str, str]]:
    """``base_city_places.json``: code -> (BASE_CITY, BASE_STATE), see the module docstring."""
    text = (
        resources.files("asylumlens.synth")
        .joinpath("data")
        .joinpath("base_city_places.json")
        .read_text("utf-8")
    )
    raw: dict[str, list[str]] = json.loads(text)
    return {code: (city, state) for code, (city, state) in raw.items()}


def fictional_judges(real: dict[str, str]) -> dict[str, str]:
    """A fictional judge lookup the size and shape of ``real`` (code -> "Last, First M.").

    Generic pseudo-judge entries that name nobody are kept as they are; every entry that
    names a person (including "Brown, Alison M. (Temp)") gets an invented name, keeping its
    "(Temp)" or "(Visiting Judge)" suffix, under an invented three-letter code that is no
    real code. Deterministic: the same roster for every seed, so releases stay comparable.
    """
    real_words = {w.strip(".,()").lower() for name in real.values() for w in name.split()}
    surnames = [s for s in _SURNAMES if s.lower() not in real_words]
    given = [g for g in _GIVEN_NAMES if g.lower() not in real_words]
    names = [
        f"{last}, {first} {initial}."
        for last in surnames
        for first in given
        for initial in _INITIALS
    ]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes = [a + b + c for a in letters for b in letters for c in letters if a + b + c not in real]
    rng = random.Random(1158)  # fixed: the roster is part of the generator, not of a seed
    people = sorted(c for c, n in real.items() if not _NOT_A_JUDGE.search(n) or "," in n)
    picked_names = rng.sample(names, len(people))
    picked_codes = sorted(rng.sample(codes, len(people)))
    roster: dict[str, str] = {
        c: n for c, n in real.items() if _NOT_A_JUDGE.search(n) and "," not in n
    }
    for code, name, old in zip(picked_codes, picked_names, people, strict=True):
        suffix = re.search(r"\((?:temp|visiting judge)\)$", real[old], re.IGNORECASE)
        roster[code] = f"{name} {suffix.group(0)}" if suffix else name
    return dict(sorted(roster.items()))


@dataclass(frozen=True)
class CourtDecision:
    """One row of the generated tblLookupCourtDecision."""

    case_type: str
    code: str
    description: str
    dec_type: str  # 'C' decodes DEC_CODE, 'O' decodes OTHER_COMP
    final_disposition: str | None
    active: bool = True


# Outcome classes of a completed proceeding, and the DEC_CODE letter each takes per case type.
# The letters and descriptions are those listed in NOTES.md section 3.3.
MERITS_LETTERS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "RMV": {
        "relief": ("R", "Relief Granted"),
        "withholding_ina": ("E", "Remove-INA Withholding Granted"),
        "withholding_cat": ("Z", "Remove-CAT Withholding Granted"),
        "remove": ("X", "Remove"),
        "voluntary_departure": ("V", "Voluntary Departure"),
        "terminated": ("T", "Terminated"),
        "dismissed": ("U", "Dismissed by IJ"),
        "withdrawn": ("W", "Withdrawn"),
    },
    "DEP": {
        "relief": ("G", "Relief Granted"),
        "withholding_ina": ("E", "Deport-INA Withholding Granted"),
        "withholding_cat": ("Z", "Grant-CAT Withholding"),
        "remove": ("D", "Deported"),
        "voluntary_departure": ("V", "Voluntary Departure"),
        "terminated": ("T", "Terminated"),
        "dismissed": ("U", "Dismissed by IJ"),
        "withdrawn": ("W", "Withdrawn"),
    },
    "EXC": {
        "relief": ("G", "Relief Granted"),
        "withholding_ina": ("H", "Exclude-INA Withholding Granted"),
        "withholding_cat": ("Z", "Grant-CAT Withholding"),
        "remove": ("E", "Excluded"),
        "voluntary_departure": ("W", "Withdrawal of Application for Admission"),
        "terminated": ("T", "Terminated"),
        "dismissed": ("U", "Dismissed by IJ"),
        "withdrawn": ("W", "Withdrawal of Application for Admission"),
    },
}
_GRANT_DENY: Final[dict[str, tuple[str, str]]] = {
    "relief": ("G", "Grant"),
    "withholding_ina": ("G", "Grant"),
    "withholding_cat": ("Z", "Grant-CAT Withholding"),
    "remove": ("D", "Deny"),
    "voluntary_departure": ("D", "Deny"),
    "terminated": ("T", "Terminated"),
    "dismissed": ("U", "Dismissed by IJ"),
    "withdrawn": ("W", "Withdraw"),
}
for _ct in ("AOC", "WHO", "CFR", "RFR", "CDR", "CSR", "NAC", "REC", "DCC", "DDC"):
    MERITS_LETTERS[_ct] = _GRANT_DENY

# Administrative completions (OTHER_COMP), the same letters for every case type.
ADMIN_LETTERS: Final[dict[str, tuple[str, str]]] = {
    "change_of_venue": ("C", "Change of Venue"),
    "transfer": ("T", "Transfer"),
    "admin_close": ("A", "Administrative Closing - Other"),
    "pd_admin_close": ("Y", "Prosecutorial Discretion - Admin Close"),
    "in_court_pd": ("M", "In Court Prosecutorial Discretion - Admin Closure"),
    "other_admin": ("O", "Other Administrative Completion"),
    "failure_to_appear": ("B", "Administrative closing - Failure to Appear"),
    "tps": ("P", "Temporary Protected Status"),
}

_FINAL_DISPOSITION: Final = {"remove": "Y", "voluntary_departure": "V"}


def _court_decisions() -> tuple[CourtDecision, ...]:
    rows: list[CourtDecision] = []
    for case_type in sorted(MERITS_LETTERS):
        seen: set[str] = set()
        for outcome, (code, desc) in MERITS_LETTERS[case_type].items():
            if code in seen:
                continue
            seen.add(code)
            rows.append(
                CourtDecision(case_type, code, desc, "C", _FINAL_DISPOSITION.get(outcome, "N"))
            )
        for code, desc in ADMIN_LETTERS.values():
            rows.append(CourtDecision(case_type, code, desc, "O", None))
    # The real table has duplicate keys, an active and an inactive row (ian-nason VALIDATION).
    rows.append(CourtDecision("RMV", "X", "Removal", "C", "Y", active=False))
    return tuple(rows)


COURT_DECISIONS: Final[tuple[CourtDecision, ...]] = _court_decisions()


@dataclass(frozen=True)
class Reference:
    """The real code lists, loaded once from the packaged JSON."""

    nationalities: dict[str, str]
    languages: dict[str, str]
    base_cities: dict[str, str]
    base_city_places: dict[str, tuple[str, str]]  # code -> (BASE_CITY, BASE_STATE)
    judges: dict[str, str]  # fictional (see the module docstring); the rest are real
    applications: dict[str, str]
    application_decisions: dict[str, str]
    case_types: dict[str, str]
    custody: dict[str, str]
    sexes: dict[str, str]
    hearing_locations: dict[str, str]

    @property
    def courts(self) -> tuple[str, ...]:
        """Base-city codes that are immigration courts (sorted, so draws are reproducible)."""
        return tuple(sorted(c for c in self.base_cities if c not in _NOT_A_COURT))

    @property
    def real_judges(self) -> tuple[str, ...]:
        """Judge codes of people (no '<All Judges>', visiting or master-calendar codes)."""
        return tuple(sorted(c for c, n in self.judges.items() if not _NOT_A_JUDGE.search(n)))

    def hearing_base(self, hloc: str) -> str:
        """The court of a hearing location: itself when it is a court, else a stable pick."""
        courts = self.courts
        if hloc in courts:
            return hloc
        return courts[sum(ord(ch) * (i + 7) for i, ch in enumerate(hloc)) % len(courts)]


@cache
def load_reference() -> Reference:
    """Load the packaged code lists (cached: they never change within a process)."""
    return Reference(
        nationalities=_load("tblLookupNationality"),
        languages=_load("tblLanguage"),
        base_cities=_load("tblLookupBaseCity"),
        base_city_places=_load_places(),
        judges=fictional_judges(_load("tblLookupJudge")),
        applications=_load("tblLookUp_Appln"),
        application_decisions=_load("tblLookupCourtAppDecisions"),
        case_types=_load("tblLookupCaseType"),
        custody=_load("tblLookupCustodyStatus"),
        sexes=_load("tblLookupSex"),
        hearing_locations=_load("tblLookupHloc"),
    )


def _blank(stem: str) -> Row:
    return [None] * len(TABLES[stem].columns)


def _put(row: Row, stem: str, values: dict[str, str | None]) -> Row:
    keys = TABLES[stem].keys
    for name, value in values.items():
        row[keys.index(name)] = value
    return row


def lookup_rows(stem: str) -> list[Row]:
    """The rows of one standard lookup table, in the file order of its layout columns."""
    ref = load_reference()
    std = {"datcreatedon": _CREATED, "datmodifiedon": _MODIFIED, "blnactive": "1"}
    rows: list[Row] = []
    vals: dict[str, str | None]
    if stem == "tblLookupNationality":
        for i, (code, name) in enumerate(sorted(ref.nationalities.items()), 1):
            vals = {"id": str(i), "nat_code": code, "nat_name": name, "nat_country_name": name}
            rows.append(_put(_blank(stem), stem, {**vals, "nat_nacara_country": "N", **std}))
    elif stem == "tblLanguage":
        for i, (code, name) in enumerate(sorted(ref.languages.items()), 1):
            vals = {"idnlang": str(i), "strcode": code, "strdescription": name}
            rows.append(_put(_blank(stem), stem, {**vals, **std}))
    elif stem == "tblLookupBaseCity":
        for i, (code, name) in enumerate(sorted(ref.base_cities.items()), 1):
            vals = {"idnbasecity": str(i), "base_city_code": code, "base_city_name": name}
            city, state = ref.base_city_places.get(code, (None, None))
            vals |= {"base_city": city, "base_state": state}
            rows.append(_put(_blank(stem), stem, {**vals, **std}))
    elif stem == "tblLookupJudge":
        for i, (code, name) in enumerate(sorted(ref.judges.items()), 1):
            vals = {"idnjudge": str(i), "judge_code": code, "judge_name": name}
            rows.append(_put(_blank(stem), stem, {**vals, **std}))
    elif stem == "tblLookUp_Appln":
        for i, (code, name) in enumerate(sorted(ref.applications.items()), 1):
            vals = {"idnappln": str(i), "strcode": code, "strdescription": name}
            rows.append(_put(_blank(stem), stem, {**vals, **std}))
    elif stem == "tblLookupCourtAppDecisions":
        for i, (code, name) in enumerate(sorted(ref.application_decisions.items()), 1):
            vals = {"idncourtapplndec": str(i), "strcourtapplndeccode": code}
            rows.append(_put(_blank(stem), stem, {**vals, "strcourtapplndecdesc": name, **std}))
    elif stem == "tblLookupCaseType":
        for i, (code, name) in enumerate(sorted(ref.case_types.items()), 1):
            vals = {"idncasetype": str(i), "strcode": code, "strdescription": name}
            rows.append(_put(_blank(stem), stem, {**vals, **std}))
    elif stem == "tblLookupCustodyStatus":
        for i, (code, name) in enumerate(sorted(ref.custody.items()), 1):
            vals = {"idncustodystatus": str(i), "strcode": code, "strselecboxval": name}
            rows.append(_put(_blank(stem), stem, {**vals, "strdescription": name, **std}))
    elif stem == "tblLookupSex":
        for i, (code, name) in enumerate(sorted(ref.sexes.items()), 1):
            vals = {"idnsex": str(i), "strcode": code, "strdescription": name}
            rows.append(_put(_blank(stem), stem, {**vals, **std}))
    elif stem == "tblLookupHloc":
        for i, (code, name) in enumerate(sorted(ref.hearing_locations.items()), 1):
            vals = {"idnhloc": str(i), "hearing_loc_code": code, "hearing_loc_name": name}
            base = {"hearing_base_city": ref.hearing_base(code), "hear_active_flg": "Y"}
            rows.append(_put(_blank(stem), stem, {**vals, **base, **std}))
    elif stem == "tblLookupCourtDecision":
        for i, d in enumerate(COURT_DECISIONS, 1):
            vals = {
                "idncourtdecision": str(i),
                "strcasetype": d.case_type,
                "strdeccode": d.code,
                "strdecdescription": d.description,
                "strdectype": d.dec_type,
                "strfinaldisposition": d.final_disposition,
            }
            rows.append(
                _put(_blank(stem), stem, {**vals, **std, "blnactive": "1" if d.active else "0"})
            )
    else:
        raise KeyError(stem)
    return rows


STANDARD_LOOKUPS: Final = (
    "tblLookupNationality",
    "tblLanguage",
    "tblLookupBaseCity",
    "tblLookupJudge",
    "tblLookUp_Appln",
    "tblLookupCourtAppDecisions",
    "tblLookupCaseType",
    "tblLookupCustodyStatus",
    "tblLookupCourtDecision",
    "tblLookupSex",
    "tblLookupHloc",
)
"""The lookup tables every synthetic release carries (all listed in ``layout.TABLES``)."""
