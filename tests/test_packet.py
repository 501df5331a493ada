"""The evidence packet PDF and the exhibit index CSV (issue 15 §5), read back with pypdf.

The exhibits are made here (PDFs with fpdf2, images with Pillow) and each of their pages
carries a distinctive text, so the tests can find where an exhibit really landed and compare
that with what the table of contents and the layout claim.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from datetime import date

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, RectangleObject, StreamObject

from asylumlens.cases.packet import (
    CSV_COLUMNS,
    PacketError,
    PacketExhibit,
    PacketLayout,
    build_packet,
    exhibit_index_csv,
    plan_layout,
    toc_page_count,
)

TODAY = date(2026, 12, 3)
NUMBER = re.compile(r"Page (\d+) of (\d+)")


def pdf_bytes(label: str, pages: int) -> bytes:
    """A PDF whose page ``n`` says ``EXHIBIT-<label>-PAGE-<n>``."""
    pdf = FPDF(format="letter")
    pdf.set_font("Helvetica", size=14)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(0, 10, f"EXHIBIT-{label}-PAGE-{n}")
    return bytes(pdf.output())


def image_bytes(fmt: str, size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def exhibit(
    label: str,
    title: str,
    content_type: str,
    data: bytes,
    *,
    kind: str = "other",
    loadable: bool = True,
    description: str | None = None,
) -> PacketExhibit:
    return PacketExhibit(
        label=label,
        title=title,
        kind=kind,
        content_type=content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        description=description,
        content=(lambda: data) if loadable else None,
    )


VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


def mixed_exhibits() -> list[PacketExhibit]:
    return [
        exhibit(
            "A",
            "Declaration of the applicant",
            "application/pdf",
            pdf_bytes("A", 3),
            kind="declaration",
        ),
        exhibit(
            "B",
            "Country conditions report",
            "application/pdf",
            pdf_bytes("B", 1),
            kind="country_report",
        ),
        exhibit(
            "C",
            "Photo of the summons",
            "image/png",
            image_bytes("PNG", (400, 900), (9, 9, 9)),
            kind="image",
        ),
        exhibit(
            "D",
            "Photo of the street",
            "image/jpeg",
            image_bytes("JPEG", (1600, 500), (200, 10, 10)),
            kind="image",
        ),
        exhibit(
            "E",
            "Footage of the camp",
            "video/mp4",
            VIDEO,
            kind="video",
            loadable=False,
            description="Filmed by the applicant in 2019, published before he fled.",
        ),
    ]


def build(exhibits: Sequence[PacketExhibit]) -> tuple[PacketLayout, PdfReader]:
    out = io.BytesIO()
    layout = build_packet(
        "Case #12 - Exhibits", exhibits, prepared_by="Attorney #3", prepared_on=TODAY, out=out
    )
    return layout, PdfReader(io.BytesIO(out.getvalue()))


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def pages_with(texts: Sequence[str], needle: str) -> list[int]:
    """1-based numbers of the pages whose text holds ``needle``."""
    return [n for n, text in enumerate(texts, start=1) if needle in text]


def test_page_count_is_cover_toc_and_each_exhibit_with_its_tab() -> None:
    """Total = cover + TOC pages + per exhibit (tab + its pages: 3, 1, 1, 1, and 1 description
    page for the video), in the file and in the returned layout."""
    exhibits = mixed_exhibits()
    layout, reader = build(exhibits)
    expected = 1 + toc_page_count(len(exhibits)) + (1 + 3) + (1 + 1) + (1 + 1) + (1 + 1) + (1 + 1)
    assert expected == 14
    assert len(reader.pages) == layout.total_pages == expected


def test_every_page_carries_its_number_in_order() -> None:
    """Each page, exhibits' own PDF pages included, carries exactly one "Page N of T" and it is
    its position in the file."""
    _, reader = build(mixed_exhibits())
    texts = page_texts(reader)
    total = len(texts)
    for n, text in enumerate(texts, start=1):
        assert NUMBER.findall(text) == [(str(n), str(total))], (n, text)


def test_toc_lists_label_title_range_and_hash_where_the_pages_really_are() -> None:
    """The TOC row of each exhibit names its label, title, page range and hash prefix; the
    range is where that exhibit's distinctive text really is, and its tab page precedes it."""
    exhibits = mixed_exhibits()
    layout, reader = build(exhibits)
    texts = page_texts(reader)
    toc = "\n".join(texts[1 : 1 + layout.toc_pages])
    assert "Table of contents" in texts[1]
    for item in exhibits:
        pages = layout.exhibit(item.label)
        span = (
            str(pages.first_page)
            if pages.first_page == pages.last_page
            else f"{pages.first_page}-{pages.last_page}"
        )
        row = next(line for line in toc.splitlines() if item.title in line)
        assert row.split()[0] == item.label
        assert span in row.split()
        assert item.sha256[:16] in row
        assert pages_with(texts, f"Tab {item.label}\n") == [pages.tab_page]
        assert pages.tab_page == pages.first_page - 1
    for label, count in (("A", 3), ("B", 1)):
        pages = layout.exhibit(label)
        found = [pages_with(texts, f"EXHIBIT-{label}-PAGE-{n}") for n in range(1, count + 1)]
        assert found == [[p] for p in range(pages.first_page, pages.last_page + 1)]


def test_images_each_take_one_page_scaled_inside_it() -> None:
    """The PNG and the JPEG are each one page holding one image, no bigger than the page and
    with the picture's own aspect ratio."""
    exhibits = mixed_exhibits()
    layout, reader = build(exhibits)
    for label, (w, h) in (("C", (400, 900)), ("D", (1600, 500))):
        pages = layout.exhibit(label)
        assert pages.first_page == pages.last_page
        page = reader.pages[pages.first_page - 1]
        images = page.images
        assert len(images) == 1
        assert images[0].image is not None
        assert images[0].image.size == (w, h)
        contents = page.get_contents()
        assert contents is not None
        placed = [op for op in contents.operations if op[1] == b"cm"]
        scale_w, _, _, scale_h, x, y = (float(v) for v in placed[0][0])
        assert x >= 0 and x + scale_w <= float(page.mediabox.width) + 0.01
        assert y >= 0 and y + scale_h <= float(page.mediabox.height) + 0.01
        assert scale_w / scale_h == pytest.approx(w / h, rel=1e-3)
    jpeg = reader.pages[layout.exhibit("D").first_page - 1]
    resources = jpeg["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    xobjects = resources["/XObject"].get_object()
    assert isinstance(xobjects, DictionaryObject)
    (embedded,) = (ref.get_object() for ref in xobjects.values())
    assert isinstance(embedded, StreamObject)
    assert str(embedded["/Filter"]) == "/DCTDecode"
    source = exhibits[3].content
    assert source is not None
    assert embedded.get_data() == source()  # the photo's own bytes: not compressed again


def test_an_exif_rotated_jpeg_is_printed_upright() -> None:
    """A JPEG stored 300x100 with EXIF orientation 6 (turn 90 degrees) is placed 100x300."""
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (300, 100), (0, 90, 0)).save(buffer, format="JPEG", exif=exif)
    layout, reader = build([exhibit("A", "Turned photo", "image/jpeg", buffer.getvalue())])
    placed = reader.pages[layout.exhibit("A").first_page - 1].images[0].image
    assert placed is not None
    assert placed.size == (100, 300)


def test_video_description_page_carries_full_hash_and_facts() -> None:
    """The video (never loaded) is one description page with its kind, content type, size,
    full SHA-256, description and "not printable"."""
    exhibits = mixed_exhibits()
    layout, reader = build(exhibits)
    video = exhibits[-1]
    text = reader.pages[layout.exhibit("E").first_page - 1].extract_text()
    for fact in (
        "video",
        "video/mp4",
        f"{video.size:,} bytes",
        video.sha256,
        "published before he fled",
        "Not printable: provided separately",
    ):
        assert fact in text, fact


def test_corrupt_or_encrypted_pdf_becomes_a_description_page() -> None:
    """A damaged PDF and one locked by a user password do not crash the packet: each is one
    description page saying it could not be read, with its full hash."""
    locked = PdfWriter()
    locked.append(PdfReader(io.BytesIO(pdf_bytes("L", 2))))
    locked.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    locked.write(buffer)
    broken = pdf_bytes("X", 2)[:400] + b"garbage" * 50
    exhibits = [
        exhibit("A", "Damaged scan", "application/pdf", broken),
        exhibit("B", "Locked file", "application/pdf", buffer.getvalue()),
        exhibit("C", "Good one", "application/pdf", pdf_bytes("C", 2)),
    ]
    layout, reader = build(exhibits)
    texts = page_texts(reader)
    assert len(texts) == layout.total_pages == 1 + 1 + 2 + 2 + 3
    for item in exhibits[:2]:
        page = layout.exhibit(item.label)
        assert page.first_page == page.last_page
        assert "could not be read" in texts[page.first_page - 1]
        assert item.sha256 in texts[page.first_page - 1]
    assert pages_with(texts, "EXHIBIT-L-PAGE") == []
    assert pages_with(texts, "EXHIBIT-C-PAGE-2") == [layout.exhibit("C").last_page]


def test_owner_password_only_pdf_is_printed() -> None:
    """A PDF encrypted with only an owner password (readable by anyone, as many government
    reports are) is printed, not replaced."""
    locked = PdfWriter()
    locked.append(PdfReader(io.BytesIO(pdf_bytes("O", 2))))
    locked.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    locked.write(buffer)
    layout, reader = build([exhibit("A", "Report", "application/pdf", buffer.getvalue())])
    texts = page_texts(reader)
    assert pages_with(texts, "EXHIBIT-O-PAGE-2") == [layout.exhibit("A").last_page] == [5]


def test_thirty_exhibits_take_two_toc_pages_and_numbers_stay_right() -> None:
    """30 exhibits: the TOC runs over 2 pages, every exhibit is listed with its range, and
    each exhibit's text sits on the page the layout says."""
    exhibits = [
        exhibit(f"{n}", f"Exhibit number {n}", "application/pdf", pdf_bytes(f"{n}", 1 + n % 3))
        for n in range(1, 31)
    ]
    layout, reader = build(exhibits)
    texts = page_texts(reader)
    assert layout.toc_pages == 2
    assert "Table of contents (continued)" in texts[2]
    assert len(texts) == layout.total_pages == 1 + 2 + sum(1 + 1 + n % 3 for n in range(1, 31))
    toc = (texts[1] + texts[2]).splitlines()
    for n, text in enumerate(texts, start=1):
        assert NUMBER.findall(text) == [(str(n), str(len(texts)))]
    for item in exhibits:
        pages = layout.exhibit(item.label)
        span = (
            f"{pages.first_page}-{pages.last_page}"
            if pages.last_page > pages.first_page
            else (str(pages.first_page))
        )
        row = next(line for line in toc if line.startswith(f"{item.label} Exhibit number "))
        assert row.split()[4] == span
        assert pages_with(texts, f"EXHIBIT-{item.label}-PAGE-1\n") == [pages.first_page]
        last = f"EXHIBIT-{item.label}-PAGE-{1 + int(item.label) % 3}\n"
        assert pages_with(texts, last) == [pages.last_page]


def test_bytes_that_do_not_match_the_recorded_hash_refuse_the_packet() -> None:
    """An exhibit whose bytes differ from its recorded SHA-256 stops the packet (it would print
    a false hash), naming only the label."""
    good = exhibit("A", "Declaration", "application/pdf", pdf_bytes("A", 1))
    swapped = PacketExhibit(**{**good.__dict__, "content": lambda: pdf_bytes("Z", 1)})
    with pytest.raises(PacketError, match="exhibit A"):
        build([swapped])


def test_duplicate_labels_are_refused() -> None:
    """Two exhibits labelled alike would make the TOC ambiguous: refused before any work."""
    one = exhibit("A", "One", "video/mp4", VIDEO, loadable=False)
    with pytest.raises(PacketError):
        build([one, one])


def test_layout_numbers_follow_from_page_counts() -> None:
    """plan_layout: cover 1, TOC 2..(1+toc), then tab then pages, consecutively."""
    layout = plan_layout([("A", 3), ("B", 1)])
    assert layout.total_pages == 1 + 1 + 4 + 2
    assert [(p.tab_page, p.first_page, p.last_page) for p in layout.exhibits] == [
        (3, 4, 6),
        (7, 8, 8),
    ]


def test_index_csv_has_header_rows_and_full_hashes() -> None:
    """The CSV has the documented header and one row per exhibit with full SHA-256, size and
    the packet page range of the layout."""
    exhibits = mixed_exhibits()
    layout, _ = build(exhibits)
    rows = list(csv.reader(io.StringIO(exhibit_index_csv(exhibits, layout))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + len(exhibits)
    for row, item in zip(rows[1:], exhibits, strict=True):
        pages = layout.exhibit(item.label)
        assert row == [
            item.label,
            item.title,
            item.kind,
            item.content_type,
            str(item.size),
            item.sha256,
            str(pages.first_page),
            str(pages.last_page),
        ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_index_csv_cells_cannot_be_formulas(start: str) -> None:
    """A title or description starting with a formula character is prefixed with ' ."""
    item = exhibit("A", f'{start}HYPERLINK("http://x")', "video/mp4", VIDEO, loadable=False)
    layout = plan_layout([("A", 1)])
    rows = list(csv.reader(io.StringIO(exhibit_index_csv([item], layout))))
    assert rows[1][1] == "'" + item.title
    assert rows[1][0] == "A"


def number_position(page: PageObject) -> tuple[float, float]:
    """Where "Page N of T" is drawn on ``page`` (its text matrix origin, page space)."""
    found: list[tuple[float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.startswith("Page "):
            found.append(
                (tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            )

    page.extract_text(visitor_text=visit)
    assert len(found) == 1
    return found[0]


def test_numbers_sit_at_the_bottom_of_rotated_landscape_and_cropped_pages() -> None:
    """A landscape A4 page, a page with /Rotate 90 and a page cropped to an inner box:
    each gets its number near the bottom centre of what a reader sees."""
    source = PdfReader(io.BytesIO(pdf_bytes("R", 3)))
    odd = PdfWriter()
    for page in source.pages:
        odd.add_page(page)
    odd.pages[0].mediabox = RectangleObject((0, 0, 842, 595))  # landscape A4
    odd.pages[1].rotate(90)
    odd.pages[1][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): DictionaryObject({NameObject("/S"): NameObject("/JavaScript")})}
    )
    odd.pages[2].cropbox = RectangleObject((50, 100, 562, 692))  # shown: an inner box
    buffer = io.BytesIO()
    odd.write(buffer)
    layout, reader = build([exhibit("A", "Odd pages", "application/pdf", buffer.getvalue())])
    for number in range(layout.exhibit("A").first_page, layout.exhibit("A").last_page + 1):
        page = reader.pages[number - 1]
        assert page.rotation == 0
        assert "/AA" not in page  # an automatic (JavaScript) page action is not carried over
        box = page.cropbox
        x, y = number_position(page)
        assert float(box.bottom) < y < float(box.bottom) + 40, (number, y, box)
        centre = float(box.left) + float(box.width) / 2
        assert abs(x - centre) < 60, (number, x, box)
    assert float(reader.pages[4].cropbox.width) == 792  # the rotated page, upright: landscape


def test_hostile_text_keeps_the_layout() -> None:
    """Very long titles, non-Latin text, a 20,000-character description with many lines and a
    formula-like label: still one page per TOC row budget and per description, numbers right."""
    long_title = "ترجمة إفادة الشاهد " * 120
    exhibits = [
        exhibit(
            "=1+1",
            long_title,
            "video/mp4",
            VIDEO,
            loadable=False,
            description=("line of text that goes on\n" * 800),
        ),
        exhibit("B", "“Quoted” – dashed … title " * 30, "application/pdf", pdf_bytes("B", 1)),
    ]
    layout, reader = build(exhibits)
    texts = page_texts(reader)
    assert len(texts) == layout.total_pages == 1 + 1 + 2 + 2
    for n, text in enumerate(texts, start=1):
        assert NUMBER.findall(text) == [(str(n), str(len(texts)))]
    assert exhibits[0].sha256 in texts[layout.exhibit("=1+1").first_page - 1]
    assert "EXHIBIT-B-PAGE-1" in texts[layout.exhibit("B").first_page - 1]
