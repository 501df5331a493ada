"""Rollups (asylumlens.analytics.rollups) change no figure: every rates() answer with the
rollups on equals the fact table's, whether a rollup served it or the query fell back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_support import Builder, random_release
from asylumlens.analytics import DEFINITIONS, DIMENSIONS, Engine, rates
from asylumlens.analytics.rates import RatesSpec, rollup_for
from asylumlens.analytics.rollups import (
    ROLLUPS,
    asylum_rows,
    build_rollups,
    check_rollups,
    present_rollups,
    rollup_path,
)
from asylumlens.errors import QueryError
from asylumlens.pipeline import ingest_release
from asylumlens.store import Release, Store
from asylumlens.synth import generate

ROLLUP_DIMS = sorted({d for r in ROLLUPS for d in r.dimensions})


def _with_rollups(release: Release) -> Release:
    con = duckdb.connect()
    try:
        facts = release.path / "decisions.parquet"
        written = build_rollups(con, facts, release.path)
        assert check_rollups(written, asylum_rows(con, facts)) == []
    finally:
        con.close()
    return release


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rollups")
    _with_rollups(random_release(seed=20261203, n_cases=500).publish(root))
    return root


@pytest.fixture(scope="module")
def engines() -> Iterator[tuple[Engine, Engine]]:
    on, off = Engine(rollups=True), Engine(rollups=False)
    yield on, off
    on.close()
    off.close()


def _answer(engine: Engine, root: Path, **kw: Any) -> pd.DataFrame | str:
    try:
        return rates(store=root, engine=engine, **kw)
    except QueryError as exc:
        return f"QueryError: {exc}"


def _served_by_rollup(engine: Engine, root: Path, spec: RatesSpec) -> bool:
    from asylumlens.analytics.rates import check_where_values

    with engine.open(root) as source:
        try:
            resolved = check_where_values(source, spec)
        except QueryError:
            return False
        return rollup_for(source, resolved) is not None


fy_bound = st.one_of(
    st.none(),
    st.integers(2008, 2026).map(lambda y: date(y - 1, 10, 1)),
    st.dates(min_value=date(2008, 6, 1), max_value=date(2026, 6, 1)),
)
fy_end = st.one_of(
    st.none(),
    st.integers(2008, 2026).map(lambda y: date(y, 9, 30)),
    st.dates(min_value=date(2008, 6, 1), max_value=date(2026, 6, 1)),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rollup_figures_equal_fact_table(
    world: Path, engines: tuple[Engine, Engine], data: st.DataObject
) -> None:
    """Random definitions, units, grant sets, group-bys, filters and spans (whole fiscal
    years or any dates): rates() with rollups on returns the very frame (values, columns,
    attrs) or the very error the fact table does."""
    on, off = engines
    dims = data.draw(st.sampled_from([ROLLUP_DIMS, list(DIMENSIONS)]), "dims")
    by = tuple(data.draw(st.lists(st.sampled_from(dims), max_size=2, unique=True), "by"))
    where: dict[str, Any] = {}
    for dim in data.draw(st.lists(st.sampled_from(dims), max_size=2, unique=True), "where"):
        if dim == "represented":
            where[dim] = data.draw(st.sampled_from(["true", "false"]))
        elif dim in ("fiscal_year", "calendar_year"):
            where[dim] = data.draw(st.sampled_from(["2012", "2015", "2019"]))
        else:
            known = off_codes(world, off, dim)
            if not known:
                continue
            where[dim] = data.draw(st.lists(st.sampled_from(known), min_size=1, max_size=2))
    since, until = data.draw(fy_bound, "since"), data.draw(fy_end, "until")
    if since and until and since > until:
        since, until = None, until
    kw: dict[str, Any] = {
        "definition": data.draw(st.sampled_from(sorted(DEFINITIONS)), "definition"),
        "by": by,
        "where": where or None,
        "since": since,
        "until": until,
        "unit": data.draw(st.sampled_from([None, "application", "case", "proceeding"])),
        "grant_codes": data.draw(st.sampled_from([None, ("G",), ("G", "F", "L")])),
    }
    got, expected = _answer(on, world, **kw), _answer(off, world, **kw)
    if isinstance(expected, str):
        assert got == expected
        return
    assert isinstance(got, pd.DataFrame)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs


def off_codes(root: Path, engine: Engine, dim: str) -> list[str]:
    """The release's codes of ``dim`` (from the fact table)."""
    from asylumlens.analytics.rates import known_codes

    with engine.open(root) as source:
        return sorted(k.code for k in known_codes(source, dim))[:5]


def test_page_queries_are_served_by_rollups(world: Path, engines: tuple[Engine, Engine]) -> None:
    """The queries the pages make (eoir, by year/court/nationality, one filter, whole
    fiscal years) are answered from a rollup, and others (a case unit, a date span that is
    not whole fiscal years, a dimension no rollup keeps) fall back to the fact table; the
    figures agree either way (the property test above)."""
    on, _ = engines
    served = [
        RatesSpec.build("eoir", ("fiscal_year",)),
        RatesSpec.build("eoir", ("court",), {"nationality": "CH"}),
        RatesSpec.build("eoir", ("nationality",), {"judge": "JAA"}, "FY2012", "FY2020"),
        RatesSpec.build("eoir", ("fiscal_year",), {"judge": "JAA", "custody": "D"}),
    ]
    fallback = [
        RatesSpec.build("trac", ("fiscal_year",)),
        RatesSpec.build("eoir", ("fiscal_year",), since="2015-03-02"),
        RatesSpec.build("eoir", ("language",)),
        RatesSpec.build("trac_other_relief", ("fiscal_year",), unit="application"),
    ]
    assert [_served_by_rollup(on, world, s) for s in served] == [True] * len(served)
    assert [_served_by_rollup(on, world, s) for s in fallback] == [False] * len(fallback)


def test_release_without_rollups_falls_back(tmp_path: Path) -> None:
    """A release ingested before rollups existed (no rollups/ folder) answers every query
    from the fact table, with the figures a hand count gives."""
    b = Builder()
    for decision in ("G", "G", "D"):
        b.decided(date(2020, 3, 1), decision)
    release = b.publish(tmp_path)
    assert present_rollups(release.path) == ()
    with Engine(rollups=True) as engine:
        with engine.open(tmp_path) as source:
            assert source.rollups == {}
        df = rates("eoir", by=("fiscal_year",), store=tmp_path, engine=engine)
    assert (int(df["grants"].iloc[0]), int(df["total"].iloc[0])) == (2, 3)


def test_ingest_publishes_rollups_that_reconcile(tmp_path: Path) -> None:
    """A real ingest (synthetic release with faults) publishes every rollup in the release,
    the manifest's rollup block counts exactly the fact table's ASYL rows for each, the
    manifest's decisions rows still equal the fact table's, and the pages' queries read
    from rollups give the fact table's figures."""
    made = generate(tmp_path / "synth", 800, 5, release_date=date(2026, 11, 1), faults=True)
    release = ingest_release(made.release, Store(tmp_path / "store")).release
    assert {r.name for r in present_rollups(release.path)} == {r.name for r in ROLLUPS}
    facts = release.path / "decisions.parquet"
    con = duckdb.connect()
    try:
        asyl = asylum_rows(con, facts)
        rows = con.execute(f"SELECT count(*) FROM read_parquet('{facts}')").fetchone()
        per_file = {
            r.name: con.execute(
                f"SELECT sum(decisions) FROM read_parquet('{rollup_path(release.path, r)}')"
            ).fetchone()
            for r in ROLLUPS
        }
    finally:
        con.close()
    manifest = release.manifest
    assert rows is not None and manifest["decisions"]["rows"] == rows[0]
    assert {n: b["decisions"] for n, b in manifest["rollups"].items()} == dict.fromkeys(
        (r.name for r in ROLLUPS), asyl
    )
    assert {n: int(v[0]) for n, v in per_file.items() if v} == dict.fromkeys(
        (r.name for r in ROLLUPS), asyl
    )
    with Engine(rollups=True) as on, Engine(rollups=False) as off:
        for by in (("fiscal_year",), ("court",), ("nationality",), ("judge",)):
            got = rates("eoir", by=by, store=release.path.parent.parent, engine=on)
            pd.testing.assert_frame_equal(
                got, rates("eoir", by=by, store=release.path.parent.parent, engine=off)
            )


def test_ingest_writes_reconciled_rollups(tmp_path: Path) -> None:
    """Rollups built for a release count every ASYL decision of its fact table exactly
    once each (so they reconcile with the manifest's fact table), and a count that does
    not add up is reported."""
    raw = random_release(seed=7, n_cases=120)
    release = _with_rollups(raw.publish(tmp_path))
    assert {r.name for r in present_rollups(release.path)} == {r.name for r in ROLLUPS}
    con = duckdb.connect()
    try:
        facts = release.path / "decisions.parquet"
        asyl = asylum_rows(con, facts)
        assert asyl > 0
        written = build_rollups(con, facts, release.path)
    finally:
        con.close()
    assert check_rollups(written, asyl) == []
    assert check_rollups(written, asyl + 1) != []
    assert Store(tmp_path).release(None).path == release.path


@pytest.mark.parametrize("dimension", sorted(DIMENSIONS))
def test_code_listings_equal_fact_table(
    world: Path, engines: tuple[Engine, Engine], dimension: str
) -> None:
    """analytics.codes() (listings, pickers, catalog pages) gives the same codes, labels and
    decision counts from a rollup as from the fact table, for every dimension (those no
    rollup keeps fall back)."""
    from asylumlens.analytics import codes

    on, off = engines
    got = codes(dimension, store=world, engine=on)
    expected = codes(dimension, store=world, engine=off)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs
