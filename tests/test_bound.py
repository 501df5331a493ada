"""Bound parameters (asylumlens.analytics.bound) change no figure: a query compiled once per
shape and run with its codes bound returns exactly what the same query compiled with its
codes as literals returns, on the fact table and on every rollup."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_support import random_release
from asylumlens.analytics import DEFINITIONS, DIMENSIONS, Engine
from asylumlens.analytics.bound import bind_placeholders, placeholder, placeholders
from asylumlens.analytics.rates import (
    RatesSpec,
    check_where_values,
    code_shape,
    counts_expr,
    known_codes,
    rollup_counts_expr,
    rollup_for,
    with_values,
)
from asylumlens.analytics.rollups import asylum_rows, build_rollups, check_rollups
from asylumlens.errors import QueryError

CODE_DIMS = sorted(name for name, d in DIMENSIONS.items() if d.kind == "code")


def test_placeholders_become_numbered_parameters() -> None:
    one, two = placeholders(2)
    sql = f"SELECT * FROM t WHERE a = '{one}' AND b IN ('{two}', '{one}')"
    assert bind_placeholders(sql, 2) == "SELECT * FROM t WHERE a = $1 AND b IN ($2, $1)"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t WHERE a = 'x'",  # the placeholder was dropped
        f"SELECT * FROM t WHERE a = '{placeholder(0)}' || 'x' OR b = \"{placeholder(0)}\"",
        f"SELECT * FROM t WHERE a = 'pre{placeholder(0)}'",  # inside another literal
        f"SELECT * FROM t WHERE a = '{placeholder(0)}' AND b = '{placeholder(1)}'",  # extra
    ],
)
def test_a_shape_that_does_not_bind_cleanly_is_refused(sql: str) -> None:
    assert bind_placeholders(sql, 1) is None


def test_placeholders_are_unguessable_per_process() -> None:
    assert len(placeholder(0)) > 20 and placeholder(0) != placeholder(1)
    assert placeholder(0) not in placeholder(10)  # no placeholder is a prefix of another


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bound")
    release = random_release(seed=20261204, n_cases=500).publish(root)
    con = duckdb.connect()
    try:
        facts = release.path / "decisions.parquet"
        assert check_rollups(build_rollups(con, facts, release.path), asylum_rows(con, facts)) == []
    finally:
        con.close()
    return root


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(rollups=True) as made:
        yield made


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def _both(source: Any, spec: RatesSpec, table: Any, build: Any) -> tuple[pd.DataFrame, ...]:
    """(bound, literal) counts of ``spec`` on ``table``, and whether the shape bound."""
    shape, values = code_shape(spec)
    query = ("test-counts", id(table), shape)
    bound = source.run_bound(query, lambda vals: build(table, with_values(shape, vals)), values)
    literal = source.run(build(table, spec))
    return bound, literal


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bound_counts_equal_literal_counts(
    world: Path, engine: Engine, data: st.DataObject
) -> None:
    """Random definitions, units, group-bys and one to three code filters (one value or
    several): the counts bound by parameter equal the counts compiled with literals, on the
    fact table and, where one covers the query, on its rollup."""
    with engine.open(world) as source:
        where: dict[str, list[str]] = {}
        for dim in data.draw(
            st.lists(st.sampled_from(CODE_DIMS), min_size=1, max_size=3, unique=True)
        ):
            known = sorted(k.code for k in known_codes(source, dim))[:6]
            if known:
                where[dim] = data.draw(
                    st.lists(st.sampled_from(known), min_size=1, max_size=3, unique=True)
                )
        by = tuple(
            data.draw(st.lists(st.sampled_from(sorted(DIMENSIONS)), max_size=2, unique=True))
        )
        try:
            spec = check_where_values(
                source,
                RatesSpec.build(
                    data.draw(st.sampled_from(sorted(DEFINITIONS))),
                    by,
                    where or None,
                    unit=data.draw(st.sampled_from([None, "application", "case", "proceeding"])),
                ),
            )
        except QueryError:
            return
        bound, literal = _both(source, spec, source.table, counts_expr)
        pd.testing.assert_frame_equal(_sorted(bound), _sorted(literal))
        rollup = rollup_for(source, spec)
        if rollup is not None:
            table = source.rollups[rollup.name]
            bound, literal = _both(source, spec, table, rollup_counts_expr)
            pd.testing.assert_frame_equal(_sorted(bound), _sorted(literal))


def test_page_shapes_bind_and_compile_once(world: Path, engine: Engine) -> None:
    """The judge, court and nationality filters of the pages bind (no literal fallback),
    and two judges share one compiled statement."""
    with engine.open(world) as source:
        for dim in ("judge", "court", "nationality"):
            codes = sorted(k.code for k in known_codes(source, dim))[:2]
            shape, values = code_shape(RatesSpec.build("eoir", ("fiscal_year",), {dim: codes[0]}))
            assert values == (codes[0],)
            assert (
                engine.compiled_bound(
                    source.key, ("bind-check", shape), partial(counts_expr, source.table, shape), 1
                )
                is not None
            )
            other, _ = code_shape(RatesSpec.build("eoir", ("fiscal_year",), {dim: codes[1]}))
            assert other == shape  # one shape for every code of the dimension


def test_a_value_is_never_sql(world: Path, engine: Engine) -> None:
    """A value full of quotes and SQL reaches DuckDB as a value: no error, no match, the
    same (empty) answer the escaped literal gives."""
    hostile = "NYC' OR '1'='1'; DROP TABLE decisions; --\\"
    spec = RatesSpec.build("eoir", ("fiscal_year",))
    spec = RatesSpec(spec.definition, spec.by, (("court", (hostile,)),), unit=spec.unit)
    with engine.open(world) as source:
        bound, literal = _both(source, spec, source.table, counts_expr)
        assert bound.empty and literal.empty
        assert len(source.run_sql("SELECT count(*) AS n FROM decisions")) == 1
