"""The caption an embedded chart carries wherever it goes: source, definition, unit, period.

A chart lifted out of its page (an iframe in a news story, an SVG or PNG in a slide) loses
the page's footer, banner and "Cite this" block. :class:`Caption` is what must travel with
it instead: the EOIR release and its date, the definition by plain name and code, the unit
counted, the period, the SYNTHETIC label for a generated release, and the permalink back to
the full page on the same release. The embed page prints it under the chart;
:func:`static_spec` writes it into the chart's own subtitle, so the image file carries it.
Pure functions over facts already computed for the page: no query, no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from asylumlens import analytics
from asylumlens.web.provenance import ReleaseInfo

STATIC_WIDTH: Final = 640
"""The drawing width of a static rendering (a page's chart fills its container instead)."""

EVERY_YEAR: Final = "every fiscal year in the release"


@dataclass(frozen=True)
class Caption:
    """The facts under an embedded chart (see the module docstring)."""

    release_id: str
    release_date: str | None
    synthetic: bool
    definition_name: str | None
    definition_code: str | None
    unit: str | None
    period: str
    permalink: str
    app_version: str

    @property
    def source(self) -> str:
        """``EOIR case-data release 2026-11, released 2026-11-02`` (SYNTHETIC when so)."""
        text = f"EOIR case-data release {self.release_id}"
        if self.release_date:
            text += f", released {self.release_date}"
        return text + (" (SYNTHETIC DATA, not EOIR figures)" if self.synthetic else "")

    @property
    def definition(self) -> str:
        """``Decided on the merits (trac)``, or what a chart of many readings shows."""
        if self.definition_name and self.definition_code:
            return f"{self.definition_name} ({self.definition_code})"
        return "each reading as labelled"

    def lines(self) -> list[str]:
        """The caption as the few short lines an image subtitle can hold."""
        counted = f"; counting {self.unit}s" if self.unit else ""
        return [
            f"Source: {self.source}.",
            f"Definition: {self.definition}{counted}; period: {self.period}.",
            f"AsylumLens {self.app_version}: {self.permalink}",
        ]


def caption_period(context: Mapping[str, Any]) -> str:
    """The period a page's figures cover, as the page states it: the view's own facts
    (a headline's period against its baseline, a judge's since/until), else the ``since``
    and ``until`` asked for (the Explorer's in its query), else every year."""
    view = context.get("view")
    facts: Mapping[str, Any] = getattr(view, "facts", None) or {}
    period = facts.get("period")
    if isinstance(period, str) and period:
        baseline = facts.get("baseline")
        return f"{period} against {baseline}" if baseline else period
    if isinstance(period, Mapping):
        since, until = period.get("since"), period.get("until")
    else:
        q = context.get("q")
        since = context.get("since") or getattr(q, "since", None)
        until = context.get("until") or getattr(q, "until", None)
    if since or until:
        return f"{since or 'the first year'} to {until or 'the latest year'}"
    return EVERY_YEAR


def make_caption(
    info: ReleaseInfo, context: Mapping[str, Any], permalink: str, period: str | None = None
) -> Caption:
    """The caption of a chart on a page with ``context``, served from release ``info``;
    ``period`` where the chart's differs from the page's (:func:`caption_period`)."""
    code = context.get("definition")
    known = analytics.DEFINITIONS.get(str(code)) if code else None
    unit = (getattr(context.get("q"), "unit", None) or known.unit) if known else None
    return Caption(
        release_id=info.id,
        release_date=info.date,
        synthetic=info.synthetic,
        definition_name=known.plain_name if known else None,
        definition_code=str(code) if known else None,
        unit=str(unit) if unit else None,
        period=period or caption_period(context),
        permalink=permalink,
        app_version=info.app_version,
    )


def static_spec(spec: Mapping[str, Any], caption: Caption) -> dict[str, Any]:
    """``spec`` for a static rendering: a fixed width (there is no container to fill) and
    the caption's lines appended to the chart's subtitle, after the SYNTHETIC note the
    page's chart already carries. ``spec`` itself is left as it was."""
    out: dict[str, Any] = copy.deepcopy(dict(spec))
    out["width"] = STATIC_WIDTH
    title = out.get("title")
    title = dict(title) if isinstance(title, Mapping) else {"text": title or ""}
    subtitle = title.get("subtitle") or []
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    title["subtitle"] = lines + caption.lines()
    title.setdefault("anchor", "start")
    out["title"] = title
    out.pop("usermeta", None)  # vega-embed's options: nothing to embed here
    out["background"] = "white"  # a PNG pasted on a dark slide stays legible
    return out
