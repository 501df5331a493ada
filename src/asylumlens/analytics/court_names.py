"""Court names: one readable, distinct name per base-city (court) code.

EOIR's court lookup (tblLookupBaseCity) names almost every court "IMMIGRATION COURT" in
BASE_CITY_NAME; where the court is sits in BASE_CITY and BASE_STATE ("NEW YORK", "NY").
A court list of 81 identical "IMMIGRATION COURT" entries helps nobody, so the fact table's
``court_name`` is built here, by the rule ``docs/methodology.md`` states ("Court names"):

1. The place: ``BASE_CITY, BASE_STATE`` title-cased ("New York, NY"); without a
   BASE_CITY, the hearing-location lookup's name for the same code ("ATLANTA, GEORGIA"
   -> "Atlanta, GA"); without that, BASE_CITY_NAME itself.
2. Where several courts share a place, each gets a qualifier after a dash: its
   BASE_CITY_NAME when that is not the generic "IMMIGRATION COURT", else what its
   hearing-location name adds to the city ("NEW YORK VARICK" -> "New York, NY – Varick").
   One court of the place without a qualifier keeps the plain place name; several get
   their code ("Arlington, VA (WAS)").
3. Any name still shared is followed by the code, so no two codes ever share a name.

A pure function over the lookup rows (:func:`court_names`), so the rule is tested without
a release; :func:`read_court_entries` reads those rows from a release's lookups.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

DASH: Final = " \N{EN DASH} "
GENERIC_NAME: Final = re.compile(r"\bimmigration\s+court\b", re.IGNORECASE)
"""BASE_CITY_NAME text that says nothing about which court it is."""

STATES: Final[dict[str, str]] = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "GUAM": "GU", "HAWAII": "HI", "IDAHO": "ID",
    "ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY",
    "LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA",
    "MICHIGAN": "MI", "MINNESOTA": "MN", "MISSISSIPPI": "MS", "MISSOURI": "MO",
    "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV", "NEW HAMPSHIRE": "NH",
    "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY", "NORTH CAROLINA": "NC",
    "NORTH DAKOTA": "ND", "NORTHERN MARIANA ISLANDS": "MP", "OHIO": "OH", "OKLAHOMA": "OK",
    "OREGON": "OR", "PENNSYLVANIA": "PA", "PUERTO RICO": "PR", "RHODE ISLAND": "RI",
    "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD", "TENNESSEE": "TN", "TEXAS": "TX",
    "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA", "VIRGIN ISLANDS": "VI",
    "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
}  # fmt: skip
"""Full state names (as hearing-location names spell them) -> postal codes (BASE_STATE's)."""

_ACRONYMS: Final = frozenset(
    {"ARD", "BOP", "CF", "DC", "DHS", "ECAS", "EOIR", "ERO", "HLOC", "ICE", "II", "III", "IJ"}
    | {"IV", "OIN", "OIT", "SPC", "US"}
)
_SMALL_WORDS: Final = frozenset({"and", "at", "for", "of", "the"})
_SEPARATORS: Final = " -\N{EN DASH},:/"


@dataclass(frozen=True)
class CourtEntry:
    """What the lookups say about one court code (any field may be missing)."""

    code: str
    base_city_name: str | None = None
    city: str | None = None
    state: str | None = None
    hearing_location_name: str | None = None


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _title_part(part: str) -> str:
    """One run of letters between hyphens or slashes: ``DHS``, ``MCALLEN``, ``(VARICK``."""
    lead = part[: len(part) - len(part.lstrip("(\"'"))]
    core = part[len(lead) :]
    bare = core.strip(".,)")
    if bare.upper() in _ACRONYMS or re.fullmatch(r"(?:[A-Z]\.)+", core.strip(",)")):
        return lead + core.upper()
    lower = core.lower()
    if len(bare) > 3 and lower.startswith("mc"):
        return lead + "Mc" + lower[2:].capitalize()
    # capitalise after an apostrophe too: O'HARE -> O'Hare
    return lead + re.sub(r"(^|')([a-z])", lambda m: m.group(1) + m.group(2).upper(), lower)


def _title_word(word: str, first: bool) -> str:
    if word.lower() in _SMALL_WORDS and not first:
        return word.lower()
    return "".join(
        piece if piece in "-/" else _title_part(piece) for piece in re.split(r"([-/])", word)
    )


def title_case(text: str | None) -> str:
    """Lookup text as a reader writes it: ``"NEW YORK VARICK"`` -> ``"New York Varick"``.

    Only text in capitals is re-cased (mixed case is the lookup's own spelling and kept);
    acronyms (DHS, SPC, C.F.) stay in capitals. Whitespace is collapsed.
    """
    clean = _clean(text)
    if not clean or clean != clean.upper():
        return clean
    return " ".join(_title_word(w, i == 0) for i, w in enumerate(clean.split(" ")))


def _state_code(name: str) -> str | None:
    return STATES.get(_clean(name).upper().strip(" ."))


def _place_of_hloc(name: str) -> str:
    """``"ATLANTA, GEORGIA"`` -> ``"Atlanta, GA"``; other names just title-cased."""
    head, sep, tail = _clean(name).rpartition(",")
    state = _state_code(tail) if sep else None
    if state and head.strip():
        return f"{title_case(head.strip())}, {state}"
    return title_case(name)


def place(entry: CourtEntry) -> str | None:
    """Rule 1: where the court is, from the best field the lookups fill (None: nothing)."""
    city = _clean(entry.city)
    if city:
        state = _clean(entry.state).upper()
        return f"{title_case(city)}, {state}" if state else title_case(city)
    if _clean(entry.hearing_location_name):
        return _place_of_hloc(str(entry.hearing_location_name))
    if _clean(entry.base_city_name):
        return title_case(entry.base_city_name)
    return None


def _strip_generic(text: str) -> str:
    return GENERIC_NAME.sub(" ", text).strip(_SEPARATORS + " ")


def qualifier(entry: CourtEntry) -> str | None:
    """Rule 2: what tells this court from others in its place (None: nothing does)."""
    own = _strip_generic(_clean(entry.base_city_name))
    if own:
        return title_case(own)
    city = _clean(entry.city).upper()
    hloc = _clean(entry.hearing_location_name)
    if not city or not hloc:
        return None  # the place came from the hearing location (or nothing): no more to say
    head, sep, tail = hloc.rpartition(",")
    if sep and _state_code(tail) and head.upper().startswith(city):
        return None  # "NEW YORK CITY, NEW YORK" names the place, not a court in it
    rest = hloc[len(city) :] if hloc.upper().startswith(city + " ") else hloc
    rest = _strip_generic(rest.strip(_SEPARATORS))
    if not rest or rest.upper() == city:
        return None
    return title_case(rest)


def court_names(entries: Iterable[CourtEntry]) -> dict[str, str]:
    """Code -> a name no other code of ``entries`` has (case-insensitively); codes about
    which the lookups say nothing are left out (their label stays NULL)."""
    by_code = {e.code: e for e in entries if e.code}
    places = {code: p for code, e in by_code.items() if (p := place(e))}
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for code, p in places.items():
        groups[p.casefold()].append(code)
    names: dict[str, str] = {}
    for codes in groups.values():
        if len(codes) == 1:
            names[codes[0]] = places[codes[0]]
            continue
        plain = [c for c in codes if qualifier(by_code[c]) is None]
        for code in codes:
            extra = qualifier(by_code[code])
            if extra is not None:
                names[code] = f"{places[code]}{DASH}{extra}"
            elif len(plain) == 1:
                names[code] = places[code]
            else:
                names[code] = f"{places[code]} ({code})"
    seen: defaultdict[str, list[str]] = defaultdict(list)
    for code, name in names.items():
        seen[name.casefold()].append(code)
    for codes in seen.values():
        if len(codes) > 1:
            for code in codes:
                names[code] = f"{names[code]} ({code})"
    return dict(sorted(names.items()))
