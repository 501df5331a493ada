"""Every DuckDB connection the analytics open is owned and closed, even at interpreter exit.

A query still running in a daemon thread (a web worker) when Python finalizes aborts the
whole process ("terminate called ... FATAL: exception not rethrown", duckdb/duckdb#13904);
it failed a CI run after every test had passed. The exit hook interrupts such a query and
waits for its thread to leave DuckDB while the interpreter can still run that thread.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from analytics_support import Builder
from asylumlens.analytics import rates
from asylumlens.analytics.source import close_sources, open_source

LONG_QUERY = "SELECT count(*) FROM range(100000000000) t(x) WHERE x % 7 = 1"


def published(root: Path) -> Path:
    b = Builder()
    b.decided(date(2019, 1, 1), "G")
    b.decided(date(2019, 2, 1), "D")
    b.publish(root)
    return root


def test_close_interrupts_a_running_query_and_the_next_open_starts_afresh(
    tmp_path: Path,
) -> None:
    root = published(tmp_path)
    started, outcome = threading.Event(), []

    def long_query() -> None:
        with open_source(root) as source:
            started.set()
            try:
                source.run_sql(LONG_QUERY)
                outcome.append("finished")
            except duckdb.InterruptException:
                outcome.append("interrupted")

    worker = threading.Thread(target=long_query)
    worker.start()
    assert started.wait(30)
    time.sleep(0.3)  # inside DuckDB by now
    close_sources()
    worker.join(30)
    assert outcome == ["interrupted"]
    # this thread's cached cursor belongs to the closed generation: a fresh one is opened
    assert rates("trac", by=(), store=root)["rate"][0] == 0.5
    with open_source(root) as a, open_source(root) as b:
        assert a.cursor is b.cursor
    close_sources()
    with pytest.raises(duckdb.ConnectionException):
        a.cursor.execute("SELECT 1")


def test_exit_interrupts_a_daemon_threads_query_before_python_finalizes(
    tmp_path: Path,
) -> None:
    root = published(tmp_path)
    script = textwrap.dedent(
        f"""
        import atexit, threading, time
        import duckdb

        def after_our_hook():  # atexit runs hooks last-registered first
            print(f"active={{engine.active}} open={{engine.open_releases}}", flush=True)

        atexit.register(after_our_hook)
        from asylumlens.analytics.source import default_engine, open_source
        engine = default_engine()
        started = threading.Event()

        def work():
            with open_source({str(root)!r}) as source:
                started.set()
                source.run_sql({LONG_QUERY!r})

        threading.Thread(target=work, daemon=True).start()
        started.wait(30)
        time.sleep(0.3)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # no DuckDB query left running at finalization, no connection left open
    assert done.stdout == "active=0 open=0\n"
