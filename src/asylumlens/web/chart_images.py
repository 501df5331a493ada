"""Static renderings of a Vega-Lite spec, server-side: SVG and PNG through vl-convert.

vl-convert bundles Vega and Vega-Lite in Rust (no browser, no network: the specs carry
their data inline and :data:`NO_FETCH` refuses any URL anyway). The pages draw with the
vendored Vega-Lite 6.5.0; vl-convert 1.9 ships 6.4, the newest it has, whose specs and
rendering the pages' specs do not go beyond.

vl-convert is imported on the first rendering, not with the server: most processes never
draw a static chart, and the case workspace's memory budget (an upload's peak RSS) should
not carry it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

VEGA_LITE_VERSION: Final = "6.4"
NO_FETCH: Final[list[str]] = []
"""``allowed_base_urls``: no base URL at all, so a spec can never make the server fetch."""
PNG_SCALE: Final = 2.0
"""Twice the drawing size: sharp on high-density screens and in print."""


def render_svg(spec: Mapping[str, Any]) -> str:
    """The SVG document of ``spec`` (text as ``<text>`` elements, so it stays searchable)."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(
        dict(spec), vl_version=VEGA_LITE_VERSION, allowed_base_urls=NO_FETCH
    )
    return svg


def render_png(spec: Mapping[str, Any]) -> bytes:
    """The PNG image of ``spec`` at :data:`PNG_SCALE`."""
    import vl_convert

    png: bytes = vl_convert.vegalite_to_png(
        dict(spec), vl_version=VEGA_LITE_VERSION, scale=PNG_SCALE, allowed_base_urls=NO_FETCH
    )
    return png
