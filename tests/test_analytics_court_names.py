"""Court names: the rule (a pure function) and the fact table's ``court_name`` built by it.

EOIR's court lookup names nearly every court "IMMIGRATION COURT"; the name shown is built
from BASE_CITY/BASE_STATE, the hearing-location lookup and BASE_CITY_NAME
(``docs/methodology.md``, "Court names"). Exact expected names on hand-built lookups, real
DuckDB over real Parquet, and one real synthetic release.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from analytics_support import HLOCS, JUDGES, LANGS, NATS, Builder, standard_lookups
from asylumlens.analytics import codes, rates
from asylumlens.analytics.court_names import CourtEntry, court_names, title_case
from asylumlens.analytics.decisions import build_decisions
from asylumlens.pipeline import ingest_release
from asylumlens.store import Store
from asylumlens.synth import generate

GENERIC = "IMMIGRATION COURT"
DASH = "\N{EN DASH}"

# The New York courts as EOIR's lookups describe them (hearing-location names verbatim).
NEW_YORK = [
    CourtEntry("NYC", GENERIC, "NEW YORK", "NY", "NEW YORK CITY, NEW YORK"),
    CourtEntry("NYD", GENERIC, "NEW YORK", "NY", "NEW YORK SERVICE PROCESSING CENTER (VARICK ST)"),
    CourtEntry("NYV", GENERIC, "NEW YORK", "NY", "NEW YORK VARICK"),
    CourtEntry("NYB", GENERIC, "NEW YORK", "NY", "NEW YORK BROADWAY"),
]


def test_city_and_state_name_a_court() -> None:
    assert court_names([CourtEntry("ATL", GENERIC, "ATLANTA", "GA", "ATLANTA, GEORGIA")]) == {
        "ATL": "Atlanta, GA"
    }
    assert court_names([CourtEntry("SLC", GENERIC, " SALT  LAKE CITY ", "ut")]) == {
        "SLC": "Salt Lake City, UT"
    }


def test_courts_of_one_city_are_told_apart() -> None:
    assert court_names(NEW_YORK) == {
        "NYB": f"New York, NY {DASH} Broadway",
        "NYC": "New York, NY",
        "NYD": f"New York, NY {DASH} Service Processing Center (Varick St)",
        "NYV": f"New York, NY {DASH} Varick",
    }


def test_own_name_beats_the_hearing_location_when_it_is_not_generic() -> None:
    names = court_names(
        [
            CourtEntry("FIS", "IMMIGRATION COURT - DOWNSTATE C.F.", "FISHKILL", "NY", "X Y"),
            CourtEntry("FIT", GENERIC, "FISHKILL", "NY"),
        ]
    )
    assert names == {"FIS": f"Fishkill, NY {DASH} Downstate C.F.", "FIT": "Fishkill, NY"}


def test_two_plain_courts_of_one_place_get_their_codes() -> None:
    names = court_names(
        [
            CourtEntry("WAS", GENERIC, "ARLINGTON", "VA", "ARLINGTON, VIRGINIA"),
            CourtEntry("CLE", GENERIC, "ARLINGTON", "VA", "ARLINGTON, VIRGINIA"),
        ]
    )
    assert names == {"CLE": "Arlington, VA (CLE)", "WAS": "Arlington, VA (WAS)"}


def test_without_city_columns_the_hearing_location_then_the_own_name() -> None:
    names = court_names(
        [
            CourtEntry("ATL", GENERIC, None, None, "ATLANTA, GEORGIA"),
            CourtEntry("KRO", GENERIC, "", "", "KROME NORTH SERVICE PROCESSING CENTER"),
            CourtEntry("RIC", "HEADQUARTERS IMMIGRATION COURT"),
            CourtEntry("ZZZ"),
        ]
    )
    assert names == {
        "ATL": "Atlanta, GA",
        "KRO": "Krome North Service Processing Center",
        "RIC": "Headquarters Immigration Court",
    }  # ZZZ: nothing known, no name (a NULL label)


def test_generic_names_alone_still_differ() -> None:
    names = court_names([CourtEntry("ATL", GENERIC), CourtEntry("BOS", GENERIC)])
    assert names == {"ATL": "Immigration Court (ATL)", "BOS": "Immigration Court (BOS)"}


def test_title_case_keeps_acronyms_and_mixed_case() -> None:
    assert title_case("DHS/ICE-ENFORCEMENT REMOVAL OFFICE") == "DHS/ICE-Enforcement Removal Office"
    assert title_case("MCALLEN") == "McAllen"
    assert title_case("BOARD OF IMMIGRATION APPEALS") == "Board of Immigration Appeals"
    assert title_case("Van Nuys") == "Van Nuys"


# --- the fact table ----------------------------------------------------------------------

COURTS_HERE = {"NYC": GENERIC, "NYV": GENERIC, "HOU": GENERIC}
PLACES = {"NYC": ("NEW YORK", "NY"), "NYV": ("NEW YORK", "NY"), "HOU": ("HOUSTON", "TX")}


def _builder(places: dict[str, tuple[str, str]] | None) -> Builder:
    b = Builder()
    hlocs = {**HLOCS, "NYV": "NEW YORK VARICK"}
    lookups = standard_lookups(NATS, JUDGES, COURTS_HERE, hlocs, LANGS, places)
    b.raw.tables.update(lookups)
    # HEARING_LOC_CODE is not unique in EOIR's lookup: an inactive second NYV row
    b.raw.tables["tblLookupHloc"].append(
        dict(idnhloc=99, hearing_loc_code="NYV", hearing_loc_name="AAA OLD VARICK", blnactive=False)
    )
    for court in ("NYC", "NYV", "HOU"):
        b.decided(date(2020, 3, 1), "G", base_city_code=court, hearing_loc_code=court)
    b.decided(date(2020, 3, 1), "D", base_city_code="NYC")
    return b


def _names(store: Path) -> dict[str, str]:
    df = rates(by=("court",), store=store, min_decisions=0)
    return dict(zip(df["court"], df["court_name"], strict=True))


def test_fact_table_names_courts_from_city_and_state(tmp_path: Path) -> None:
    _builder(PLACES).publish(tmp_path)
    assert _names(tmp_path) == {
        "HOU": "Houston, TX",
        "NYC": "New York, NY",
        "NYV": f"New York, NY {DASH} Varick",
    }
    # the hearing location keeps one name per code, the active row's
    hloc = codes("hearing_location", store=tmp_path)
    assert dict(zip(hloc["code"], hloc["label"], strict=True))["NYV"] == "NEW YORK VARICK"
    assert len(hloc) == len(set(hloc["code"]))


def test_fact_table_falls_back_to_the_hearing_location(tmp_path: Path) -> None:
    _builder(None).publish(tmp_path)
    assert _names(tmp_path) == {"HOU": "Houston", "NYC": "New York", "NYV": "New York Varick"}


def test_a_court_lookup_without_the_city_columns_still_names(tmp_path: Path) -> None:
    release = _builder(PLACES).publish(tmp_path, build=False)
    part = release.path / "tables" / "tblLookupBaseCity" / "part-0.parquet"
    table = pq.read_table(part)
    pq.write_table(table.drop_columns(["base_city", "base_state"]), part)
    con = release.connect()
    try:
        build_decisions(con, release.path / "decisions.parquet")
    finally:
        con.close()
    assert _names(tmp_path) == {"HOU": "Houston", "NYC": "New York", "NYV": "New York Varick"}


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    base = tmp_path_factory.mktemp("synth-courts")
    made = generate(base / "synth", cases=1500, seed=7, faults=False)
    store = Store(base / "store")
    ingest_release(made.release, store)
    return store


def test_synthetic_release_carries_city_names(synthetic_store: Store) -> None:
    df = codes("court", store=synthetic_store)
    labels = [str(x) for x in df["label"]]
    assert labels and all(labels), "every synthetic court has a name"
    assert len(set(labels)) == len(labels), "no two courts share a name"
    assert not any("IMMIGRATION COURT" in label.upper() for label in labels)
    # every name is "City, ST" (a court qualified after a dash where a city has several)
    assert all(", " in label and label.split(", ")[1][:2].isupper() for label in labels)
