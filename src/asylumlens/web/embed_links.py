"""Where a page's chart can be embedded from: the URLs of the "Share / embed" control.

One chart of a page at ``/judges/ABC?definition=trac`` lives at
``/embed/judges/ABC/trend?definition=trac&release=ID`` (an HTML page for an iframe) and at
the same path with ``.svg``, ``.png`` and ``.vl.json`` (the spec they are drawn from); the
home page's charts under ``/embed/home/``. Every link the control hands out is pinned to the
release shown (``release=ID``): a chart in a published story keeps the figures it was
published with, and a pinned URL can be cached for long (:mod:`asylumlens.web.embeds`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from markupsafe import escape

EMBED_PREFIX: Final = "/embed"
HOME_NAME: Final = "home"
FORMATS: Final = ("svg", "png", "vl.json")
"""The static suffixes of an embed path; none is the iframe page."""


def embed_path(page_path: str, chart: str) -> str:
    """``/embed/judges/ABC/trend`` for the ``trend`` chart of ``/judges/ABC``."""
    page = f"/{HOME_NAME}" if page_path in ("", "/") else page_path
    return f"{EMBED_PREFIX}{page}/{chart}"


def page_of(embed: str, chart: str) -> str:
    """The page an embed path belongs to: the inverse of :func:`embed_path`."""
    page = embed.removeprefix(EMBED_PREFIX).removesuffix(f"/{chart}")
    return "/" if page == f"/{HOME_NAME}" else page


@dataclass(frozen=True)
class ShareLinks:
    """The links of one chart's "Share / embed" control."""

    embed: str
    svg: str
    png: str
    spec: str
    permalink: str
    snippet: str


def share_links(
    base_url: str,
    page_path: str,
    pairs: Sequence[tuple[str, str]],
    release_id: str,
    chart: str,
    title: str = "",
    height: int = 300,
) -> ShareLinks:
    """The links for ``chart`` of the page at ``page_path`` with query ``pairs`` (the
    page's own parameters, ``release`` among them or not), pinned to ``release_id``;
    absolute when the app knows its public ``base_url``, else relative."""
    kept = [(k, v) for k, v in pairs if k != "release" and v != ""]
    query = "?" + urlencode([*kept, ("release", release_id)])
    path = base_url + embed_path(page_path, chart)
    embed = path + query
    # the chart's drawing height, plus its title, axis and the caption under it
    frame_height = height + 230
    snippet = (
        f'<iframe src="{escape(embed)}" title="{escape(title or "AsylumLens chart")}" '
        f'width="100%" height="{frame_height}" style="border:0" loading="lazy"></iframe>'
    )
    return ShareLinks(
        embed=embed,
        svg=f"{path}.svg{query}",
        png=f"{path}.png{query}",
        spec=f"{path}.vl.json{query}",
        permalink=base_url + page_path + query,
        snippet=snippet,
    )
