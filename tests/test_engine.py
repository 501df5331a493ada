"""The analytics engine (issue 12 item 4) and the shape of the public calls (item 5).

An :class:`Engine` owns connections, cursors and compiled queries: closing it closes them
(the next query reopens), two engines share nothing, and the web app closes its own on
shutdown. Real releases (``Builder``), real DuckDB, the real app.

Every option of the public analytics functions after the first parameter is keyword-only,
so ``rates("trac", ("court",))`` fails loudly instead of binding a breakdown to a filter.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

from analytics_support import Builder
from asylumlens import analytics
from asylumlens.analytics import Engine, default_engine
from asylumlens.store import Store
from asylumlens.web import create_app

POSITIONAL = {
    analytics.rates: ("definition",),
    analytics.compare: ("period",),
    analytics.default_comparison: ("definition",),
    analytics.judges: ("court",),
    analytics.codes: ("dimension",),
    analytics.find_codes: ("dimension", "text"),  # both required: the search itself
}


@pytest.mark.parametrize("function", list(POSITIONAL), ids=lambda f: f.__name__)
def test_options_are_keyword_only(function: Callable[..., Any]) -> None:
    params = inspect.signature(function).parameters.values()
    positional = tuple(p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD)
    assert positional == POSITIONAL[function]
    others = [p for p in params if p.name not in positional]
    assert others and all(p.kind is p.KEYWORD_ONLY for p in others)


def test_a_positional_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="positional"):
        analytics.rates("trac", ("court",))  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        analytics.compare("FY2025", "FY2010-FY2024")  # type: ignore[misc]


# --- the engine ----------------------------------------------------------------------


def published(root: Path, grants: int = 1, denials: int = 1) -> Path:
    b = Builder()
    for i in range(grants):
        b.decided(date(2019, 1, 1 + i), "G")
    for i in range(denials):
        b.decided(date(2019, 2, 1 + i), "D")
    b.publish(root)
    return root


def test_close_closes_the_engines_connections_and_the_next_query_reopens(
    tmp_path: Path,
) -> None:
    root = published(tmp_path)
    with Engine() as engine:
        assert analytics.rates("trac", by=(), store=root, engine=engine)["rate"][0] == 0.5
        with engine.open(root) as source:
            cursor = source.cursor
        assert engine.open_releases == 1
        engine.close()
        assert engine.open_releases == 0
        with pytest.raises(duckdb.ConnectionException):
            cursor.execute("SELECT 1")
        # decided: a closed engine reopens on its next use (a fresh connection and cursor)
        assert analytics.rates("trac", by=(), store=root, engine=engine)["total"][0] == 2
        with engine.open(root) as again:
            assert again.cursor is not cursor
        assert engine.open_releases == 1
    assert engine.open_releases == 0  # the with block closed it


def test_two_engines_are_independent(tmp_path: Path) -> None:
    root = published(tmp_path)
    first, second = Engine(), Engine()
    try:
        with first.open(root) as a, second.open(root) as b:
            assert a.cursor is not b.cursor
        first.close()
        with pytest.raises(duckdb.ConnectionException):
            a.cursor.execute("SELECT 1")
        assert b.cursor.execute("SELECT count(*) FROM decisions").fetchone() == (2,)
        assert second.open_releases == 1 and first.open_releases == 0
        # the process default is a third engine, untouched by both
        assert analytics.codes("nationality", store=root)["decisions"].sum() == 2
        assert default_engine() is not first and default_engine() is not second
    finally:
        first.close()
        second.close()


def test_the_web_app_closes_its_engine_on_shutdown(tmp_path: Path) -> None:
    root = published(tmp_path, grants=3, denials=1)
    app = create_app(Store(root))
    engine = app.state.engine
    assert isinstance(engine, Engine) and engine is not default_engine()
    with TestClient(app) as client:
        body = client.get("/api/v1/rates?definition=trac&by=fiscal_year").json()
        assert [(r["fiscal_year"], r["rate"]) for r in body["rows"]] == [(2019, 0.75)]
        assert engine.open_releases == 1  # the app's queries ran on the app's engine
        with engine.open(root) as source:
            cursor = source.cursor
    assert engine.open_releases == 0
    with pytest.raises(duckdb.ConnectionException):
        cursor.execute("SELECT 1")
