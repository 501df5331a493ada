"""The pages an evidence packet draws itself: cover, table of contents, tabs, image and
description pages, and the page-number overlays stamped on every page.

Why a module of its own: :mod:`asylumlens.cases.packet` decides *what* goes where (the layout,
the order, which exhibit is printable); this module only draws, with fpdf2, on US Letter (the
size the Immigration Court Practice Manual requires). Every page here is drawn with automatic
page breaks off, so each call adds exactly the pages the layout counted: a long title or
description is cut to fit, never allowed to spill onto an extra page and shift the numbering.

The core PDF fonts (Helvetica, Courier) hold Latin-1 only; other characters are shown as ``?``
(see :func:`printable_text`) rather than failing the packet.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from fpdf import FPDF
from PIL.Image import Image

PAGE_WIDTH: Final = 612.0  # US Letter, points
PAGE_HEIGHT: Final = 792.0
MARGIN: Final = 54.0  # 3/4 inch
NUMBER_BAND: Final = 36.0  # the bottom strip kept free for "Page N of T"
TOC_ROWS_PER_PAGE: Final = 25
TOC_ROW_HEIGHT: Final = 20.0
DESCRIPTION_MAX_CHARS: Final = 2000
DESCRIPTION_MAX_LINES: Final = 24

_TYPOGRAPHY: Final = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "}
)


def printable_text(text: str) -> str:
    """``text`` in the core fonts' Latin-1: typographic quotes and dashes made plain, any other
    character outside Latin-1 (and control characters but newline) shown as ``?``."""
    plain = text.translate(_TYPOGRAPHY)
    kept = "".join(c if c == "\n" or c.isprintable() else "?" for c in plain)
    return kept.encode("latin-1", errors="replace").decode("latin-1")


@dataclass(frozen=True)
class Picture:
    """An image ready for fpdf2: a JPEG's own bytes (embedded unchanged) or a decoded image,
    with its size in pixels."""

    source: Image | bytes
    width: int
    height: int


@dataclass(frozen=True)
class TocRow:
    """One line of the table of contents, already in the packet's page numbers."""

    label: str
    title: str
    pages: str
    sha256_prefix: str


@dataclass(frozen=True)
class ExhibitFacts:
    """What a description page says about an exhibit it cannot print."""

    label: str
    title: str
    kind: str
    content_type: str
    size: int
    sha256: str
    description: str | None


class PacketPages:
    """One fpdf2 document holding, in packet order, every page the packet draws itself.

    Drawing them all in one document (rather than one document per page) shares the fonts and
    keeps the packet small; :func:`asylumlens.cases.packet.build_packet` interleaves these
    pages with the exhibits' own PDF pages.
    """

    def __init__(self) -> None:
        self._pdf = FPDF(unit="pt", format="letter")
        self._pdf.set_auto_page_break(False)
        self._pdf.set_margins(MARGIN, MARGIN, MARGIN)

    @property
    def page_count(self) -> int:
        return self._pdf.page_no()

    def to_bytes(self) -> bytes:
        return bytes(self._pdf.output())

    def _width(self) -> float:
        return PAGE_WIDTH - 2 * MARGIN

    def _fit(self, text: str, width: float) -> str:
        """``text`` on one line of ``width`` points in the current font, cut with "..."."""
        # No glyph of the core fonts at 9 pt or more is under 1.5 pt wide, so whatever lies
        # past this many characters cannot fit: cut first, measure what is left.
        limit = int(width / 1.5) + 1
        fitted = printable_text(text[:limit]).replace("\n", " ")
        if len(text) <= limit and self._pdf.get_string_width(fitted) <= width:
            return fitted
        while fitted and self._pdf.get_string_width(fitted + "...") > width:
            fitted = fitted[:-1]
        return fitted + "..."

    def cover(self, case_title: str, *, exhibits: int, total_pages: int, by: str, on: date) -> None:
        pdf = self._pdf
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 20)
        pdf.set_xy(MARGIN, 220)
        pdf.multi_cell(self._width(), 26, self._fit(case_title, self._width() * 3), align="C")
        pdf.set_font("Helvetica", "", 14)
        pdf.set_x(MARGIN)
        pdf.cell(self._width(), 30, "Evidence packet", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        lines = (
            f"{exhibits} exhibit{'s' if exhibits != 1 else ''}, {total_pages} pages",
            f"Prepared by {self._fit(by, self._width() - 80)}",
            f"Prepared on {on.isoformat()}",
        )
        for line in lines:
            pdf.cell(self._width(), 18, line, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_xy(MARGIN, PAGE_HEIGHT - MARGIN - NUMBER_BAND - 60)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(
            self._width(),
            12,
            "Each exhibit is listed with its SHA-256. The full hashes are in the exhibit "
            "index (CSV) and in the signed proof manifest, which anyone can check offline.",
            align="C",
        )

    def toc(self, rows: Sequence[TocRow], pages: int) -> None:
        """The table of contents over exactly ``pages`` pages, ``TOC_ROWS_PER_PAGE`` rows each."""
        columns = (54.0, self._width() - 54.0 - 70.0 - 140.0, 70.0, 140.0)
        for page in range(pages):
            self._pdf.add_page()
            self._toc_heading(page, columns)
            chunk = rows[page * TOC_ROWS_PER_PAGE : (page + 1) * TOC_ROWS_PER_PAGE]
            for row in chunk:
                self._toc_row(row, columns)
            if not rows and page == 0:
                self._pdf.set_font("Helvetica", "I", 10)
                self._pdf.cell(self._width(), TOC_ROW_HEIGHT, "No exhibits.")

    def _toc_heading(self, page: int, columns: Sequence[float]) -> None:
        pdf = self._pdf
        pdf.set_xy(MARGIN, MARGIN)
        pdf.set_font("Helvetica", "B", 16)
        heading = "Table of contents" + (" (continued)" if page else "")
        pdf.cell(self._width(), 30, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 10)
        for width, name in zip(columns, ("Exhibit", "Title", "Pages", "SHA-256"), strict=True):
            pdf.cell(width, TOC_ROW_HEIGHT, name, border="B")
        pdf.ln(TOC_ROW_HEIGHT)

    def _toc_row(self, row: TocRow, columns: Sequence[float]) -> None:
        pdf = self._pdf
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(columns[0], TOC_ROW_HEIGHT, self._fit(row.label, columns[0] - 4))
        pdf.cell(columns[1], TOC_ROW_HEIGHT, self._fit(row.title, columns[1] - 6))
        pdf.cell(columns[2], TOC_ROW_HEIGHT, row.pages)
        pdf.set_font("Courier", "", 9)
        pdf.cell(columns[3], TOC_ROW_HEIGHT, row.sha256_prefix)
        pdf.ln(TOC_ROW_HEIGHT)

    def tab(self, label: str, title: str) -> None:
        pdf = self._pdf
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 36)
        pdf.set_xy(MARGIN, 300)
        tab = self._fit(f"Tab {label}", self._width())
        pdf.cell(self._width(), 44, tab, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 14)
        for line in self._wrapped(title, self._width(), lines=4):
            pdf.cell(self._width(), 20, line, align="C", new_x="LMARGIN", new_y="NEXT")

    def _wrapped(self, text: str, width: float, *, lines: int) -> list[str]:
        """``text`` broken into at most ``lines`` lines of ``width`` points (the last cut)."""
        out: list[str] = []
        current = ""
        for word in printable_text(text).split():
            candidate = f"{current} {word}".strip()
            if current and self._pdf.get_string_width(candidate) > width:
                out.append(current)
                current = word
            else:
                current = candidate
        if current:
            out.append(current)
        if len(out) > lines:
            out = [*out[: lines - 1], " ".join(out[lines - 1 :])]
        return [self._fit(line, width) for line in out]

    def image(self, picture: Picture) -> None:
        """One page holding ``picture`` as large as fits, its aspect ratio kept."""
        pdf = self._pdf
        pdf.add_page()
        box_w = self._width()
        box_h = PAGE_HEIGHT - 2 * MARGIN - NUMBER_BAND
        scale = min(box_w / picture.width, box_h / picture.height)
        w, h = picture.width * scale, picture.height * scale
        source = io.BytesIO(picture.source) if isinstance(picture.source, bytes) else picture.source
        pdf.image(source, x=MARGIN + (box_w - w) / 2, y=MARGIN + (box_h - h) / 2, w=w, h=h)

    def description(self, facts: ExhibitFacts, reason: str) -> None:
        """A page standing for an exhibit not printed here: its facts, its full SHA-256, and
        ``reason`` (why it is not printed)."""
        pdf = self._pdf
        pdf.add_page()
        pdf.set_xy(MARGIN, MARGIN)
        pdf.set_font("Helvetica", "B", 16)
        heading = self._fit(f"Exhibit {facts.label}: {facts.title}", self._width())
        pdf.cell(self._width(), 30, heading, new_x="LMARGIN", new_y="NEXT")
        rows = (
            ("Kind", facts.kind),
            ("Content type", facts.content_type),
            ("Size", f"{facts.size:,} bytes"),
        )
        for name, value in rows:
            pdf.set_font("Helvetica", "B", 11)
            pdf.cell(90, 18, name)
            pdf.set_font("Helvetica", "", 11)
            pdf.cell(self._width() - 90, 18, self._fit(value, self._width() - 90))
            pdf.ln(18)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(90, 18, "SHA-256")
        pdf.set_font("Courier", "", 9)
        pdf.cell(self._width() - 90, 18, facts.sha256, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(self._width(), 16, printable_text(reason))
        if facts.description:
            pdf.ln(8)
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(self._width(), 14, _bounded(facts.description))


def _bounded(text: str) -> str:
    """``text`` cut to what fits under a description page's facts."""
    lines = printable_text(text).splitlines()
    kept = "\n".join(lines[:DESCRIPTION_MAX_LINES])
    cut = len(lines) > DESCRIPTION_MAX_LINES or len(kept) > DESCRIPTION_MAX_CHARS
    return kept[:DESCRIPTION_MAX_CHARS] + (" [...]" if cut else "")


def number_overlays(sizes: Sequence[tuple[float, float]]) -> bytes:
    """A PDF of ``len(sizes)`` transparent pages, page ``i`` sized ``sizes[i]`` (points) and
    carrying "Page i+1 of N" at the bottom centre, to be merged onto the packet's pages."""
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_auto_page_break(False)
    total = len(sizes)
    for number, (width, height) in enumerate(sizes, start=1):
        pdf.add_page(orientation="P", format=(width, height))
        pdf.set_font("Helvetica", "", 9)
        pdf.set_xy(0, height - 24)
        pdf.cell(width, 12, f"Page {number} of {total}", align="C")
    return bytes(pdf.output())
