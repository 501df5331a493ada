"""Outcome analytics: the decisions fact table, named grant-rate definitions, breakdowns.

Public API (each returns a pandas DataFrame whose ``attrs`` name the release, the
``synthetic`` flag and every parameter applied)::

    rates(definition="eoir", by=("fiscal_year",), where=None, since=None, until=None,
          unit=None, grant_codes=None, min_decisions=None, store=None, release=None)
    compare(period="FY2025", baseline="FY2010-FY2024", definition="eoir", where=None,
            unit=None, ...)
    judges(court=..., nationality=None, definition="trac", since=None, until=None, ...,
           unit=None)

``unit`` (application, case or proceeding) defaults to the definition's own; every row
carries ``definition``, ``unit``, ``release``, ``synthetic`` and ``partial``.
    codes(dimension, store=None, release=None)
    find_codes(dimension, text, store=None, release=None)   # name -> code help

Filter values (``where``, ``court``, ``nationality``) take a release's code in any case or
a name (``{"court": "nyc"}``, ``{"nationality": "china"}``), resolved to one code or
refused (``asylumlens.analytics.code_match``); ``df.attrs["where"]`` holds the codes used.

``build_decisions(con, out)`` writes a release's fact table (the ingest pipeline calls it).
"""

from __future__ import annotations

from asylumlens.analytics.codes import codes, find_codes
from asylumlens.analytics.compare import compare
from asylumlens.analytics.decisions import build_decisions
from asylumlens.analytics.definitions import DEFINITIONS, UNITS, Definition, get_definition
from asylumlens.analytics.dimensions import DIMENSIONS, Dimension
from asylumlens.analytics.disparity import judges
from asylumlens.analytics.rates import default_min_decisions, rates

__all__ = [
    "DEFINITIONS",
    "DIMENSIONS",
    "UNITS",
    "Definition",
    "Dimension",
    "build_decisions",
    "codes",
    "compare",
    "default_min_decisions",
    "find_codes",
    "get_definition",
    "judges",
    "rates",
]
