"""A ``multipart/form-data`` body parsed as it arrives, its one file never held whole.

Starlette's ``request.form()`` spools a large file part to a temporary file, which for an
exhibit would put the client's plaintext on disk. This reads the body from the ASGI stream
into ``python-multipart``'s push parser instead: small text fields are kept (bounded in size
and number), and the file part's bytes are handed out as they come, for the caller to
encrypt (:class:`asylumlens.cases.evidence_store.PendingUpload`). ``on_file`` runs when the
file part begins, with the text fields seen so far: a page's form puts its CSRF token
before the file, so a forged post is refused before a byte of the file is taken.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Final

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from asylumlens.web.errors import WebError

MAX_FIELD_BYTES: Final = 64 * 1024
MAX_FIELDS: Final = 32
FLUSH_BYTES: Final = 1024 * 1024
"""File bytes are handed out in pieces of about this size (one sealed chunk)."""


@dataclass(frozen=True)
class FilePart:
    field: str
    filename: str | None
    content_type: str | None


def _disposition(headers: dict[str, str]) -> tuple[str | None, str | None]:
    _, params = parse_options_header(headers.get("content-disposition", ""))
    name = params.get(b"name")
    filename = params.get(b"filename")
    return (
        name.decode("utf-8", "replace") if name is not None else None,
        filename.decode("utf-8", "replace") if filename is not None else None,
    )


class _Parts:
    """``python-multipart``'s callbacks: one part at a time, text kept, file bytes queued."""

    def __init__(self, on_file: Callable[[FilePart, dict[str, str]], None]) -> None:
        self.on_file = on_file
        self.fields: dict[str, str] = {}
        self.file: FilePart | None = None
        self.file_bytes = bytearray()
        self._headers: dict[str, str] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._name: str | None = None
        self._text = bytearray()
        self._in_file = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self._headers = {}
        self._text = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        name = bytes(self._field).decode("latin-1").strip().lower()
        self._headers[name] = bytes(self._value).decode("latin-1").strip()
        self._field, self._value = bytearray(), bytearray()

    def headers_finished(self) -> None:
        self._name, filename = _disposition(self._headers)
        self._in_file = filename is not None
        if not self._in_file:
            return
        if self.file is not None:
            raise WebError(422, ["file: send one file per upload"])
        part = FilePart(self._name or "file", filename, self._headers.get("content-type"))
        self.on_file(part, dict(self.fields))
        self.file = part

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.file_bytes += data[start:end]
            return
        self._text += data[start:end]
        if len(self._text) > MAX_FIELD_BYTES:
            raise WebError(422, [f"{self._name or 'field'}: longer than {MAX_FIELD_BYTES} bytes"])

    def part_end(self) -> None:
        if self._in_file:
            self._in_file = False
        elif self._name is not None:
            if len(self.fields) >= MAX_FIELDS:
                raise WebError(422, [f"body: more than {MAX_FIELDS} fields"])
            self.fields[self._name] = bytes(self._text).decode("utf-8", "replace")

    def take(self, at_least: int) -> bytes | None:
        """The queued file bytes when there are at least ``at_least`` of them."""
        if not self.file_bytes or len(self.file_bytes) < at_least:
            return None
        piece = bytes(self.file_bytes)
        self.file_bytes = bytearray()
        return piece


async def stream_form(
    content_type: str | None,
    body: AsyncIterator[bytes],
    on_file: Callable[[FilePart, dict[str, str]], None],
    write_file: Callable[[bytes], object],
) -> tuple[dict[str, str], FilePart | None]:
    """Parse ``body``; the text fields and the file part (None when there was none).

    ``write_file`` receives the file's bytes in order (awaited when it returns an
    awaitable, so the caller may encrypt off the event loop). A second file part, an
    over-long or too many text fields, or a body that is not multipart: 422 (or what
    ``on_file`` raises), with nothing written after the refusal.
    """
    kind, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise WebError(422, ["body: send multipart/form-data with a file part"])
    parts = _Parts(on_file)
    parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]

    async def flush(at_least: int) -> None:
        piece = parts.take(at_least)
        if piece is not None:
            done = write_file(piece)
            if inspect.isawaitable(done):
                await done

    try:
        async for chunk in body:
            if chunk:
                parser.write(chunk)
                await flush(FLUSH_BYTES)
        parser.finalize()
    except MultipartParseError:
        raise WebError(422, ["body: not a well-formed multipart/form-data body"]) from None
    await flush(1)
    return parts.fields, parts.file
