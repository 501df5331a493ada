"""The analytics engine (issue 12 item 4) and the shape of the public calls (item 5).

Every option of the public analytics functions after the first parameter is keyword-only,
so ``rates("trac", ("court",))`` fails loudly instead of binding a breakdown to a filter.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from asylumlens import analytics

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
