"""``asylumlens serve --engine spark``: the web app's public queries on Apache Spark.

One app is built on the Spark engine (``create_app(store, engine="spark")``, as ``serve
--engine spark`` builds it) and one on DuckDB, over the same synthetic release (the web
suites' store): the rates API and the home page must answer with the same rows and the
same page, and the Spark app's queries must have run as Spark jobs. Spark is slow (a
session start, then most of a second a query), so the parity is one test; the exhaustive
query-by-query parity is ``tests/test_spark_parity.py``. As there, the Spark test is
skipped without Java, except in CI (``CI=true``), where it fails.

The start-up failure needs no JVM: with no Java runtime, ``serve --engine spark`` stops
before listening, with one line and exit status 2.
"""

from __future__ import annotations

import os
import shutil
import warnings

import pytest

from asylumlens.store import Store
from asylumlens.web import create_app
from cli_support import run_cli

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # as the web test modules import it
    from fastapi.testclient import TestClient


def needs_java() -> None:
    if shutil.which("java") is None:
        message = "the Spark serve test needs Java (apt-get install openjdk-17-jre-headless)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.spark
def test_spark_app_answers_as_the_duckdb_app(store: Store) -> None:
    """``/api/v1/rates?by=fiscal_year`` (and with ``definition=trac&by=court``) give the
    DuckDB app's rows on the Spark app, ``/`` renders the same page, and the requests ran
    as Spark jobs of the app's engine (its job group; start-up's own jobs aside), opening
    no DuckDB connection."""
    needs_java()
    from asylumlens.analytics import spark

    urls = ["/api/v1/rates?by=fiscal_year", "/api/v1/rates?definition=trac&by=court"]
    spark_app = create_app(store, engine="spark")  # starts the session, opens the release
    engine = spark_app.state.engine
    assert engine.kind == "spark"
    tracker = spark.spark_session(engine.spark_master).sparkContext.statusTracker()
    started = set(tracker.getJobIdsForGroup(engine._job_group))
    with TestClient(create_app(store)) as duck, TestClient(spark_app) as on_spark:
        for url in urls:
            want, got = duck.get(url), on_spark.get(url)
            assert want.status_code == got.status_code == 200, got.text
            assert want.json()["rows"], url  # not two empty answers
            assert got.json()["rows"] == want.json()["rows"], url
        duck_page, spark_page = duck.get("/"), on_spark.get("/")
        assert duck_page.status_code == spark_page.status_code == 200
        assert spark_page.text == duck_page.text
        # the requests' queries ran as the app engine's Spark jobs, none on a DuckDB connection
        assert set(tracker.getJobIdsForGroup(engine._job_group)) - started
        assert engine.open_releases == 0


def test_serve_spark_without_java_is_one_line(store: Store, tmp_path: os.PathLike[str]) -> None:
    """No Java runtime (``JAVA_HOME`` naming a folder without one): ``serve --engine spark``
    exits with status 2 and one ``error:`` line naming Java, before it listens."""
    result = run_cli(
        "serve", "--store", str(store.root), "--engine", "spark", "--port", "1",
        env={"JAVA_HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Java 17 runtime" in lines[0] and "JAVA_HOME" in lines[0]
    assert "Uvicorn running" not in result.stderr
