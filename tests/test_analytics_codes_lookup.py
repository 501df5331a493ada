"""Filter values resolved to the release's codes (any case, or a name), and name search.

The rule (``asylumlens.analytics.code_match``) is tested as a pure function; then through
rates/compare/judges and the CLI on a hand-built release (real DuckDB, exact counts), so
the library, CLI and API share it.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics_support import Builder
from asylumlens.analytics import compare, find_codes, judges, rates
from asylumlens.analytics.code_match import KnownCode, resolve_code, resolve_codes
from asylumlens.cli import app, main
from asylumlens.errors import QueryError

NATIONS = [
    KnownCode("CH", "CHINA"),
    KnownCode("ES", "EL SALVADOR"),
    KnownCode("GT", "GUATEMALA"),
    KnownCode("GV", "GUINEA"),
    KnownCode("PU", "GUINEA-BISSAU"),
    KnownCode("EK", "EQUATORIAL GUINEA"),
    KnownCode("XX"),  # a code the lookup does not list
]


def resolve(value: str, known: list[KnownCode] = NATIONS) -> str:
    return resolve_code("nationality", value, known, "R1")


@pytest.mark.parametrize(
    "value,code",
    [
        ("CH", "CH"),  # as written
        ("ch", "CH"),  # ignoring case
        ("xx", "XX"),  # an unlabelled code too
        ("china", "CH"),  # whole label
        ("  El   Salvador ", "ES"),  # whole label, spacing ignored
        ("guinea", "GV"),  # the whole label wins over GUINEA-BISSAU's prefix
        ("guat", "GT"),  # unique prefix
        ("salvador", "ES"),  # unique part
        ("bissau", "PU"),
    ],
)
def test_a_value_resolves_to_one_code(value: str, code: str) -> None:
    assert resolve(value) == code


def test_a_short_value_is_a_code_or_unknown_never_part_of_a_name() -> None:
    """custody=D in a release whose only custody is N ("Never Detained") must not count the
    never-detained as detained."""
    custody = [KnownCode("N", "Never Detained")]
    for value in ("D", "d", "de", "ed"):
        with pytest.raises(QueryError, match=rf"unknown custody code '{value}'"):
            resolve_code("custody", value, custody, "R1")
    assert resolve_code("custody", "never", custody, "R1") == "N"
    assert resolve_code("custody", "detained", custody, "R1") == "N"  # a whole word, spelled out
    with pytest.raises(QueryError, match="unknown"):
        resolve_code("custody", "tained", custody, "R1")  # inside a word: not a name


def test_a_code_wins_over_a_name() -> None:
    known = [KnownCode("ES", "SPAIN"), KnownCode("SP", "ES")]
    assert resolve("ES", known) == "ES"
    assert resolve("es", known) == "ES"  # a code ignoring case comes before a label


def test_codes_differing_only_in_case_need_the_exact_spelling() -> None:
    known = [KnownCode("Ab", "ONE"), KnownCode("AB", "TWO")]
    assert resolve("Ab", known) == "Ab"
    with pytest.raises(QueryError, match=r"'ab' is ambiguous .* 2 codes"):
        resolve("ab", known)


def test_an_ambiguous_name_lists_candidates_closest_first() -> None:
    with pytest.raises(QueryError) as err:
        resolve("guin")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("nationality 'guin' is ambiguous in release R1")
    assert "GV (GUINEA), PU (GUINEA-BISSAU)" in message
    assert "EK" not in message  # only a part, not a prefix: the prefix step had matches


def test_an_unknown_value_names_the_closest_codes() -> None:
    with pytest.raises(QueryError) as err:
        resolve("chna")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("unknown nationality code 'chna'")
    assert "valid (7): CH (CHINA)," in message
    assert "codes nationality --search" in message


def test_each_code_once_in_the_order_given() -> None:
    assert resolve_codes("nationality", ["china", "gt", "CH"], NATIONS, "R1") == ("CH", "GT")


# --- through the library and the CLI -----------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = Builder()
    for i in range(6):  # NYC: 4 CH (3 granted), 2 ES (denied)
        b.decided(date(2021, 3, 1), "G" if i < 3 else "D", nat="CH" if i < 4 else "ES")
    for i in range(3):  # HOU: 3 GT, 1 granted
        b.decided(date(2021, 3, 1), "G" if i == 0 else "D", nat="GT", base_city_code="HOU")
    root = tmp_path_factory.mktemp("codes-lookup")
    b.publish(root)
    return root


def test_rates_resolve_case_and_names_to_codes(store: Path) -> None:
    exact = rates(by=(), where={"court": "NYC", "nationality": "CH"}, store=store)
    typed = rates(by=(), where={"court": "nyc", "nationality": "china"}, store=store)
    assert (int(typed["grants"][0]), int(typed["total"][0])) == (3, 4)
    assert typed[["grants", "total"]].equals(exact[["grants", "total"]])
    assert typed.attrs["where"] == {"court": ["NYC"], "nationality": ["CH"]}


def test_rates_several_values_each_resolved(store: Path) -> None:
    df = rates(by=("nationality",), where={"nationality": ["china", "ch", "gt"]}, store=store)
    assert df.attrs["where"] == {"nationality": ["CH", "GT"]}
    assert dict(zip(df["nationality"], df["total"], strict=True)) == {"CH": 4, "GT": 3}


def test_only_codes_the_release_uses_are_candidates(store: Path) -> None:
    # MX (MEXICO) is in the lookup but decides nothing here: "mexico" is unknown
    with pytest.raises(QueryError, match=r"unknown nationality code 'mexico'.*valid \(3\): "):
        rates(where={"nationality": "mexico"}, store=store)
    # "a" is in CHINA, EL SALVADOR and GUATEMALA, but too short to be part of a name
    with pytest.raises(QueryError, match=r"unknown nationality code 'a'.*valid \(3\): "):
        rates(where={"nationality": "a"}, store=store)


def test_compare_reports_a_bad_value_not_an_empty_result(store: Path) -> None:
    with pytest.raises(QueryError, match=r"^unknown court code 'zzz'"):
        compare(period="FY2021", baseline="FY2020", where={"court": "zzz"}, store=store)
    df = compare(period="FY2021", baseline="FY2021", where={"court": "hou"}, store=store)
    assert df.attrs["where"] == {"court": ["HOU"]}
    assert int(df.loc[0, "grants"]) == 1 and int(df.loc[0, "total"]) == 3


def test_judges_take_a_court_in_any_case(store: Path) -> None:
    df = judges(court="nyc", nationality="china", store=store)
    assert df.attrs["court"] == "NYC" and df.attrs["nationality"] == "CH"
    assert df.attrs["where"] == {"court": ["NYC"], "nationality": ["CH"]}
    assert int(df["total"].sum()) == 4


def test_find_codes_best_first(store: Path) -> None:
    df = find_codes("nationality", "a", store=store)
    # label prefix (none), word prefix (none), then parts: busiest first
    assert list(df["code"]) == ["CH", "GT", "ES"]
    assert list(df["decisions"]) == [4, 3, 2]
    assert df.attrs["search"] == "a" and df.attrs["dimension"] == "nationality"
    assert list(find_codes("nationality", "Salv", store=store)["code"]) == ["ES"]
    assert list(find_codes("nationality", "gt", store=store)["code"]) == ["GT"]


def test_find_codes_nothing_found_names_the_closest(store: Path) -> None:
    with pytest.raises(QueryError, match=r"no nationality code or name .* matches 'chinaa'.*CH"):
        find_codes("nationality", "chinaa", store=store)
    with pytest.raises(QueryError, match="search text is empty"):
        find_codes("nationality", "  ", store=store)


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_where_takes_names_and_codes_search(store: Path) -> None:
    code, out, _ = _cli(
        "rates", "--by", "court", "--where", "court=nyc", "-f", "json", "--store", str(store)
    )
    assert code == 0
    assert [(r["court"], r["total"]) for r in json.loads(out)] == [("NYC", 6)]
    code, out, _ = _cli(
        "codes", "nationality", "--search", "guat", "-f", "json", "--store", str(store)
    )
    assert code == 0
    assert [(r["code"], r["decisions"]) for r in json.loads(out)] == [("GT", 3)]


def test_cli_unknown_name_is_one_error_line(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["asylumlens", "rates", "--where", "nationality=nowhere", "--store", str(store)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: unknown nationality code 'nowhere'")
