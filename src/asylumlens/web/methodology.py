"""The Methodology page's text: ``docs/methodology.md``, rendered with markdown-it-py.

Decision: the methodology is written once, in the repository's ``docs/methodology.md``
(by the analytics owner), and never copied by hand. The page looks for it in two places:

1. ``asylumlens/docs/methodology.md`` inside the package: in the source tree a symlink to
   ``docs/methodology.md``, which a wheel build copies in as the file itself (package data
   declared in ``pyproject.toml``; ``tests/test_wheel.py`` installs a built wheel and renders
   the page from it), then
2. ``docs/methodology.md`` of the source checkout this module runs from (editable installs,
   ``make demo``, CI).

If neither exists the page says so and links to the API, rather than failing.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

CHECKOUT_DOC = Path(__file__).resolve().parents[3] / "docs" / "methodology.md"


def methodology_source() -> tuple[str, str] | None:
    """(markdown text, where it was read from), or None when no copy is found."""
    packaged = resources.files("asylumlens").joinpath("docs", "methodology.md")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8"), "asylumlens/docs/methodology.md"
    if CHECKOUT_DOC.is_file():
        return CHECKOUT_DOC.read_text(encoding="utf-8"), "docs/methodology.md"
    return None


def _heading_ids(md: MarkdownIt) -> None:
    """Give every heading an id (its slug), so /methodology#trac links to a definition."""

    def add_ids(state: object) -> None:
        tokens = getattr(state, "tokens", [])
        for i, token in enumerate(tokens):
            if token.type == "heading_open" and i + 1 < len(tokens):
                text = tokens[i + 1].content
                slug = "".join(ch if ch.isalnum() or ch == "_" else "-" for ch in text.lower())
                slug = slug.strip("-")
                while "--" in slug:
                    slug = slug.replace("--", "-")
                token.attrSet("id", slug)

    md.core.ruler.push("heading_ids", add_ids)


@lru_cache(maxsize=4)
def _render(text: str) -> str:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    _heading_ids(md)
    html: str = md.render(text)
    return html


def methodology_html() -> tuple[Markup | None, str | None]:
    """The rendered page body (raw HTML in the markdown is escaped) and its source path."""
    found = methodology_source()
    if found is None:
        return None, None
    text, source = found
    return Markup(_render(text)), source  # markdown-it with html disabled escapes raw HTML


def render_markdown(text: str) -> Markup:
    """Any of our own markdown (e.g. the API description) as HTML, raw HTML escaped."""
    return Markup(_render(text))  # markdown-it with html disabled escapes raw HTML
