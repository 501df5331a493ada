"""Did-you-mean suggestions: one library rule each for codes
(``code_match.near_matches``, used by the web's 404 pages) and for release ids
(``store.closest_release_ids`` and ``store.mistyped_release_ids``, used by the web's
``?release=`` 404 and by every CLI ``--release``), on exact inputs and a real store.
"""

from __future__ import annotations

from datetime import date

import pytest

from analytics_support import Builder
from asylumlens.analytics.code_match import KnownCode, near_matches
from asylumlens.errors import StoreError
from asylumlens.store import Store, closest_release_ids, mistyped_release_ids
from cli_support import run_cli

JUDGES = [
    KnownCode("JAA", "ADAMS, A."),
    KnownCode("JAB", "ABBOTT, B."),
    KnownCode("JBB", "BAKER, B."),
    KnownCode("XYZ", "ZIMMER, Z."),
]


def codes(found: list[KnownCode]) -> list[str]:
    return [k.code for k in found]


def test_near_codes_closest_first_ties_by_code() -> None:
    # JAC is 2/3 like JAA and JAB (a tie, by code), 1/3 like JBB: under the 0.5 cut
    assert codes(near_matches("JAC", JUDGES)) == ["JAA", "JAB"]
    assert codes(near_matches("jbb", JUDGES)) == ["JBB", "JAB"]  # case folded: JBB exact
    assert codes(near_matches("JAC", JUDGES, limit=1)) == ["JAA"]


def test_near_codes_by_label_and_by_part_of_a_label() -> None:
    assert codes(near_matches("baker", JUDGES)) == ["JBB"]  # BAKER in "BAKER, B."
    # the whole name; ABBOTT, B. and ZIMMER, Z. share ", B." / "ER, ": 0.53 each, a tie
    assert codes(near_matches("baker, b.", JUDGES)) == ["JBB", "JAB", "XYZ"]
    assert codes(near_matches("zimm", JUDGES)) == ["XYZ"]  # "ZIMMER, Z." contains it


def test_nothing_near_is_empty_so_the_caller_offers_something_else() -> None:
    assert near_matches("QQQQQQQQ", JUDGES) == []
    assert near_matches("  ", JUDGES) == []
    assert near_matches("JAA", []) == []


def test_release_ids_all_listed_closest_first() -> None:
    valid = ["2026-09-01", "2026-10-01", "2026-11-01"]
    assert closest_release_ids("2026-11-02", valid) == ["2026-11-01", "2026-10-01", "2026-09-01"]
    assert closest_release_ids("x", []) == []
    assert sorted(closest_release_ids("latest", valid)) == sorted(valid)


def test_mistyped_release_ids_only_when_close() -> None:
    valid = ["2026-10-01", "2026-11-01"]
    assert mistyped_release_ids("2026-1101", valid) == ["2026-11-01"]  # not 2026-10-01 (0.84)
    assert mistyped_release_ids("2026-1-01", valid) == ["2026-10-01", "2026-11-01"]  # a tie
    assert mistyped_release_ids("1999-01-01", valid) == []
    assert mistyped_release_ids("2026-11-01", []) == []


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("near")
    for rid in ("2026-10-01", "2026-11-01"):
        b = Builder()
        b.decided(date(2025, 3, 1), "G")
        b.publish(root, release_id=rid, release_date=rid)
    return Store(root)


def test_store_error_lists_valid_ids_and_the_one_meant(store: Store) -> None:
    with pytest.raises(StoreError) as caught:
        store.release("2026-1101")
    assert str(caught.value) == (
        f"no release '2026-1101' in store {store.root}; valid: 2026-10-01, 2026-11-01; "
        "did you mean 2026-11-01?"
    )
    with pytest.raises(StoreError) as far:
        store.release("1999-01-01")
    assert str(far.value).endswith("valid: 2026-10-01, 2026-11-01")


def test_cli_release_typo_exits_2_with_the_suggestion(store: Store) -> None:
    done = run_cli("status", "--store", str(store.root), "--release", "2026-1101")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].endswith("did you mean 2026-11-01?")
