"""The Spark engine against DuckDB on one synthetic release: the same Ibis expressions,
compiled to Spark SQL and run by a local Spark session, give exactly DuckDB's rows.

Exactly means ``assert_frame_equal(check_exact=True)`` on the whole frame (same rows in the
same order, same dtypes, rates equal to the last bit) and equal ``attrs``. The rates are
bit-identical by construction, not by luck: the engines only count (integers), and rates,
intervals and flags are computed from the counts in numpy (``analytics/rates.py``), so no
floating-point aggregation order can differ. Known gaps would be declared here as strict
xfails with their reason; there are none at present.

The suite needs Java (PySpark starts a JVM). Without ``java`` it is skipped, except in CI
(``CI=true``), where it fails so a run cannot go green without it (as tests/case_db.py does
for PostgreSQL). One Spark session serves the whole run (the process's, started once by
the session-scoped ``spark_engine`` fixture); the release is the web suites' synthetic
store (3,000 cases), built once per run.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from asylumlens.analytics import (
    DEFINITIONS,
    UNITS,
    Engine,
    check_claim,
    codes,
    compare,
    find_codes,
    judge_courts,
    judges,
    rates,
)
from asylumlens.analytics.source import resolve_engine
from asylumlens.errors import QueryError
from asylumlens.store import Store
from cli_support import run_cli

pytestmark = pytest.mark.spark

CLAIM = (
    "the asylum approval rate plummeted to 10 percent in 2025, from the 28 percent average "
    "recorded between 2010 and 2024"
)


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[Engine]:
    """The process's Spark engine (one local session for the run), or a skip/fail
    without Java."""
    if shutil.which("java") is None:
        message = "the Spark parity suite needs Java (apt-get install openjdk-17-jre-headless)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    engine = resolve_engine("spark")
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def duck_engine() -> Iterator[Engine]:
    with Engine() as engine:
        yield engine


def same(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    """Spark's frame is DuckDB's: rows, order, dtypes, values to the bit, and attrs (as
    JSON text, so a NaN in both, such as an empty spread's minimum, counts as equal)."""
    assert_frame_equal(spark, duck, check_exact=True)
    assert as_text(spark.attrs) == as_text(duck.attrs)


def as_text(attrs: Mapping[Any, Any]) -> str:
    return json.dumps(attrs, sort_keys=True, default=str)


def busiest(store: Store, dimension: str, duck_engine: Engine) -> str:
    """The code of ``dimension`` with most decisions (a filter value the data surely has)."""
    return str(codes(dimension, store=store, engine=duck_engine)["code"].iloc[0])


def both(call: Any, duck_engine: Engine, spark_engine: Engine, **kwargs: Any) -> None:
    same(call(engine=duck_engine, **kwargs), call(engine=spark_engine, **kwargs))


def test_spark_engine_runs_on_spark(store: Store, spark_engine: Engine) -> None:
    """The Spark engine's table is on Ibis' PySpark backend and its SQL is Spark SQL, so
    the parity below compares two engines, not DuckDB with itself."""
    with spark_engine.open(store) as source:
        assert source.cursor is None
        assert source.table._find_backend().name == "pyspark"
        assert spark_engine.dialect == "pyspark"
        assert len(source.run(source.table.limit(3))) == 3
    assert spark_engine.kind == "spark"


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("definition", list(DEFINITIONS))
def test_every_definition_and_unit(
    store: Store, duck_engine: Engine, spark_engine: Engine, definition: str, unit: str
) -> None:
    """Court x fiscal year under every definition and unit: Spark's rows are DuckDB's (the
    one-per-case window, the other-relief join and the scope filters all run on Spark)."""
    kwargs = dict(definition=definition, unit=unit, by=("court", "fiscal_year"), store=store)
    both(rates, duck_engine, spark_engine, **kwargs)


BREAKDOWNS = [
    ("fiscal_year",),
    ("judge",),
    ("court", "fiscal_year"),
    ("nationality",),
    ("custody",),
    ("represented",),
    ("calendar_year", "case_type"),
    (),
]


@pytest.mark.parametrize("by", BREAKDOWNS, ids=lambda by: "x".join(by) or "overall")
@pytest.mark.parametrize("definition", ["eoir", "trac"])
def test_breakdowns(
    store: Store, duck_engine: Engine, spark_engine: Engine, definition: str, by: tuple[str, ...]
) -> None:
    """Each breakdown (labels included) under the default definition and TRAC's."""
    both(rates, duck_engine, spark_engine, definition=definition, by=by, store=store)


@pytest.mark.parametrize("definition", ["eoir", "trac_other_relief", "trac_case_outcome"])
@pytest.mark.parametrize("filters", ["nationality", "court", "years", "all"])
def test_filters(
    store: Store,
    duck_engine: Engine,
    spark_engine: Engine,
    definition: str,
    filters: str,
) -> None:
    """A nationality, a court, a year window, and all three at once: the filter values are
    resolved against the release's codes on the engine itself, then counted."""
    where: dict[str, str] = {}
    window: dict[str, str] = {}
    if filters in ("nationality", "all"):
        where["nationality"] = busiest(store, "nationality", duck_engine)
    if filters in ("court", "all"):
        where["court"] = busiest(store, "court", duck_engine).lower()  # resolved to the code
    if filters in ("years", "all"):
        window = {"since": "FY2015", "until": "2024-06-30"}
    both(
        rates,
        duck_engine,
        spark_engine,
        definition=definition,
        by=("fiscal_year", "judge"),
        where=where,
        store=store,
        **window,
    )


def test_compare(store: Store, duck_engine: Engine, spark_engine: Engine) -> None:
    """The headline comparison (default period and baseline) and one with a filter and
    another unit."""
    both(compare, duck_engine, spark_engine, store=store)
    nat = busiest(store, "nationality", duck_engine)
    both(
        compare,
        duck_engine,
        spark_engine,
        definition="trac",
        unit="proceeding",
        where={"nationality": nat},
        store=store,
    )


def test_claim_readings(store: Store, duck_engine: Engine, spark_engine: Engine) -> None:
    """Every reading of a claim check (definitions, units, year bases, grant sets): the
    claim's own window queries (overtaken rows, per-code counts) run on Spark too."""
    duck = check_claim(CLAIM, store=store, engine=duck_engine)
    assert len(duck) > 1
    same(duck, check_claim(CLAIM, store=store, engine=spark_engine))


def test_judge_disparity(store: Store, duck_engine: Engine, spark_engine: Engine) -> None:
    """Judges at the busiest court (raw rates, shrunken estimates, spread in attrs) and one
    judge's courts."""
    court = busiest(store, "court", duck_engine)
    both(judges, duck_engine, spark_engine, court=court, store=store)
    judge = busiest(store, "judge", duck_engine)
    both(judge_courts, duck_engine, spark_engine, judge=judge, store=store)


def test_codes(store: Store, duck_engine: Engine, spark_engine: Engine) -> None:
    """Code listings with labels and counts, and a search by a fragment of a name."""
    for dimension in ("court", "nationality", "judge", "custody"):
        both(codes, duck_engine, spark_engine, dimension=dimension, store=store)
    both(find_codes, duck_engine, spark_engine, dimension="nationality", text="an", store=store)


def test_string_engine_names(store: Store, spark_engine: Engine) -> None:
    """``engine="spark"`` is the process's Spark engine (the public API's spelling), an
    unknown name is a QueryError naming the valid ones."""
    assert resolve_engine("spark") is spark_engine
    df = rates("trac", by="fiscal_year", store=store, engine="spark")
    same(rates("trac", by="fiscal_year", store=store, engine="duckdb"), df)
    with pytest.raises(QueryError, match="valid: duckdb, spark"):
        rates(store=store, engine="sparkk")


def test_cli_engine_spark(store: Store) -> None:
    """``asylumlens rates --engine spark`` over a ``file://`` store URI prints exactly the
    rows ``--engine duckdb`` prints (a real subprocess: its own Spark session)."""
    args = ["rates", "-d", "trac", "--by", "court,fiscal_year", "-f", "json"]
    uri = store.root.resolve().as_uri()
    spark = run_cli(*args, "--engine", "spark", "--store", uri)
    assert spark.returncode == 0, spark.stderr
    duck = run_cli(*args, "--engine", "duckdb", "--store", str(store.root))
    assert duck.returncode == 0, duck.stderr
    rows = json.loads(spark.stdout)
    assert rows and rows == json.loads(duck.stdout)
