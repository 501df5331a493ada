"""Outcome analytics: the decisions fact table, named grant-rate definitions, breakdowns.

Public API (each returns a pandas DataFrame whose ``attrs`` name the release, the
``synthetic`` flag and every parameter applied). The first parameter may be positional;
every option after the ``*`` is keyword-only, so a call reads the same in a notebook, the
CLI and the web layer, and options can be added or reordered without breaking callers::

    rates(definition=DEFAULT_DEFINITION, *, by=("fiscal_year",), where=None, since=None,
          until=None, unit=None, grant_codes=None, min_decisions=None, store=None,
          release=None)
    compare(period=None, *, baseline=None, definition=DEFAULT_DEFINITION, where=None,
            unit=None, ...)
    default_comparison(definition=DEFAULT_DEFINITION, *, store=None, release=None, ...)
    judges(court, *, nationality=None, definition=DEFAULT_DEFINITION, since=None,
           until=None, ..., unit=None)
    judge_courts(judge, *, definition=DEFAULT_DEFINITION, where=None, since=None,
                 until=None, unit=None, ...)   # courts by decisions, the main court first
    check_claim(claim=None, *, rate=None, period=None, baseline_rate=None,
                baseline=None, where=None, tolerance=None, store=None, release=None)
    parse_claim(text)      # "plummeted to 10 percent in 2025, from the 28 percent ..."
    parse_period(text)     # FY2025, FY2010-FY2024, 2025 / CY2025, 2025-01-01..2025-09-30

``DEFAULT_DEFINITION`` ("eoir") is the one default definition of every function, CLI
command, page and API route. ``compare``'s default period is the latest fiscal year
complete in the release, against FY2010 (or the first year with data) through the year
before (``default_comparison``).

``unit`` (application, case or proceeding) defaults to the definition's own; every row
carries ``definition``, ``unit``, ``release``, ``synthetic`` and ``partial``.
    case_context(*, judge=None, court=None, nationality=None, custody=None,
                 represented=None, definition=DEFAULT_DEFINITION, years=5, ...)
        # what the record says about cases like one: judge, court, nationality, trend
    codes(dimension, *, store=None, release=None)
    find_codes(dimension, text, *, store=None, release=None)   # name -> code help

Each also takes ``engine=``: an :class:`Engine` owns the DuckDB connections and the
compiled-query cache (``with Engine() as engine: rates(..., engine=engine)``); without it
the process default (``default_engine()``) is used, closed at interpreter exit.

Filter values (``where``, ``court``, ``nationality``) take a release's code in any case or
a name (``{"court": "nyc"}``, ``{"nationality": "china"}``), resolved to one code or
refused (``asylumlens.analytics.code_match``); ``df.attrs["where"]`` holds the codes used.

The TRAC thresholds every interface shows: :data:`JUDGE_PERIOD_MIN` (100 decisions in
the period for a judge report) and :data:`YEARLY_CELL_MIN` (25 decisions for a yearly rate).

``build_decisions(con, out)`` writes a release's fact table (the ingest pipeline calls it).
"""

from __future__ import annotations

from asylumlens.analytics.claims import Claim, check_claim, parse_claim
from asylumlens.analytics.codes import codes, find_codes
from asylumlens.analytics.compare import compare, default_comparison
from asylumlens.analytics.context import CaseContext, case_context
from asylumlens.analytics.decisions import build_decisions
from asylumlens.analytics.definitions import (
    DEFAULT_DEFINITION,
    DEFINITIONS,
    UNITS,
    Definition,
    describe_definition,
    get_definition,
)
from asylumlens.analytics.dimensions import DIMENSIONS, Dimension
from asylumlens.analytics.disparity import judges
from asylumlens.analytics.judge_courts import judge_courts
from asylumlens.analytics.periods import Period, parse_period
from asylumlens.analytics.rates import (
    JUDGE_PERIOD_MIN,
    YEARLY_CELL_MIN,
    default_min_decisions,
    rates,
)
from asylumlens.analytics.source import Engine, default_engine

__all__ = [
    "DEFAULT_DEFINITION",
    "DEFINITIONS",
    "DIMENSIONS",
    "JUDGE_PERIOD_MIN",
    "UNITS",
    "YEARLY_CELL_MIN",
    "CaseContext",
    "Claim",
    "Definition",
    "Dimension",
    "Engine",
    "Period",
    "build_decisions",
    "case_context",
    "check_claim",
    "codes",
    "compare",
    "default_comparison",
    "default_engine",
    "default_min_decisions",
    "describe_definition",
    "find_codes",
    "get_definition",
    "judge_courts",
    "judges",
    "parse_claim",
    "parse_period",
    "rates",
]
