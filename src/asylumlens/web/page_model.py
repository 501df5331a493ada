"""What a public page shows, apart from how it is shown: its template, context and charts.

A page handler builds a :class:`PageModel` and renders it; the embed routes
(:mod:`asylumlens.web.embeds`) build the *same* model from the same parameters and take one
chart out of it. So an embedded chart can never drift from the chart on its page: both are
the one spec, computed by the one function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from asylumlens.web.rendering import render_page


@dataclass(frozen=True)
class PageModel:
    """A page's template and context, and its charts by name (the page's element id
    ``chart-NAME`` without the prefix: ``trend``, ``mix-nationality``)."""

    template: str
    context: dict[str, Any]
    charts: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    periods: Mapping[str, str] = field(default_factory=dict)
    """A chart's period where it is not the page's (the home page's trend covers every
    year, its headline one period): what an embedded chart's caption states."""


def show(request: Request, model: PageModel) -> Response:
    """The page itself: ``model`` rendered through :func:`render_page`."""
    return render_page(request, model.template, **model.context)


def named_charts(specs: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A page's ``specs`` (template keys, ``mix_nationality``) under their chart names."""
    return {key.replace("_", "-"): spec for key, spec in specs.items()}
