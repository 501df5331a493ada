"""A case's evidence packet: one PDF the court can file, and its exhibit index as CSV.

Why this shape: the Immigration Court Practice Manual (ch. 3.3, "Documents",
https://www.justice.gov/eoir/reference-materials/ic/chapter-3/3) asks for filings that are
consecutively paginated, with a table of contents and exhibits marked by tabs. So the packet is
a cover page, a table of contents (exhibit, title, pages, SHA-256), then for each exhibit in
order a tab page ("Tab A") and the exhibit's own pages, with "Page N of T" at the bottom of
*every* page, exhibits' pages included (stamped over them with pypdf).

The builders are pure: they take plain :class:`PacketExhibit` values (the caller decrypts; an
exhibit's ``content`` is called once, and only for PDFs and images: a video is never loaded)
and write to a binary stream. They log nothing and put nothing in the packet beyond what the
caller passes. The layout (:class:`PacketLayout`) is computed before the cover and table of
contents are drawn, so the numbers the table prints are the numbers the pages carry.

An exhibit that cannot be printed (a video, audio, an encrypted or damaged PDF, an unreadable
image) gets a description page with its full SHA-256 instead: one bad file never stops the
packet.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO, Final

import PIL.Image
from PIL import ImageOps
from pypdf import PasswordType, PdfReader, PdfWriter, Transformation

from asylumlens.cases.packet_pages import (
    TOC_ROWS_PER_PAGE,
    ExhibitFacts,
    PacketPages,
    Picture,
    TocRow,
    number_overlays,
)
from asylumlens.errors import AsylumLensError

PDF_TYPES: Final = frozenset({"application/pdf"})
IMAGE_TYPES: Final = frozenset({"image/png", "image/jpeg"})
NOT_PRINTABLE: Final = "Not printable: provided separately."
UNREADABLE_PDF: Final = (
    "This PDF could not be read (encrypted or damaged), so its pages are not printed here: "
    "provided separately."
)
UNREADABLE_IMAGE: Final = (
    "This image could not be read, so it is not printed here: provided separately."
)
NO_CONTENT: Final = "Content not available to the packet: provided separately."
CSV_COLUMNS: Final = (
    "label",
    "title",
    "kind",
    "content_type",
    "size",
    "sha256",
    "first_page",
    "last_page",
)
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_EXIF_ORIENTATION: Final = 0x0112


class PacketError(AsylumLensError):
    """The exhibits handed to the packet are inconsistent (duplicate label, wrong bytes)."""


@dataclass(frozen=True)
class PacketExhibit:
    """One exhibit as the packet needs it; ``content`` returns the decrypted original bytes
    (None when the packet must not load them, e.g. a video)."""

    label: str
    title: str
    kind: str
    content_type: str
    sha256: str
    size: int
    description: str | None
    content: Callable[[], bytes] | None

    @property
    def printable(self) -> bool:
        return self.content_type in PDF_TYPES | IMAGE_TYPES


@dataclass(frozen=True)
class ExhibitPages:
    """Where one exhibit sits in the packet (1-based page numbers): its tab page, then its
    own pages ``first_page``..``last_page`` (a description page counts as its own page)."""

    label: str
    tab_page: int
    first_page: int
    last_page: int


@dataclass(frozen=True)
class PacketLayout:
    """Every page number of the packet, known before anything is drawn."""

    total_pages: int
    toc_pages: int
    exhibits: tuple[ExhibitPages, ...]

    def exhibit(self, label: str) -> ExhibitPages:
        for pages in self.exhibits:
            if pages.label == label:
                return pages
        raise KeyError(label)


def toc_page_count(exhibits: int) -> int:
    """Pages the table of contents takes for ``exhibits`` rows (at least one page)."""
    return max(1, -(-exhibits // TOC_ROWS_PER_PAGE))


def plan_layout(page_counts: Sequence[tuple[str, int]]) -> PacketLayout:
    """The layout of a packet whose exhibits, in order, have these ``(label, own pages)``:
    cover (page 1), the table of contents, then per exhibit a tab page and its pages."""
    labels = [label for label, _ in page_counts]
    if len(set(labels)) != len(labels):
        raise PacketError("evidence packet: two exhibits share a label")
    toc_pages = toc_page_count(len(page_counts))
    page = 1 + toc_pages
    placed: list[ExhibitPages] = []
    for label, count in page_counts:
        if count < 1:
            raise ValueError(f"exhibit {label}: an exhibit takes at least one page")
        placed.append(ExhibitPages(label, page + 1, page + 2, page + 1 + count))
        page += 1 + count
    return PacketLayout(total_pages=page, toc_pages=toc_pages, exhibits=tuple(placed))


@dataclass(frozen=True)
class _Body:
    """An exhibit's own pages: a normalised PDF, or pages drawn in the generated document
    (``drawn`` = their indexes there)."""

    page_count: int
    pdf: bytes | None
    drawn: tuple[int, ...]


def build_packet(
    case_title: str,
    exhibits: Sequence[PacketExhibit],
    *,
    prepared_by: str,
    prepared_on: date,
    out: BinaryIO,
) -> PacketLayout:
    """Write the evidence packet PDF of ``exhibits`` (in this order) to ``out``; return its
    layout. Raises :class:`PacketError` when two exhibits share a label or an exhibit's bytes
    do not have its recorded SHA-256 and size (the packet would print a false hash)."""
    plan_layout([(exhibit.label, 1) for exhibit in exhibits])  # labels unique, before any work
    drawn = PacketPages()
    tabs: list[int] = []
    bodies: list[_Body] = []
    for exhibit in exhibits:  # one at a time: an exhibit's bytes are dropped before the next
        drawn.tab(exhibit.label, exhibit.title)
        tabs.append(drawn.page_count - 1)
        bodies.append(_body(exhibit, drawn))
    layout = plan_layout([(e.label, b.page_count) for e, b in zip(exhibits, bodies, strict=True)])
    front = _front(case_title, exhibits, layout, prepared_by, prepared_on)
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(front)).pages:
        writer.add_page(page)
    drawn_pages = PdfReader(io.BytesIO(drawn.to_bytes())).pages
    for tab, body in zip(tabs, bodies, strict=True):
        writer.add_page(drawn_pages[tab])
        if body.pdf is not None:
            for page in PdfReader(io.BytesIO(body.pdf)).pages:
                writer.add_page(page)
        for index in body.drawn:
            writer.add_page(drawn_pages[index])
    if len(writer.pages) != layout.total_pages:
        raise RuntimeError("evidence packet: pages drawn differ from the layout")
    _stamp_numbers(writer)
    writer.write(out)
    return layout


def _front(
    case_title: str,
    exhibits: Sequence[PacketExhibit],
    layout: PacketLayout,
    prepared_by: str,
    prepared_on: date,
) -> bytes:
    """The cover and table of contents, drawn once the layout is known."""
    pages = PacketPages()
    pages.cover(
        case_title,
        exhibits=len(exhibits),
        total_pages=layout.total_pages,
        by=prepared_by,
        on=prepared_on,
    )
    rows = [
        TocRow(e.label, e.title, _page_range(p), e.sha256[:16] + "...")
        for e, p in zip(exhibits, layout.exhibits, strict=True)
    ]
    pages.toc(rows, layout.toc_pages)
    if pages.page_count != 1 + layout.toc_pages:
        raise RuntimeError("evidence packet: table of contents differs from the layout")
    return pages.to_bytes()


def _page_range(pages: ExhibitPages) -> str:
    if pages.first_page == pages.last_page:
        return str(pages.first_page)
    return f"{pages.first_page}-{pages.last_page}"


def _facts(exhibit: PacketExhibit) -> ExhibitFacts:
    return ExhibitFacts(
        label=exhibit.label,
        title=exhibit.title,
        kind=exhibit.kind,
        content_type=exhibit.content_type,
        size=exhibit.size,
        sha256=exhibit.sha256,
        description=exhibit.description,
    )


def _body(exhibit: PacketExhibit, drawn: PacketPages) -> _Body:
    """The exhibit's own pages: its PDF pages, its image on one page, or a description page."""
    if not exhibit.printable:
        return _described(exhibit, drawn, NOT_PRINTABLE)
    if exhibit.content is None:
        return _described(exhibit, drawn, NO_CONTENT)
    data = exhibit.content()
    if len(data) != exhibit.size or hashlib.sha256(data).hexdigest() != exhibit.sha256.lower():
        raise PacketError(
            f"exhibit {exhibit.label}: its bytes do not match its recorded SHA-256 and size"
        )
    if exhibit.content_type in PDF_TYPES:
        normalised = readable_pdf(data)
        if normalised is None:
            return _described(exhibit, drawn, UNREADABLE_PDF)
        pdf, count = normalised
        return _Body(page_count=count, pdf=pdf, drawn=())
    picture = readable_image(data)
    if picture is None:
        return _described(exhibit, drawn, UNREADABLE_IMAGE)
    drawn.image(picture)
    return _Body(page_count=1, pdf=None, drawn=(drawn.page_count - 1,))


def _described(exhibit: PacketExhibit, drawn: PacketPages, reason: str) -> _Body:
    drawn.description(_facts(exhibit), reason)
    return _Body(page_count=1, pdf=None, drawn=(drawn.page_count - 1,))


def readable_pdf(data: bytes) -> tuple[bytes, int] | None:
    """``data`` rewritten by pypdf, with its page count: rotation moved into the content (so
    the page number lands at the bottom as the page is seen), pages' automatic actions
    dropped. None when it cannot be read: encrypted with a password we do not have, damaged,
    or without pages.

    Why rewrite and re-read: pypdf parses lazily, so a damaged file can look fine until its
    pages are copied. Doing the whole copy here, inside the guard, means a bad exhibit becomes
    a description page and never breaks the packet half-way.
    """
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            return None
        writer = PdfWriter()
        for page in reader.pages:
            copied = writer.add_page(page)
            copied.transfer_rotation_to_content()
            copied.pop("/AA", None)  # page open/close actions: never visible, never wanted
        buffer = io.BytesIO()
        writer.write(buffer)
        count = len(PdfReader(io.BytesIO(buffer.getvalue())).pages)
    except Exception:  # any parse failure of an untrusted file means "unreadable"
        return None
    return (buffer.getvalue(), count) if count else None


def readable_image(data: bytes) -> Picture | None:
    """The PNG or JPEG in ``data`` as fpdf2 should embed it, upright (EXIF orientation
    applied); None when Pillow cannot read it (or it is another format, or a decompression
    bomb).

    An upright JPEG is handed over as its own bytes, which fpdf2 embeds unchanged (no second
    lossy compression, and the packet stays the size of the photos); anything else as a
    decoded image in a mode fpdf2 embeds.
    """
    try:
        with PIL.Image.open(io.BytesIO(data)) as opened:
            if opened.format not in ("PNG", "JPEG"):
                return None
            opened.load()
            upright = opened.getexif().get(_EXIF_ORIENTATION, 1) == 1
            if opened.format == "JPEG" and upright and opened.mode in ("RGB", "L", "CMYK"):
                return Picture(data, opened.width, opened.height)
            picture = ImageOps.exif_transpose(opened)
            if picture.mode not in ("RGB", "L"):
                alpha = "A" in picture.mode or "transparency" in picture.info
                picture = picture.convert("RGBA" if alpha else "RGB")
            return Picture(picture, picture.width, picture.height)
    except Exception:  # any decode failure of an untrusted file means "unreadable"
        return None


def _stamp_numbers(writer: PdfWriter) -> None:
    """Merge "Page N of T" onto every page, at the bottom centre of its visible box."""
    boxes = [page.cropbox for page in writer.pages]
    overlays = PdfReader(
        io.BytesIO(number_overlays([(float(b.width), float(b.height)) for b in boxes]))
    ).pages
    for page, box, overlay in zip(writer.pages, boxes, overlays, strict=True):
        move = Transformation().translate(float(box.left), float(box.bottom))
        page.merge_transformed_page(overlay, move)


def exhibit_index_csv(exhibits: Sequence[PacketExhibit], layout: PacketLayout) -> str:
    """The exhibit index as CSV (``CSV_COLUMNS``), one row per exhibit in packet order, with
    its own pages in the packet's numbering and its full SHA-256.

    Cells starting with ``= + - @`` (or tab or carriage return) get a leading ``'``, as OWASP
    recommends against CSV formula injection: a title typed by anyone must never run as a
    spreadsheet formula on the attorney's machine.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for exhibit in exhibits:
        pages = layout.exhibit(exhibit.label)
        row: list[str | int] = [
            exhibit.label,
            exhibit.title,
            exhibit.kind,
            exhibit.content_type,
            exhibit.size,
            exhibit.sha256,
            pages.first_page,
            pages.last_page,
        ]
        writer.writerow([_inert(cell) for cell in row])
    return buffer.getvalue()


def _inert(cell: str | int) -> str | int:
    """``cell`` safe to open in a spreadsheet (see :func:`exhibit_index_csv`)."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell
