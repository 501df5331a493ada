"""The Spark side of the engine switch: one local (or cluster) Spark session per process,
and a release's ``decisions`` fact table as an Ibis table on Ibis' PySpark backend.

Why a module of its own: PySpark (and the JVM it starts) is needed only by a caller that
asks for ``engine="spark"``, so it is imported here, lazily, and nowhere else; the queries
(:mod:`asylumlens.analytics.rates` and the rest) never know which engine runs them. The
same Ibis expressions are compiled to Spark SQL (``dialect="pyspark"``) instead of DuckDB
SQL, and Spark reads the release's own ``decisions.parquet`` by its ``file://`` URI, the
same bytes DuckDB reads.

Settings are small on purpose (2-core machines, a test suite sharing one session):
``spark.sql.shuffle.partitions=4``, no UI, modest driver memory, session time zone UTC (the
fact table holds dates only, but a timestamp must never shift with the machine's zone).
The session is created on first use and kept for the life of the process: it costs
seconds to start, far more than any query on one release. ``$SPARK_MASTER`` (or
``spark_master=``) names a cluster; the default is ``local[2]``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path
from typing import Any, Final

import pandas as pd

from asylumlens.errors import QueryError

SPARK_MASTER_ENV: Final = "SPARK_MASTER"
DEFAULT_SPARK_MASTER: Final = "local[2]"
SPARK_SETTINGS: Final[dict[str, str]] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "2g",
    "spark.sql.autoBroadcastJoinThreshold": "-1",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}
"""The session's settings: sized for a 2-core machine (a cluster's spark-submit overrides
them with its own ``--conf``). No broadcast joins: the only joins are the release history's,
between releases of millions of records each, and with broadcasts on (and 1 GiB) Spark ran
out of memory building them on a series of 2 M-case releases (``bench/spark.py``,
2026-12-03); sort-merge joins need no table to fit in memory."""

_lock = threading.Lock()
_session: Any = None  # pyspark.sql.SparkSession (pyspark ships partial type information)
_session_master: str | None = None


def spark_master(master: str | None = None) -> str:
    """``master`` if given, else ``$SPARK_MASTER``, else ``local[2]``."""
    return master or os.environ.get(SPARK_MASTER_ENV) or DEFAULT_SPARK_MASTER


def java_runtime() -> str | None:
    """The ``java`` Spark's launcher will run: ``$JAVA_HOME/bin/java`` when ``JAVA_HOME`` is
    set (as ``spark-class`` does), else ``java`` on the PATH; None when there is none."""
    home = os.environ.get("JAVA_HOME")
    if home:
        runner = Path(home) / "bin" / "java"
        return str(runner) if runner.is_file() and os.access(runner, os.X_OK) else None
    return shutil.which("java")


def spark_session(master: str | None = None) -> Any:
    """The process's Spark session, created on first use with :data:`SPARK_SETTINGS`.

    One per process (a JVM holds one active session): asking again for another master
    while one runs is a :class:`QueryError`, not a silent second cluster. A machine
    without PySpark or a Java runtime, or a JVM that exits before the session is up, is a
    one-line :class:`QueryError` (the CLI and ``serve`` print it), not a Py4J traceback.
    """
    global _session, _session_master
    wanted = spark_master(master)
    with _lock:
        if _session is not None and _session_master != wanted:
            raise QueryError(
                f"a Spark session on {_session_master} is already running in this process; "
                f"it cannot also run on {wanted}"
            )
        if _session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:  # pragma: no cover - pyspark is a dependency
                raise QueryError("engine spark needs pyspark (pip install pyspark)") from None
            if java_runtime() is None:
                where = "$JAVA_HOME/bin/java" if os.environ.get("JAVA_HOME") else "java on PATH"
                raise QueryError(
                    f"engine spark needs a Java 17 runtime ({where} not found; "
                    "e.g. apt-get install openjdk-17-jre-headless); docs/scale.md"
                )
            from pyspark.errors import PySparkRuntimeError

            builder = SparkSession.builder.master(wanted).appName("asylumlens")
            for name, value in SPARK_SETTINGS.items():
                builder = builder.config(name, value)
            try:
                session = builder.getOrCreate()
            except PySparkRuntimeError as exc:  # the JVM did not come up (bad Java, master)
                raise QueryError(f"the Spark session on {wanted} did not start: {exc}") from None
            session.sparkContext.setLogLevel("ERROR")
            _session, _session_master = session, wanted
        return _session


def view_name(key: tuple[str, int]) -> str:
    """The temporary view of one published release version (the path and manifest stamp
    identify it; a replaced release gets a new view, as DuckDB gets a new connection)."""
    digest = hashlib.sha256(f"{key[0]}\0{key[1]}".encode()).hexdigest()[:16]
    return f"asylumlens_decisions_{digest}"


def decisions_table(session: Any, uri: str, name: str) -> Any:
    """The fact table at ``uri`` (a ``file://``, ``hdfs://`` or ``s3a://`` URI Spark can
    read) as an Ibis table on the PySpark backend, registered as the view ``name``."""
    import ibis

    backend = ibis.pyspark.connect(session)
    return backend.read_parquet(uri, table_name=name)


def run_sql(session: Any, sql: str, group: str) -> pd.DataFrame:
    """Run compiled Spark SQL under job group ``group`` (so its engine can cancel it) and
    return pandas, typed as DuckDB's results are for the same query (see
    :func:`as_duckdb_types`)."""
    context = session.sparkContext
    context.setJobGroup(group, "asylumlens query", interruptOnCancel=True)
    frame: pd.DataFrame = session.sql(sql).toPandas()
    return as_duckdb_types(frame)


def as_duckdb_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ``datetime64`` (DuckDB's ``.df()`` gives DATE columns that type; Spark's
    ``toPandas`` gives ``datetime.date`` objects), so code after the engine sees one type."""
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object:
            sample = series.dropna()
            if len(sample) and _is_date(sample.iloc[0]):
                frame[column] = pd.to_datetime(series)
    return frame


def _is_date(value: object) -> bool:
    from datetime import date, datetime

    return isinstance(value, date) and not isinstance(value, datetime)


def cancel(session: Any, group: str) -> None:
    """Cancel every Spark job of ``group`` (an engine's queries), leaving others' alone."""
    session.sparkContext.cancelJobGroup(group)
