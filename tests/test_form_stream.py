"""The streamed multipart parser: the file's bytes come out exactly, in order, whatever the
network's chunking; text fields come before the file is taken; bad bodies are 422s."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asylumlens.web.errors import WebError
from asylumlens.web.form_stream import FilePart, stream_form


def _encoded(fields: dict[str, str], payload: bytes, name: str = "clip.mp4") -> tuple[str, bytes]:
    request = httpx.Request(
        "POST", "https://x/", data=fields, files={"file": (name, payload, "video/mp4")}
    )
    return request.headers["content-type"], request.read()


async def _pieces(body: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    at = 0
    for size in sizes:
        yield body[at : at + size]
        at += size
    yield body[at:]


def _parse(
    content_type: str, body: bytes, sizes: list[int], seen: list[dict[str, str]]
) -> tuple[dict[str, str], FilePart | None, bytes]:
    out = bytearray()

    def on_file(part: FilePart, fields: dict[str, str]) -> None:
        seen.append(fields)

    fields, part = asyncio.run(stream_form(content_type, _pieces(body, sizes), on_file, out.extend))
    return fields, part, bytes(out)


@settings(max_examples=40, deadline=None)
@given(
    payload=st.binary(min_size=0, max_size=3000),
    sizes=st.lists(st.integers(min_value=1, max_value=700), max_size=12),
)
def test_the_file_comes_out_byte_for_byte_whatever_the_chunking(
    payload: bytes, sizes: list[int]
) -> None:
    """Fields (including one after the file), the file's name and type, and its bytes."""
    content_type, body = _encoded({"csrf_token": "t0k", "title": "Camp footage"}, payload)
    seen: list[dict[str, str]] = []
    fields, part, got = _parse(content_type, body, sizes, seen)
    assert got == payload
    assert part == FilePart("file", "clip.mp4", "video/mp4")
    assert fields == {"csrf_token": "t0k", "title": "Camp footage"}
    assert seen == [fields]  # httpx puts data fields before files, as a browser form does


def test_a_large_file_is_handed_out_in_pieces_not_whole() -> None:
    """5 MiB arrives in about 1 MiB pieces (the parser never holds the file)."""
    payload = secrets.token_bytes(5 * 1024 * 1024)
    content_type, body = _encoded({}, payload)
    pieces: list[int] = []
    digest = hashlib.sha256()

    def write(data: bytes) -> None:
        pieces.append(len(data))
        digest.update(data)

    asyncio.run(stream_form(content_type, _pieces(body, [65536] * 200), lambda p, f: None, write))
    assert digest.hexdigest() == hashlib.sha256(payload).hexdigest()
    assert max(pieces) < 2 * 1024 * 1024 and len(pieces) >= 4


def test_a_refusal_when_the_file_begins_stops_before_any_byte_is_written() -> None:
    content_type, body = _encoded({"csrf_token": "forged"}, b"secret footage")
    written: list[bytes] = []

    def on_file(part: FilePart, fields: dict[str, str]) -> None:
        raise WebError(403, ["missing or wrong CSRF token"])

    with pytest.raises(WebError) as refused:
        asyncio.run(stream_form(content_type, _pieces(body, []), on_file, written.append))
    assert refused.value.status == 403 and written == []


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("application/json", b"{}", "send multipart/form-data"),
        ("multipart/form-data; boundary=XYZ", b"garbage without boundaries", "well-formed"),
    ],
)
def test_bad_bodies_are_422(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(WebError) as refused:
        asyncio.run(stream_form(content_type, _pieces(body, []), lambda p, f: None, print))
    assert refused.value.status == 422 and message in str(refused.value)


def test_two_files_are_refused() -> None:
    request = httpx.Request(
        "POST", "https://x/", files=[("file", ("a", b"1")), ("file", ("b", b"2"))]
    )
    with pytest.raises(WebError, match="one file"):
        asyncio.run(
            stream_form(
                request.headers["content-type"], _pieces(request.read(), []),
                lambda p, f: None, lambda d: None,
            )
        )  # fmt: skip
